//go:build linux

package lab

import (
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Race finds the moment a firewalled TCP port opens. A firewall that drops
// connection attempts gives no answer, and the kernel would only retry a
// dropped SYN after a second, so the race starts a new non-blocking
// connect every interval and reports when the first one succeeds.
type Race struct {
	done     chan struct{}
	stop     atomic.Bool
	at       time.Time
	attempts int
	err      error
}

// Race timing. A dropped SYN is never answered before the kernel's first
// retransmission (1 s), by which time younger attempts have won, so an
// attempt is given up after raceAttemptTTL: long enough for any round trip
// in the lab, short enough to keep few sockets pending. Attempts start
// every raceFast for the first raceFastFor, so that a daemon that opens
// within a millisecond is measured finely, then every interval.
const (
	raceAttemptTTL = 200 * time.Millisecond
	raceFast       = 250 * time.Microsecond
	raceFastFor    = 20 * time.Millisecond
)

// StartRace starts racing connects to addr from inside ns (one every
// interval, after a first 20 ms with one every 250 µs) for up to timeout.
// It returns once the first attempt is on its way.
func (ns *NS) StartRace(addr netip.AddrPort, interval, timeout time.Duration) (*Race, error) {
	r := &Race{done: make(chan struct{})}
	ready := make(chan error, 1)
	go func() {
		defer close(r.done)
		runtime.LockOSThread() // never unlocked: the thread dies with this goroutine
		if err := ns.enter(); err != nil {
			ready <- err
			return
		}
		r.run(addr, interval, timeout, ready)
	}()
	if err := <-ready; err != nil {
		<-r.done
		return nil, err
	}
	return r, nil
}

// Wait waits for the race to end and returns when the first connection was
// established.
func (r *Race) Wait() (time.Time, error) {
	<-r.done
	return r.at, r.err
}

// Attempts is how many connects the race started (valid after Wait).
func (r *Race) Attempts() int { <-r.done; return r.attempts }

// Stop ends the race early; Wait then returns an error unless a
// connection had already been made.
func (r *Race) Stop() { r.stop.Store(true); <-r.done }

type raceAttempt struct {
	fd      int
	started time.Time
}

func (r *Race) run(addr netip.AddrPort, interval, timeout time.Duration, ready chan<- error) {
	var pending []raceAttempt
	defer func() {
		for _, a := range pending {
			unix.Close(a.fd)
		}
	}()
	start := time.Now()
	deadline, next := start.Add(timeout), start
	var last error
	for first := true; ; first = false {
		now := time.Now()
		if !now.Before(next) {
			a, err := dialNonblock(addr)
			if first {
				ready <- err
			}
			if err != nil {
				r.err = err
				return
			}
			r.attempts++
			pending = append(pending, a)
			next = now.Add(interval)
			if now.Sub(start) < raceFastFor {
				next = now.Add(min(raceFast, interval))
			}
		}
		pending = expire(pending, now)
		if r.stop.Load() {
			r.err = errors.New("race stopped")
			return
		}
		if now.After(deadline) {
			r.err = fmt.Errorf("tcp %v did not accept a connection within %v (%d attempts, last error: %v)", addr, timeout, r.attempts, last)
			return
		}
		var ok bool
		if pending, ok, last = poll(pending, time.Until(next), last); ok {
			r.at = time.Now()
			return
		}
	}
}

// dialNonblock starts a non-blocking connect to addr.
func dialNonblock(addr netip.AddrPort) (raceAttempt, error) {
	family, sa := sockaddr(addr)
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return raceAttempt{fd: -1}, fmt.Errorf("socket: %w", err)
	}
	err = unix.Connect(fd, sa)
	if err != nil && !errors.Is(err, unix.EINPROGRESS) {
		unix.Close(fd)
		return raceAttempt{fd: -1}, fmt.Errorf("connect %v: %w", addr, err)
	}
	return raceAttempt{fd: fd, started: time.Now()}, nil
}

// expire closes the attempts older than raceAttemptTTL.
func expire(pending []raceAttempt, now time.Time) []raceAttempt {
	kept := pending[:0]
	for _, a := range pending {
		if now.Sub(a.started) > raceAttemptTTL {
			unix.Close(a.fd)
			continue
		}
		kept = append(kept, a)
	}
	return kept
}

// poll waits up to wait for an attempt to finish. It reports whether one
// connected; attempts that failed are closed and removed, and the last
// failure is returned.
func poll(pending []raceAttempt, wait time.Duration, last error) ([]raceAttempt, bool, error) {
	if len(pending) == 0 {
		time.Sleep(max(wait, 0))
		return pending, false, last
	}
	pfds := make([]unix.PollFd, len(pending))
	for i, a := range pending {
		pfds[i] = unix.PollFd{Fd: int32(a.fd), Events: unix.POLLOUT}
	}
	ts := unix.NsecToTimespec(int64(max(wait, 0)))
	if _, err := unix.Ppoll(pfds, &ts, nil); err != nil && !errors.Is(err, unix.EINTR) {
		return pending, false, err
	}
	kept := pending[:0]
	for i, a := range pending {
		if pfds[i].Revents == 0 {
			kept = append(kept, a)
			continue
		}
		soErr, err := unix.GetsockoptInt(a.fd, unix.SOL_SOCKET, unix.SO_ERROR)
		if err == nil && soErr == 0 {
			// Keep this and the unexamined attempts for the caller to
			// close (kept never runs ahead of i, so the copy is safe).
			return append(kept, pending[i:]...), true, nil
		}
		if err == nil {
			last = unix.Errno(soErr)
		}
		unix.Close(a.fd)
	}
	return kept, false, last
}

// sockaddr returns the socket family and address of addr.
func sockaddr(addr netip.AddrPort) (int, unix.Sockaddr) {
	if addr.Addr().Is4() {
		return unix.AF_INET, &unix.SockaddrInet4{Port: int(addr.Port()), Addr: addr.Addr().As4()}
	}
	return unix.AF_INET6, &unix.SockaddrInet6{Port: int(addr.Port()), Addr: addr.Addr().As16()}
}
