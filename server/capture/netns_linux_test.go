package capture

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// unavailable skips a system test that cannot run here, or fails it
// under CI=true, where every test must run.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (a skip is a failure with CI=true)", msg)
	}
	t.Skipf("%s; skipped (run as root, or set CI=true to make this a failure)", msg)
}

func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		unavailable(t, "system test needs root (network namespaces, AF_PACKET)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		unavailable(t, "system test needs iproute2's ip (apt-get install -y iproute2): %v", err)
	}
}

// ipCmd runs ip(8) with a time limit.
func ipCmd(args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// testNet is two fresh network namespaces joined by a veth pair:
// local (spa0: 192.0.2.1/24, 2001:db8::1/64) where the sources run, and
// peer (spa1: 192.0.2.2/24, 2001:db8::2/64) that sends. Both have lo up.
type testNet struct{ local, peer string }

var netnsSeq atomic.Int64

func newTestNet(t testing.TB) testNet {
	t.Helper()
	requireRoot(t)
	base := fmt.Sprintf("spacap-%d-%d", os.Getpid(), netnsSeq.Add(1))
	n := testNet{local: base + "-l", peer: base + "-p"}
	for _, ns := range []string{n.local, n.peer} {
		if err := ipCmd("netns", "add", ns); err != nil {
			unavailable(t, "cannot create a network namespace: %v", err)
		}
		t.Cleanup(func() {
			if err := ipCmd("netns", "del", ns); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		})
	}
	cmds := [][]string{
		{"link", "add", "spa0", "netns", n.local, "type", "veth", "peer", "name", "spa1", "netns", n.peer},
		{"-n", n.local, "link", "set", "lo", "up"},
		{"-n", n.peer, "link", "set", "lo", "up"},
		{"-n", n.local, "addr", "add", "192.0.2.1/24", "dev", "spa0"},
		{"-n", n.local, "addr", "add", "2001:db8::1/64", "dev", "spa0", "nodad"},
		{"-n", n.peer, "addr", "add", "192.0.2.2/24", "dev", "spa1"},
		{"-n", n.peer, "addr", "add", "2001:db8::2/64", "dev", "spa1", "nodad"},
		{"-n", n.local, "link", "set", "spa0", "up"},
		{"-n", n.peer, "link", "set", "spa1", "up"},
	}
	for _, c := range cmds {
		if err := ipCmd(c...); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// inNetns runs fn on a fresh OS thread that has entered namespace ns.
// Sockets fn creates stay in ns for their whole life, whichever thread
// uses them later. The thread is never unlocked, so it exits with its
// goroutine instead of going back to the pool with a foreign namespace
// (restoring it could fail, and would leave a thread in an unknown
// state if it did).
func inNetns(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		f, err := os.Open("/run/netns/" + ns)
		if err != nil {
			errc <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// openIn opens a Source in namespace ns and closes it at cleanup.
func openIn(t testing.TB, ns string, open func() (Source, error)) Source {
	t.Helper()
	var src Source
	err := inNetns(ns, func() (err error) {
		src, err = open()
		return err
	})
	if err != nil {
		t.Fatalf("open in %s: %v", ns, err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// udpIn opens a UDP socket bound to addr in namespace ns, closed at cleanup.
func udpIn(t testing.TB, ns, addr string) *net.UDPConn {
	t.Helper()
	var conn *net.UDPConn
	err := inNetns(ns, func() error {
		a, err := net.ResolveUDPAddr("udp", addr)
		if err != nil {
			return err
		}
		conn, err = net.ListenUDP("udp", a)
		return err
	})
	if err != nil {
		t.Fatalf("udp socket %s in %s: %v", addr, ns, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// send sends one datagram; the socket is unconnected, so the ICMP port
// unreachable that a closed port answers does not fail later sends.
func send(t testing.TB, conn *net.UDPConn, to string, payload []byte) {
	t.Helper()
	a, err := net.ResolveUDPAddr("udp", to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.WriteToUDP(payload, a); err != nil {
		t.Fatalf("send to %s: %v", to, err)
	}
}

// collector reads a Source in a goroutine until it fails.
type collector struct {
	pkts chan Packet
	err  chan error
	stop chan struct{}
}

func collect(t testing.TB, src Source) *collector {
	t.Helper()
	c := &collector{pkts: make(chan Packet, 64), err: make(chan error, 1), stop: make(chan struct{})}
	go func() {
		for {
			p, err := src.Read()
			if err != nil {
				c.err <- err
				return
			}
			p.Payload = append([]byte(nil), p.Payload...)
			select {
			case c.pkts <- p:
			case <-c.stop:
				c.err <- errors.New("collector stopped")
				return
			}
		}
	}()
	t.Cleanup(func() {
		close(c.stop)
		src.Close()
		select {
		case <-c.err:
		case <-time.After(5 * time.Second):
			t.Error("reader goroutine still running 5 s after Close")
		}
	})
	return c
}

// next returns the next packet, failing after 5 s.
func (c *collector) next(t testing.TB) Packet {
	t.Helper()
	select {
	case p := <-c.pkts:
		return p
	case err := <-c.err:
		t.Fatalf("Read: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("no packet within 5 s")
	}
	return Packet{}
}

// expect checks the next packet.
func (c *collector) expect(t testing.TB, src, dst string, srcPort, dstPort uint16, payload []byte) {
	t.Helper()
	p := c.next(t)
	if p.Src.String() != src || p.Dst.String() != dst || p.SrcPort != srcPort || p.DstPort != dstPort {
		t.Fatalf("got %v:%d -> %v:%d, want %s:%d -> %s:%d", p.Src, p.SrcPort, p.Dst, p.DstPort, src, srcPort, dst, dstPort)
	}
	if string(p.Payload) != string(payload) {
		t.Fatalf("%s:%d -> %s:%d: payload of %d bytes differs from the %d sent", src, srcPort, dst, dstPort, len(p.Payload), len(payload))
	}
}

func port(conn *net.UDPConn) uint16 { return uint16(conn.LocalAddr().(*net.UDPAddr).Port) }

// drain counts packets until none arrives for quiet (at most 10 s).
func (c *collector) drain(quiet time.Duration) int {
	n := 0
	end := time.After(10 * time.Second)
	for {
		select {
		case <-c.pkts:
			n++
		case <-time.After(quiet):
			return n
		case <-end:
			return n
		}
	}
}
