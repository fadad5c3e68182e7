package firewall

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/spa-project/spa/spa"
)

// flakyBackend fails its first failures revocations.
type flakyBackend struct {
	noneBackend
	mu       sync.Mutex
	failures int
	revokes  int
}

func (b *flakyBackend) Revoke(ctx context.Context, r Rule) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.revokes++
	if b.revokes <= b.failures {
		return errors.New("kernel said no")
	}
	return nil
}

func (b *flakyBackend) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.revokes
}

// A revocation that fails is retried until it succeeds: a grant must not
// outlive its time for good.
func TestManagerRetriesFailedExpiry(t *testing.T) {
	b := &flakyBackend{noneBackend: *newNone(Config{Logger: slog.New(slog.DiscardHandler)}), failures: 2}
	m := NewManager(b, ManagerOptions{})
	m.retry = 20 * time.Millisecond
	defer m.Close(context.Background())
	r := Rule{Addr: netip.MustParseAddr("192.0.2.1"), Port: spa.Port{Proto: spa.TCP, Port: 22}}
	if err := m.Allow(context.Background(), r, 10*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for b.count() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	if n := b.count(); n != 3 {
		t.Fatalf("%d revocations, want 3 (two failures, then success, then none)", n)
	}
}

func TestExpiryTimersCompact(t *testing.T) {
	var et expiryTimers
	et.init()
	defer et.stop()
	r := Rule{Addr: netip.MustParseAddr("192.0.2.1"), Port: spa.Port{Proto: spa.TCP, Port: 22}}
	base := time.Now()
	for i := range 1000 {
		et.set(r, base.Add(time.Duration(i)*time.Millisecond))
	}
	if len(et.h) > 100 {
		t.Fatalf("heap holds %d entries for one deadline", len(et.h))
	}
	if due := et.due(base.Add(998 * time.Millisecond)); len(due) != 0 {
		t.Fatalf("due before the last deadline: %v", due)
	}
	if due := et.due(base.Add(time.Second)); len(due) != 1 || et.len() != 0 {
		t.Fatalf("due = %v, %d left", due, et.len())
	}
}
