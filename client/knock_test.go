package client

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/spa-project/spa/keys"
	"github.com/spa-project/spa/spa"
)

// A knock on loopback is a packet the server's verification accepts, for
// the address it came from (so the strict address policy holds).
func TestKnockLoopbackVerifies(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		t.Run(addr, func(t *testing.T) {
			srv := newUDPServer(t, addr)
			host := netip.MustParseAddrPort(addr).Addr().String()
			p := testProfile(t, host, srv.port())
			var log strings.Builder
			req := Request{Profile: p, Duration: 30 * time.Second, Repeat: 3,
				Ports: []spa.Port{{Proto: spa.TCP, Port: 22}, {Proto: spa.UDP, Port: 53}}}
			res, err := Knock(context.Background(), req, Deps{Logf: func(f string, a ...any) {
				log.WriteString(f + "\n")
				for _, x := range a {
					if s, ok := x.(interface{ String() string }); ok {
						log.WriteString(s.String() + "\n")
					}
				}
			}})
			if err != nil {
				t.Fatal(err)
			}
			got := srv.wait(t, 3)
			for _, g := range got {
				if !bytes.Equal(g.data, got[0].data) {
					t.Fatal("the copies differ")
				}
			}
			key, b, err := verifier(p, time.Now()).Open(got[0].data, time.Now())
			if err != nil || key == nil {
				t.Fatalf("server rejects the packet: %v", err)
			}
			if b.Type != spa.MsgOpen || b.Duration != 30 || b.ClientIP != got[0].dst.Addr().Unmap() ||
				len(b.PortList()) != 2 || b.Flags != 0 {
				t.Fatalf("body %+v from %s", b, got[0].dst)
			}
			if res.Copies != 3 || res.AllowIP != b.ClientIP || res.Addr.Port() != srv.port() {
				t.Fatalf("result %+v", res)
			}
			assertNoSecret(t, p, log.String())
		})
	}
}

// Two knocks never share a nonce.
func TestKnockFreshNonce(t *testing.T) {
	n := newFakeNet()
	p := testProfile(t, "192.0.2.1", 62201)
	for range 2 {
		if _, err := Knock(context.Background(), Request{Profile: p}, Deps{Net: n}); err != nil {
			t.Fatal(err)
		}
	}
	s := n.packets()
	if bytes.Equal(s[0].data[5:29], s[1].data[5:29]) {
		t.Fatal("nonce reused")
	}
}

func TestKnockClose(t *testing.T) {
	n := newFakeNet()
	p := testProfile(t, "192.0.2.1", 62201)
	now := time.Now()
	res, err := Knock(context.Background(), Request{Profile: p, Type: spa.MsgClose, AllowIP: AllowSource}, Deps{Net: n})
	if err != nil {
		t.Fatal(err)
	}
	_, b, err := verifier(p, now).Open(n.packets()[0].data, now)
	if err != nil || b.Type != spa.MsgClose || b.Flags != spa.FlagUseSource || !res.UseSource {
		t.Fatalf("body %+v, err %v", b, err)
	}
}

// The time offset moves the packet's timestamp, and rescues a wrong clock.
func TestKnockTimeOffset(t *testing.T) {
	n := newFakeNet()
	p := testProfile(t, "192.0.2.1", 62201)
	epoch := time.Unix(0, 0)
	real := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	req := Request{Profile: p, TimeOffset: real.Sub(epoch)}
	res, err := Knock(context.Background(), req, Deps{Net: n, Now: func() time.Time { return epoch }})
	if err != nil {
		t.Fatal(err)
	}
	if !res.SentAt.Equal(real) {
		t.Fatalf("sent at %s", res.SentAt)
	}
	if _, _, err := verifier(p, real).Open(n.packets()[0].data, real); err != nil {
		t.Fatal(err)
	}
}

func TestKnockFamily(t *testing.T) {
	n := newFakeNet()
	n.hosts["dual.test"] = []netip.Addr{netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("192.0.2.1")}
	n.hosts["v4.test"] = []netip.Addr{netip.MustParseAddr("192.0.2.1")}
	p := testProfile(t, "dual.test", 62201)
	v6allow, _ := ParseAllowIP("2001:db8::99")
	v4allow, _ := ParseAllowIP("203.0.113.5")
	for _, c := range []struct {
		name  string
		req   Request
		dst   string
		allow string
	}{
		{"first address", Request{}, "2001:db8::1", "2001:db8:0:5::23"},
		{"-4", Request{Family: IPv4}, "192.0.2.1", "198.51.100.23"},
		{"-6", Request{Family: IPv6}, "2001:db8::1", "2001:db8:0:5::23"},
		{"allow-ip picks IPv4", Request{AllowIP: v4allow}, "192.0.2.1", "203.0.113.5"},
		{"allow-ip picks IPv6", Request{AllowIP: v6allow, Host: "[2001:db8::1]"}, "2001:db8::1", "2001:db8::99"},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.req.Profile = p
			res, err := Knock(context.Background(), c.req, Deps{Net: n})
			if err != nil {
				t.Fatal(err)
			}
			if res.Addr.Addr().String() != c.dst || res.AllowIP.String() != c.allow {
				t.Fatalf("sent to %s for %s, want %s for %s", res.Addr, res.AllowIP, c.dst, c.allow)
			}
		})
	}

	// Without an IPv6 route, the IPv4 address is used.
	n.sources = map[Family]netip.Addr{IPv4: netip.MustParseAddr("198.51.100.23")}
	res, err := Knock(context.Background(), Request{Profile: p}, Deps{Net: n})
	if err != nil || res.Addr.Addr().String() != "192.0.2.1" {
		t.Fatalf("%v %v", res, err)
	}
}

// Every error the user can make names the input and says what to do, and
// nothing is sent.
func TestKnockErrors(t *testing.T) {
	p := testProfile(t, "192.0.2.1", 62201)
	other, _ := keys.NewServerID("other.example.com")
	bad := *p
	bad.ServerID = other
	v6allow, _ := ParseAllowIP("2001:db8::1")
	v4allow, _ := ParseAllowIP("192.0.2.77")
	tooMany := make([]spa.Port, 9)
	for i := range tooMany {
		tooMany[i] = spa.Port{Proto: spa.TCP, Port: uint16(i + 1)}
	}
	for _, c := range []struct {
		name      string
		req       Request
		now       time.Time
		err, hint string
	}{
		{"identity mismatch", Request{Profile: &bad}, time.Time{}, "server identity mismatch", "new one"},
		{"clock in 1970", Request{Profile: p}, time.Unix(5, 0), "clock says 1970-01-01T00:00:05Z", "--time-offset"},
		{"clock in 2100", Request{Profile: p}, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), "cannot be right", "NTP"},
		{"offset makes it wrong", Request{Profile: p, TimeOffset: -100 * 365 * 24 * time.Hour}, time.Time{}, "cannot be right", "--time-offset"},
		{"unknown host", Request{Profile: p, Host: "nosuch.test"}, time.Time{}, `cannot resolve host "nosuch.test"`, "HOST"},
		{"v6 allow-ip, v4 server", Request{Profile: p, AllowIP: v6allow}, time.Time{}, "--allow-ip 2001:db8::1 is an IPv6 address, but server address 192.0.2.1 is IPv4", "--allow-ip source"},
		{"v4 allow-ip with -6", Request{Profile: p, AllowIP: v4allow, Family: IPv6}, time.Time{}, "--allow-ip 192.0.2.77 is an IPv4 address but -6 was requested", "--allow-ip source"},
		{"-6, v4 server", Request{Profile: p, Family: IPv6}, time.Time{}, "server address 192.0.2.1 is IPv4, not IPv6", "leave out -6"},
		{"close with duration", Request{Profile: p, Type: spa.MsgClose, Duration: time.Second}, time.Time{}, "close message takes no duration", "--duration"},
		{"duration too long", Request{Profile: p, Duration: 19 * time.Hour}, time.Time{}, "duration 19h0m0s: longer", ""},
		{"negative duration", Request{Profile: p, Duration: -time.Second}, time.Time{}, "must not be negative", ""},
		{"too many ports", Request{Profile: p, Ports: tooMany}, time.Time{}, "9 ports requested, at most 8", ""},
		{"no ports", Request{Profile: p, Ports: []spa.Port{}}, time.Time{}, "no ports", "--port"},
		{"duplicate port", Request{Profile: p, Ports: []spa.Port{{Proto: spa.TCP, Port: 22}, {Proto: spa.TCP, Port: 22}}}, time.Time{}, "tcp/22 listed twice", ""},
		{"repeat", Request{Profile: p, Repeat: 11}, time.Time{}, "repeat 11", ""},
		{"action", Request{Profile: p, Type: spa.MsgAction}, time.Time{}, "an action message needs an action number", ""},
		{"no profile", Request{}, time.Time{}, "no profile", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := newFakeNet()
			d := Deps{Net: n}
			if !c.now.IsZero() {
				d.Now = func() time.Time { return c.now }
			}
			_, err := Knock(context.Background(), c.req, d)
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("error %v, want %q", err, c.err)
			}
			if !strings.Contains(Hint(err), c.hint) {
				t.Fatalf("hint %q, want %q", Hint(err), c.hint)
			}
			if len(n.packets()) != 0 {
				t.Fatal("a packet was sent")
			}
			assertNoSecret(t, p, err.Error()+Hint(err))
		})
	}
}

func TestKnockNoRoute(t *testing.T) {
	n := newFakeNet()
	n.sources = nil
	_, err := Knock(context.Background(), Request{Profile: testProfile(t, "192.0.2.1", 62201)}, Deps{Net: n})
	if err == nil || !strings.Contains(err.Error(), "network is unreachable") || Hint(err) == "" {
		t.Fatalf("%v (hint %q)", err, Hint(err))
	}
}

func TestParseAllowIP(t *testing.T) {
	for in, want := range map[string]string{
		"": "auto", "auto": "auto", "source": "source", "192.0.2.1": "192.0.2.1",
		"::ffff:192.0.2.1": "192.0.2.1", "[2001:db8::1]": "2001:db8::1",
	} {
		a, err := ParseAllowIP(in)
		if err != nil || a.String() != want {
			t.Errorf("ParseAllowIP(%q) = %v, %v; want %s", in, a, err, want)
		}
	}
	for _, in := range []string{"0.0.0.0", "::", "224.0.0.1", "ff02::1", "255.255.255.255", "fe80::1%eth0", "bastion", "10.0.0.0/8"} {
		if _, err := ParseAllowIP(in); err == nil || !strings.Contains(err.Error(), in) {
			t.Errorf("ParseAllowIP(%q): %v", in, err)
		}
	}
}

func TestCheckClock(t *testing.T) {
	for _, c := range []struct {
		t  time.Time
		ok bool
	}{
		{time.Date(2023, 12, 31, 23, 59, 59, 0, time.UTC), false},
		{time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Date(2099, 12, 31, 23, 59, 59, 0, time.UTC), true},
		{time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{time.Now(), true},
	} {
		if err := CheckClock(c.t); (err == nil) != c.ok {
			t.Errorf("CheckClock(%s) = %v", c.t, err)
		}
	}
}

func TestHint(t *testing.T) {
	err := withHint(errors.New("x"), "do y")
	wrapped := errors.Join(errors.New("outer"), err)
	if Hint(wrapped) != "do y" || Hint(errors.New("z")) != "" || withHint(nil, "h") != nil {
		t.Fatal("Hint")
	}
}

// A port without a socket answers each copy with an ICMP error, which the
// next write reports without sending; every copy must still go out.
func TestKnockICMPRefused(t *testing.T) {
	n := newFakeNet()
	n.refuseEvery = 2
	p := testProfile(t, "192.0.2.1", 62201)
	res, err := Knock(context.Background(), Request{Profile: p, Repeat: 3}, Deps{Net: n})
	if err != nil || res.Copies != 3 || len(n.packets()) != 3 {
		t.Fatalf("%v: %d copies", err, len(n.packets()))
	}

	// On loopback, with nothing listening.
	l, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	port := l.LocalAddr().(*net.UDPAddr).Port
	l.Close()
	p = testProfile(t, "127.0.0.1", uint16(port))
	if _, err := Knock(context.Background(), Request{Profile: p, Repeat: 4}, Deps{}); err != nil {
		t.Fatal(err)
	}
}
