package state

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Store is the daemon's durable state. See the package documentation for the
// file layout and the concurrency contract.
type Store struct {
	path      string
	db        *bolt.DB
	lock      *os.File // flock on path.lock, held until Close
	clock     Clock
	log       *slog.Logger
	ttl       time.Duration
	noBatch   bool // commit each replay insert at once (BatchDelay < 0)
	perClient int
	globalCap int
	monoBase  time.Duration // clock.Mono() at Open; ticks count from here

	// writeMu serialises grant and counter writes so that memory and disk
	// apply them in the same order. Never held by the replay path.
	writeMu sync.Mutex

	mu        sync.Mutex // guards everything below
	closed    bool
	clientIDs map[string]uint32
	clients   []*clientState // indexed by client ID
	entries   map[replayKey]uint32
	queue     expiryQueue
	orphans   []pendingDelete // file records to delete at the next Sweep
	grants    map[grantKey]Grant
	counters  map[string]uint64

	// testHookPut, when set, runs inside the transaction that records a
	// replay entry; an error fails that write. Tests only.
	testHookPut func() error
}

// clientState is the in-memory state of one client. Clients are interned
// (never forgotten): they are enrolled, authenticated names, so few.
type clientState struct {
	name   string
	live   int   // replay entries in entries, reserved ones included
	maxTS  int64 // newest accepted ts, unix ms, valid if hasMax
	hasMax bool
}

func newStore(path string, db *bolt.DB, o Options) *Store {
	if o.BatchDelay > 0 {
		db.MaxBatchDelay = o.BatchDelay
	}
	return &Store{
		path:      path,
		db:        db,
		clock:     o.Clock,
		log:       o.Logger,
		ttl:       o.TTL,
		noBatch:   o.BatchDelay < 0,
		perClient: o.PerClientQuota,
		globalCap: o.GlobalCap,
		monoBase:  o.Clock.Mono(),
		clientIDs: make(map[string]uint32),
		entries:   make(map[replayKey]uint32),
		grants:    make(map[grantKey]Grant),
		counters:  make(map[string]uint64),
	}
}

// intern returns the ID of client, creating its state if needed. s.mu held.
func (s *Store) intern(client string) uint32 {
	if id, ok := s.clientIDs[client]; ok {
		return id
	}
	id := uint32(len(s.clients))
	s.clients = append(s.clients, &clientState{name: client})
	s.clientIDs[client] = id
	return id
}

// Path returns the state file's path.
func (s *Store) Path() string { return s.path }

// Close closes the state file. Writes still waiting for a commit fail; read
// methods keep answering from memory. Closing twice returns nil.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	err := s.db.Close()
	if s.lock != nil {
		err = errors.Join(err, s.lock.Close())
	}
	if err != nil {
		return fmt.Errorf("state: closing %s: %w", s.path, err)
	}
	return nil
}

// Stats returns current counts.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{ReplayEntries: len(s.entries), Grants: len(s.grants)}
	for _, c := range s.clients {
		if c.live > 0 {
			st.Clients++
		}
	}
	return st
}

func (s *Store) errorf(format string, args ...any) error {
	return fmt.Errorf("state: %s: "+format, append([]any{s.path}, args...)...)
}
