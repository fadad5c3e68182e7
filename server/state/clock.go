package state

import "time"

// Clock is the store's source of time. Now is the wall clock (persisted
// expiries, accepted timestamps); Mono is a monotonic reading (time since an
// arbitrary, fixed origin) that governs in-process expiry and must never go
// backwards. Tests inject a fake; production uses [SystemClock].
type Clock interface {
	Now() time.Time
	Mono() time.Duration
}

// SystemClock returns the process clock: Now is time.Now and Mono is the
// time elapsed since SystemClock was called, read from Go's monotonic clock
// (CLOCK_MONOTONIC on Linux, which does not advance while the machine is
// suspended, so suspension only ever lengthens entry lifetimes).
func SystemClock() Clock {
	return systemClock{origin: time.Now()}
}

type systemClock struct {
	origin time.Time // carries a monotonic reading
}

func (c systemClock) Now() time.Time { return time.Now() }

func (c systemClock) Mono() time.Duration { return time.Since(c.origin) }
