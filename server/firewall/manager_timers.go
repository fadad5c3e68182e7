package firewall

import (
	"container/heap"
	"time"
)

// expiryTimers is the Manager's set of grant deadlines: a map from rule to
// deadline plus a min-heap of (deadline, rule) entries, with one
// time.Timer armed for the earliest. Changing a deadline pushes a new
// entry; entries that no longer match the map are skipped when popped.
// Not safe for concurrent use: only the worker touches it.
type expiryTimers struct {
	at    map[Rule]time.Time
	h     expiryHeap
	timer *time.Timer
	armed bool
}

type expiryEntry struct {
	at time.Time
	r  Rule
}

type expiryHeap []expiryEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiryEntry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

func (t *expiryTimers) init() {
	t.at = map[Rule]time.Time{}
	t.timer = time.NewTimer(time.Hour)
	t.timer.Stop()
}

// c is the channel to wait on; nil (never ready) when nothing is armed.
func (t *expiryTimers) c() <-chan time.Time {
	if !t.armed {
		return nil
	}
	return t.timer.C
}

func (t *expiryTimers) set(r Rule, at time.Time) {
	t.at[r] = at
	heap.Push(&t.h, expiryEntry{at: at, r: r})
	// Rebuild the heap when stale entries dominate (many re-knocks).
	if len(t.h) > 64 && len(t.h) > 4*len(t.at) {
		t.compact()
	}
}

func (t *expiryTimers) remove(r Rule) { delete(t.at, r) }

func (t *expiryTimers) compact() {
	t.h = t.h[:0]
	for r, at := range t.at {
		t.h = append(t.h, expiryEntry{at: at, r: r})
	}
	heap.Init(&t.h)
}

// due removes and returns the rules whose deadline is at or before now.
func (t *expiryTimers) due(now time.Time) []Rule {
	var out []Rule
	for len(t.h) > 0 && !t.h[0].at.After(now) {
		e := heap.Pop(&t.h).(expiryEntry)
		if at, ok := t.at[e.r]; ok && at.Equal(e.at) {
			delete(t.at, e.r)
			out = append(out, e.r)
		}
	}
	return out
}

// rearm points the timer at the earliest live deadline.
func (t *expiryTimers) rearm(now time.Time) {
	for len(t.h) > 0 {
		if at, ok := t.at[t.h[0].r]; ok && at.Equal(t.h[0].at) {
			break
		}
		heap.Pop(&t.h)
	}
	if len(t.h) == 0 {
		t.timer.Stop()
		t.armed = false
		return
	}
	t.timer.Reset(max(t.h[0].at.Sub(now), 0))
	t.armed = true
}

func (t *expiryTimers) stop() { t.timer.Stop() }

// len is the number of pending deadlines.
func (t *expiryTimers) len() int { return len(t.at) }
