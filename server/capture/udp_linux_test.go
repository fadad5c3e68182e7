package capture

import (
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func openUDPIn(t testing.TB, ns string, cfg Config, addrs ...string) Source {
	t.Helper()
	var parsed []netip.Addr
	for _, a := range addrs {
		parsed = append(parsed, netip.MustParseAddr(a))
	}
	return openIn(t, ns, func() (Source, error) { return OpenUDP(cfg, parsed) })
}

func TestUDPDualStack(t *testing.T) {
	n := newTestNet(t)
	src := openUDPIn(t, n.local, Config{PortLo: testLo, PortHi: testLo + 1})
	c := collect(t, src)
	loop4 := udpIn(t, n.local, "127.0.0.1:0")
	loop6 := udpIn(t, n.local, "[::1]:0")
	peer4 := udpIn(t, n.peer, "192.0.2.2:0")
	peer6 := udpIn(t, n.peer, "[2001:db8::2]:0")
	knock := testPayload(157)

	send(t, loop4, "127.0.0.1:62201", knock)
	c.expect(t, "127.0.0.1", "127.0.0.1", port(loop4), testLo, knock)
	send(t, loop6, "[::1]:62202", knock)
	c.expect(t, "::1", "::1", port(loop6), testLo+1, knock)
	send(t, peer4, "192.0.2.1:62202", knock)
	c.expect(t, "192.0.2.2", "192.0.2.1", port(peer4), testLo+1, knock)
	send(t, peer6, "[2001:db8::1]:62201", testPayload(285))
	c.expect(t, "2001:db8::2", "2001:db8::1", port(peer6), testLo, testPayload(285))

	send(t, peer4, "192.0.2.1:62200", knock)
	send(t, peer4, "192.0.2.1:62203", knock)
	send(t, peer4, "192.0.2.1:62201", []byte("marker"))
	c.expect(t, "192.0.2.2", "192.0.2.1", port(peer4), testLo, []byte("marker"))
	if st := src.Stats(); st != (Stats{Received: 5}) {
		t.Fatalf("stats = %+v, want 5 received", st)
	}
}

func TestUDPAddrs(t *testing.T) {
	n := newTestNet(t)
	c := collect(t, openUDPIn(t, n.local, Config{PortLo: testLo, PortHi: testLo}, "192.0.2.1", "::1"))
	loop4 := udpIn(t, n.local, "127.0.0.1:0")
	loop6 := udpIn(t, n.local, "[::1]:0")
	peer4 := udpIn(t, n.peer, "192.0.2.2:0")

	send(t, loop4, "127.0.0.1:62201", []byte("not bound"))
	send(t, peer4, "192.0.2.1:62201", []byte("bound v4"))
	c.expect(t, "192.0.2.2", "192.0.2.1", port(peer4), testLo, []byte("bound v4"))
	send(t, loop6, "[::1]:62201", []byte("bound v6"))
	c.expect(t, "::1", "::1", port(loop6), testLo, []byte("bound v6"))
}

func TestUDPCloseUnblocksRead(t *testing.T) {
	n := newTestNet(t)
	testCloseUnblocks(t, openUDPIn(t, n.local, Config{PortLo: testLo, PortHi: testHi}))
}

// TestUDPLoopback needs no root: it binds a free port on 127.0.0.1 in
// the test's own namespace.
func TestUDPLoopback(t *testing.T) {
	var src Source
	var err error
	for range 5 { // the free port may be taken in between
		probe, lerr := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if lerr != nil {
			t.Fatal(lerr)
		}
		p := uint16(port(probe))
		probe.Close()
		src, err = OpenUDP(Config{PortLo: p, PortHi: p}, []netip.Addr{netip.MustParseAddr("127.0.0.1")})
		if !errors.Is(err, unix.EADDRINUSE) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	c := collect(t, src)
	lp := src.(*udpSource).socks[0].addr.Port()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	to := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), lp).String()
	send(t, conn, to, testPayload(157))
	c.expect(t, "127.0.0.1", "127.0.0.1", port(conn), lp, testPayload(157))
	if st := src.Stats(); st != (Stats{Received: 1}) {
		t.Fatalf("stats = %+v", st)
	}
	testCloseUnblocksAgain(t, src, c)
}

// testCloseUnblocksAgain closes src under the collector's blocked Read.
func testCloseUnblocksAgain(t *testing.T, src Source, c *collector) {
	time.Sleep(50 * time.Millisecond)
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-c.err:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Read after Close: %v", err)
		}
		c.err <- err // for the cleanup
	case <-time.After(time.Second):
		t.Fatal("Read still blocked 1 s after Close")
	}
}

func TestUDPFlood(t *testing.T) {
	n := newTestNet(t)
	src := openUDPIn(t, n.local, Config{PortLo: testLo, PortHi: testLo, BufferSize: 4 << 20})
	stop := pollStats(src)
	r := flood(t, src, n.peer, "192.0.2.2:0", "192.0.2.1:62201", 200_000, time.Second)
	stop()
	st := src.Stats()
	t.Logf("sent %d in %v (%.0f/s), read %d (%.0f/s), kernel drops %d",
		r.sent, r.sendTime, float64(r.sent)/r.sendTime.Seconds(), r.read, float64(r.read)/r.readTime.Seconds(), st.KernelDrops)
	if r.read == 0 || st.Received != r.read || st.Filtered != 0 || st.Received+st.KernelDrops > r.sent {
		t.Fatalf("sent %d, read %d, stats %+v", r.sent, r.read, st)
	}
}

func TestUDPBadConfig(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{PortLo: 0, PortHi: 0}, "port range 0-0"},
		{Config{PortLo: 1000, PortHi: 1000 + maxUDPPorts}, "the port ranges hold 4097 ports, at most 4096"},
		{Config{PortLo: 1, PortHi: 1, Interfaces: []string{"lo"}}, "not interfaces"},
	}
	for _, tt := range tests {
		src, err := OpenUDP(tt.cfg, nil)
		if err == nil {
			src.Close()
			t.Errorf("%+v: no error", tt.cfg)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want %q", tt.cfg, err, tt.want)
		}
	}
}
