//go:build linux

package lab

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// ErrTimeout is returned by [Sniffer.Next] when no frame came in time.
var ErrTimeout = errors.New("lab: timed out")

// Sniffer captures every frame one interface of a namespace sends and
// receives, with the kernel's timestamps, through an AF_PACKET socket.
type Sniffer struct {
	fd     int
	buf    []byte
	oob    []byte
	mu     sync.Mutex
	closed bool
}

// Sniff opens a capture of iface inside ns; promisc also asks for frames
// addressed to other hosts. The caller must Close it.
func (ns *NS) Sniff(iface string, promisc bool) (*Sniffer, error) {
	s := &Sniffer{fd: -1, buf: make([]byte, 1<<16), oob: make([]byte, 128)}
	err := ns.Do(func() error {
		ifc, err := net.InterfaceByName(iface)
		if err != nil {
			return err
		}
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
		if err != nil {
			return fmt.Errorf("packet socket: %w", err)
		}
		s.fd = fd
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
			return fmt.Errorf("SO_TIMESTAMPNS: %w", err)
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 8<<20); err != nil {
			return fmt.Errorf("SO_RCVBUF: %w", err)
		}
		if promisc {
			mreq := unix.PacketMreq{Ifindex: int32(ifc.Index), Type: unix.PACKET_MR_PROMISC}
			if err := unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq); err != nil {
				return fmt.Errorf("promiscuous mode: %w", err)
			}
		}
		return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifc.Index})
	})
	if err != nil {
		if s.fd >= 0 {
			unix.Close(s.fd)
		}
		return nil, fmt.Errorf("sniffing %s in %s: %w", iface, ns.Name, err)
	}
	return s, nil
}

// Next returns the next frame, waiting up to timeout ([ErrTimeout] if none
// came). It is not safe for concurrent use.
func (s *Sniffer) Next(timeout time.Duration) (Frame, error) {
	deadline := time.Now().Add(timeout)
	for {
		f, err := s.read()
		if !errors.Is(err, unix.EAGAIN) {
			return f, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return Frame{}, ErrTimeout
		}
		ts := unix.NsecToTimespec(int64(min(left, 100*time.Millisecond)))
		pfd := []unix.PollFd{{Fd: int32(s.fd), Events: unix.POLLIN}}
		if _, err := unix.Ppoll(pfd, &ts, nil); err != nil && !errors.Is(err, unix.EINTR) {
			return Frame{}, err
		}
	}
}

// read reads one frame without blocking.
func (s *Sniffer) read() (Frame, error) {
	n, oobn, _, from, err := unix.Recvmsg(s.fd, s.buf, s.oob, unix.MSG_DONTWAIT)
	if err != nil {
		return Frame{}, err
	}
	f := Frame{Time: time.Now()}
	if ll, ok := from.(*unix.SockaddrLinklayer); ok {
		f.Out = ll.Pkttype == unix.PACKET_OUTGOING
	}
	if t, ok := timestamp(s.oob[:oobn]); ok {
		f.Time = t
	}
	decodeEthernet(&f, append([]byte(nil), s.buf[:n]...))
	return f, nil
}

// Drain discards every frame already queued.
func (s *Sniffer) Drain() {
	for {
		if _, err := s.read(); err != nil {
			return
		}
	}
}

// Collect reads frames until stop is closed (and then those already
// queued), and returns those keep accepts.
func (s *Sniffer) Collect(stop <-chan struct{}, keep func(Frame) bool) []Frame {
	var out []Frame
	for {
		f, err := s.Next(20 * time.Millisecond)
		switch {
		case err == nil:
			if keep == nil || keep(f) {
				out = append(out, f)
			}
		case errors.Is(err, ErrTimeout):
			select {
			case <-stop:
				return out
			default:
			}
		default:
			return out
		}
	}
}

// Close closes the capture.
func (s *Sniffer) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return unix.Close(s.fd)
}

// timestamp extracts SCM_TIMESTAMPNS from control messages.
func timestamp(oob []byte) (time.Time, bool) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return time.Time{}, false
	}
	for _, m := range msgs {
		// struct timespec: two native-endian 64-bit integers on the
		// 64-bit platforms the lab runs on.
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS && len(m.Data) >= 16 {
			sec, nsec := binary.NativeEndian.Uint64(m.Data[0:8]), binary.NativeEndian.Uint64(m.Data[8:16])
			return time.Unix(int64(sec), int64(nsec)), true
		}
	}
	return time.Time{}, false
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
