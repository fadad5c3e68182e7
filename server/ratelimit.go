package server

import (
	"sync"
	"time"
)

// bucket is a token bucket: rate tokens per second, at most burst stored.
// The clock is passed in, so tests can step it; a clock that goes
// backwards adds no tokens.
type bucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(rate float64, burst int, now time.Time) *bucket {
	return &bucket{rate: rate, burst: float64(burst), tokens: float64(burst), last: now}
}

// allow takes one token if there is one.
func (b *bucket) allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(b.burst, b.tokens+d.Seconds()*b.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// set changes the rate and burst, keeping the tokens already earned.
func (b *bucket) set(rate float64, burst int) {
	b.mu.Lock()
	b.rate, b.burst = rate, float64(burst)
	b.tokens = min(b.tokens, b.burst)
	b.mu.Unlock()
}
