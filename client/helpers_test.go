package client

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spa-project/spa/client/profile"
	"github.com/spa-project/spa/keys"
	"github.com/spa-project/spa/spa"
)

const testServerName = "bastion.example.com"

// testProfile returns a profile for server:port with a deterministic secret.
func testProfile(t testing.TB, server string, port uint16) *profile.Profile {
	t.Helper()
	secret, err := keys.GenerateClientSecret(bytes.NewReader(bytes.Repeat([]byte{7}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	id, err := keys.NewServerID(testServerName)
	if err != nil {
		t.Fatal(err)
	}
	return &profile.Profile{
		Name: "bastion", Server: server, Port: port, ServerName: testServerName, ServerID: id,
		Secret: secret, Ports: []spa.Port{{Proto: spa.TCP, Port: 22}}, Client: "alice",
	}
}

// assertNoSecret fails if s contains any part of the profile's secret.
func assertNoSecret(t testing.TB, p *profile.Profile, s string) {
	t.Helper()
	enc := p.Secret.Encode()
	b32 := strings.TrimPrefix(enc, "spa-client-secret-")
	if strings.Contains(s, "spa-client-secret-") {
		t.Fatalf("output contains a secret prefix: %s", s)
	}
	for i := 0; i+8 <= len(b32); i++ {
		if strings.Contains(strings.ToLower(s), b32[i:i+8]) {
			t.Fatalf("output contains part of the secret: %s", s)
		}
	}
}

// verifier opens packets sealed with the profile's key, as a server would.
func verifier(p *profile.Profile, now time.Time) *spa.HintTable {
	cs := p.Secret.ForServer(p.ServerID).Bytes()
	k := spa.NewKey(p.Client, cs, p.ServerID.SPA())
	return spa.NewHintTable([]*spa.Key{k}, now, time.Minute)
}

// fakeNet is a Network without sockets: names resolve from a map, datagrams
// are recorded, and a "route" exists to every address of a family that has a
// source address.
type fakeNet struct {
	mu      sync.Mutex
	hosts   map[string][]netip.Addr
	sources map[Family]netip.Addr
	sent    []sentPacket
	// refuseEvery, if not 0, makes every refuseEvery-th write fail with
	// ECONNREFUSED without sending, as after an ICMP port unreachable.
	refuseEvery int
	writes      int
	// dialTCP, if set, replaces TCP dialing.
	dialTCP func(ctx context.Context, dst netip.AddrPort) (net.Conn, error)
}

type sentPacket struct {
	dst  netip.AddrPort
	data []byte
}

func newFakeNet() *fakeNet {
	return &fakeNet{
		hosts: map[string][]netip.Addr{},
		sources: map[Family]netip.Addr{
			IPv4: netip.MustParseAddr("198.51.100.23"),
			IPv6: netip.MustParseAddr("2001:db8:0:5::23"),
		},
	}
}

func (n *fakeNet) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []netip.Addr
	for _, a := range n.hosts[host] {
		if network == "ip" || network == "ip4" && a.Is4() || network == "ip6" && a.Is6() {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return out, nil
}

func (n *fakeNet) DialUDP(_ context.Context, dst netip.AddrPort) (Datagram, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	src, ok := n.sources[familyOf(dst.Addr())]
	if !ok {
		return nil, errors.New("network is unreachable")
	}
	return &fakeDatagram{n: n, dst: dst, src: src}, nil
}

func (n *fakeNet) DialTCP(ctx context.Context, dst netip.AddrPort) (net.Conn, error) {
	if n.dialTCP != nil {
		return n.dialTCP(ctx, dst)
	}
	return nil, errors.New("connection refused")
}

func (n *fakeNet) packets() []sentPacket {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]sentPacket(nil), n.sent...)
}

type fakeDatagram struct {
	n   *fakeNet
	dst netip.AddrPort
	src netip.Addr
}

func (d *fakeDatagram) Write(b []byte) (int, error) {
	d.n.mu.Lock()
	defer d.n.mu.Unlock()
	d.n.writes++
	if d.n.refuseEvery != 0 && d.n.writes%d.n.refuseEvery == 0 {
		return 0, &net.OpError{Op: "write", Net: "udp", Err: os.NewSyscallError("write", syscall.ECONNREFUSED)}
	}
	d.n.sent = append(d.n.sent, sentPacket{d.dst, append([]byte(nil), b...)})
	return len(b), nil
}

func (d *fakeDatagram) LocalAddr() net.Addr {
	return net.UDPAddrFromAddrPort(netip.AddrPortFrom(d.src, 40000))
}

func (d *fakeDatagram) Close() error { return nil }

// udpServer records the datagrams sent to a loopback UDP socket.
type udpServer struct {
	conn *net.UDPConn
	mu   sync.Mutex
	got  []sentPacket // dst holds the sender's address
}

func newUDPServer(t testing.TB, addr string) *udpServer {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort(addr)))
	if err != nil {
		t.Skipf("no loopback UDP socket on %s: %v", addr, err)
	}
	s := &udpServer{conn: c}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			s.mu.Lock()
			s.got = append(s.got, sentPacket{from, append([]byte(nil), buf[:n]...)})
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() { c.Close(); <-done })
	return s
}

func (s *udpServer) port() uint16 { return s.conn.LocalAddr().(*net.UDPAddr).AddrPort().Port() }

// wait returns the first n datagrams, failing the test after 5 s.
func (s *udpServer) wait(t testing.TB, n int) []sentPacket {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		got := append([]sentPacket(nil), s.got...)
		s.mu.Unlock()
		if len(got) >= n {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("fewer than %d datagrams arrived", n)
	return nil
}
