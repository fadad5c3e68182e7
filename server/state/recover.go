package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Open opens the state file at path and loads it into memory.
//
//   - A valid file is loaded: Recovery{}.
//   - A missing file with opts.Create is created: Recovery{Created: true}.
//   - A missing file without opts.Create is created and reported as
//     Recovery{Lost: true}: the daemon must keep a quiet period (SPEC §9).
//   - A corrupt file (bbolt cannot open it, its pages fail bbolt's
//     consistency check, a record fails to decode or its checksum, or its
//     schema version is unknown) is renamed to path.corrupt-<unix seconds>
//     and a new file is created: Recovery{Lost: true, MovedTo: ...}, logged
//     at Error level.
//   - A file written by a newer spad, a file locked by another process (after
//     about one second), and operating-system errors (permissions, I/O) are
//     returned as errors; nothing is moved.
//
// Open never writes into the file it reads (it opens it read-only): it
// copies the live records into path.new, syncs it and renames it over path.
// Damage to bbolt's own structures that reading did not reveal therefore
// never reaches the file the daemon then writes to, and expired records are
// dropped on the way. Ownership is an exclusive
// flock on path.lock, which is never removed.
func Open(path string, opts Options) (*Store, Recovery, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, Recovery{}, fmt.Errorf("state: %s: %w", path, err)
	}
	lock, err := acquireLock(path, lockTimeout)
	if err != nil {
		return nil, Recovery{}, err
	}
	s, rec, err := openLocked(path, o)
	if err != nil {
		lock.Close()
		return nil, Recovery{}, err
	}
	s.lock = lock
	return s, rec, nil
}

func openLocked(path string, o Options) (*Store, Recovery, error) {
	old, err := openBolt(path, os.O_RDONLY)
	var rec Recovery
	var ce *corruptError
	switch {
	case err == nil:
		defer old.Close()
	case errors.Is(err, fs.ErrNotExist):
		rec = missing(path, o)
	case errors.As(err, &ce):
		if rec, err = setAside(path, o, ce); err != nil {
			return nil, Recovery{}, err
		}
	default:
		return nil, Recovery{}, err
	}
	s, err := build(path, o, old)
	if old != nil && errors.As(err, &ce) {
		old.Close()
		if rec, err = setAside(path, o, ce); err != nil {
			return nil, Recovery{}, err
		}
		s, err = build(path, o, nil)
	}
	if err != nil {
		return nil, Recovery{}, err
	}
	return s, rec, nil
}

func missing(path string, o Options) Recovery {
	if o.Create {
		o.Logger.Info("state: creating state file", "path", path)
		return Recovery{Created: true}
	}
	o.Logger.Error("state: state file missing; replay protection lost, quiet period required", "path", path)
	return Recovery{Lost: true, Reason: "state file missing"}
}

// setAside moves a corrupt file out of the way.
func setAside(path string, o Options, ce *corruptError) (Recovery, error) {
	moved, err := moveAside(path, o.Clock.Now())
	if err != nil {
		return Recovery{}, fmt.Errorf("state: %s is corrupt (%s) and could not be moved aside: %w", path, ce.reason, err)
	}
	o.Logger.Error("state: state file corrupt; moved aside, replay protection lost, quiet period required",
		"path", path, "moved_to", moved, "reason", ce.reason)
	return Recovery{Lost: true, Reason: "state file corrupt: " + ce.reason, MovedTo: moved}, nil
}

// build writes a new state file holding the live content of old (nil: an
// empty one), puts it in place at path and returns the store on it. Errors
// reading old are *corruptError; old is not modified.
func build(path string, o Options, old *bolt.DB) (*Store, error) {
	tmp := path + ".new"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("state: removing stale %s: %w", tmp, err)
	}
	nw, err := openBolt(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return nil, fmt.Errorf("state: creating %s: %v", tmp, err)
	}
	s := newStore(path, nw, o)
	if err := s.fill(old); err != nil {
		nw.Close()
		os.Remove(tmp)
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		nw.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("state: installing %s: %w", path, err)
	}
	if err := syncDir(path); err != nil {
		nw.Close()
		return nil, fmt.Errorf("state: installing %s: %w", path, err)
	}
	return s, nil
}

// fill initialises s's new file and copies old into it and into memory,
// without fsync until the end.
func (s *Store) fill(old *bolt.DB) error {
	s.db.NoSync = true
	if err := initFile(s.db); err != nil {
		return s.errorf("initialising: %w", err)
	}
	if old != nil {
		kept, dropped, err := s.load(old)
		var ne *newerSchemaError
		switch {
		case errors.As(err, &ne):
			return s.errorf("%w", err)
		case isCorrupt(err):
			return err
		case err != nil:
			return s.errorf("loading: %w", err)
		}
		s.log.Info("state: loaded", "path", s.path, "replay_entries", kept, "expired_dropped", dropped,
			"grants", len(s.grants), "counters", len(s.counters))
	}
	s.db.NoSync = false
	if err := s.db.Sync(); err != nil {
		return s.errorf("syncing new file: %w", err)
	}
	return nil
}

// openBolt opens a bbolt file with the given open flags (read-only for
// O_RDONLY) and classifies
// failures: lock contention, missing file and operating-system errors are
// returned as they are (wrapped); an existing empty file, or anything else
// bbolt refuses (including a panic inside bbolt), is a *corruptError.
func openBolt(path string, flag int) (db *bolt.DB, err error) {
	openFile := func(name string, _ int, mode os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag, mode)
		if err != nil || flag&os.O_CREATE != 0 {
			return f, err
		}
		// bbolt would initialise an empty file in place; it holds no state.
		if fi, err := f.Stat(); err != nil || fi.Size() == 0 {
			f.Close()
			return nil, cmpErr(err, corruptf("empty file"))
		}
		return f, nil
	}
	// A panic while bbolt reads a damaged file may leave its descriptor
	// open; the file is then moved aside, so the leak is harmless.
	err = guard(func() error {
		var err error
		db, err = bolt.Open(path, 0o600, &bolt.Options{
			Timeout:  lockTimeout,
			OpenFile: openFile,
			ReadOnly: flag&(os.O_WRONLY|os.O_RDWR) == 0,
		})
		return err
	})
	var pe *fs.PathError
	var errno syscall.Errno
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("state: state file %s is locked by another process (is another spad running?): %w", path, err)
	case isCorrupt(err):
		return nil, err
	case errors.As(err, &pe), errors.As(err, &errno):
		return nil, fmt.Errorf("state: opening %s: %w", path, err)
	default:
		return nil, corruptf("bbolt cannot open it: %v", err)
	}
}

// cmpErr returns err if it is not nil, else alt.
func cmpErr(err, alt error) error {
	if err != nil {
		return err
	}
	return alt
}

func isCorrupt(err error) bool {
	var ce *corruptError
	return errors.As(err, &ce)
}

// moveAside renames path to path.corrupt-<unix>[-n], never replacing an
// existing file, and makes the rename durable.
func moveAside(path string, now time.Time) (string, error) {
	base := path + ".corrupt-" + strconv.FormatInt(now.Unix(), 10)
	for n := 0; n < 1000; n++ {
		to := base
		if n > 0 {
			to = base + "-" + strconv.Itoa(n)
		}
		if _, err := os.Lstat(to); !errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := os.Rename(path, to); err != nil {
			return "", err
		}
		return to, syncDir(path)
	}
	return "", fmt.Errorf("too many files named %s*", base)
}

// syncDir fsyncs the directory holding path, so a created or renamed file
// survives a crash.
func syncDir(path string) error {
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing directory of %s: %w", path, err)
	}
	return nil
}
