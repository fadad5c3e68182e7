package state

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Grant is an active firewall grant.
type Grant struct {
	Client  string
	Addr    netip.Addr // stored unmapped: ::ffff:a.b.c.d becomes a.b.c.d
	Proto   uint8
	Port    uint16
	Expires time.Time // wall clock, millisecond precision
}

// grantKey identifies a grant: one per (address, protocol, port).
type grantKey struct {
	addr  netip.Addr
	proto uint8
	port  uint16
}

func keyOf(addr netip.Addr, proto uint8, port uint16) grantKey {
	return grantKey{addr: addr.Unmap(), proto: proto, port: port}
}

func checkGrant(g Grant) error {
	if err := checkClient(g.Client); err != nil {
		return err
	}
	if !g.Addr.IsValid() || g.Addr.Zone() != "" {
		return fmt.Errorf("state: grant address %q must be a valid address without zone", g.Addr)
	}
	if g.Expires.UnixMilli() < 0 {
		return fmt.Errorf("state: grant expiry %v is before 1970", g.Expires)
	}
	return nil
}

// PutGrant durably records g, replacing (extending or shortening) any grant
// for the same (address, protocol, port).
func (s *Store) PutGrant(g Grant) error {
	if err := checkGrant(g); err != nil {
		return err
	}
	k := keyOf(g.Addr, g.Proto, g.Port)
	g.Addr = k.addr
	g.Expires = time.UnixMilli(g.Expires.UnixMilli())
	err := s.write(func(tx *bolt.Tx) error {
		key := grantKeyBytes(k)
		return tx.Bucket(bucketGrants).Put(key, grantValueBytes(key, g))
	}, func() { s.grants[k] = g })
	if err != nil {
		return s.errorf("recording grant for %s %d/%d: %w", g.Addr, g.Proto, g.Port, err)
	}
	return nil
}

// DeleteGrant durably removes the grant for (addr, proto, port); removing a
// grant that does not exist is not an error.
func (s *Store) DeleteGrant(addr netip.Addr, proto uint8, port uint16) error {
	k := keyOf(addr, proto, port)
	err := s.write(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketGrants).Delete(grantKeyBytes(k))
	}, func() { delete(s.grants, k) })
	if err != nil {
		return s.errorf("deleting grant for %s %d/%d: %w", addr, proto, port, err)
	}
	return nil
}

// Grants returns all grants sorted by address, protocol and port.
func (s *Store) Grants() []Grant {
	return s.grantsWhere(func(Grant) bool { return true })
}

// ExpiredGrants returns the grants with Expires at or before now, sorted like
// Grants. They stay recorded until DeleteGrant.
func (s *Store) ExpiredGrants(now time.Time) []Grant {
	return s.grantsWhere(func(g Grant) bool { return !g.Expires.After(now) })
}

func (s *Store) grantsWhere(keep func(Grant) bool) []Grant {
	s.mu.Lock()
	var out []Grant
	for _, g := range s.grants {
		if keep(g) {
			out = append(out, g)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b Grant) int {
		return cmp.Or(a.Addr.Compare(b.Addr), cmp.Compare(a.Proto, b.Proto), cmp.Compare(a.Port, b.Port))
	})
	return out
}

// write commits fn durably and then applies apply to memory under s.mu.
// writeMu keeps the order of memory updates that of the commits.
func (s *Store) write(fn func(*bolt.Tx) error, apply func()) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.writeLocked(fn, apply)
}

// writeLocked is write with s.writeMu already held.
func (s *Store) writeLocked(fn func(*bolt.Tx) error, apply func()) error {
	if s.isClosed() {
		return ErrClosed
	}
	if err := s.db.Update(fn); err != nil {
		return err
	}
	s.mu.Lock()
	apply()
	s.mu.Unlock()
	return nil
}

func (s *Store) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}
