//go:build linux

package lab

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

var sweepOnce sync.Once

// sweepStale deletes the namespaces earlier test processes left behind
// when they were killed before their cleanup could run (a SIGKILL, a test
// timeout): those named "spalab-PID-..." whose PID no longer exists. It
// only removes the names; it never signals a process.
func sweepStale() {
	entries, err := os.ReadDir("/run/netns")
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), "spalab-")
		if !ok {
			continue
		}
		pidText, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid <= 1 || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			_, _ = ipCmd("netns", "del", e.Name())
		}
	}
}
