package state

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestOpenMissingWithoutCreate(t *testing.T) {
	path := dbPath(t)
	logger, logs := logBuffer()
	s, rec := open(t, path, Options{Logger: logger})
	if !rec.Lost || rec.Created || rec.Reason != "state file missing" {
		t.Fatalf("recovery %+v, want Lost with reason", rec)
	}
	if !strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("lost state not logged at error level: %q", logs.String())
	}
	mustInsert(t, s, "alice", nonceN(1), time.Now())
	s.Close()
	_, rec = open(t, path, Options{})
	if rec != (Recovery{}) {
		t.Fatalf("second open: %+v, want zero", rec)
	}
}

func TestOpenMissingWithCreate(t *testing.T) {
	path := dbPath(t)
	s, rec := open(t, path, Options{Create: true})
	if rec.Lost || !rec.Created {
		t.Fatalf("recovery %+v, want Created", rec)
	}
	s.Close()
	_, rec = open(t, path, Options{Create: true})
	if rec != (Recovery{}) {
		t.Fatalf("existing file with Create: %+v, want zero", rec)
	}
}

func TestOpenMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "spad.db")
	_, _, err := Open(path, Options{})
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open in missing directory: %v, want an error naming the path", err)
	}
}

// assertMovedAside checks that a corrupt file was renamed with its content
// intact and a fresh, usable store took its place.
func assertMovedAside(t *testing.T, s *Store, rec Recovery, path string, content []byte) {
	t.Helper()
	if !rec.Lost || rec.Reason == "" || rec.Created {
		t.Fatalf("recovery %+v, want Lost with a reason", rec)
	}
	if !strings.HasPrefix(rec.MovedTo, path+".corrupt-") {
		t.Fatalf("MovedTo = %q, want %s.corrupt-*", rec.MovedTo, path)
	}
	got, err := os.ReadFile(rec.MovedTo)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, content) {
		t.Fatal("content of the moved-aside file differs from the corrupt file")
	}
	if st := s.Stats(); st != (Stats{}) {
		t.Fatalf("fresh store not empty: %+v", st)
	}
	mustInsert(t, s, "alice", nonceN(1), time.Now())
	if err := s.CheckAndInsert("alice", nonceN(1), time.Now()); !errors.Is(err, ErrReplay) {
		t.Fatalf("fresh store: %v, want ErrReplay", err)
	}
}

func TestOpenGarbage(t *testing.T) {
	for _, size := range []int{1, 100, 4096, 3 * 4096} {
		path := dbPath(t)
		garbage := make([]byte, size)
		rng := rand.New(rand.NewPCG(1, uint64(size)))
		for i := range garbage {
			garbage[i] = byte(rng.Uint32())
		}
		if err := os.WriteFile(path, garbage, 0o600); err != nil {
			t.Fatal(err)
		}
		logger, logs := logBuffer()
		s, rec := open(t, path, Options{Logger: logger})
		assertMovedAside(t, s, rec, path, garbage)
		if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "corrupt") {
			t.Errorf("corruption not logged at error level: %q", logs.String())
		}
	}
}

// TestOpenEmptyFile: a zero-length file (crash right after creation) holds no
// state; it must not be mistaken for a valid, empty store.
func TestOpenEmptyFile(t *testing.T) {
	path := dbPath(t)
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, rec := open(t, path, Options{})
	assertMovedAside(t, s, rec, path, nil)
}

// editFile creates a valid store file with some content, then applies edit
// to it with bbolt directly.
func editFile(t *testing.T, edit func(tx *bolt.Tx) error) (string, []byte) {
	t.Helper()
	path := dbPath(t)
	s, _ := open(t, path, Options{})
	mustInsert(t, s, "alice", nonceN(1), time.Now())
	s.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(edit); err != nil {
		t.Fatal(err)
	}
	db.Close()
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, content
}

func TestOpenBadRecords(t *testing.T) {
	cases := map[string]func(tx *bolt.Tx) error{
		"short replay value": func(tx *bolt.Tx) error {
			return tx.Bucket(bucketReplay).Put(replayKeyBytes("bob", &[24]byte{}), []byte{1, 2, 3})
		},
		"replay key without client": func(tx *bolt.Tx) error {
			k := make([]byte, 24)
			return tx.Bucket(bucketReplay).Put(k, sealedU64(bucketReplay, k, 1<<62))
		},
		"replay checksum": func(tx *bolt.Tx) error {
			k := replayKeyBytes("bob", &[24]byte{})
			v := sealedU64(bucketReplay, k, 1<<62)
			v[len(v)-1] ^= 1
			return tx.Bucket(bucketReplay).Put(k, v)
		},
		"replay value flipped": func(tx *bolt.Tx) error {
			k := replayKeyBytes("bob", &[24]byte{})
			v := sealedU64(bucketReplay, k, 1<<62)
			v[3] ^= 0x10
			return tx.Bucket(bucketReplay).Put(k, v)
		},
		"record under another key": func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketReplay)
			k := replayKeyBytes("alice", new(nonceN(1)))
			v := bytes.Clone(b.Get(k))
			return b.Put(replayKeyBytes("alice", new(nonceN(2))), v)
		},
		"record in another bucket": func(tx *bolt.Tx) error {
			k := []byte("alice")
			return tx.Bucket(bucketCounters).Put(k, sealedU64(bucketMaxTS, k, 5))
		},
		"grant key length": func(tx *bolt.Tx) error {
			k := []byte("short")
			return tx.Bucket(bucketGrants).Put(k, seal(bucketGrants, k, []byte("123456789alice")))
		},
		"grant without client": func(tx *bolt.Tx) error {
			k := make([]byte, grantKeyLen)
			return tx.Bucket(bucketGrants).Put(k, seal(bucketGrants, k, make([]byte, 8)))
		},
		"unexpected meta key": func(tx *bolt.Tx) error {
			return tx.Bucket(bucketMeta).Put([]byte("x"), []byte("y"))
		},
		"counter value": func(tx *bolt.Tx) error {
			return tx.Bucket(bucketCounters).Put([]byte("alice"), []byte{1})
		},
		"max-ts value": func(tx *bolt.Tx) error {
			return tx.Bucket(bucketMaxTS).Put([]byte("alice"), nil)
		},
		"missing bucket": func(tx *bolt.Tx) error {
			return tx.DeleteBucket(bucketGrants)
		},
		"unexpected bucket": func(tx *bolt.Tx) error {
			_, err := tx.CreateBucket([]byte("extra"))
			return err
		},
		"nested bucket": func(tx *bolt.Tx) error {
			_, err := tx.Bucket(bucketCounters).CreateBucket([]byte("alice"))
			return err
		},
		"old schema": func(tx *bolt.Tx) error {
			return tx.Bucket(bucketMeta).Put(keySchema, []byte{0, 0, 0, 0})
		},
		"no schema": func(tx *bolt.Tx) error {
			return tx.Bucket(bucketMeta).Delete(keySchema)
		},
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			path, content := editFile(t, edit)
			s, rec := open(t, path, Options{})
			assertMovedAside(t, s, rec, path, content)
		})
	}
}

// TestOpenNewerSchema: a file from a newer spad is refused, not moved.
func TestOpenNewerSchema(t *testing.T) {
	path, content := editFile(t, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchema, binary.BigEndian.AppendUint32(nil, schemaVersion+1))
	})
	_, _, err := Open(path, Options{})
	if err == nil || !strings.Contains(err.Error(), "newer spad") || !strings.Contains(err.Error(), path) {
		t.Fatalf("newer schema: %v, want an error about a newer spad naming the file", err)
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("file changed or gone: %v", err)
	}
	if m, _ := filepath.Glob(path + ".corrupt-*"); len(m) != 0 {
		t.Fatalf("newer file moved aside: %v", m)
	}
}

// TestOpenTruncated: a file cut short must be detected, not crash the
// process with a fault on the memory map.
func TestOpenTruncated(t *testing.T) {
	path := dbPath(t)
	s, _ := open(t, path, Options{PerClientQuota: 10000})
	fill(t, s, "alice", 3000)
	s.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	content, _ := os.ReadFile(path)
	s2, rec := open(t, path, Options{})
	assertMovedAside(t, s2, rec, path, content)
}

// bitFlipRounds is raised by hand for stress runs (6000 rounds with up to 64
// damaged bytes in a 5000-entry file have passed).
const bitFlipRounds = 100

// TestOpenBitFlips damages a valid file at random places. Open must never
// panic or hang: it either loads the file or moves it aside, and the store
// it returns works.
func TestOpenBitFlips(t *testing.T) {
	src := dbPath(t)
	s, _ := open(t, src, Options{PerClientQuota: 1000})
	fill(t, s, "alice", 500)
	if err := s.PutGrant(Grant{Client: "alice", Addr: mustAddr("192.0.2.1"), Proto: 6, Port: 22, Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	orig, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	lost := 0
	for round := range bitFlipRounds {
		damaged := bytes.Clone(orig)
		for range 1 + rng.IntN(8) {
			damaged[rng.IntN(len(damaged))] ^= byte(1 + rng.IntN(255))
		}
		path := filepath.Join(t.TempDir(), "spad.db")
		if err := os.WriteFile(path, damaged, 0o600); err != nil {
			t.Fatal(err)
		}
		s, rec, err := Open(path, Options{})
		if err != nil {
			t.Fatalf("round %d: Open: %v", round, err)
		}
		if rec.Lost {
			lost++
		}
		if err := s.CheckAndInsert("bob", nonceN(round), time.Now()); err != nil {
			t.Fatalf("round %d: store unusable (recovery %+v): %v", round, rec, err)
		}
		s.Close()
	}
	t.Logf("%d of %d damaged files were moved aside", lost, bitFlipRounds)
}

// TestOpenCorruptTwice: evidence is never overwritten, even when two corrupt
// files are moved aside in the same second.
func TestOpenCorruptTwice(t *testing.T) {
	path := dbPath(t)
	clk := newFakeClock()
	var moved []string
	for i := range 2 {
		content := []byte(strings.Repeat("garbage ", 600+i))
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		s, rec := open(t, path, Options{Clock: clk})
		assertMovedAside(t, s, rec, path, content)
		s.Close()
		moved = append(moved, rec.MovedTo)
	}
	if moved[0] == moved[1] {
		t.Fatalf("both corrupt files moved to %s", moved[0])
	}
}

// TestOpenLocked: a second daemon on the same file fails fast with a clear
// error instead of hanging.
func TestOpenLocked(t *testing.T) {
	path := dbPath(t)
	open(t, path, Options{})
	start := time.Now()
	done := make(chan error, 1)
	go func() {
		s, _, err := Open(path, Options{})
		if err == nil {
			s.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "locked by another process") || !strings.Contains(err.Error(), path) {
			t.Fatalf("second Open: %v, want a lock error naming the file", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("second Open took %v", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("second Open hangs")
	}
	if m, _ := filepath.Glob(path + ".corrupt-*"); len(m) != 0 {
		t.Fatalf("locked file moved aside: %v", m)
	}
}

func TestOpenBadOptions(t *testing.T) {
	for _, o := range []Options{{TTL: -1}, {PerClientQuota: -1}, {GlobalCap: -1}} { // a negative BatchDelay is valid: no batching
		if _, _, err := Open(dbPath(t), o); err == nil {
			t.Errorf("Open with %+v succeeded", o)
		}
	}
}

// TestOpenStaleNewFile: a path.new left by a crash during Open is discarded;
// the state in path is what counts.
func TestOpenStaleNewFile(t *testing.T) {
	path := dbPath(t)
	s, _ := open(t, path, Options{})
	mustInsert(t, s, "alice", nonceN(1), time.Now())
	s.Close()
	if err := os.WriteFile(path+".new", []byte("half-written"), 0o600); err != nil {
		t.Fatal(err)
	}
	s2, rec := open(t, path, Options{})
	if rec != (Recovery{}) {
		t.Fatalf("recovery %+v, want zero", rec)
	}
	if err := s2.CheckAndInsert("alice", nonceN(1), time.Now()); !errors.Is(err, ErrReplay) {
		t.Fatalf("after stale .new: %v, want ErrReplay", err)
	}
	if _, err := os.Stat(path + ".new"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s.new still there: %v", path, err)
	}
}

// TestOpenAfterClose: the lock is released by Close, so the next daemon can
// start at once.
func TestOpenAfterClose(t *testing.T) {
	path := dbPath(t)
	for range 3 {
		start := time.Now()
		s, _ := open(t, path, Options{})
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Fatalf("Open took %v", d)
		}
		s.Close()
	}
}
