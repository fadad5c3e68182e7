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

// afpacket is the AF_PACKET Source: one cooked socket, unbound (all
// interfaces), with the BPF filter and a TPACKET_V2 ring.
type afpacket struct {
	closed    atomic.Bool
	closeOnce sync.Once
	wake      *waker

	readMu sync.Mutex // serializes Read, and Close against Read
	ring   ring
	dec    *decoder
	buf    []byte // the returned payload: a copy, so Close may unmap
	pfd    [2]unix.PollFd
	busy   bool          // a frame was read since the last wait
	nap    unix.Timespec // ppoll's timeout, which it overwrites

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
	// gets in before the filter and the ring are in place.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if errors.Is(err, unix.EPERM) {
		return nil, fmt.Errorf("capture: packet socket needs CAP_NET_RAW (else use udp mode): %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("capture: packet socket: %w", err)
	}
	s := &afpacket{fd: fd, dec: newDecoder(cfg.ranges()...), buf: make([]byte, ringFrameSize)}
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
	if err := unix.SetsockoptInt(s.fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V2); err != nil {
		return fmt.Errorf("capture: TPACKET_V2: %w", err)
	}
	req := ringGeometry(cfg.BufferSize)
	if err := unix.SetsockoptTpacketReq(s.fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req); err != nil {
		return fmt.Errorf("capture: ring of %d blocks of %d bytes: %w", req.Block_nr, req.Block_size, err)
	}
	mem, err := unix.Mmap(s.fd, 0, int(req.Block_size*req.Block_nr), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("capture: mapping the ring: %w", err)
	}
	s.ring = ring{mem: mem, frames: int(req.Frame_nr)}
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
		f, ok, valid := s.ring.next()
		if !ok {
			if err := s.wait(); err != nil {
				return Packet{}, err
			}
			continue
		}
		s.busy = true
		p, match := s.match(f, valid)
		s.ring.done()
		if match {
			s.received.Add(1)
			return p, nil
		}
		s.filtered.Add(1)
	}
}

// match decodes f and copies the payload out of the ring.
func (s *afpacket) match(f frame, valid bool) (Packet, bool) {
	if !valid || f.truncated || f.pkttype != packetHost ||
		(f.protocol != ethPIPv4 && f.protocol != ethPIPv6) {
		return Packet{}, false
	}
	p, ok := s.dec.decode(f.data)
	if !ok {
		return Packet{}, false
	}
	p.Payload = s.buf[:copy(s.buf, p.Payload)]
	return p, true
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
	if s.ring.mem != nil {
		err = errors.Join(err, unix.Munmap(s.ring.mem))
		s.ring.mem = nil
	}
	if s.wake != nil {
		err = errors.Join(err, s.wake.close())
	}
	if err != nil {
		return fmt.Errorf("capture: closing the packet socket: %w", err)
	}
	return nil
}
