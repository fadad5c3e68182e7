package state

import (
	"math"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Expiry runs on two clocks. Each entry has a monotonic deadline, kept in
// memory as a tick (whole seconds after Store.monoBase, rounded up, so an
// entry never lives less than its lifetime), and a wall deadline (unix ms),
// which is also what the file records. Sweep removes an entry only when both
// have passed:
//
//   - a forward wall-clock step cannot expire anything early, because the
//     monotonic deadline still has to pass;
//   - a backward wall-clock step cannot shorten a life either: the entry is
//     kept until the wall clock is back past the deadline it had at
//     acceptance. With TTL = 2W that deadline is at least ts + W, the last
//     moment the packet is fresh (SPEC §8), so the step cannot revive it.
//     (Monotonic expiry alone would let a step back of more than W revive
//     the newest packets, which the MaxAccepted − W guard does not catch.)

// nowRel is the monotonic time since Open, never negative. s.mu held or not.
func (s *Store) nowRel() time.Duration {
	return max(s.clock.Mono()-s.monoBase, 0)
}

// nowTick is the number of whole seconds in rel.
func nowTick(rel time.Duration) uint32 {
	return clampTick(int64(rel / time.Second))
}

// expiryTick is the first tick at which an entry made at rel with the given
// life has expired: ceil((rel+life)/1s).
func expiryTick(rel, life time.Duration) uint32 {
	d := rel + life
	t := int64(d / time.Second)
	if d%time.Second != 0 {
		t++
	}
	return clampTick(t)
}

func clampTick(t int64) uint32 {
	return uint32(min(max(t, 0), math.MaxUint32))
}

// bucket holds the keys whose monotonic deadline is tick, in chunks of at
// most keyChunk, so that a large bucket wastes at most part of one chunk to
// append's spare capacity.
type bucket struct {
	tick uint32
	wall int64 // latest wall deadline (unix ms) of the bucket's entries
	keys [][]replayKey
}

// keyChunk keys of 28 bytes fill exactly one 28 KiB size class.
const keyChunk = 1024

// add appends k. A bucket's first chunk starts small and doubles up to
// keyChunk (most buckets are small); later chunks are allocated full size.
// Growing by hand keeps capacities exact: append would overshoot.
func (b *bucket) add(k replayKey) {
	n := len(b.keys)
	if n == 0 || len(b.keys[n-1]) == keyChunk {
		c := 8
		if n > 0 {
			c = keyChunk
		}
		b.keys = append(b.keys, make([]replayKey, 0, c))
		n++
	}
	last := b.keys[n-1]
	if len(last) == cap(last) {
		grown := make([]replayKey, len(last), min(2*cap(last), keyChunk))
		copy(grown, last)
		last = grown
	}
	b.keys[n-1] = append(last, k)
}

// expiryQueue is a FIFO of buckets in increasing tick order. Entries are
// pushed with non-decreasing ticks (monotonic clock, constant TTL; loaded
// entries are sorted first), so expiry pops from the front in O(1) per entry.
// A key in a bucket is only a candidate: the entries map says whether the
// entry still has that tick (a released or re-inserted key does not).
type expiryQueue struct {
	buckets []bucket
	head    int
}

// push adds k with the given deadlines and returns the tick it was filed
// under: never earlier than the last bucket's, which can only lengthen a life.
func (q *expiryQueue) push(tick uint32, wall int64, k replayKey) uint32 {
	if n := len(q.buckets); n > q.head {
		last := &q.buckets[n-1]
		if tick <= last.tick {
			last.add(k)
			last.wall = max(last.wall, wall)
			return last.tick
		}
	}
	q.buckets = append(q.buckets, bucket{tick: tick, wall: wall})
	q.buckets[len(q.buckets)-1].add(k)
	return tick
}

func (q *expiryQueue) front() *bucket {
	if q.head == len(q.buckets) {
		return nil
	}
	return &q.buckets[q.head]
}

// pop drops the front bucket, releasing its keys.
func (q *expiryQueue) pop() {
	q.buckets[q.head] = bucket{}
	q.head++
	if q.head == len(q.buckets) {
		q.buckets, q.head = q.buckets[:0], 0
	} else if q.head > 64 && q.head*2 > len(q.buckets) {
		n := copy(q.buckets, q.buckets[q.head:])
		clear(q.buckets[n:])
		q.buckets, q.head = q.buckets[:n], 0
	}
}

// frontDue says whether the front bucket's monotonic deadline has passed, so
// that a Sweep may free something.
func (q *expiryQueue) frontDue(now uint32) bool {
	b := q.front()
	return b != nil && b.tick <= now
}

// Sweep removes expired replay entries from memory and then, in one
// transaction, from the file, and returns how many it removed. An entry has
// expired when both its monotonic deadline (TTL after acceptance) and its wall
// deadline have passed. The daemon should call Sweep periodically (say every
// second); CheckAndInsert also calls it when it meets an expired entry or a
// full quota. After a backward wall-clock step of D, entries live up to D
// longer and count against the quotas meanwhile. If the file write fails the
// entries are already gone from memory; their records stay on disk and are
// dropped at the next Open, which is harmless.
func (s *Store) Sweep() (int, error) {
	dels, n, err := s.expire()
	if err != nil || len(dels) == 0 {
		return n, err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketReplay)
		// We hold the file's write lock: a key reserved again after this
		// check commits after us, so only keys absent now are deleted. A
		// key present now whose write then fails comes back as an orphan.
		s.mu.Lock()
		for i, d := range dels {
			if _, ok := s.entries[d.key]; ok {
				dels[i].disk = nil
			}
		}
		s.mu.Unlock()
		for _, d := range dels {
			if d.disk == nil {
				continue
			}
			if err := b.Delete(d.disk); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return n, s.errorf("deleting expired replay entries: %w", err)
	}
	return n, nil
}

// pendingDelete is a replay record to delete from the file unless its key
// is in memory again by then.
type pendingDelete struct {
	key  replayKey
	disk []byte
}

// expire removes expired entries from memory and returns the file records to
// delete (theirs and the orphans) and how many entries it removed.
func (s *Store) expire() ([]pendingDelete, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, 0, ErrClosed
	}
	now := nowTick(s.nowRel())
	wall := s.clock.Now().UnixMilli()
	dels := s.orphans
	s.orphans = nil
	n := 0
	for b := s.queue.front(); b != nil && b.tick <= now && b.wall <= wall; b = s.queue.front() {
		for _, chunk := range b.keys {
			for _, k := range chunk {
				if t, ok := s.entries[k]; !ok || t != b.tick {
					continue
				}
				delete(s.entries, k)
				c := s.clients[k.client]
				c.live--
				n++
				dels = append(dels, pendingDelete{k, replayKeyBytes(c.name, &k.nonce)})
			}
		}
		s.queue.pop()
	}
	return dels, n, nil
}
