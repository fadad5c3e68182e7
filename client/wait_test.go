package client

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func listenTCP(t *testing.T) *net.TCPListener {
	t.Helper()
	l, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func addrOf(l net.Listener) netip.AddrPort {
	return l.Addr().(*net.TCPAddr).AddrPort()
}

// closedPort returns a loopback TCP address with nothing listening.
func closedPort(t *testing.T) netip.AddrPort {
	l := listenTCP(t)
	a := addrOf(l)
	l.Close()
	return a
}

func TestWaitOpen(t *testing.T) {
	l := listenTCP(t)
	d, err := Wait(context.Background(), addrOf(l), 5*time.Second, Deps{})
	if err != nil || d > 2*time.Second {
		t.Fatalf("Wait: %s, %v", d, err)
	}
}

// A closed port refuses at once; Wait keeps trying until the timeout.
func TestWaitTimeout(t *testing.T) {
	addr := closedPort(t)
	start := time.Now()
	_, err := Wait(context.Background(), addr, 600*time.Millisecond, Deps{})
	if !errors.Is(err, ErrWaitTimeout) || !strings.Contains(err.Error(), addr.String()) || Hint(err) == "" {
		t.Fatalf("Wait: %v", err)
	}
	if el := time.Since(start); el < 550*time.Millisecond || el > 3*time.Second {
		t.Fatalf("gave up after %s", el)
	}
}

// A port that opens while Wait is probing is found.
func TestWaitOpensLater(t *testing.T) {
	addr := closedPort(t)
	go func() {
		time.Sleep(400 * time.Millisecond)
		l, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(addr))
		if err != nil {
			return // port taken meanwhile; the test fails below
		}
		time.Sleep(3 * time.Second)
		l.Close()
	}()
	d, err := Wait(context.Background(), addr, 3*time.Second, Deps{})
	if err != nil || d < 300*time.Millisecond {
		t.Fatalf("Wait: %s, %v", d, err)
	}
}

// Attempts made before the firewall opened are dropped and never answer;
// a later attempt must get through long before they time out.
func TestWaitDroppedAttempts(t *testing.T) {
	n := newFakeNet()
	opened := time.Now().Add(500 * time.Millisecond)
	var attempts atomic.Int32
	n.dialTCP = func(ctx context.Context, dst netip.AddrPort) (net.Conn, error) {
		attempts.Add(1)
		if time.Now().Before(opened) {
			<-ctx.Done() // SYN dropped
			return nil, ctx.Err()
		}
		c, _ := net.Pipe()
		return c, nil
	}
	start := time.Now()
	conn, err := WaitConn(context.Background(), netip.MustParseAddrPort("192.0.2.1:22"), 5*time.Second, Deps{Net: n})
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if el := time.Since(start); el > 1500*time.Millisecond {
		t.Fatalf("took %s", el)
	}
	if attempts.Load() < 2 {
		t.Fatalf("%d attempts", attempts.Load())
	}
}

func TestWaitCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := Wait(ctx, closedPort(t), 5*time.Second, Deps{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait: %v", err)
	}
}

func TestProbeGapAcceleratesThenBacksOff(t *testing.T) {
	var elapsed, gap time.Duration = 0, probeFast
	n := 0
	for elapsed < 2*time.Second {
		gap = probeGap(elapsed, gap)
		elapsed += gap
		n++
		if elapsed < probeFastFor && gap != probeFast {
			t.Fatalf("gap %v at %v, want %v while fast", gap, elapsed, probeFast)
		}
		if gap > ProbeInterval {
			t.Fatalf("gap %v above %v", gap, ProbeInterval)
		}
	}
	// 20 fast attempts (0.5 ms apart for 10 ms), 9 doublings up to 250 ms,
	// then 4 per second.
	if n < 28 || n > 42 {
		t.Fatalf("%d attempts in 2 s", n)
	}
}
