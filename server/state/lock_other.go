//go:build !unix

package state

import (
	"errors"
	"os"
	"time"
)

func lockPath(path string) string { return path + ".lock" }

// acquireLock is only implemented on Unix, where spad runs.
func acquireLock(path string, _ time.Duration) (*os.File, error) {
	return nil, errors.New("state: " + path + ": state files are only supported on unix systems")
}
