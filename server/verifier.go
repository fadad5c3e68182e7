package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spa-project/spa/server/config"
	"github.com/spa-project/spa/server/state"
	"github.com/spa-project/spa/spa"
)

// Clock gives the wall time. Production uses the system clock; tests step a
// fake one.
type Clock interface{ Now() time.Time }

// ReplayStore is the durable replay cache (package state).
type ReplayStore interface {
	// CheckAndInsert atomically records (client, nonce) and makes it
	// durable, or fails with state.ErrReplay or state.ErrQuota.
	CheckAndInsert(client string, nonce [spa.NonceSize]byte, ts time.Time) error
	// MaxAccepted is the newest timestamp accepted from the client.
	MaxAccepted(client string) (time.Time, bool)
}

// Options configure a Verifier.
type Options struct {
	Window time.Duration // freshness window W
	Clock  Clock
	Replay ReplayStore
	Logger *slog.Logger // nil discards
	// LogRate bounds drop log lines per second (a log line per garbage
	// packet would be a denial of service of its own).
	LogRate float64
	// QuietUntil, when set, refuses every packet stamped at or before it:
	// the replay cache was lost, so older packets cannot be checked.
	QuietUntil time.Time
	// Knock enables knock ports; nil disables them.
	Knock *KnockOptions
}

// Verifier runs the pipeline. It is safe for concurrent use; SetClients
// swaps the enrolled clients atomically.
type Verifier struct {
	opts     Options
	log      *slog.Logger
	logLimit *bucket
	counters Counters

	mu       sync.Mutex // serialises snapshot rebuilds and limiter creation
	snap     atomic.Pointer[snapshot]
	knocks   atomic.Pointer[knockState]
	limiters map[string]*bucket
}

type snapshot struct {
	table   *spa.HintTable
	keys    []*spa.Key
	clients map[*spa.Key]*Client
}

// NewVerifier returns a verifier for the clients.
func NewVerifier(opts Options, clients []Client) *Verifier {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := opts.Clock.Now()
	v := &Verifier{
		opts:     opts,
		log:      log,
		logLimit: newBucket(opts.LogRate, max(1, int(opts.LogRate)), now),
		limiters: map[string]*bucket{},
	}
	v.SetClients(clients)
	return v
}

// SetClients replaces the enrolled clients. Packets in flight finish with
// the old set.
func (v *Verifier) SetClients(clients []Client) {
	now := v.opts.Clock.Now()
	s := &snapshot{clients: make(map[*spa.Key]*Client, len(clients))}
	v.mu.Lock()
	defer v.mu.Unlock()
	for i := range clients {
		c := &clients[i]
		s.keys = append(s.keys, c.Key)
		s.clients[c.Key] = c
		if b, ok := v.limiters[c.Name]; ok {
			b.set(c.Rate, c.Burst)
		} else {
			v.limiters[c.Name] = newBucket(c.Rate, c.Burst, now)
		}
	}
	s.table = spa.NewHintTable(s.keys, now, v.opts.Window)
	v.snap.Store(s)
	v.setKnocks(s, now)
}

// setKnocks rebuilds the knock table for the snapshot's clients.
func (v *Verifier) setKnocks(s *snapshot, now time.Time) {
	if v.opts.Knock == nil {
		return
	}
	clients := make([]*Client, 0, len(s.clients))
	for _, c := range s.clients {
		clients = append(clients, c)
	}
	ks, err := newKnockState(*v.opts.Knock, clients, now)
	if err != nil {
		v.log.Error("knock ports disabled", "error", err.Error())
		ks = nil
	}
	v.knocks.Store(ks)
}

// Counters returns the pipeline's counters.
func (v *Verifier) Counters() *Counters { return &v.counters }

// current returns a snapshot whose hint table covers now, rebuilding it at
// most once per epoch change.
func (v *Verifier) current(now time.Time) *snapshot {
	s := v.snap.Load()
	if s.table.Covers(now) {
		return s
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if s = v.snap.Load(); !s.table.Covers(now) {
		s = &snapshot{table: spa.NewHintTable(s.keys, now, v.opts.Window), keys: s.keys, clients: s.clients}
		v.snap.Store(s)
	}
	return s
}

// Handle verifies one datagram from src and returns what to do, or an error
// carrying the spa.Reason it was dropped for. The caller must never answer
// the sender either way.
func (v *Verifier) Handle(pkt []byte, src netip.Addr) (Decision, error) {
	now := v.opts.Clock.Now()
	s := v.current(now)
	key, body, err := s.table.Open(pkt, now)
	if err != nil {
		return Decision{}, v.refuse(err, key, src)
	}
	c := s.clients[key]
	if c.KnockRequired && body.Type != spa.MsgResync {
		return Decision{}, v.refuse(fmt.Errorf("%w: this client must use knock ports", spa.ReasonPolicy), key, src)
	}
	d, err := v.authorize(c, &body, [spa.NonceSize]byte(pkt[5:29]), src, now)
	if err != nil {
		return Decision{}, v.refuse(err, key, src)
	}
	if d.Type == spa.MsgResync {
		if err := v.resync(c, d.Counter); err != nil {
			return Decision{}, v.refuse(fmt.Errorf("%w: knock counter not recorded: %w", spa.ReasonQuota, err), key, src)
		}
	}
	v.counters.accepted.Add(1)
	v.log.Info("accepted", "client", c.Name, "type", d.Type.String(), "addr", d.Addr, "ports", d.Ports, "duration", d.Duration)
	return d, nil
}

// authorize runs the server's steps on an authenticated, fresh body.
func (v *Verifier) authorize(c *Client, b *spa.Body, nonce [spa.NonceSize]byte, src netip.Addr, now time.Time) (Decision, error) {
	sent := time.UnixMilli(int64(b.UnixMilli))
	if !v.opts.QuietUntil.IsZero() && !sent.After(v.opts.QuietUntil) {
		return Decision{}, fmt.Errorf("%w: stamped before the quiet period ends (replay state was lost)", spa.ReasonStale)
	}
	if last, ok := v.opts.Replay.MaxAccepted(c.Name); ok && sent.Before(last.Add(-v.opts.Window)) {
		return Decision{}, fmt.Errorf("%w: older than the newest accepted packet minus the window (clock step?)", spa.ReasonStale)
	}
	if !c.Expires.IsZero() && now.After(c.Expires) {
		return Decision{}, fmt.Errorf("%w: client expired at %s", spa.ReasonPolicy, c.Expires.Format(time.RFC3339))
	}
	addr, ok := c.Address.Allows(b.ClientIP, src, b.Flags&spa.FlagUseSource != 0)
	if !ok {
		return Decision{}, fmt.Errorf("%w: policy %s does not allow %s from %s", spa.ReasonAddress, c.Address, b.ClientIP, src)
	}
	d := Decision{Client: c.Name, Type: b.Type, Addr: addr, Ports: slices.Clone(b.PortList()), Action: b.Action, Counter: b.Counter, Sent: sent}
	if err := v.checkPolicy(c, &d, b); err != nil {
		return Decision{}, err
	}
	// Replay before the rate limit: a replayed copy must not spend the
	// client's tokens, or an eavesdropper could lock the client out.
	if err := v.opts.Replay.CheckAndInsert(c.Name, nonce, sent); err != nil {
		return Decision{}, replayError(err)
	}
	if !v.limiter(c.Name).allow(now) {
		return Decision{}, spa.ReasonRateLimited
	}
	return d, nil
}

func (v *Verifier) checkPolicy(c *Client, d *Decision, b *spa.Body) error {
	switch b.Type {
	case spa.MsgOpen:
		d.Duration = c.grantDuration(b.Duration)
		fallthrough
	case spa.MsgClose:
		if !c.allows(d.Ports) {
			return fmt.Errorf("%w: %v not all in the allowlist %v", spa.ReasonPolicy, d.Ports, c.Allow)
		}
	case spa.MsgAction:
		if !slices.Contains(c.Actions, b.Action) {
			return fmt.Errorf("%w: action %d not allowed", spa.ReasonPolicy, b.Action)
		}
	case spa.MsgResync:
		if c.Knock != config.KnockHOTP || v.knocks.Load() == nil {
			return fmt.Errorf("%w: resync from a client not in HOTP knock mode", spa.ReasonPolicy)
		}
	}
	return nil
}

// resync raises a HOTP client's knock counter to the one its resync
// message carries (SPEC.md §11.8).
func (v *Verifier) resync(c *Client, counter uint64) error {
	ks := v.knocks.Load()
	if ks == nil || ks.clients[c.Key] == nil {
		return nil
	}
	return ks.advance(ks.clients[c.Key], counter)
}

func replayError(err error) error {
	switch {
	case errors.Is(err, state.ErrReplay):
		return spa.ReasonReplay
	case errors.Is(err, state.ErrQuota):
		return fmt.Errorf("%w: %w", spa.ReasonQuota, err)
	}
	// The cache could not record the packet: fail closed.
	return fmt.Errorf("%w: replay cache unavailable: %w", spa.ReasonQuota, err)
}

func (v *Verifier) limiter(name string) *bucket {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.limiters[name]
}

// refuse counts a drop and logs it, at most LogRate lines per second.
func (v *Verifier) refuse(err error, key *spa.Key, src netip.Addr) error {
	r, ok := spa.ReasonOf(err)
	if !ok {
		r = spa.ReasonMalformed
	}
	v.counters.drop(r)
	// Unauthenticated drops are noise an attacker controls: debug level.
	// Authenticated ones come from an enrolled client and deserve a warning.
	level := slog.LevelDebug
	if key != nil {
		level = slog.LevelWarn
	}
	if !v.log.Enabled(context.Background(), level) || !v.logLimit.allow(v.opts.Clock.Now()) {
		return err
	}
	if key == nil {
		v.log.Debug("dropped", "reason", r.String(), "src", src)
	} else {
		v.log.Warn("dropped", "reason", r.String(), "client", key.Name(), "src", src, "detail", err.Error())
	}
	return err
}
