package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"
)

// Probe timing. A firewalled port usually drops connection attempts without
// an answer, so a probe cannot wait for its own attempt to fail: new
// attempts start while earlier ones are still pending, each given up to
// ProbeTimeout (for links with a long round trip), and the first to connect
// wins. spad usually opens the port within a few milliseconds of the
// packet, so attempts start every probeFast for the first probeFastFor, then
// the gap doubles up to ProbeInterval.
const (
	ProbeInterval = 250 * time.Millisecond
	ProbeTimeout  = 3 * time.Second
	probeFast     = 500 * time.Microsecond
	probeFastFor  = 10 * time.Millisecond
)

// probeGap returns the pause before the next attempt, given how long the
// wait has run and the previous pause.
func probeGap(elapsed, prev time.Duration) time.Duration {
	if elapsed < probeFastFor {
		return probeFast
	}
	return min(max(2*prev, probeFast), ProbeInterval)
}

// ErrWaitTimeout is wrapped by the error of [Wait] and [WaitConn] when the
// port did not open in time.
var ErrWaitTimeout = errors.New("timed out waiting for the port to open")

// Wait probes the TCP address until it accepts a connection or timeout has
// passed, and returns how long that took. The probing connection is closed
// at once.
func Wait(ctx context.Context, addr netip.AddrPort, timeout time.Duration, d Deps) (time.Duration, error) {
	start := time.Now()
	conn, err := WaitConn(ctx, addr, timeout, d)
	if err != nil {
		return 0, err
	}
	conn.Close()
	return time.Since(start), nil
}

// attempt is the outcome of one probe.
type attempt struct {
	conn net.Conn
	err  error
}

// WaitConn is [Wait] that returns the first connection instead of closing
// it.
func WaitConn(ctx context.Context, addr netip.AddrPort, timeout time.Duration, d Deps) (net.Conn, error) {
	// The attempts do not inherit the overall deadline, so that an attempt
	// cut short by it is not mistaken for a dropped one.
	actx, cancelAttempts := context.WithCancel(ctx)
	defer cancelAttempts()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	results := make(chan attempt)
	pending := 0
	probe := func() {
		pending++
		go func() {
			ctx, cancel := context.WithTimeout(actx, ProbeTimeout)
			defer cancel()
			c, err := d.net().DialTCP(ctx, addr)
			results <- attempt{c, err}
		}()
	}
	d.logf("waiting up to %s for tcp %s to open", timeout, addr)
	start, gap := time.Now(), probeFast
	tick := time.NewTimer(gap)
	defer tick.Stop()
	probe()
	var last error
	for {
		select {
		case r := <-results:
			pending--
			if r.err == nil {
				cancelAttempts()
				discard(results, pending)
				return r.conn, nil
			}
			d.logf("tcp %s: %v", addr, r.err)
			last = r.err
		case <-tick.C:
			probe()
			gap = probeGap(time.Since(start), gap)
			tick.Reset(gap)
		case <-timer.C:
			cancelAttempts()
			discard(results, pending)
			return nil, timeoutError(addr, timeout, last)
		case <-ctx.Done():
			discard(results, pending)
			return nil, ctx.Err()
		}
	}
}

// discard collects the outcomes of the n probes still pending, closing any
// connection they made, so that no goroutine is left blocked.
func discard(results <-chan attempt, n int) {
	if n == 0 {
		return
	}
	go func() {
		for range n {
			if r := <-results; r.conn != nil {
				r.conn.Close()
			}
		}
	}()
}

// timeoutError is the error of a wait that timed out; last is the last
// probe's error.
func timeoutError(addr netip.AddrPort, timeout time.Duration, last error) error {
	msg := fmt.Sprintf("tcp %s did not accept a connection within %s", addr, timeout)
	if last != nil {
		msg += fmt.Sprintf(" (last attempt: %v)", last)
	}
	return withHint(fmt.Errorf("%s: %w", msg, ErrWaitTimeout),
		"the server may have dropped the packet: check that the client may open this port (spad client list), that the address it opens is the one you connect from (behind NAT try --allow-ip source), and that both clocks are right")
}
