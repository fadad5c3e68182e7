package state

import (
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// benchOptions lift the bounds so that benchmarks measure the store, not the
// quota.
var benchOptions = Options{TTL: time.Hour, PerClientQuota: 1 << 30, GlobalCap: 1 << 30}

// BenchmarkCheckAndInsertDurable: accepted packets from many goroutines,
// each insert committed and fsynced before it returns; concurrent inserts
// share commits (bbolt Batch).
func BenchmarkCheckAndInsertDurable(b *testing.B) {
	s, _ := open(b, dbPath(b), withClock(benchOptions, SystemClock()))
	var seq atomic.Int64
	now := time.Now()
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.CheckAndInsert("alice", nonceN(int(seq.Add(1))), now); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkCheckAndInsertDurableSerial: one goroutine, so every insert pays
// the batch delay and a commit of its own. This is the latency of a lone
// packet.
func BenchmarkCheckAndInsertDurableSerial(b *testing.B) {
	s, _ := open(b, dbPath(b), withClock(benchOptions, SystemClock()))
	now := time.Now()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := s.CheckAndInsert("alice", nonceN(i), now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckAndInsertReplay: the replay fast path, a copy of an accepted
// packet. In memory only; must not allocate.
func BenchmarkCheckAndInsertReplay(b *testing.B) {
	s, _ := open(b, dbPath(b), withClock(benchOptions, SystemClock()))
	fill(b, s, "alice", 1000)
	nonce := nonceN(500)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if err := s.CheckAndInsert("alice", nonce, now); err != ErrReplay {
			b.Fatal(err)
		}
	}
}

func TestReplayFastPathAllocs(t *testing.T) {
	s, _ := open(t, dbPath(t), Options{})
	mustInsert(t, s, "alice", nonceN(1), time.Now())
	nonce, now := nonceN(1), time.Now()
	allocs := testing.AllocsPerRun(1000, func() {
		if err := s.CheckAndInsert("alice", nonce, now); !errors.Is(err, ErrReplay) {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("replay fast path: %v allocations per call, want 0", allocs)
	}
}

// entryMemory returns the heap bytes per replay entry held in memory for n
// entries spread over 64 clients and, if seconds > 0, over that many
// one-second expiry buckets (the in-memory reservation only: the file is
// memory-mapped, not on the heap).
func entryMemory(tb testing.TB, n, seconds int) float64 {
	clk := newFakeClock()
	s, _ := open(tb, dbPath(tb), withClock(benchOptions, clk))
	clients := make([]string, 64)
	for i := range clients {
		clients[i] = fmt.Sprintf("client-%02d", i)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range n {
		if seconds > 0 && i%(n/seconds) == 0 {
			clk.Advance(time.Second)
		}
		nonce := nonceN(i)
		if _, err := s.reserve(clients[i%len(clients)], &nonce, false); err != nil {
			tb.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(s)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n)
}

// BenchmarkMemoryPerEntry reports the bytes per entry for 100k entries.
func BenchmarkMemoryPerEntry(b *testing.B) {
	var per float64
	for b.Loop() {
		per = entryMemory(b, 100_000, 0)
	}
	b.ReportMetric(per, "B/entry")
}

func TestMemoryPerEntry(t *testing.T) {
	if testing.Short() {
		t.Skip("measures 100k entries")
	}
	for _, n := range []int{50_000, 100_000, 200_000} {
		for _, seconds := range []int{0, 120} {
			per := entryMemory(t, n, seconds)
			t.Logf("%d entries in %d one-second buckets: %.1f B/entry", n, max(seconds, 1), per)
			if per > 100 {
				t.Errorf("%d entries, %d buckets: %.1f B/entry, want ≤ 100", n, seconds, per)
			}
		}
	}
}

func withClock(o Options, c Clock) Options {
	o.Clock = c
	return o
}
