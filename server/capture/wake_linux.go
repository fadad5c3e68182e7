package capture

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"
)

// waker is an eventfd that Close makes readable to wake a Read blocked in
// poll or epoll_wait. It is never drained: once woken, it stays readable.
type waker struct{ fd int }

func newWaker() (*waker, error) {
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("capture: eventfd: %w", err)
	}
	return &waker{fd: fd}, nil
}

func (w *waker) wake() {
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	_, _ = unix.Write(w.fd, one[:]) // cannot fail but with a full counter, which is readable too
}

func (w *waker) close() error { return unix.Close(w.fd) }

// htons converts v to network byte order, as sockaddr_ll and socket()
// want the protocol.
func htons(v uint16) uint16 {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], v)
	return binary.NativeEndian.Uint16(b[:])
}
