package capture

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// afpacket is the AF_PACKET Source: one cooked, non-blocking socket,
// unbound (all interfaces), with the BPF filter, read in batches.
type afpacket struct {
	closed    atomic.Bool
	closeOnce sync.Once
	wake      *waker

	readMu sync.Mutex // serializes Read, and Close against Read
	batch  *batch
	dec    *decoder
	pfd    [2]unix.PollFd

	received, filtered atomic.Uint64

	statsMu sync.Mutex // guards fd (with readMu) and drops
	fd      int        // -1 once closed
	drops   uint64
}

// OpenAFPacket opens a packet socket in the calling thread's network
// namespace. With Config.Interfaces, the socket stays unbound and the
// BPF filter checks the interface index, so one socket (and one ring)
// serves any number of interfaces; interfaces are resolved once, so one
// that is deleted and created again is not captured until reopening.
// Config.BufferSize is the socket's receive buffer.
func OpenAFPacket(cfg Config) (Source, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ifindexes, err := interfaceIndexes(cfg.Interfaces)
	if err != nil {
		return nil, err
	}
	filter, err := filterProgram(cfg.ranges(), ifindexes)
	if err != nil {
		return nil, err
	}
	// Protocol 0: the socket receives nothing until bind, so no frame
	// gets in before the filter and the buffer size are in place.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if errors.Is(err, unix.EPERM) {
		return nil, fmt.Errorf("capture: packet socket needs CAP_NET_RAW (else use udp mode): %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("capture: packet socket: %w", err)
	}
	s := &afpacket{fd: fd, batch: newBatch(), dec: newDecoder(cfg.ranges()...)}
	if err := s.setup(cfg, filter); err != nil {
		s.release()
		return nil, err
	}
	s.pfd = [2]unix.PollFd{
		{Fd: int32(s.fd), Events: unix.POLLIN},
		{Fd: int32(s.wake.fd), Events: unix.POLLIN},
	}
	return s, nil
}

func (s *afpacket) setup(cfg Config, raw []bpf.RawInstruction) error {
	filter := make([]unix.SockFilter, len(raw))
	for i, ins := range raw {
		filter[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	if err := unix.SetsockoptSockFprog(s.fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &prog); err != nil {
		return fmt.Errorf("capture: attaching the filter for ports %d-%d: %w", cfg.PortLo, cfg.PortHi, err)
	}
	if err := unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_LOCK_FILTER, 1); err != nil {
		return fmt.Errorf("capture: locking the filter: %w", err)
	}
	// The filter drops outgoing frames too; this spares running it
	// (Linux 4.20+).
	if err := unix.SetsockoptInt(s.fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1); err != nil && !errors.Is(err, unix.ENOPROTOOPT) {
		return fmt.Errorf("capture: ignoring outgoing frames: %w", err)
	}
	if err := setReceiveBuffer(s.fd, cfg.BufferSize); err != nil {
		return err
	}
	var err error
	if s.wake, err = newWaker(); err != nil {
		return err
	}
	sa := unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL)}
	if err := unix.Bind(s.fd, &sa); err != nil {
		return fmt.Errorf("capture: binding the packet socket: %w", err)
	}
	return nil
}

func interfaceIndexes(names []string) ([]int, error) {
	var out []int
	for _, name := range names {
		ifi, err := net.InterfaceByName(name)
		if err != nil {
			return nil, fmt.Errorf("capture: interface %q: %w", name, err)
		}
		out = append(out, ifi.Index)
	}
	return out, nil
}

// Read implements Source.
func (s *afpacket) Read() (Packet, error) {
	s.readMu.Lock()
	defer s.readMu.Unlock()
	for {
		if s.closed.Load() {
			return Packet{}, errClosed
		}
		f, ok := s.batch.next()
		if !ok {
			if err := s.fill(); err != nil {
				return Packet{}, err
			}
			continue
		}
		if p, ok := s.match(f); ok {
			s.received.Add(1)
			return p, nil
		}
		s.filtered.Add(1)
	}
}

// match decodes f; the payload aliases the batch's buffers.
func (s *afpacket) match(f frame) (Packet, bool) {
	if f.truncated || f.pkttype != packetHost || (f.protocol != ethPIPv4 && f.protocol != ethPIPv6) {
		return Packet{}, false
	}
	return s.dec.decode(f.data)
}

// fill receives the next batch, waiting for the socket to be readable
// when nothing is queued. It may return with an empty batch (after a
// signal, or a socket error it clears and ignores).
func (s *afpacket) fill() error {
	switch err := s.batch.recv(s.fd); err {
	case nil, unix.EINTR:
		return nil
	case unix.EAGAIN:
		return s.wait()
	case unix.ENETDOWN:
		// Reported once for a bound socket whose interface went down;
		// this one is not bound, but ignore it like a bound one would.
		return nil
	default:
		return fmt.Errorf("capture: receiving from the packet socket: %w", err)
	}
}

// wait blocks until the socket or the waker is readable. A socket error
// makes the socket readable: the next recv reports it.
func (s *afpacket) wait() error {
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
		return nil
	}
}

// Stats implements Source.
func (s *afpacket) Stats() Stats {
	s.statsMu.Lock()
	s.collectDrops()
	drops := s.drops
	s.statsMu.Unlock()
	return Stats{Received: s.received.Load(), KernelDrops: drops, Filtered: s.filtered.Load()}
}

// collectDrops adds the kernel's drop count, which reading resets.
// Callers hold statsMu.
func (s *afpacket) collectDrops() {
	if s.fd < 0 {
		return
	}
	if st, err := unix.GetsockoptTpacketStats(s.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS); err == nil {
		s.drops += uint64(st.Drops)
	}
}

// Close implements Source.
func (s *afpacket) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.wake.wake()
		s.readMu.Lock() // a pending Read returns
		defer s.readMu.Unlock()
		err = s.release()
	})
	return err
}

// release frees everything; with readMu held or before s is shared.
func (s *afpacket) release() error {
	s.statsMu.Lock()
	s.collectDrops()
	err := unix.Close(s.fd)
	s.fd = -1
	s.statsMu.Unlock()
	if s.wake != nil {
		err = errors.Join(err, s.wake.close())
	}
	if err != nil {
		return fmt.Errorf("capture: closing the packet socket: %w", err)
	}
	return nil
}
