package capture

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// napTime is how long Read pauses, once it has emptied the ring, before
// it looks again; only when the ring is still empty does it sleep in poll
// until the kernel wakes it for the next frame. Waking a sleeping reader
// costs the CPU that hands it a frame an interrupt (a VM exit on a virtual
// machine) and the reader a context switch: once per frame under a flood,
// without the pause. With it, frames gather and are read in a row, at most
// ~4,000 pauses a second. A lone datagram finds the reader asleep and
// wakes it at once; one that follows another within napTime waits for the
// rest of the pause (plus the kernel's timer slack, 50 µs by default).
const napTime = 250 * time.Microsecond

// wait returns when the ring may have a frame, or errClosed when the
// waker is readable: after a frame, it first naps for napTime.
func (s *afpacket) wait() error {
	if !s.busy {
		return s.sleep()
	}
	s.busy = false
	for {
		s.pfd[1].Revents = 0
		s.nap = unix.NsecToTimespec(napTime.Nanoseconds())
		_, err := unix.Ppoll(s.pfd[1:], &s.nap, nil)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return fmt.Errorf("capture: ppoll: %w", err)
		case s.pfd[1].Revents != 0:
			return errClosed
		}
		return nil
	}
}

// sleep blocks until the ring or the waker is readable.
func (s *afpacket) sleep() error {
	for {
		s.pfd[0].Revents, s.pfd[1].Revents = 0, 0
		_, err := unix.Poll(s.pfd[:], -1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("capture: poll: %w", err)
		}
		if s.pfd[1].Revents != 0 {
			return errClosed
		}
		if s.pfd[0].Revents&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) == 0 {
			return nil
		}
		// Socket errors are reported for a bound socket whose interface
		// went down; this one is not bound, but clear and report any.
		soerr, err := unix.GetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_ERROR)
		if err != nil {
			return fmt.Errorf("capture: packet socket: %w", err)
		}
		if soerr != 0 && soerr != int(unix.ENETDOWN) {
			return fmt.Errorf("capture: packet socket: %w", unix.Errno(soerr))
		}
		return nil
	}
}
