package spa

import (
	"bytes"
	"crypto/rand"
	mrand "math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

func permutations(n int) [][]int {
	if n == 1 {
		return [][]int{{0}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for pos := range n {
			q := append(append(append([]int{}, p[:pos]...), n-1), p[pos:]...)
			out = append(out, q)
		}
	}
	return out
}

func wantGrants(t *testing.T, s *knockServer, n int) {
	t.Helper()
	if len(s.grants) != n {
		t.Fatalf("%d grants, want %d (drops %v)", len(s.grants), n, s.drops)
	}
}

// All 24 arrival orders of 4 fragments complete exactly once, on the last
// fragment, and the packet opens.
func TestKnockEveryArrivalOrder(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	s := newKnockServer(t, false, k)
	cl := &knockClient{t: t, key: k}
	perms := permutations(4)
	if len(perms) != 24 {
		t.Fatalf("%d permutations", len(perms))
	}
	for pi, perm := range perms {
		c, ports, payloads := cl.nextKnock(s.now)
		for j, i := range perm {
			cand, err := s.table.Match(ports[i], payloads[i])
			if err != nil {
				t.Fatalf("order %v: fragment %d: %v", perm, i, err)
			}
			if cand.Key != k || cand.Counter != c || int(cand.Index) != i {
				t.Fatalf("order %v: fragment %d matched %+v", perm, i, cand)
			}
			s.deliver(ports[i], srcA, payloads[i])
			if got, want := len(s.grants), pi+boolInt(j == 3); got != want {
				t.Fatalf("order %v after %d fragments: %d grants, want %d", perm, j+1, got, want)
			}
		}
		last := s.grants[len(s.grants)-1]
		if last.Counter != c || last.Flags&FlagFragmented == 0 || last.Type != MsgOpen {
			t.Fatalf("granted body %+v", last)
		}
	}
	if len(s.drops) != 0 || s.ra.Len() != 0 {
		t.Fatalf("drops %v, %d partial", s.drops, s.ra.Len())
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Every fragment duplicated, some three times, in random orders: one grant,
// in HOTP mode (the counter dies at once) and in TOTP mode (the completed
// assembly's tags recognise the late duplicates).
func TestKnockDuplicatesGrantOnce(t *testing.T) {
	for _, totp := range []bool{false, true} {
		k := testKey(t, "alice", "bastion-a.example")
		s := newKnockServer(t, totp, k)
		cl := &knockClient{t: t, key: k}
		rng := mrand.New(mrand.NewPCG(7, 7))
		for round := range 20 {
			var ports []uint16
			var payloads [][]byte
			if totp {
				ports, payloads = cl.knock(TOTPCounter(s.now), s.now)
			} else {
				_, ports, payloads = cl.nextKnock(s.now)
			}
			var order []int
			for i := range 4 {
				order = append(order, i, i)
				if (i+round)%2 == 0 {
					order = append(order, i)
				}
			}
			rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
			for _, i := range order {
				s.deliver(ports[i], srcA, payloads[i])
			}
			wantGrants(t, s, round+1)
		}
		if totp && (s.drops[ReasonReplay] != 0 || s.ra.Stats().Duplicates == 0) {
			t.Fatalf("TOTP: duplicates reached the replay cache: drops %v, stats %+v", s.drops, s.ra.Stats())
		}
		for r := range s.drops {
			if r != ReasonUnknownKey { // HOTP: late duplicates hit dead ports
				t.Fatalf("totp=%v: drops %v", totp, s.drops)
			}
		}
	}
}

// One fragment lost: no grant, the partial expires after 5 s, counted
// once, and the next counter works.
func TestKnockLostFragment(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	s := newKnockServer(t, false, k)
	cl := &knockClient{t: t, key: k}
	_, ports, payloads := cl.nextKnock(s.now)
	for _, i := range []int{0, 1, 3} {
		s.deliver(ports[i], srcA, payloads[i])
	}
	wantGrants(t, s, 0)
	if s.ra.Len() != 1 {
		t.Fatalf("%d partial assemblies", s.ra.Len())
	}
	if n := s.advance(DefaultReassemblyTimeout - time.Millisecond); n != 0 {
		t.Fatalf("expired %d before the timeout", n)
	}
	if n := s.advance(time.Millisecond); n != 1 {
		t.Fatalf("Expire at the timeout = %d, want 1", n)
	}
	if s.ra.Len() != 0 || s.ra.Stats().Expired != 1 || len(s.ra.byID) != 0 || len(s.ra.perKey) != 0 || s.ra.head != nil {
		t.Fatalf("state left: %d partial, stats %+v", s.ra.Len(), s.ra.Stats())
	}
	// The lost fragment turning up late starts a new partial, nothing more.
	s.deliver(ports[2], srcA, payloads[2])
	wantGrants(t, s, 0)
	_, ports, payloads = cl.nextKnock(s.now)
	s.sendAll(ports, payloads, srcA)
	wantGrants(t, s, 1)
	if s.cs[k] != 2 {
		t.Fatalf("c_s = %d, want 2", s.cs[k])
	}
	if s.ra.Len() != 0 {
		t.Fatal("the late fragment of the spent counter was not forgotten")
	}
}

// A spoofed fragment at the right port, before the real one, from the
// victim's address or another, is dropped on its own tag.
func TestKnockSpoofedFragmentFirst(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	s := newKnockServer(t, false, k)
	cl := &knockClient{t: t, key: k}
	for round, src := range []netip.Addr{srcA, srcB} {
		_, ports, payloads := cl.nextKnock(s.now)
		for i := range ports {
			spoof := make([]byte, len(payloads[i]))
			rand.Read(spoof)
			s.deliver(ports[i], src, spoof)
			// The real chunk with a forged tag, too.
			forged := bytes.Clone(payloads[i])
			forged[len(forged)-1] ^= 1
			s.deliver(ports[i], src, forged)
		}
		if s.drops[ReasonFragmentAuth] != 8*(round+1) || s.ra.Len() != 0 {
			t.Fatalf("drops %v, %d partial: a spoofed fragment made state", s.drops, s.ra.Len())
		}
		s.sendAll(ports, payloads, srcA)
		wantGrants(t, s, round+1)
	}
	// Garbage of the wrong length at a live port is malformed.
	_, ports, _ := cl.nextKnock(s.now)
	s.deliver(ports[0], srcA, make([]byte, 200))
	if s.drops[ReasonMalformed] != 1 {
		t.Fatalf("drops %v", s.drops)
	}
}

// Fragments from two sources never mix.
func TestKnockSourcesDoNotMix(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	s := newKnockServer(t, true, k)
	cl := &knockClient{t: t, key: k}
	ports, payloads := cl.knock(TOTPCounter(s.now), s.now)
	s.deliver(ports[0], srcA, payloads[0])
	s.deliver(ports[1], srcA, payloads[1])
	s.deliver(ports[2], srcB, payloads[2])
	s.deliver(ports[3], srcB, payloads[3])
	wantGrants(t, s, 0)
	if s.ra.Len() != 2 {
		t.Fatalf("%d partial assemblies, want 2", s.ra.Len())
	}
	// An IPv4-mapped source is the same source.
	s.deliver(ports[2], netip.AddrFrom16(srcA.As16()), payloads[2])
	s.deliver(ports[3], srcA, payloads[3])
	wantGrants(t, s, 1)
	s.deliver(ports[0], srcB, payloads[0])
	s.deliver(ports[1], srcB, payloads[1])
	wantGrants(t, s, 1) // the same packet again: the replay cache refuses it
	if s.drops[ReasonReplay] != 1 {
		t.Fatalf("drops %v", s.drops)
	}
}

// HOTP: a spent counter, any older counter, and the window's edges.
func TestKnockHOTPWindow(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	s := newKnockServer(t, false, k)
	cl := &knockClient{t: t, key: k}
	refused := func(c uint64) {
		t.Helper()
		ports, payloads := cl.knock(c, s.now)
		before := len(s.grants)
		s.sendAll(ports, payloads, srcA)
		if len(s.grants) != before || s.ra.Len() != 0 {
			t.Fatalf("counter %d with c_s %d: granted or kept state", c, s.cs[k])
		}
	}
	accepted := func(c uint64) {
		t.Helper()
		ports, payloads := cl.knock(c, s.now)
		before := len(s.grants)
		s.sendAll(ports, payloads, srcA)
		if len(s.grants) != before+1 || s.cs[k] != c+1 {
			t.Fatalf("counter %d: %d grants, c_s %d (drops %v)", c, len(s.grants)-before, s.cs[k], s.drops)
		}
	}
	refused(DefaultLookAhead) // c_s + s: just beyond
	accepted(DefaultLookAhead - 1)
	for c := range uint64(DefaultLookAhead) {
		refused(c) // everything up to the used counter is dead
	}
	refused(2*DefaultLookAhead + 0) // beyond the new window
	accepted(2*DefaultLookAhead - 1)
	accepted(2 * DefaultLookAhead) // the next one is at the bottom
}

// A client that ran ahead is repaired by an authenticated resync, and an
// older resync never moves the counter back.
func TestKnockResync(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	s := newKnockServer(t, false, k)
	cl := &knockClient{t: t, key: k}
	for range DefaultLookAhead + 3 { // knocks lost on the way
		cl.nextKnock(s.now)
	}
	_, ports, payloads := cl.nextKnock(s.now)
	s.sendAll(ports, payloads, srcA)
	wantGrants(t, s, 0)

	old := cl.resync(s.now) // carries next = 14; delayed
	cl.next += 5
	s.deliverSPA(cl.resync(s.now))
	if s.cs[k] != cl.next {
		t.Fatalf("c_s = %d after resync, want %d", s.cs[k], cl.next)
	}
	s.deliverSPA(old)
	if s.cs[k] != cl.next {
		t.Fatalf("an older resync moved c_s back to %d", s.cs[k])
	}
	_, ports, payloads = cl.nextKnock(s.now)
	before := len(s.grants)
	s.sendAll(ports, payloads, srcA)
	if len(s.grants) != before+1 || s.grants[len(s.grants)-1].Type != MsgOpen {
		t.Fatalf("knock after resync refused (drops %v)", s.drops)
	}
}

// TOTP: steps -1, 0 and +1 of the server's clock are accepted, ±2 refused.
func TestKnockTOTPSteps(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	s := newKnockServer(t, true, k)
	cl := &knockClient{t: t, key: k}
	now := TOTPCounter(s.now)
	for _, d := range []int{-2, -1, 0, 1, 2} {
		ports, payloads := cl.knock(uint64(int(now)+d), s.now)
		before := len(s.grants)
		s.sendAll(ports, payloads, srcA)
		want := d >= -1 && d <= 1
		if got := len(s.grants) > before; got != want {
			t.Errorf("step %+d: granted %v, want %v (drops %v)", d, got, want, s.drops)
		}
	}
	// Two knocks within one step use the same ports and both work.
	p1, f1 := cl.knock(now, s.now)
	p2, f2 := cl.knock(now, s.now)
	if !slicesEqual(p1, p2) {
		t.Fatal("TOTP ports differ within a step")
	}
	before := len(s.grants)
	s.sendAll(p1, f1, srcA)
	s.sendAll(p2, f2, srcA)
	if len(s.grants) != before+2 {
		t.Fatalf("two knocks in one step: %d grants", len(s.grants)-before)
	}
	// A resync from a TOTP client is refused by policy.
	s.deliverSPA(cl.resync(s.now))
	if s.drops[ReasonPolicy] != 1 {
		t.Fatalf("drops %v", s.drops)
	}
}

func slicesEqual(a, b []uint16) bool { return string(u16bytes(a)) == string(u16bytes(b)) }

func u16bytes(a []uint16) []byte {
	var out []byte
	for _, p := range a {
		out = append(out, byte(p>>8), byte(p))
	}
	return out
}

// Replaying every captured fragment of a granted knock never grants again.
func TestKnockReplayRefused(t *testing.T) {
	t.Run("hotp", func(t *testing.T) {
		k := testKey(t, "alice", "bastion-a.example")
		s := newKnockServer(t, false, k)
		cl := &knockClient{t: t, key: k}
		_, ports, payloads := cl.nextKnock(s.now)
		s.sendAll(ports, payloads, srcA)
		wantGrants(t, s, 1)
		for _, src := range []netip.Addr{srcA, srcB} {
			s.sendAll(ports, payloads, src)
		}
		s.advance(10 * time.Second)
		s.sendAll(ports, payloads, srcA)
		wantGrants(t, s, 1)
		if s.ra.Len() != 0 || s.drops[ReasonReplay] != 0 {
			t.Fatalf("a dead counter reached reassembly: %d partial, drops %v", s.ra.Len(), s.drops)
		}
	})
	t.Run("totp", func(t *testing.T) {
		k := testKey(t, "alice", "bastion-a.example")
		s := newKnockServer(t, true, k)
		cl := &knockClient{t: t, key: k}
		ports, payloads := cl.knock(TOTPCounter(s.now), s.now)
		s.sendAll(ports, payloads, srcA)
		s.sendAll(ports, payloads, srcA) // kept tags: duplicates
		wantGrants(t, s, 1)
		s.sendAll(ports, payloads, srcB) // another source: reassembles, replay
		if s.drops[ReasonReplay] != 1 {
			t.Fatalf("drops %v", s.drops)
		}
		s.advance(DefaultReassemblyTimeout + time.Second)
		s.sendAll(ports, payloads, srcA) // tags gone: reassembles, replay
		wantGrants(t, s, 1)
		if s.drops[ReasonReplay] != 2 {
			t.Fatalf("drops %v", s.drops)
		}
	})
}

// Many clients in a small range share ports; every fragment still finds its
// own candidate.
func TestKnockSharedPorts(t *testing.T) {
	var keys []*Key
	for i := range 6 {
		keys = append(keys, testKey(t, "client"+string(rune('a'+i)), "bastion-a.example"))
	}
	s := newKnockServer(t, false)
	s.r = PortRange{40000, 40063}
	s.n = 8
	s.hints = NewHintTable(keys, s.now, testWindow)
	for _, k := range keys {
		s.cs[k] = 0
		s.refresh(k)
	}
	shared := 0
	for p := range 65536 {
		if len(s.table.Lookup(uint16(p))) > 1 {
			shared++
		}
	}
	if shared == 0 {
		t.Fatal("no shared ports; the test exercises nothing")
	}
	for i, k := range keys {
		var nonce [NonceSize]byte
		nonce[0] = byte(i)
		c := uint64(i % DefaultLookAhead)
		ports, payloads, err := k.Knock(openBody(s.now, "192.0.2.10"), c, 8, s.r, s.excl, &nonce, Large)
		if err != nil {
			t.Fatal(err)
		}
		s.sendAll(ports, payloads, srcA)
		wantGrants(t, s, i+1)
	}
}
