package state

import (
	"errors"
	"fmt"
)

var (
	// ErrReplay is returned by [Store.CheckAndInsert] when the (client,
	// nonce) pair is already recorded, including when another call for the
	// same pair is still being written (SPEC §9: at most one copy passes).
	ErrReplay = errors.New("state: replay")

	// ErrQuota is returned (wrapped in a *[QuotaError]) by
	// [Store.CheckAndInsert] when the per-client quota or the global cap on
	// live replay entries is reached. No live entry is ever evicted to make
	// room (SPEC §9).
	ErrQuota = errors.New("state: replay cache quota reached")

	// ErrCounterBackwards is returned (wrapped) by [Store.SetCounter] when the
	// new value is lower than the stored one. Knock counters only move
	// forwards: moving one back would re-enable one-time values already used.
	ErrCounterBackwards = errors.New("state: knock counter may not move backwards")

	// ErrClosed is returned by writing methods after [Store.Close].
	ErrClosed = errors.New("state: store is closed")
)

// QuotaError says which bound refused an insertion. errors.Is(err, ErrQuota)
// holds for every QuotaError.
type QuotaError struct {
	Client string // the client whose packet was refused
	Global bool   // true: the global cap; false: the client's own quota
	Limit  int    // the bound that was reached
}

func (e *QuotaError) Error() string {
	if e.Global {
		return fmt.Sprintf("state: replay cache quota reached: global cap of %d live entries (client %q refused)", e.Limit, e.Client)
	}
	return fmt.Sprintf("state: replay cache quota reached: client %q has %d live entries", e.Client, e.Limit)
}

// Unwrap returns ErrQuota.
func (e *QuotaError) Unwrap() error { return ErrQuota }

// corruptError marks a state file whose content cannot be trusted; Open moves
// such a file aside and starts afresh.
type corruptError struct{ reason string }

func (e *corruptError) Error() string { return "corrupt: " + e.reason }

func corruptf(format string, args ...any) error {
	return &corruptError{reason: fmt.Sprintf(format, args...)}
}

// newerSchemaError marks a state file written by a newer spad. It is never
// moved aside: the operator downgraded, and the data is probably fine.
type newerSchemaError struct{ have, want uint32 }

func (e *newerSchemaError) Error() string {
	return fmt.Sprintf("state file was written by a newer spad (schema version %d, this build understands %d)", e.have, e.want)
}
