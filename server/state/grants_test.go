package state

import (
	"net/netip"
	"slices"
	"testing"
	"time"
)

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

func TestGrants(t *testing.T) {
	path := dbPath(t)
	clk := newFakeClock()
	s, _ := open(t, path, Options{Clock: clk})
	now := clk.Now()
	g1 := Grant{Client: "alice", Addr: mustAddr("192.0.2.7"), Proto: 6, Port: 22, Expires: now.Add(time.Minute)}
	g2 := Grant{Client: "bob", Addr: mustAddr("2001:db8::1"), Proto: 17, Port: 53, Expires: now.Add(time.Hour)}
	g3 := Grant{Client: "alice", Addr: mustAddr("192.0.2.7"), Proto: 6, Port: 443, Expires: now.Add(-time.Second)}
	for _, g := range []Grant{g2, g3, g1} {
		if err := s.PutGrant(g); err != nil {
			t.Fatal(err)
		}
	}
	want := []Grant{g1, g3, g2} // by address, then proto, then port
	if got := s.Grants(); !equalGrants(got, want) {
		t.Fatalf("Grants = %v, want %v", got, want)
	}
	if got := s.ExpiredGrants(now); !equalGrants(got, []Grant{g3}) {
		t.Fatalf("ExpiredGrants(now) = %v, want [g3]", got)
	}
	if got := s.ExpiredGrants(now.Add(time.Minute)); !equalGrants(got, []Grant{g1, g3}) {
		t.Fatalf("ExpiredGrants(now+1m) = %v, want [g1 g3] (Expires == now counts)", got)
	}

	// Re-grant for the same key, given IPv4-mapped: replaces, normalised.
	ext := g1
	ext.Addr = mustAddr("::ffff:192.0.2.7")
	ext.Expires = now.Add(2 * time.Hour)
	if err := s.PutGrant(ext); err != nil {
		t.Fatal(err)
	}
	ext.Addr = g1.Addr
	if err := s.DeleteGrant(g3.Addr, g3.Proto, g3.Port); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteGrant(mustAddr("198.51.100.1"), 6, 1); err != nil {
		t.Fatalf("deleting a missing grant: %v", err)
	}
	want = []Grant{ext, g2}
	if got := s.Grants(); !equalGrants(got, want) {
		t.Fatalf("after extend/delete Grants = %v, want %v", got, want)
	}
	if st := s.Stats(); st.Grants != 2 {
		t.Fatalf("Stats.Grants = %d, want 2", st.Grants)
	}
	s.Close()

	s2, _ := open(t, path, Options{Clock: clk.restarted()})
	if got := s2.Grants(); !equalGrants(got, want) {
		t.Fatalf("after reopen Grants = %v, want %v", got, want)
	}
	if got := s2.ExpiredGrants(now.Add(90 * time.Minute)); !equalGrants(got, []Grant{g2}) {
		t.Fatalf("after reopen ExpiredGrants = %v, want [g2]", got)
	}
}

func TestGrantRejected(t *testing.T) {
	s, _ := open(t, dbPath(t), Options{})
	exp := time.Now().Add(time.Minute)
	for _, g := range []Grant{
		{Client: "", Addr: mustAddr("192.0.2.1"), Proto: 6, Port: 22, Expires: exp},
		{Client: "alice", Proto: 6, Port: 22, Expires: exp},
		{Client: "alice", Addr: mustAddr("fe80::1%eth0"), Proto: 6, Port: 22, Expires: exp},
		{Client: "alice", Addr: mustAddr("192.0.2.1"), Proto: 6, Port: 22},
	} {
		if err := s.PutGrant(g); err == nil {
			t.Errorf("PutGrant(%+v) succeeded", g)
		}
	}
	if n := len(s.Grants()); n != 0 {
		t.Fatalf("%d grants recorded", n)
	}
}

func equalGrants(a, b []Grant) bool {
	return slices.EqualFunc(a, b, func(x, y Grant) bool {
		return x.Client == y.Client && x.Addr == y.Addr && x.Proto == y.Proto && x.Port == y.Port &&
			x.Expires.UnixMilli() == y.Expires.UnixMilli()
	})
}
