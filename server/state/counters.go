package state

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Counter returns client's knock counter, 0 if none was ever set.
func (s *Store) Counter(client string) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counters[client]
}

// SetCounter durably sets client's knock counter to c. Counters only move
// forwards, because moving one back would make used one-time values valid
// again: if c is lower than the stored value SetCounter changes nothing and
// returns an error wrapping ErrCounterBackwards. Setting the current value
// again is a no-op that returns nil.
func (s *Store) SetCounter(client string, c uint64) error {
	if err := checkClient(client); err != nil {
		return err
	}
	s.writeMu.Lock() // check and commit form one step
	defer s.writeMu.Unlock()
	cur := s.Counter(client)
	switch {
	case c < cur:
		return fmt.Errorf("%w: client %q is at %d, refused %d", ErrCounterBackwards, client, cur, c)
	case c == cur:
		return nil
	}
	err := s.writeLocked(func(tx *bolt.Tx) error {
		key := []byte(client)
		return tx.Bucket(bucketCounters).Put(key, sealedU64(bucketCounters, key, c))
	}, func() { s.counters[client] = c })
	if err != nil {
		return s.errorf("recording knock counter for client %q: %w", client, err)
	}
	return nil
}
