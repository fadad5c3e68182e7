package state

import (
	"errors"
	"sync"
	"testing"
)

func TestCounters(t *testing.T) {
	path := dbPath(t)
	s, _ := open(t, path, Options{})
	if c := s.Counter("alice"); c != 0 {
		t.Fatalf("unset counter = %d", c)
	}
	for _, c := range []uint64{1, 5, 5, 1 << 40} {
		if err := s.SetCounter("alice", c); err != nil {
			t.Fatalf("SetCounter(%d): %v", c, err)
		}
	}
	err := s.SetCounter("alice", 7)
	if !errors.Is(err, ErrCounterBackwards) {
		t.Fatalf("backwards SetCounter: %v, want ErrCounterBackwards", err)
	}
	if err := s.SetCounter("bob", 3); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, _ := open(t, path, Options{})
	if a, b := s2.Counter("alice"), s2.Counter("bob"); a != 1<<40 || b != 3 {
		t.Fatalf("after reopen: alice %d, bob %d; want %d, 3", a, b, uint64(1<<40))
	}
	if err := s2.SetCounter("alice", 0); !errors.Is(err, ErrCounterBackwards) {
		t.Fatalf("backwards after reopen: %v", err)
	}
}

// TestCountersConcurrent: racing writers never move a counter backwards; the
// result is the largest value written.
func TestCountersConcurrent(t *testing.T) {
	s, _ := open(t, dbPath(t), Options{})
	var wg sync.WaitGroup
	for i := 1; i <= 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			before := s.Counter("alice")
			err := s.SetCounter("alice", uint64(i))
			if err != nil && !errors.Is(err, ErrCounterBackwards) {
				t.Error(err)
			}
			if after := s.Counter("alice"); after < before {
				t.Errorf("counter moved back from %d to %d", before, after)
			}
		}()
	}
	wg.Wait()
	if c := s.Counter("alice"); c != 32 {
		t.Fatalf("counter = %d, want 32", c)
	}
}
