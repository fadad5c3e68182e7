package firewall_test

import (
	"errors"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/spa-project/spa/server/firewall"
	"github.com/spa-project/spa/server/firewall/internal/netnstest"
	"github.com/spa-project/spa/spa"
)

// answered sends one datagram from ns to dst, where nothing listens, and
// reports whether the server answered it: a connected UDP socket learns of
// an ICMP port unreachable as ECONNREFUSED on its next read.
func answered(t *testing.T, ns *netnstest.NS, dst netip.AddrPort) bool {
	t.Helper()
	var c *net.UDPConn
	if err := ns.Do(func() (err error) {
		c, err = net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(dst))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(make([]byte, spa.PacketLenSmall)); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(400 * time.Millisecond))
	_, err := c.Read(make([]byte, 64))
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read: %v, want a timeout or connection refused", err)
	}
	return false
}

// The SPA port has no socket in capture mode: without the silent drop the
// kernel answers every datagram with ICMP port unreachable; with it,
// nothing comes back, over IPv4 and IPv6, even without the managed deny.
func testSilent(t *testing.T, backend string) {
	tp := newTopo(t)
	dst4, dst6 := ap(srvCli4, 62201), ap(srvCli6, 62201)
	if !answered(t, tp.cli, dst4) {
		t.Fatal("control: the kernel did not answer a datagram to a closed port; the test cannot tell silence apart")
	}
	cfg := sysConfig(t, backend, tp.srv)
	cfg.ManageDeny = false
	cfg.Silent = []firewall.PortRange{{Proto: spa.UDP, Lo: 62201, Hi: 62201}, {Proto: spa.UDP, Lo: 20000, Hi: 20009}}
	open(t, cfg)
	for _, dst := range []netip.AddrPort{dst4, dst6, ap(srvCli4, 20000), ap(srvCli6, 20009)} {
		if answered(t, tp.cli, dst) {
			t.Errorf("%s: the server answered (ICMP port unreachable)", dst)
		}
	}
	if !answered(t, tp.cli, ap(srvCli4, 20010)) {
		t.Error("udp/20010 is outside the silent ranges but was not answered")
	}
}
