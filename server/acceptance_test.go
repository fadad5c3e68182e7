package server

import (
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spa-project/spa/server/state"
	"github.com/spa-project/spa/spa"
)

var t0 = time.UnixMilli(1_767_225_600_000 + 123_456)

// AT-01, AT-02, AT-03: one grant, a replay 1 s later is a replay, a replay
// after the window is stale.
func TestReplayThenStale(t *testing.T) {
	c, k := testClient("alice", "strict")
	r := newRig(t, t0, c)
	pkt := sealOpen(t, k, t0, "192.0.2.10")
	d, err := r.handle(pkt, "192.0.2.10")
	if err != nil {
		t.Fatal(err)
	}
	want := netip.MustParseAddr("192.0.2.10")
	if d.Addr != want || d.Duration != time.Minute || len(d.Ports) != 1 || d.Client != "alice" {
		t.Fatalf("decision %+v", d)
	}
	r.clock.Advance(time.Second)
	r.wantReason(pkt, "192.0.2.10", spa.ReasonReplay)
	r.clock.Advance(testWindow)
	r.wantReason(pkt, "192.0.2.10", spa.ReasonStale)
	if a, rp, st := r.v.Counters().Accepted(), r.v.Counters().Drops(spa.ReasonReplay), r.v.Counters().Drops(spa.ReasonStale); a != 1 || rp != 1 || st != 1 {
		t.Fatalf("accepted %d replay %d stale %d", a, rp, st)
	}
}

// AT-04: a replay after a clean restart is still refused.
func TestReplayAfterRestart(t *testing.T) {
	c, k := testClient("alice", "strict")
	r := newRig(t, t0, c)
	pkt := sealOpen(t, k, t0, "192.0.2.10")
	if _, err := r.handle(pkt, "192.0.2.10"); err != nil {
		t.Fatal(err)
	}
	r.restart()
	r.clock.Advance(5 * time.Second)
	r.wantReason(pkt, "192.0.2.10", spa.ReasonReplay)
}

// AT-05: with the replay state lost, packets stamped up to boot + W are
// refused, fresh ones after that accepted.
func TestQuietPeriod(t *testing.T) {
	c, k := testClient("alice", "strict")
	r := newRig(t, t0, c)
	r.v.opts.QuietUntil = t0.Add(testWindow)
	captured := sealOpen(t, k, t0.Add(-time.Second), "192.0.2.10")
	r.wantReason(captured, "192.0.2.10", spa.ReasonStale)
	r.wantReason(sealOpen(t, k, t0, "192.0.2.10"), "192.0.2.10", spa.ReasonStale)
	r.clock.Advance(testWindow + time.Second)
	if _, err := r.handle(sealOpen(t, k, r.clock.Now(), "192.0.2.10"), "192.0.2.10"); err != nil {
		t.Fatalf("fresh packet after the quiet period: %v", err)
	}
}

// AT-15: the wall clock steps back 10 minutes; a 10-minute-old captured
// packet is fresh again by the clock but refused.
func TestClockStepBack(t *testing.T) {
	c, k := testClient("alice", "strict")
	r := newRig(t, t0, c)
	old := sealOpen(t, k, t0, "192.0.2.10")
	if _, err := r.handle(old, "192.0.2.10"); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(10 * time.Minute)
	if _, err := r.handle(sealOpen(t, k, r.clock.Now(), "192.0.2.10"), "192.0.2.10"); err != nil {
		t.Fatal(err)
	}
	r.clock.Step(-10 * time.Minute)
	_, err := r.handle(old, "192.0.2.10")
	if got, _ := spa.ReasonOf(err); got != spa.ReasonReplay && got != spa.ReasonStale {
		t.Fatalf("replay after the clock step: %v", err)
	}
}

// AT-10, AT-11, AT-12: address policies.
func TestAddressPolicies(t *testing.T) {
	strict, ks := testClient("strict", "strict")
	relay, kr := testClient("relay", "198.51.100.0/24")
	r := newRig(t, t0, strict, relay)
	r.wantReason(sealOpen(t, ks, t0, "192.0.2.10"), "192.0.2.99", spa.ReasonAddress)
	d, err := r.handle(sealOpen(t, kr, t0, "198.51.100.7"), "192.0.2.99")
	if err != nil || d.Addr != netip.MustParseAddr("198.51.100.7") {
		t.Fatalf("relay inside the CIDR: %+v %v; want a grant for 198.51.100.7 only", d, err)
	}
	r.wantReason(sealOpen(t, kr, t0, "203.0.113.7"), "192.0.2.99", spa.ReasonAddress)
}

// AT-28: one client flooding distinct valid packets hits its limit; the
// others are still served.
func TestFloodingClientIsLimited(t *testing.T) {
	noisy, kn := testClient("noisy", "strict")
	noisy.Rate, noisy.Burst = 1, 5
	quiet, kq := testClient("quiet", "strict")
	r := newRig(t, t0, noisy, quiet)
	accepted := 0
	for range 200 {
		if _, err := r.handle(sealOpen(t, kn, t0, "192.0.2.10"), "192.0.2.10"); err == nil {
			accepted++
		}
	}
	// Five within the burst; the rest rate limited until the client's replay
	// quota (state.DefaultPerClientQuota live entries) is full, then quota.
	rl, quota := r.v.Counters().Drops(spa.ReasonRateLimited), r.v.Counters().Drops(spa.ReasonQuota)
	if accepted != 5 || rl != state.DefaultPerClientQuota-5 || quota != 200-state.DefaultPerClientQuota {
		t.Fatalf("noisy client: %d accepted, %d rate limited, %d over quota", accepted, rl, quota)
	}
	if _, err := r.handle(sealOpen(t, kq, t0, "192.0.2.20"), "192.0.2.20"); err != nil {
		t.Fatalf("other client refused: %v", err)
	}
}

// AT-29: when the replay cache is full, valid packets are refused, nothing
// is evicted, and service resumes once entries expire.
func TestReplayCapFailsClosed(t *testing.T) {
	c, k := testClient("alice", "strict")
	r := newRig(t, t0, c)
	r.opts.GlobalCap = 3
	r.restart()
	var first []byte
	for i := range 3 {
		pkt := sealOpen(t, k, t0, "192.0.2.10")
		if i == 0 {
			first = pkt
		}
		if _, err := r.handle(pkt, "192.0.2.10"); err != nil {
			t.Fatal(err)
		}
	}
	r.wantReason(sealOpen(t, k, t0, "192.0.2.10"), "192.0.2.10", spa.ReasonQuota)
	r.wantReason(first, "192.0.2.10", spa.ReasonReplay) // not evicted
	r.clock.Advance(2*testWindow + time.Second)
	if _, err := r.store.Sweep(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.handle(sealOpen(t, k, r.clock.Now(), "192.0.2.10"), "192.0.2.10"); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
}

// AT-30: the same datagram delivered to 16 goroutines at once is accepted
// exactly once.
func TestConcurrentCopiesAcceptedOnce(t *testing.T) {
	c, k := testClient("alice", "strict")
	r := newRig(t, t0, c)
	for round := range 20 {
		pkt := sealOpen(t, k, t0, "192.0.2.10")
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for range 16 {
			wg.Go(func() {
				if _, err := r.handle(pkt, "192.0.2.10"); err == nil {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if ok != 1 {
			t.Fatalf("round %d: %d acceptances, want 1", round, ok)
		}
	}
}

// AT-27 (in process) and AT-40: a garbage flood with valid packets mixed
// in; every valid packet is accepted, the counters add up exactly, and the
// log stays within its rate.
func TestGarbageFloodCountersAndLogRate(t *testing.T) {
	c, k := testClient("alice", "strict")
	r := newRig(t, t0, c)
	good := sealOpen(t, k, t0, "192.0.2.10")
	withHint := append([]byte(nil), good...)
	const n = 100_000
	valid := 0
	for i := range n {
		switch {
		case i%10_000 == 0:
			if _, err := r.handle(sealOpen(t, k, t0, "192.0.2.10"), "192.0.2.10"); err != nil {
				t.Fatalf("valid packet %d refused: %v", valid, err)
			}
			valid++
		case i%10 == 0: // a valid hint, garbage after it
			withHint[40] = byte(i)
			withHint[41] = byte(i >> 8)
			r.handle(withHint, "203.0.113.9")
		default:
			g := make([]byte, 157)
			g[1], g[2], g[3], g[4] = byte(i), byte(i>>8), byte(i>>16), 0x5a
			r.handle(g, "203.0.113.9")
		}
	}
	cs := r.v.Counters()
	if cs.Total() != n || cs.Accepted() != uint64(valid) {
		t.Fatalf("counted %d packets (%d accepted), sent %d (%d valid)", cs.Total(), cs.Accepted(), n, valid)
	}
	if cs.Drops(spa.ReasonAuth) != n/10-uint64(valid) {
		t.Fatalf("auth drops %d", cs.Drops(spa.ReasonAuth))
	}
	// The clock did not move: at most the burst of LogRate lines, plus the
	// accepted lines.
	if lines := strings.Count(r.logs.String(), "\n"); lines > 10+valid {
		t.Fatalf("%d log lines for a flood in one instant", lines)
	}
}

// The pipeline's reject paths before authentication allocate nothing, so
// a flood cannot make the daemon's memory churn.
func TestPipelineRejectDoesNotAllocate(t *testing.T) {
	c, k := testClient("alice", "strict")
	r := newRig(t, t0, c)
	r.v.log = slog.New(slog.DiscardHandler) // as in production at the default level
	badMAC := sealOpen(t, k, t0, "192.0.2.10")
	badMAC[80] ^= 1
	src := netip.MustParseAddr("203.0.113.9")
	for name, pkt := range map[string][]byte{"garbage": make([]byte, 200), "unknown hint": make([]byte, 157), "bad mac": badMAC} {
		if a := testing.AllocsPerRun(500, func() { r.v.Handle(pkt, src) }); a != 0 {
			t.Errorf("%s: %.1f allocations per packet", name, a)
		}
	}
}
