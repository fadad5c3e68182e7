//go:build unix

package state

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// lockPath names the lock file of the state file at path. It is never
// renamed or removed, so every process locks the same inode even while the
// state file itself is replaced (Open rewrites it, recovery moves it aside).
func lockPath(path string) string { return path + ".lock" }

// acquireLock takes an exclusive flock on path's lock file, waiting at most
// timeout for another holder to let go.
func acquireLock(path string, timeout time.Duration) (*os.File, error) {
	f, err := os.OpenFile(lockPath(path), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state: opening lock file for %s: %w", path, err)
	}
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, fmt.Errorf("state: state file %s is locked by another process (is another spad running?)", path)
			}
			return nil, fmt.Errorf("state: locking %s: %w", lockPath(path), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
