package state

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// load reads the old file into memory and copies its live records into s.db.
// It runs before s is shared. Any inconsistency in the old file is reported
// as a *corruptError; errors writing the new file are returned as they are.
func (s *Store) load(old *bolt.DB) (kept, dropped int, err error) {
	c := &copier{db: s.db}
	err = old.View(func(tx *bolt.Tx) error {
		return guard(func() error {
			if err := checkSchema(tx); err != nil {
				return err
			}
			if err := checkFile(tx, s.path); err != nil {
				return err
			}
			var err error
			if dropped, err = s.loadReplay(tx, c); err != nil {
				return err
			}
			for _, load := range []func(*bolt.Tx, *copier) error{s.loadMaxTS, s.loadGrants, s.loadCounters} {
				if err := load(tx, c); err != nil {
					return err
				}
			}
			return c.flush()
		})
	})
	return len(s.entries), dropped, err
}

// guard turns a panic or memory fault while reading a damaged file (bbolt
// trusts its pages) into a *corruptError.
func guard(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = corruptf("reading the file failed: %v", r)
		}
	}()
	return fn()
}

// copier writes records into the new file in transactions of copyChunk.
// The slices it holds belong to the old file's read transaction, which stays
// open until the last flush.
type copier struct {
	db   *bolt.DB
	recs []record
}

type record struct{ bucket, k, v []byte }

const copyChunk = 10000

func (c *copier) add(bucket, k, v []byte) error {
	c.recs = append(c.recs, record{bucket, k, v})
	if len(c.recs) < copyChunk {
		return nil
	}
	return c.flush()
}

func (c *copier) flush() error {
	if len(c.recs) == 0 {
		return nil
	}
	err := c.db.Update(func(tx *bolt.Tx) error {
		for _, r := range c.recs {
			if err := tx.Bucket(r.bucket).Put(r.k, r.v); err != nil {
				return err
			}
		}
		return nil
	})
	c.recs = c.recs[:0]
	if err != nil {
		return fmt.Errorf("writing new file: %w", err)
	}
	return nil
}

// checkSchema reads the schema version. A newer one is not corruption.
func checkSchema(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return corruptf("no %q bucket", bucketMeta)
	}
	v := meta.Get(keySchema)
	if len(v) != 4 {
		return corruptf("schema version of %d bytes", len(v))
	}
	switch have := binary.BigEndian.Uint32(v); {
	case have > schemaVersion:
		return &newerSchemaError{have: have, want: schemaVersion}
	case have < schemaVersion:
		return corruptf("unknown schema version %d", have)
	}
	return nil
}

// checkFile verifies the file's length, its page tree (checkPages) and the
// set of buckets and meta keys. It does not run bbolt's Tx.Check: that walks
// pages in a goroutine of its own, where a fault on a damaged page would
// kill the process. Damaged records are caught by their checksums and by
// forEach's key order.
func checkFile(tx *bolt.Tx, path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if tx.Size() > fi.Size() {
		return corruptf("file is %d bytes, its pages need %d (truncated)", fi.Size(), tx.Size())
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := checkPages(tx, f); err != nil {
		return err
	}
	if err := forEach(tx, bucketMeta, func(k, _ []byte) error {
		if !bytes.Equal(k, keySchema) {
			return corruptf("unexpected meta key %q", k)
		}
		return nil
	}); err != nil {
		return err
	}
	return tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		if !slices.ContainsFunc(allBuckets, func(b []byte) bool { return bytes.Equal(b, name) }) {
			return corruptf("unexpected bucket %q", name)
		}
		return nil
	})
}

// forEach is Bucket.ForEach over a required bucket, refusing nested buckets
// and keys out of order (a damaged branch page).
func forEach(tx *bolt.Tx, name []byte, fn func(k, v []byte) error) error {
	b := tx.Bucket(name)
	if b == nil {
		return corruptf("no %q bucket", name)
	}
	var prev []byte
	return b.ForEach(func(k, v []byte) error {
		if v == nil {
			return corruptf("nested bucket %q in %q", k, name)
		}
		if prev != nil && bytes.Compare(prev, k) >= 0 {
			return corruptf("keys out of order in %q", name)
		}
		prev = k
		return fn(k, v)
	})
}

type loadedEntry struct {
	key  replayKey
	tick uint32
	wall int64
}

// loadReplay loads and copies the live replay records and returns how many
// expired ones it dropped. A record whose wall deadline is in the future
// gets the monotonic life min(deadline − now, TTL) and keeps its wall
// deadline.
func (s *Store) loadReplay(tx *bolt.Tx, c *copier) (int, error) {
	now := s.clock.Now().UnixMilli()
	rel := s.nowRel()
	var live []loadedEntry
	dropped := 0
	err := forEach(tx, bucketReplay, func(k, v []byte) error {
		client, nonce, err := decodeReplayKey(k)
		if err != nil {
			return err
		}
		wall, err := getI64(bucketReplay, k, v)
		if err != nil {
			return err
		}
		if wall <= now {
			dropped++
			return nil
		}
		life := s.ttl
		if rem := wall - now; rem <= s.ttl.Milliseconds() {
			life = time.Duration(rem) * time.Millisecond
		}
		live = append(live, loadedEntry{replayKey{s.intern(client), nonce}, expiryTick(rel, life), wall})
		return c.add(bucketReplay, k, v)
	})
	if err != nil {
		return 0, err
	}
	slices.SortFunc(live, func(a, b loadedEntry) int { return int(int64(a.tick) - int64(b.tick)) })
	for _, e := range live {
		s.entries[e.key] = s.queue.push(e.tick, e.wall, e.key)
		s.clients[e.key.client].live++
	}
	return dropped, nil
}

func (s *Store) loadMaxTS(tx *bolt.Tx, c *copier) error {
	return forEach(tx, bucketMaxTS, func(k, v []byte) error {
		if err := checkClient(string(k)); err != nil {
			return corruptf("max-ts key: %v", err)
		}
		ts, err := getI64(bucketMaxTS, k, v)
		if err != nil {
			return err
		}
		cs := s.clients[s.intern(string(k))]
		cs.maxTS, cs.hasMax = ts, true
		return c.add(bucketMaxTS, k, v)
	})
}

func (s *Store) loadGrants(tx *bolt.Tx, c *copier) error {
	return forEach(tx, bucketGrants, func(k, v []byte) error {
		g, err := decodeGrant(k, v)
		if err != nil {
			return err
		}
		s.grants[keyOf(g.Addr, g.Proto, g.Port)] = g
		return c.add(bucketGrants, k, v)
	})
}

func (s *Store) loadCounters(tx *bolt.Tx, c *copier) error {
	return forEach(tx, bucketCounters, func(k, v []byte) error {
		if err := checkClient(string(k)); err != nil {
			return corruptf("counter key: %v", err)
		}
		n, err := getU64(bucketCounters, k, v)
		if err != nil {
			return err
		}
		s.counters[string(k)] = n
		return c.add(bucketCounters, k, v)
	})
}

// initFile creates the buckets and the schema version of a new file.
func initFile(db *bolt.DB) error {
	return db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucket(name); err != nil {
				return fmt.Errorf("creating bucket %q: %w", name, err)
			}
		}
		return tx.Bucket(bucketMeta).Put(keySchema, binary.BigEndian.AppendUint32(nil, schemaVersion))
	})
}
