package spa

import (
	"errors"
	"sync"
)

// Candidate is one fragment a knock port can carry: fragment Index of
// Fragments of the knock with counter Counter from the client whose key is
// Key (SPEC.md §11.7 K1).
type Candidate struct {
	Key       *Key
	Counter   uint64
	Fragments uint8 // n
	Index     uint8 // i, 0 to n-1
}

// KnockTable maps every port of every live counter of every knock-enabled
// client to its candidates (SPEC.md §11.7 K1), so that a datagram costs one
// map lookup before any crypto. Each client's entries change on their own:
// [KnockTable.SetWindow] sets a client's configuration and live counters,
// and [KnockTable.SetCounters] moves its live counters, deriving ports only
// for the counters that became live.
//
// A KnockTable is safe for concurrent use. Lookups take a read lock. The
// candidate slice stored for a port is never modified once stored (updates
// replace it), so slices returned by Lookup stay valid and unchanged.
type KnockTable struct {
	mu    sync.RWMutex
	ports map[uint16][]Candidate
	keys  map[*Key]*knockEntry
}

// knockEntry is one client's configuration and live counters.
type knockEntry struct {
	n        int
	r        PortRange
	excluded func(uint16) bool
	live     map[uint64][]uint16 // live counter → its ports (nil if unusable)
}

var errNoWindow = errors.New("spa: SetCounters for a key without a window; call SetWindow first")

// NewKnockTable returns an empty table.
func NewKnockTable() *KnockTable {
	return &KnockTable{ports: make(map[uint16][]Candidate), keys: make(map[*Key]*knockEntry)}
}

// SetWindow sets k's knock configuration, n fragments over r with the
// excluded set (SPEC.md §11.1), and replaces k's entries with the ports of
// the given live counters (see [HOTPWindow] and [TOTPWindow]; none is
// allowed). Unusable counters get no ports, as the client skips them too.
// On any other error the table is unchanged. The ports are derived before
// the write lock is taken.
func (t *KnockTable) SetWindow(k *Key, counters []uint64, n int, r PortRange, excluded func(uint16) bool) error {
	if err := checkKnockShape(n, r); err != nil {
		return err
	}
	e := &knockEntry{n: n, r: r, excluded: excluded, live: make(map[uint64][]uint16, len(counters))}
	mac := k.newPortMAC()
	for _, c := range counters {
		if _, dup := e.live[c]; dup {
			continue
		}
		ports, err := k.appendKnockPorts(nil, c, n, r, excluded, mac)
		if err != nil && !errors.Is(err, ErrCounterUnusable) {
			return err
		}
		e.live[c] = ports
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.removeLocked(k)
	for c, ports := range e.live {
		t.addLocked(k, c, n, ports)
	}
	t.keys[k] = e
	return nil
}

// SetCounters makes counters k's live set, keeping the configuration of
// k's last SetWindow: it drops the counters no longer live and derives the
// ports of the new ones only. Advancing a HOTP window by one costs n port
// derivations; a new TOTP step costs n.
func (t *KnockTable) SetCounters(k *Key, counters []uint64) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.keys[k]
	if e == nil {
		return errNoWindow
	}
	next := make(map[uint64][]uint16, len(counters))
	for _, c := range counters {
		if ports, ok := e.live[c]; ok {
			next[c] = ports
			continue
		}
		if _, dup := next[c]; dup {
			continue
		}
		// The configuration was checked by SetWindow: only
		// ErrCounterUnusable can happen, and it means no ports.
		ports, _ := k.appendKnockPorts(nil, c, e.n, e.r, e.excluded, nil)
		next[c] = ports
		t.addLocked(k, c, e.n, ports)
	}
	for c, ports := range e.live {
		if _, ok := next[c]; !ok {
			t.removeCounterLocked(k, c, ports)
		}
	}
	e.live = next
	return nil
}

// Remove deletes all of k's entries.
func (t *KnockTable) Remove(k *Key) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.removeLocked(k)
}

func (t *KnockTable) removeLocked(k *Key) {
	if e := t.keys[k]; e != nil {
		for c, ports := range e.live {
			t.removeCounterLocked(k, c, ports)
		}
	}
	delete(t.keys, k)
}

// addLocked adds the candidates of k's counter c at their ports.
func (t *KnockTable) addLocked(k *Key, c uint64, n int, ports []uint16) {
	for i, p := range ports {
		old := t.ports[p]
		// The three-index slice makes append copy: stored slices are
		// never written to again.
		t.ports[p] = append(old[:len(old):len(old)], Candidate{Key: k, Counter: c, Fragments: uint8(n), Index: uint8(i)})
	}
}

// removeCounterLocked removes the candidates of k's counter c from its
// ports (distinct within one counter).
func (t *KnockTable) removeCounterLocked(k *Key, c uint64, ports []uint16) {
	for _, p := range ports {
		old := t.ports[p]
		keep := make([]Candidate, 0, len(old))
		for _, cand := range old {
			if cand.Key != k || cand.Counter != c {
				keep = append(keep, cand)
			}
		}
		if len(keep) == 0 {
			delete(t.ports, p)
		} else {
			t.ports[p] = keep
		}
	}
}

// Lookup returns the candidates of port p. The caller must not modify the
// slice.
func (t *KnockTable) Lookup(p uint16) []Candidate {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.ports[p]
}

// Len returns the number of ports that have candidates.
func (t *KnockTable) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.ports)
}

// Match runs SPEC.md §11.7 K1 to K3 on a datagram that arrived at port p:
// it returns the first candidate of p whose length and fragment tag fit
// payload. Errors are [ReasonUnknownKey] (no candidate at p),
// [ReasonMalformed] (no candidate's length fits) and [ReasonFragmentAuth]
// (no tag matches). It does not allocate.
func (t *KnockTable) Match(p uint16, payload []byte) (Candidate, error) {
	cands := t.Lookup(p)
	if len(cands) == 0 {
		return Candidate{}, ReasonUnknownKey
	}
	lenOK := false
	for _, c := range cands {
		n, i := int(c.Fragments), int(c.Index)
		if fragmentPacketLen(len(payload), n, i) == 0 {
			continue
		}
		lenOK = true
		if _, ok := c.Key.checkFragmentTag(c.Counter, n, i, payload); ok {
			return c, nil
		}
	}
	if !lenOK {
		return Candidate{}, ReasonMalformed
	}
	return Candidate{}, ReasonFragmentAuth
}
