package state

import (
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestChurnConsistency runs inserts over a small nonce space (so replays,
// expiries and re-inserts all happen), sweeps and clock advances
// concurrently, with some writes failing. Afterwards memory and file must
// agree and the in-memory bookkeeping must be consistent.
func TestChurnConsistency(t *testing.T) {
	path := dbPath(t)
	clk := newFakeClock()
	s, _ := open(t, path, Options{Clock: clk, TTL: 3 * time.Second, PerClientQuota: 40, GlobalCap: 100, BatchDelay: time.Millisecond})
	var failing atomic.Bool
	s.testHookPut = func() error {
		if failing.Load() {
			return errors.New("injected")
		}
		return nil
	}
	clients := []string{"a", "b", "c", "d"}
	var accepted atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for {
				select {
				case <-stop:
					return
				default:
				}
				err := s.CheckAndInsert(clients[rng.IntN(len(clients))], nonceN(rng.IntN(60)), clk.Now())
				if err == nil {
					accepted.Add(1)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			clk.Advance(300 * time.Millisecond)
			failing.Store(i%7 == 3)
			if _, err := s.Sweep(); err != nil {
				t.Error(err)
			}
		}
	}()
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()
	failing.Store(false)
	t.Logf("%d inserts accepted", accepted.Load())
	if accepted.Load() < 100 {
		t.Fatalf("only %d inserts accepted; the test did not churn", accepted.Load())
	}

	checkInvariants(t, s)
	inMemory := map[string]bool{}
	s.mu.Lock()
	for k := range s.entries {
		inMemory[string(replayKeyBytes(s.clients[k.client].name, &k.nonce))] = true
	}
	s.mu.Unlock()
	s.Close()

	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	onDisk := map[string]bool{}
	db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketReplay).ForEach(func(k, _ []byte) error {
			onDisk[string(k)] = true
			return nil
		})
	})
	for k := range inMemory {
		if !onDisk[k] {
			t.Errorf("entry %x in memory but not in the file", k)
		}
	}
	for k := range onDisk {
		if !inMemory[k] {
			t.Errorf("entry %x in the file but not in memory", k)
		}
	}
}

// checkInvariants verifies the in-memory bookkeeping: live counts match the
// entries, bounds hold, and every entry is filed in the bucket of its tick.
func checkInvariants(t *testing.T, s *Store) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	live := make([]int, len(s.clients))
	for k := range s.entries {
		live[k.client]++
	}
	for id, c := range s.clients {
		if c.live != live[id] {
			t.Errorf("client %q: live = %d, entries = %d", c.name, c.live, live[id])
		}
		if c.live > s.perClient {
			t.Errorf("client %q: %d entries over quota %d", c.name, c.live, s.perClient)
		}
	}
	if len(s.entries) > s.globalCap {
		t.Errorf("%d entries over cap %d", len(s.entries), s.globalCap)
	}
	filed := map[replayKey]uint32{}
	var prev uint32
	for i := s.queue.head; i < len(s.queue.buckets); i++ {
		b := s.queue.buckets[i]
		if i > s.queue.head && b.tick <= prev {
			t.Errorf("bucket ticks out of order: %d after %d", b.tick, prev)
		}
		prev = b.tick
		for _, chunk := range b.keys {
			for _, k := range chunk {
				if s.entries[k] == b.tick {
					filed[k] = b.tick
				}
			}
		}
	}
	for k, tick := range s.entries {
		if filed[k] != tick {
			t.Errorf("entry %v (tick %d) not filed in its bucket", k, tick)
		}
	}
}
