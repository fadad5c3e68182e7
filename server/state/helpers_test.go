package state

import (
	"bytes"
	"encoding/binary"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// fakeClock is a Clock whose wall and monotonic readings tests move by hand.
type fakeClock struct {
	mu   sync.Mutex
	wall time.Time
	mono time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{wall: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), mono: 5 * time.Hour}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wall
}

func (c *fakeClock) Mono() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mono
}

// Advance moves both clocks by d, as real time passing.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wall = c.wall.Add(d)
	c.mono += d
}

// StepWall moves only the wall clock, as an administrator or NTP step would.
func (c *fakeClock) StepWall(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wall = c.wall.Add(d)
}

// restarted returns a clock for a new process: same wall time, new
// monotonic origin.
func (c *fakeClock) restarted() *fakeClock {
	return &fakeClock{wall: c.Now(), mono: 17 * time.Second}
}

func nonceN(i int) [24]byte {
	var n [24]byte
	binary.BigEndian.PutUint64(n[:], uint64(i))
	n[23] = 0xa5
	return n
}

func dbPath(t testing.TB) string {
	return filepath.Join(t.TempDir(), "spad.db")
}

// open opens path with opts (clock defaulted to a fake) and closes the store
// at the end of the test.
func open(t testing.TB, path string, opts Options) (*Store, Recovery) {
	t.Helper()
	if opts.Clock == nil {
		opts.Clock = newFakeClock()
	}
	s, rec, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s, rec
}

func mustInsert(t testing.TB, s *Store, client string, nonce [24]byte, ts time.Time) {
	t.Helper()
	if err := s.CheckAndInsert(client, nonce, ts); err != nil {
		t.Fatalf("CheckAndInsert(%q, %x): %v", client, nonce[:8], err)
	}
}

// fill inserts nonces 0..n-1 for client from 32 goroutines, so that the
// inserts share commits.
func fill(t testing.TB, s *Store, client string, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	next := make(chan int)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs <- s.CheckAndInsert(client, nonceN(i), time.Now())
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func mustSweep(t testing.TB, s *Store, want int) {
	t.Helper()
	n, err := s.Sweep()
	if err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	if n != want {
		t.Fatalf("Sweep removed %d entries, want %d", n, want)
	}
}

// logBuffer returns a logger writing text records into a buffer.
func logBuffer() (*slog.Logger, *syncBuffer) {
	b := &syncBuffer{}
	return slog.New(slog.NewTextHandler(b, nil)), b
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
