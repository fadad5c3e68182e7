package state

import (
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"
)

// replayKey is the in-memory replay identifier (SPEC §9): an interned client
// ID and the packet's nonce. 28 bytes, no pointers.
type replayKey struct {
	client uint32
	nonce  [nonceLen]byte
}

// reservation is a replay slot held in memory while its record is written.
type reservation struct {
	key  replayKey
	tick uint32
	wall int64 // wall deadline, unix ms
}

// errSweepFirst tells CheckAndInsert that an expired entry stands in the way
// and a Sweep may clear it.
var errSweepFirst = errors.New("state: sweep first")

// CheckAndInsert records that the packet (client, nonce), stamped ts, has been
// accepted. It returns nil for exactly one of any number of concurrent calls
// with the same pair, and only once the entry is durable (committed and
// fsynced); the others get ErrReplay. It returns a *QuotaError (errors.Is
// ErrQuota) when the client's quota or the global cap is reached; it never
// evicts a live entry. Any other error means nothing was recorded and the
// packet must be dropped.
//
// The slot is reserved in memory first, so copies arriving while the record
// is written are refused; if the write fails the reservation is released.
// Concurrent calls share commits (bbolt Batch), so callers should run it from
// several goroutines.
//
// An entry lives for the TTL after acceptance (see Sweep for clock steps).
// Accepting the same nonce again after that is safe: with TTL ≥ 2W the
// packet's ts is then more than W old, so the freshness check (SPEC §8) has
// already refused it unless the wall clock was stepped back, and a step back
// keeps the entry alive until the wall clock is past its deadline again.
func (s *Store) CheckAndInsert(client string, nonce [24]byte, ts time.Time) error {
	if err := checkClient(client); err != nil {
		return err
	}
	r, err := s.reserve(client, &nonce, true)
	if err == errSweepFirst {
		if _, serr := s.Sweep(); serr != nil {
			s.log.Warn("state: sweep failed", "path", s.path, "err", serr)
		}
		r, err = s.reserve(client, &nonce, false)
	}
	if err != nil {
		return err
	}
	tsMS := ts.UnixMilli()
	if err := s.persist(client, &nonce, r.wall, tsMS); err != nil {
		s.release(r)
		return s.errorf("recording replay entry for client %q: %w", client, err)
	}
	s.noteAccepted(r.key.client, tsMS)
	return nil
}

// reserve checks (client, nonce) and takes its slot in memory.
func (s *Store) reserve(client string, nonce *[nonceLen]byte, maySweep bool) (reservation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return reservation{}, ErrClosed
	}
	rel := s.nowRel()
	now := nowTick(rel)
	id, known := s.clientIDs[client]
	if known {
		if t, ok := s.entries[replayKey{id, *nonce}]; ok {
			if maySweep && t <= now {
				return reservation{}, errSweepFirst
			}
			return reservation{}, ErrReplay
		}
	}
	if err := s.checkQuota(client, id, known, now, maySweep); err != nil {
		return reservation{}, err
	}
	if !known {
		id = s.intern(client)
	}
	k := replayKey{id, *nonce}
	wall := s.clock.Now().Add(s.ttl).UnixMilli()
	tick := s.queue.push(expiryTick(rel, s.ttl), wall, k)
	s.entries[k] = tick
	s.clients[id].live++
	return reservation{key: k, tick: tick, wall: wall}, nil
}

// checkQuota refuses a new entry when a bound is reached. s.mu held.
func (s *Store) checkQuota(client string, id uint32, known bool, now uint32, maySweep bool) error {
	clientFull := known && s.clients[id].live >= s.perClient
	globalFull := len(s.entries) >= s.globalCap
	if !clientFull && !globalFull {
		return nil
	}
	if maySweep && s.queue.frontDue(now) {
		return errSweepFirst
	}
	if clientFull {
		return &QuotaError{Client: client, Limit: s.perClient}
	}
	return &QuotaError{Client: client, Global: true, Limit: s.globalCap}
}

// release gives back a reservation whose record could not be written. The
// key becomes an orphan: a Sweep that ran while the reservation was pending
// left an older record of the same key in the file, expecting this write to
// replace it, so the next Sweep deletes it (unless the key is back).
func (s *Store) release(r reservation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.entries[r.key]; ok && t == r.tick {
		delete(s.entries, r.key)
		c := s.clients[r.key.client]
		c.live--
		s.orphans = append(s.orphans, pendingDelete{r.key, replayKeyBytes(c.name, &r.key.nonce)})
	}
}

// persist durably records a replay entry and the client's newest ts.
func (s *Store) persist(client string, nonce *[nonceLen]byte, wall, tsMS int64) error {
	key := replayKeyBytes(client, nonce)
	val := sealedU64(bucketReplay, key, uint64(wall))
	name := []byte(client)
	tsVal := sealedU64(bucketMaxTS, name, uint64(tsMS))
	commit := s.db.Batch
	if s.noBatch {
		commit = s.db.Update
	}
	return commit(func(tx *bolt.Tx) error {
		if s.testHookPut != nil {
			if err := s.testHookPut(); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketReplay).Put(key, val); err != nil {
			return err
		}
		mb := tx.Bucket(bucketMaxTS)
		if prev, err := getI64(bucketMaxTS, name, mb.Get(name)); err == nil && prev >= tsMS {
			return nil
		}
		return mb.Put(name, tsVal)
	})
}

// noteAccepted raises the client's newest accepted ts in memory.
func (s *Store) noteAccepted(id uint32, tsMS int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.clients[id]
	if !c.hasMax || tsMS > c.maxTS {
		c.maxTS, c.hasMax = tsMS, true
	}
}

// MaxAccepted returns the newest ts (millisecond precision) accepted from
// client, persisted across restarts. After a wall-clock step back the daemon
// should refuse packets with ts < MaxAccepted − W (SPEC §8).
func (s *Store) MaxAccepted(client string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.clientIDs[client]
	if !ok || !s.clients[id].hasMax {
		return time.Time{}, false
	}
	return time.UnixMilli(s.clients[id].maxTS), true
}
