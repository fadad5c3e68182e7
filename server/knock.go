package server

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/spa-project/spa/server/config"
	"github.com/spa-project/spa/spa"
)

// CounterStore keeps each client's HOTP counter c_s durably (package
// state).
type CounterStore interface {
	Counter(client string) uint64
	SetCounter(client string, c uint64) error
}

// KnockOptions configure knock ports (SPEC.md §11).
type KnockOptions struct {
	Range     spa.PortRange
	Excluded  func(uint16) bool
	Lookahead int
	Timeout   time.Duration
	Counters  CounterStore
}

// errPending is HandleKnock's answer to a fragment that was stored: the
// knock is not complete yet. It is not a refusal.
var errPending = errors.New("knock incomplete")

// knockState is the knock table and the reassembly state of one set of
// clients; SetClients replaces it.
type knockState struct {
	opts    KnockOptions
	table   *spa.KnockTable
	clients map[*spa.Key]*Client

	mu    sync.Mutex // guards what follows
	reasm *spa.Reassembler
	step  uint64 // the TOTP counter the table was built for
	seen  spa.ReassemblyStats
}

func newKnockState(opts KnockOptions, clients []*Client, now time.Time) (*knockState, error) {
	ks := &knockState{
		opts: opts, table: spa.NewKnockTable(), clients: map[*spa.Key]*Client{},
		reasm: spa.NewReassembler(spa.ReassemblyLimits{Timeout: opts.Timeout}),
		step:  spa.TOTPCounter(now),
	}
	for _, c := range clients {
		if c.Knock == config.KnockOff {
			continue
		}
		ks.clients[c.Key] = c
		if err := ks.table.SetWindow(c.Key, ks.window(c, now), c.KnockFragments, opts.Range, opts.Excluded); err != nil {
			return nil, fmt.Errorf("knock ports of client %q: %w", c.Name, err)
		}
	}
	return ks, nil
}

// window returns the client's live counters (SPEC.md §11.2).
func (ks *knockState) window(c *Client, now time.Time) []uint64 {
	if c.Knock == config.KnockTOTP {
		return spa.TOTPWindow(now)
	}
	return spa.HOTPWindow(ks.opts.Counters.Counter(c.Name), ks.opts.Lookahead)
}

// advance raises a HOTP client's c_s to at least next, durably, and moves
// its live counters (SPEC.md §11.7 K5, §11.8). It never moves backwards.
func (ks *knockState) advance(c *Client, next uint64) error {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if next <= ks.opts.Counters.Counter(c.Name) {
		return nil
	}
	if err := ks.opts.Counters.SetCounter(c.Name, next); err != nil {
		return err
	}
	ks.reasm.Forget(c.Key, next)
	return ks.table.SetCounters(c.Key, spa.HOTPWindow(next, ks.opts.Lookahead))
}

// tick expires incomplete knocks, moves TOTP windows when the time step
// changes, and returns how many knocks expired and were evicted since the
// last tick.
func (ks *knockState) tick(now time.Time) (expired, evicted uint64) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.reasm.Expire(now)
	if step := spa.TOTPCounter(now); step != ks.step {
		ks.step = step
		for k, c := range ks.clients {
			if c.Knock == config.KnockTOTP {
				ks.table.SetCounters(k, spa.TOTPWindow(now))
			}
		}
	}
	st := ks.reasm.Stats()
	expired, evicted = st.Expired-ks.seen.Expired, st.Evicted-ks.seen.Evicted
	ks.seen = st
	return expired, evicted
}

// HandleKnock takes one datagram that arrived at a knock port. It returns a
// decision when the datagram completes a valid knock, errPending when it
// was stored as a fragment, and otherwise an error carrying the reason it
// was dropped (SPEC.md §11.7).
func (v *Verifier) HandleKnock(pkt []byte, src netip.Addr, port uint16) (Decision, error) {
	now := v.opts.Clock.Now()
	ks := v.knocks.Load()
	if ks == nil {
		return Decision{}, v.refuse(spa.ReasonUnknownKey, nil, src)
	}
	cand, err := ks.table.Match(port, pkt)
	if err != nil {
		return Decision{}, v.refuse(err, nil, src)
	}
	ks.mu.Lock()
	full, done, err := ks.reasm.Add(now, cand, src, pkt)
	ks.mu.Unlock()
	if err != nil {
		return Decision{}, v.refuse(err, nil, src)
	}
	if !done {
		v.counters.fragments.Add(1)
		return Decision{}, errPending
	}
	s := v.current(now)
	key, body, err := s.table.OpenKnock(full, now, cand)
	c := ks.clients[cand.Key]
	if key != nil && c != nil && c.Knock == config.KnockHOTP {
		// Authenticated: the counter is spent, whatever happens next.
		if aerr := ks.advance(c, cand.Counter+1); aerr != nil {
			return Decision{}, v.refuse(fmt.Errorf("%w: knock counter not recorded: %w", spa.ReasonQuota, aerr), key, src)
		}
	}
	if err != nil {
		return Decision{}, v.refuse(err, key, src)
	}
	if c == nil { // the client was reloaded away meanwhile
		return Decision{}, v.refuse(spa.ReasonUnknownKey, nil, src)
	}
	d, err := v.authorize(c, &body, [spa.NonceSize]byte(full[5:29]), src, now)
	if err != nil {
		return Decision{}, v.refuse(err, key, src)
	}
	v.counters.accepted.Add(1)
	v.log.Info("accepted knock", "client", c.Name, "type", d.Type.String(), "addr", d.Addr, "ports", d.Ports, "duration", d.Duration, "counter", cand.Counter)
	return d, nil
}

// Tick does the verifier's periodic work: it expires incomplete knocks
// (counted as partial_timeout and partial_evicted) and moves TOTP windows.
// The daemon calls it about once a second.
func (v *Verifier) Tick(now time.Time) {
	if ks := v.knocks.Load(); ks != nil {
		exp, ev := ks.tick(now)
		v.counters.drops[spa.ReasonPartialTimeout].Add(exp)
		v.counters.drops[spa.ReasonPartialEvicted].Add(ev)
	}
}
