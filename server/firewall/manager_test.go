package firewall_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/spa-project/spa/server/firewall"
	"github.com/spa-project/spa/server/firewall/firewalltest"
	"github.com/spa-project/spa/spa"
)

// These tests need no root: they run the Manager over the recording fake.

func r4(s string) firewall.Rule {
	return firewall.Rule{Addr: netip.MustParseAddr(s), Port: spa.Port{Proto: spa.TCP, Port: 22}}
}

func newManager(t *testing.T, b firewall.Backend, now func() time.Time) *firewall.Manager {
	t.Helper()
	m := firewall.NewManager(b, firewall.ManagerOptions{Now: now, Logger: testLogger(t)})
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	return m
}

func TestManagerPassesThroughAndUnmaps(t *testing.T) {
	f := firewalltest.New(firewall.Features{KernelExpiry: true})
	m := newManager(t, f, nil)
	ctx := firewall.WithClient(context.Background(), "alice")
	mapped := firewall.Rule{Addr: netip.MustParseAddr("::ffff:192.0.2.7"), Port: spa.Port{Proto: spa.TCP, Port: 22}}
	if err := m.Allow(ctx, mapped, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := m.Revoke(ctx, mapped); err != nil {
		t.Fatal(err)
	}
	calls := f.Calls()
	want := []firewalltest.Call{
		{Op: "Allow", Rule: r4("192.0.2.7"), TTL: time.Minute, Client: "alice"},
		{Op: "Revoke", Rule: r4("192.0.2.7"), Client: "alice"},
	}
	if fmt.Sprint(calls) != fmt.Sprint(want) {
		t.Fatalf("calls %v, want %v", calls, want)
	}
	for _, bad := range []firewall.Rule{{}, {Addr: netip.IPv4Unspecified(), Port: ssh}, {Addr: netip.MustParseAddr("192.0.2.1")}} {
		if err := m.Allow(ctx, bad, time.Minute); err == nil {
			t.Errorf("Allow(%v) accepted", bad)
		}
	}
}

// Without kernel expiry the Manager revokes on time, once, and a re-knock
// moves the deadline.
func TestManagerTimers(t *testing.T) {
	f := firewalltest.New(firewall.Features{})
	m := newManager(t, f, nil)
	ctx := context.Background()
	start := time.Now()
	a, b := r4("192.0.2.1"), r4("192.0.2.2")
	must(t, m.Allow(ctx, a, 100*time.Millisecond))
	must(t, m.Allow(ctx, b, 100*time.Millisecond))
	time.Sleep(50 * time.Millisecond)
	must(t, m.Allow(ctx, b, 300*time.Millisecond)) // re-knock
	eventually(t, time.Second, "a revoked", func() bool { return len(f.CallsOf("Revoke")) == 1 })
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Fatalf("revoked after %v, before its time", d)
	}
	if got := f.CallsOf("Revoke")[0].Rule; got != a {
		t.Fatalf("revoked %v first, want %v", got, a)
	}
	eventually(t, time.Second, "b revoked", func() bool { return len(f.CallsOf("Revoke")) == 2 })
	if d := time.Since(start); d < 350*time.Millisecond {
		t.Fatalf("re-knocked grant revoked after %v, want its new deadline (350ms)", d)
	}
	time.Sleep(100 * time.Millisecond)
	if n := len(f.CallsOf("Revoke")); n != 2 {
		t.Fatalf("%d revokes, want 2", n)
	}
}

func TestManagerNoTimersWithKernelExpiry(t *testing.T) {
	f := firewalltest.New(firewall.Features{KernelExpiry: true})
	m := newManager(t, f, nil)
	must(t, m.Allow(context.Background(), r4("192.0.2.1"), 20*time.Millisecond))
	time.Sleep(100 * time.Millisecond)
	if n := len(f.CallsOf("Revoke")); n != 0 {
		t.Fatalf("%d revokes for a kernel-expiring backend", n)
	}
}

// An early revoke cancels the timer.
func TestManagerRevokeCancelsTimer(t *testing.T) {
	f := firewalltest.New(firewall.Features{})
	m := newManager(t, f, nil)
	ctx := context.Background()
	must(t, m.Allow(ctx, r4("192.0.2.1"), 50*time.Millisecond))
	must(t, m.Revoke(ctx, r4("192.0.2.1")))
	time.Sleep(150 * time.Millisecond)
	if n := len(f.CallsOf("Revoke")); n != 1 {
		t.Fatalf("%d revokes, want the one early revoke", n)
	}
}

// Setup starts timers for grants left by an earlier run.
func TestManagerSetupTimesLeftovers(t *testing.T) {
	f := firewalltest.New(firewall.Features{})
	f.Install(r4("192.0.2.1"), time.Now().Add(-time.Minute))
	f.Install(r4("192.0.2.2"), time.Now().Add(80*time.Millisecond))
	m := newManager(t, f, nil)
	must(t, m.Setup(context.Background()))
	eventually(t, time.Second, "both leftovers revoked", func() bool { return len(f.Grants()) == 0 })
}

func TestManagerReconcile(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	for _, forgetful := range []bool{false, true} {
		t.Run(fmt.Sprint("forgetful=", forgetful), func(t *testing.T) {
			f := firewalltest.New(firewall.Features{KernelExpiry: true, Forgetful: forgetful})
			f.SetClock(clock)
			kept, restored, unknown, stale, gone := r4("192.0.2.1"), r4("192.0.2.2"), r4("192.0.2.3"), r4("192.0.2.4"), r4("192.0.2.5")
			f.Install(kept, now.Add(time.Minute))
			f.Install(unknown, now.Add(time.Minute))
			f.Install(stale, now.Add(time.Hour)) // the state says it expired
			m := newManager(t, f, clock)
			err := m.Reconcile(context.Background(), []firewall.GrantRecord{
				{Rule: kept, Expires: now.Add(time.Minute)},
				{Rule: restored, Expires: now.Add(10 * time.Second)},
				{Rule: restored, Expires: now.Add(20 * time.Second)}, // later record wins
				{Rule: stale, Expires: now.Add(-time.Second)},
				{Rule: gone, Expires: now.Add(-time.Second)},
				{Rule: firewall.Rule{}, Expires: now.Add(time.Minute)}, // invalid
			})
			if err == nil {
				t.Fatal("invalid record not reported")
			}
			grants := f.Grants()
			if len(grants) != 2 || !grants[kept].Equal(now.Add(time.Minute)) || !grants[restored].Equal(now.Add(20*time.Second)) {
				t.Fatalf("grants after Reconcile: %v", grants)
			}
			if n := len(f.CallsOf("Allow")); n != 1 {
				t.Fatalf("%d Allow calls, want 1 (only the missing grant)", n)
			}
			revoked := map[firewall.Rule]bool{}
			for _, c := range f.CallsOf("Revoke") {
				revoked[c.Rule] = true
			}
			want := map[firewall.Rule]bool{unknown: true, stale: true}
			if forgetful {
				want[gone] = true // the backend cannot know whether it is still there
			}
			if fmt.Sprint(revoked) != fmt.Sprint(want) {
				t.Fatalf("revoked %v, want %v", revoked, want)
			}
		})
	}
}

// Reconcile without kernel expiry starts timers for the live grants.
func TestManagerReconcileStartsTimers(t *testing.T) {
	f := firewalltest.New(firewall.Features{})
	m := newManager(t, f, nil)
	r := r4("192.0.2.1")
	must(t, m.Reconcile(context.Background(), []firewall.GrantRecord{{Rule: r, Expires: time.Now().Add(80 * time.Millisecond)}}))
	if len(f.Grants()) != 1 {
		t.Fatal("live grant not restored")
	}
	eventually(t, time.Second, "restored grant expired", func() bool { return len(f.Grants()) == 0 })
}

func TestManagerConcurrentCallers(t *testing.T) {
	f := firewalltest.New(firewall.Features{})
	m := newManager(t, f, nil)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				r := r4(fmt.Sprintf("192.0.2.%d", 1+(i*50+j)%250))
				if err := m.Allow(context.Background(), r, time.Duration(1+j%5)*time.Millisecond); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	eventually(t, 2*time.Second, "all expired", func() bool { return len(f.Grants()) == 0 })
}

func TestManagerCloseAndContext(t *testing.T) {
	f := firewalltest.New(firewall.Features{})
	m := firewall.NewManager(f, firewall.ManagerOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.Allow(ctx, r4("192.0.2.1"), time.Minute); !errors.Is(err, context.Canceled) {
		t.Fatalf("Allow with a cancelled context: %v", err)
	}
	must(t, m.Allow(context.Background(), r4("192.0.2.1"), time.Minute))
	must(t, m.Close(context.Background()))
	must(t, m.Close(context.Background()))
	if err := m.Allow(context.Background(), r4("192.0.2.2"), time.Minute); !errors.Is(err, firewall.ErrClosed) {
		t.Fatalf("Allow after Close: %v", err)
	}
	if n := len(f.CallsOf("Allow")); n != 1 {
		t.Fatalf("%d Allow calls reached the backend, want 1", n)
	}
	if n := len(f.CallsOf("Close")); n != 1 {
		t.Fatalf("%d Close calls, want 1", n)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A failed Allow still gets a timer: the backend may have installed part
// of the grant.
func TestManagerTimesFailedAllow(t *testing.T) {
	f := firewalltest.New(firewall.Features{})
	m := newManager(t, f, nil)
	f.Fail("Allow", errors.New("half done"))
	if err := m.Allow(context.Background(), r4("192.0.2.1"), 30*time.Millisecond); err == nil {
		t.Fatal("error lost")
	}
	eventually(t, time.Second, "revoke after a failed allow", func() bool { return len(f.CallsOf("Revoke")) == 1 })
}

// Close stops the worker: no goroutine is left behind.
func TestManagerLeavesNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	f := firewalltest.New(firewall.Features{})
	m := firewall.NewManager(f, firewall.ManagerOptions{})
	must(t, m.Allow(context.Background(), r4("192.0.2.1"), time.Hour))
	must(t, m.Close(context.Background()))
	eventually(t, time.Second, "worker gone", func() bool { return runtime.NumGoroutine() <= before })
}
