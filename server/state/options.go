package state

import (
	"fmt"
	"log/slog"
	"time"
)

// Defaults for zero Options fields.
const (
	// DefaultTTL is 2W for the protocol's default freshness window W = 60 s
	// (SPEC §9: keep entries for 2W after acceptance).
	DefaultTTL = 2 * time.Minute
	// DefaultPerClientQuota bounds the live replay entries of one client.
	DefaultPerClientQuota = 128
	// DefaultGlobalCap bounds the live replay entries of all clients.
	DefaultGlobalCap = 1 << 20
	// DefaultBatchDelay is how long a durable replay insert waits for others
	// to share its commit (and fsync).
	DefaultBatchDelay = 2 * time.Millisecond

	maxTTL = 365 * 24 * time.Hour
	// lockTimeout bounds the wait for another process's lock on the file.
	lockTimeout = time.Second
)

// Options configure [Open]. The zero value is usable.
type Options struct {
	// TTL is how long a replay entry lives after acceptance; 0 means
	// DefaultTTL. Callers should pass 2W for their freshness window W.
	TTL time.Duration
	// PerClientQuota is the most live replay entries one client may have;
	// 0 means DefaultPerClientQuota.
	PerClientQuota int
	// GlobalCap is the most live replay entries in total; 0 means
	// DefaultGlobalCap.
	GlobalCap int
	// Clock supplies wall and monotonic time; nil means SystemClock().
	Clock Clock
	// Logger receives recovery events (Error level for lost state); nil
	// discards.
	Logger *slog.Logger
	// Create says a missing state file is expected (spad init): it is
	// created without reporting lost state.
	Create bool
	// BatchDelay is the longest a replay insert waits to be grouped with
	// concurrent ones into one commit; 0 means DefaultBatchDelay. A
	// negative value commits each insert at once, without waiting: the
	// right choice when inserts are rare and each one is waited for (Go's
	// timers may take a millisecond to fire a delay of microseconds).
	BatchDelay time.Duration
}

func (o Options) withDefaults() (Options, error) {
	if o.TTL == 0 {
		o.TTL = DefaultTTL
	}
	if o.PerClientQuota == 0 {
		o.PerClientQuota = DefaultPerClientQuota
	}
	if o.GlobalCap == 0 {
		o.GlobalCap = DefaultGlobalCap
	}
	if o.BatchDelay == 0 {
		o.BatchDelay = DefaultBatchDelay
	}
	if o.Clock == nil {
		o.Clock = SystemClock()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case o.TTL < 0 || o.TTL > maxTTL:
		return o, fmt.Errorf("TTL %v out of range (0, %v]", o.TTL, maxTTL)
	case o.PerClientQuota < 0:
		return o, fmt.Errorf("negative per-client quota %d", o.PerClientQuota)
	case o.GlobalCap < 0:
		return o, fmt.Errorf("negative global cap %d", o.GlobalCap)
	}
	return o, nil
}

// Recovery reports what Open found.
type Recovery struct {
	// Lost is true when replay state may be missing (file missing without
	// Options.Create, or corrupt). The daemon must then keep a quiet period
	// (SPEC §9): refuse packets stamped before boot + W.
	Lost bool
	// Created is true when a missing file was created as requested by
	// Options.Create.
	Created bool
	// Reason explains Lost.
	Reason string
	// MovedTo names the file a corrupt state file was renamed to.
	MovedTo string
}

// Stats are counts for spad status.
type Stats struct {
	ReplayEntries int // replay entries in memory, including expired ones not yet swept
	Clients       int // clients with at least one replay entry
	Grants        int // recorded firewall grants
}
