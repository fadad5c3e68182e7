package state

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestConcurrentSameNonce: of 16 simultaneous copies of one packet exactly one
// is accepted (SPEC §9 atomicity), round after round.
func TestConcurrentSameNonce(t *testing.T) {
	for _, delay := range []time.Duration{0, -1} { // batched, and committed at once
		t.Run(fmt.Sprintf("batch-delay-%v", delay), func(t *testing.T) { testConcurrentSameNonce(t, delay) })
	}
}

func testConcurrentSameNonce(t *testing.T, delay time.Duration) {
	path := dbPath(t)
	s, _ := open(t, path, Options{Clock: SystemClock(), BatchDelay: delay})
	const rounds, copies = 50, 16
	for r := range rounds {
		var (
			wg          sync.WaitGroup
			start       = make(chan struct{})
			mu          sync.Mutex
			ok, replays int
			other       []error
		)
		nonce := nonceN(r)
		for range copies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				err := s.CheckAndInsert("alice", nonce, time.Now())
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, ErrReplay):
					replays++
				default:
					other = append(other, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if ok != 1 || replays != copies-1 || len(other) != 0 {
			t.Fatalf("round %d: %d accepted, %d replays, other errors %v; want 1, %d, none", r, ok, replays, other, copies-1)
		}
	}
	if got := s.Stats().ReplayEntries; got != rounds {
		t.Fatalf("ReplayEntries = %d, want %d", got, rounds)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, _ = open(t, path, Options{Clock: SystemClock(), BatchDelay: delay})
	if err := s.CheckAndInsert("alice", nonceN(0), time.Now()); !errors.Is(err, ErrReplay) {
		t.Fatalf("after reopening: %v, want a replay (the inserts were durable)", err)
	}
}

// TestConcurrentDistinctNonces: concurrent inserts of different nonces all
// succeed and are all durable (they share batched commits).
func TestConcurrentDistinctNonces(t *testing.T) {
	path := dbPath(t)
	clk := newFakeClock()
	s, _ := open(t, path, Options{Clock: clk, PerClientQuota: 1000})
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.CheckAndInsert("alice", nonceN(i), clk.Now())
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s2, _ := open(t, path, Options{Clock: clk.restarted(), PerClientQuota: 1000})
	for i := range 200 {
		if err := s2.CheckAndInsert("alice", nonceN(i), clk.Now()); !errors.Is(err, ErrReplay) {
			t.Fatalf("nonce %d after reopen: %v, want ErrReplay", i, err)
		}
	}
}

func TestReplayDurableAcrossReopen(t *testing.T) {
	path := dbPath(t)
	clk := newFakeClock()
	s, _ := open(t, path, Options{Clock: clk})
	ts := clk.Now().Add(-3 * time.Second)
	mustInsert(t, s, "alice", nonceN(1), ts)
	mustInsert(t, s, "bob", nonceN(1), ts.Add(-time.Second))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2, rec := open(t, path, Options{Clock: clk.restarted()})
	if rec.Lost || rec.Created {
		t.Fatalf("reopen: recovery %+v, want zero", rec)
	}
	for _, c := range []string{"alice", "bob"} {
		if err := s2.CheckAndInsert(c, nonceN(1), ts); !errors.Is(err, ErrReplay) {
			t.Fatalf("%s replay after reopen: %v, want ErrReplay", c, err)
		}
	}
	mustInsert(t, s2, "alice", nonceN(2), ts)
	if got, ok := s2.MaxAccepted("alice"); !ok || !got.Equal(time.UnixMilli(ts.UnixMilli())) {
		t.Fatalf("MaxAccepted(alice) = %v, %v; want %v", got, ok, ts)
	}
	if st := s2.Stats(); st.ReplayEntries != 3 || st.Clients != 2 {
		t.Fatalf("Stats = %+v, want 3 entries, 2 clients", st)
	}
}

// TestExpiryMonotonic: an entry lives TTL by the monotonic clock and the
// nonce is then accepted again. That is safe because TTL ≥ 2W: the packet's
// ts is by then more than W old and the freshness check refuses it first.
func TestExpiryMonotonic(t *testing.T) {
	clk := newFakeClock()
	ttl := 2 * time.Minute
	s, _ := open(t, dbPath(t), Options{Clock: clk, TTL: ttl})
	mustInsert(t, s, "alice", nonceN(1), clk.Now())
	mustInsert(t, s, "alice", nonceN(2), clk.Now())

	clk.Advance(ttl - time.Millisecond)
	mustSweep(t, s, 0)
	if err := s.CheckAndInsert("alice", nonceN(1), clk.Now()); !errors.Is(err, ErrReplay) {
		t.Fatalf("just before TTL: %v, want ErrReplay", err)
	}
	clk.Advance(time.Second + time.Millisecond)
	// No explicit Sweep: CheckAndInsert itself sweeps an expired entry.
	mustInsert(t, s, "alice", nonceN(1), clk.Now())
	if got := s.Stats().ReplayEntries; got != 1 {
		t.Fatalf("after expiry and re-insert: %d entries, want 1", got)
	}
	if err := s.CheckAndInsert("alice", nonceN(1), clk.Now()); !errors.Is(err, ErrReplay) {
		t.Fatalf("re-inserted nonce: %v, want ErrReplay", err)
	}
}

// TestExpiredRecordDeletedFromFile: a swept entry is gone from the file too,
// while a re-inserted one survives a restart.
func TestExpiredRecordDeletedFromFile(t *testing.T) {
	path := dbPath(t)
	clk := newFakeClock()
	s, _ := open(t, path, Options{Clock: clk})
	mustInsert(t, s, "alice", nonceN(1), clk.Now())
	mustInsert(t, s, "alice", nonceN(2), clk.Now())
	clk.Advance(DefaultTTL + time.Second)
	mustSweep(t, s, 2)
	mustInsert(t, s, "alice", nonceN(2), clk.Now())
	s.Close()
	// Reopen with the wall clock back at the first acceptance: only records
	// still in the file can come back.
	clk2 := clk.restarted()
	clk2.StepWall(-DefaultTTL)
	s2, _ := open(t, path, Options{Clock: clk2})
	if st := s2.Stats(); st.ReplayEntries != 1 {
		t.Fatalf("after reopen: %d entries, want 1 (nonce 2 only)", st.ReplayEntries)
	}
	mustInsert(t, s2, "alice", nonceN(1), clk2.Now())
}

// TestWallStepBack: a backwards wall-clock step never shortens a life. After
// the monotonic TTL the entry is still kept until the wall clock is past the
// deadline it had at acceptance, so the packet (whose ts becomes fresh again)
// stays a replay.
func TestWallStepBack(t *testing.T) {
	clk := newFakeClock()
	s, _ := open(t, dbPath(t), Options{Clock: clk})
	ts := clk.Now()
	mustInsert(t, s, "alice", nonceN(1), ts)
	clk.StepWall(-10 * time.Minute)
	clk.Advance(DefaultTTL + time.Second)
	mustSweep(t, s, 0)
	if err := s.CheckAndInsert("alice", nonceN(1), ts); !errors.Is(err, ErrReplay) {
		t.Fatalf("after step back: %v, want ErrReplay", err)
	}
	// Wall time just reaches ts again: the packet would be fresh. Still kept.
	clk.Advance(10*time.Minute - DefaultTTL - time.Second)
	mustSweep(t, s, 0)
	if err := s.CheckAndInsert("alice", nonceN(1), ts); !errors.Is(err, ErrReplay) {
		t.Fatalf("wall back at ts: %v, want ErrReplay", err)
	}
	clk.Advance(DefaultTTL)
	mustSweep(t, s, 1)
}

// TestWallStepForward: a forward step cannot expire anything early.
func TestWallStepForward(t *testing.T) {
	clk := newFakeClock()
	s, _ := open(t, dbPath(t), Options{Clock: clk})
	mustInsert(t, s, "alice", nonceN(1), clk.Now())
	clk.StepWall(time.Hour)
	clk.Advance(time.Second)
	mustSweep(t, s, 0)
	if err := s.CheckAndInsert("alice", nonceN(1), clk.Now()); !errors.Is(err, ErrReplay) {
		t.Fatalf("after forward step: %v, want ErrReplay", err)
	}
	clk.Advance(DefaultTTL)
	mustSweep(t, s, 1)
}

// TestReloadLifetime: on reload an entry keeps min(wall deadline − now, TTL)
// of monotonic life, and its wall deadline.
func TestReloadLifetime(t *testing.T) {
	path := dbPath(t)
	clk := newFakeClock()
	s, _ := open(t, path, Options{Clock: clk})
	mustInsert(t, s, "alice", nonceN(1), clk.Now())
	s.Close()

	clk.Advance(DefaultTTL / 2) // daemon down for W
	clk2 := clk.restarted()
	s2, rec := open(t, path, Options{Clock: clk2})
	if rec.Lost {
		t.Fatalf("recovery %+v", rec)
	}
	clk2.Advance(DefaultTTL/2 - time.Second)
	mustSweep(t, s2, 0)
	clk2.Advance(2 * time.Second)
	mustSweep(t, s2, 1)
}

// TestReloadAfterStepBack: the wall clock was stepped back while the daemon
// was down. The monotonic life is capped at TTL, and the wall deadline still
// keeps the entry until the wall clock catches up.
func TestReloadAfterStepBack(t *testing.T) {
	path := dbPath(t)
	clk := newFakeClock()
	s, _ := open(t, path, Options{Clock: clk})
	mustInsert(t, s, "alice", nonceN(1), clk.Now())
	s.Close()

	clk2 := clk.restarted()
	clk2.StepWall(-time.Hour)
	s2, _ := open(t, path, Options{Clock: clk2})
	clk2.Advance(DefaultTTL + time.Second)
	mustSweep(t, s2, 0)
	clk2.Advance(time.Hour)
	mustSweep(t, s2, 1)
}

func TestReloadDropsExpired(t *testing.T) {
	path := dbPath(t)
	clk := newFakeClock()
	s, _ := open(t, path, Options{Clock: clk})
	mustInsert(t, s, "alice", nonceN(1), clk.Now())
	s.Close()
	clk.Advance(DefaultTTL)
	s2, _ := open(t, path, Options{Clock: clk.restarted()})
	if st := s2.Stats(); st.ReplayEntries != 0 {
		t.Fatalf("expired record loaded: %+v", st)
	}
	if _, ok := s2.MaxAccepted("alice"); !ok {
		t.Fatal("MaxAccepted lost with the expired entry")
	}
	mustInsert(t, s2, "alice", nonceN(1), clk.Now())
}

func TestPerClientQuota(t *testing.T) {
	clk := newFakeClock()
	const quota = 4
	s, _ := open(t, dbPath(t), Options{Clock: clk, PerClientQuota: quota})
	for i := range quota {
		mustInsert(t, s, "A", nonceN(i), clk.Now())
	}
	err := s.CheckAndInsert("A", nonceN(quota), clk.Now())
	var qe *QuotaError
	if !errors.Is(err, ErrQuota) || !errors.As(err, &qe) || qe.Global || qe.Client != "A" {
		t.Fatalf("A over quota: %v, want a per-client QuotaError", err)
	}
	if !strings.Contains(err.Error(), `client "A"`) {
		t.Errorf("quota error does not name the client: %v", err)
	}
	mustInsert(t, s, "B", nonceN(0), clk.Now())

	// Nothing was evicted: every live nonce of A is still a replay, also
	// when A keeps pushing new packets.
	clk.Advance(DefaultTTL / 2)
	for i := range quota {
		if err := s.CheckAndInsert("A", nonceN(100+i), clk.Now()); !errors.Is(err, ErrQuota) {
			t.Fatalf("new nonce while full: %v, want ErrQuota", err)
		}
	}
	for i := range quota {
		if err := s.CheckAndInsert("A", nonceN(i), clk.Now()); !errors.Is(err, ErrReplay) {
			t.Fatalf("live nonce %d of A: %v, want ErrReplay", i, err)
		}
	}
	clk.Advance(DefaultTTL/2 + time.Second)
	mustInsert(t, s, "A", nonceN(quota), clk.Now()) // sweeps the expired ones
	if st := s.Stats(); st.ReplayEntries != 1 || st.Clients != 1 {
		t.Fatalf("Stats = %+v, want 1 entry (A's new one; B's expired too)", st)
	}
}

func TestGlobalCap(t *testing.T) {
	clk := newFakeClock()
	const capacity = 5
	s, _ := open(t, dbPath(t), Options{Clock: clk, GlobalCap: capacity, PerClientQuota: 100})
	clients := []string{"c0", "c1", "c2", "c3", "c4"}
	for _, c := range clients {
		mustInsert(t, s, c, nonceN(1), clk.Now())
	}
	err := s.CheckAndInsert("new", nonceN(1), clk.Now())
	var qe *QuotaError
	if !errors.Is(err, ErrQuota) || !errors.As(err, &qe) || !qe.Global || qe.Limit != capacity {
		t.Fatalf("over global cap: %v, want a global QuotaError", err)
	}
	if !strings.Contains(err.Error(), "global") {
		t.Errorf("quota error does not say global: %v", err)
	}
	for _, c := range clients {
		if err := s.CheckAndInsert(c, nonceN(1), clk.Now()); !errors.Is(err, ErrReplay) {
			t.Fatalf("%s: %v, want ErrReplay (no eviction)", c, err)
		}
	}
	clk.Advance(DefaultTTL + time.Second)
	mustInsert(t, s, "new", nonceN(1), clk.Now())
}

// TestQuotaWithReloadedEntries: entries loaded from the file count against
// the quota even if the quota was lowered; none is evicted.
func TestQuotaWithReloadedEntries(t *testing.T) {
	path := dbPath(t)
	clk := newFakeClock()
	s, _ := open(t, path, Options{Clock: clk, PerClientQuota: 10})
	for i := range 6 {
		mustInsert(t, s, "A", nonceN(i), clk.Now())
	}
	s.Close()
	s2, _ := open(t, path, Options{Clock: clk.restarted(), PerClientQuota: 3})
	if err := s2.CheckAndInsert("A", nonceN(99), clk.Now()); !errors.Is(err, ErrQuota) {
		t.Fatalf("over lowered quota: %v, want ErrQuota", err)
	}
	if st := s2.Stats(); st.ReplayEntries != 6 {
		t.Fatalf("%d entries, want 6", st.ReplayEntries)
	}
}

// TestFailedWriteReleases: a failed durable write returns an error that is
// neither ErrReplay nor ErrQuota and leaves no reservation behind.
func TestFailedWriteReleases(t *testing.T) {
	clk := newFakeClock()
	s, _ := open(t, dbPath(t), Options{Clock: clk, PerClientQuota: 1})
	boom := errors.New("disk on fire")
	s.testHookPut = func() error { return boom }
	err := s.CheckAndInsert("alice", nonceN(1), clk.Now())
	if !errors.Is(err, boom) || errors.Is(err, ErrReplay) || errors.Is(err, ErrQuota) {
		t.Fatalf("failed write: %v, want the write error", err)
	}
	if !strings.Contains(err.Error(), s.Path()) {
		t.Errorf("error does not name the file: %v", err)
	}
	if st := s.Stats(); st.ReplayEntries != 0 || st.Clients != 0 {
		t.Fatalf("reservation left behind: %+v", st)
	}
	if _, ok := s.MaxAccepted("alice"); ok {
		t.Fatal("MaxAccepted moved by a failed write")
	}
	s.testHookPut = nil
	// Quota 1: a leaked count would make this ErrQuota.
	mustInsert(t, s, "alice", nonceN(1), clk.Now())
}

// TestFailedWriteClosedDB: the bbolt file closed underneath the store.
func TestFailedWriteClosedDB(t *testing.T) {
	clk := newFakeClock()
	s, _ := open(t, dbPath(t), Options{Clock: clk})
	mustInsert(t, s, "alice", nonceN(1), clk.Now())
	s.db.Close()
	err := s.CheckAndInsert("alice", nonceN(2), clk.Now())
	if err == nil || errors.Is(err, ErrReplay) || errors.Is(err, ErrQuota) {
		t.Fatalf("write to closed db: %v, want an error", err)
	}
	if st := s.Stats(); st.ReplayEntries != 1 {
		t.Fatalf("%d entries, want 1", st.ReplayEntries)
	}
	if err := s.CheckAndInsert("alice", nonceN(1), clk.Now()); !errors.Is(err, ErrReplay) {
		t.Fatalf("existing entry: %v, want ErrReplay", err)
	}
}

func TestMaxAccepted(t *testing.T) {
	path := dbPath(t)
	clk := newFakeClock()
	s, _ := open(t, path, Options{Clock: clk})
	if _, ok := s.MaxAccepted("alice"); ok {
		t.Fatal("MaxAccepted of unknown client")
	}
	t0 := clk.Now()
	mustInsert(t, s, "alice", nonceN(1), t0)
	mustInsert(t, s, "alice", nonceN(2), t0.Add(30*time.Second))
	mustInsert(t, s, "alice", nonceN(3), t0.Add(-30*time.Second))
	want := t0.Add(30 * time.Second)
	if got, _ := s.MaxAccepted("alice"); !got.Equal(want) {
		t.Fatalf("MaxAccepted = %v, want %v", got, want)
	}
	s.Close()
	clk.Advance(time.Hour) // all entries expire; the max stays
	s2, _ := open(t, path, Options{Clock: clk.restarted()})
	if got, ok := s2.MaxAccepted("alice"); !ok || !got.Equal(want) {
		t.Fatalf("after reopen MaxAccepted = %v, %v; want %v", got, ok, want)
	}
}

func TestClientNameChecked(t *testing.T) {
	s, _ := open(t, dbPath(t), Options{})
	for _, name := range []string{"", strings.Repeat("x", MaxClientName+1)} {
		if err := s.CheckAndInsert(name, nonceN(1), time.Now()); err == nil || errors.Is(err, ErrReplay) {
			t.Errorf("client name of %d bytes: %v, want an error", len(name), err)
		}
	}
	mustInsert(t, s, strings.Repeat("x", MaxClientName), nonceN(1), time.Now())
}

func TestClosed(t *testing.T) {
	s, _ := open(t, dbPath(t), Options{})
	mustInsert(t, s, "alice", nonceN(1), time.Now())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := s.CheckAndInsert("alice", nonceN(2), time.Now()); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Sweep(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Sweep after Close: %v, want ErrClosed", err)
	}
	if err := s.SetCounter("alice", 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("SetCounter after Close: %v, want ErrClosed", err)
	}
	if _, ok := s.MaxAccepted("alice"); !ok {
		t.Fatal("reads should still answer after Close")
	}
}
