package capture

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// udpSource is the plain-socket Source: one non-blocking UDP socket per
// address and port, multiplexed with epoll. Only what the firewall lets
// through arrives, and the port is open.
type udpSource struct {
	closed    atomic.Bool
	closeOnce sync.Once
	wake      *waker

	readMu sync.Mutex // serializes Read, and Close against Read
	epfd   int
	events []unix.EpollEvent
	ready  []int32 // sockets epoll reported readable, not yet drained
	rr     int     // round-robin position in ready
	rx     recvmsg

	received, filtered atomic.Uint64

	statsMu sync.Mutex // guards socks' fds (with readMu) and drops
	socks   []udpSocket
	drops   uint64 // of closed sockets
}

type udpSocket struct {
	fd   int
	addr netip.AddrPort // as bound
}

// wakeIndex tags the waker in epoll events.
const wakeIndex = -1

// OpenUDP binds a UDP socket on each port of [PortLo, PortHi] (at most
// 4096 ports) for each address of addrs; with no address, one dual-stack
// socket per port on [::]. An explicit "::" is IPv6-only, so that it can
// be combined with "0.0.0.0". The sockets belong to the calling thread's
// network namespace. Config.Interfaces must be empty: bind addresses
// select what is received.
func OpenUDP(cfg Config, addrs []netip.Addr) (Source, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if len(cfg.Interfaces) > 0 {
		return nil, errors.New("capture: udp mode takes addresses, not interfaces")
	}
	n := 0
	for _, r := range cfg.ranges() {
		n += int(r.Hi) - int(r.Lo) + 1
	}
	if n > maxUDPPorts {
		return nil, fmt.Errorf("capture: udp mode: the port ranges hold %d ports, at most %d (one socket each); use capture mode for a knock range that large", n, maxUDPPorts)
	}
	dual := len(addrs) == 0
	if dual {
		addrs = []netip.Addr{netip.IPv6Unspecified()}
	}
	s := &udpSource{epfd: -1}
	s.rx.init()
	if err := s.open(cfg, addrs, dual); err != nil {
		s.release()
		return nil, err
	}
	return s, nil
}

func (s *udpSource) open(cfg Config, addrs []netip.Addr, dual bool) error {
	var err error
	if s.wake, err = newWaker(); err != nil {
		return err
	}
	if s.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return fmt.Errorf("capture: epoll: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: wakeIndex}
	if err := unix.EpollCtl(s.epfd, unix.EPOLL_CTL_ADD, s.wake.fd, &ev); err != nil {
		return fmt.Errorf("capture: epoll: %w", err)
	}
	for _, addr := range addrs {
		for _, r := range cfg.ranges() {
			if err := s.bindRange(addr, r, dual, cfg.BufferSize); err != nil {
				return err
			}
		}
	}
	s.events = make([]unix.EpollEvent, min(len(s.socks)+1, 256))
	s.ready = make([]int32, 0, len(s.events))
	return nil
}

// bindRange binds one socket on addr for each port of r.
func (s *udpSource) bindRange(addr netip.Addr, r PortRange, dual bool, bufferSize int) error {
	for port := int(r.Lo); port <= int(r.Hi); port++ {
		ap := netip.AddrPortFrom(addr.Unmap(), uint16(port))
		fd, err := udpSocketFor(ap, dual, bufferSize)
		if err != nil {
			return fmt.Errorf("capture: udp %s: %w", ap, err)
		}
		s.socks = append(s.socks, udpSocket{fd: fd, addr: ap})
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(len(s.socks) - 1)}
		if err := unix.EpollCtl(s.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			return fmt.Errorf("capture: udp %s: epoll: %w", ap, err)
		}
	}
	return nil
}

// udpSocketFor opens a non-blocking socket bound to ap that reports each
// datagram's destination address.
func udpSocketFor(ap netip.AddrPort, dual bool, bufferSize int) (int, error) {
	addr := ap.Addr()
	family := unix.AF_INET6
	if addr.Is4() {
		family = unix.AF_INET
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		return -1, err
	}
	err = configureUDP(fd, ap, dual, bufferSize)
	if err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

func configureUDP(fd int, ap netip.AddrPort, dual bool, bufferSize int) error {
	addr := ap.Addr()
	if bufferSize > 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, bufferSize); err != nil {
			return fmt.Errorf("receive buffer: %w", err)
		}
	}
	if addr.Is4() {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_PKTINFO, 1); err != nil {
			return fmt.Errorf("IP_PKTINFO: %w", err)
		}
		return unix.Bind(fd, &unix.SockaddrInet4{Port: int(ap.Port()), Addr: addr.As4()})
	}
	v6only := 1
	if dual {
		v6only = 0
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v6only); err != nil {
		return fmt.Errorf("IPV6_V6ONLY: %w", err)
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, 1); err != nil {
		return fmt.Errorf("IPV6_RECVPKTINFO: %w", err)
	}
	sa := &unix.SockaddrInet6{Port: int(ap.Port()), Addr: addr.As16()}
	if zone := addr.Zone(); zone != "" {
		ifi, err := net.InterfaceByName(zone)
		if err != nil {
			return fmt.Errorf("zone: %w", err)
		}
		sa.ZoneId = uint32(ifi.Index)
	}
	return unix.Bind(fd, sa)
}

// Read implements Source.
func (s *udpSource) Read() (Packet, error) {
	s.readMu.Lock()
	defer s.readMu.Unlock()
	for {
		if s.closed.Load() {
			return Packet{}, errClosed
		}
		if len(s.ready) == 0 {
			if err := s.wait(); err != nil {
				return Packet{}, err
			}
			continue
		}
		if s.rr >= len(s.ready) {
			s.rr = 0
		}
		sock := &s.socks[s.ready[s.rr]]
		err := s.rx.recv(sock.fd)
		switch {
		case err == unix.EAGAIN:
			last := len(s.ready) - 1
			s.ready[s.rr] = s.ready[last]
			s.ready = s.ready[:last]
			continue
		case err == unix.EINTR:
			continue
		case err != nil:
			return Packet{}, fmt.Errorf("capture: udp %s: %w", sock.addr, err)
		}
		s.rr++ // the next Read serves the next ready socket
		if p, ok := s.rx.packet(sock.addr); ok {
			s.received.Add(1)
			return p, nil
		}
		s.filtered.Add(1)
	}
}

// wait fills ready from epoll, or returns errClosed.
func (s *udpSource) wait() error {
	n, err := unix.EpollWait(s.epfd, s.events, -1)
	if err == unix.EINTR {
		return nil
	}
	if err != nil {
		return fmt.Errorf("capture: epoll: %w", err)
	}
	for _, ev := range s.events[:n] {
		if ev.Fd == wakeIndex {
			return errClosed
		}
		s.ready = append(s.ready, ev.Fd)
	}
	s.rr = 0
	return nil
}

// Stats implements Source. KernelDrops come from each socket's
// SO_MEMINFO (a syscall per socket).
func (s *udpSource) Stats() Stats {
	s.statsMu.Lock()
	drops := s.drops
	for _, sock := range s.socks {
		drops += socketDrops(sock.fd)
	}
	s.statsMu.Unlock()
	return Stats{Received: s.received.Load(), KernelDrops: drops, Filtered: s.filtered.Load()}
}

// socketDrops is the kernel's count of datagrams dropped on fd (full
// buffer, bad checksum); 0 if it cannot tell.
func socketDrops(fd int) uint64 {
	var info [unix.SK_MEMINFO_VARS]uint32
	size := uint32(unsafe.Sizeof(info))
	_, _, errno := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.SOL_SOCKET, unix.SO_MEMINFO,
		uintptr(unsafe.Pointer(&info)), uintptr(unsafe.Pointer(&size)), 0)
	if errno != 0 || size < (unix.SK_MEMINFO_DROPS+1)*4 {
		return 0
	}
	return uint64(info[unix.SK_MEMINFO_DROPS])
}

// Close implements Source.
func (s *udpSource) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.wake.wake()
		s.readMu.Lock()
		defer s.readMu.Unlock()
		err = s.release()
	})
	return err
}

// release frees everything; with readMu held or before s is shared.
func (s *udpSource) release() error {
	var err error
	s.statsMu.Lock()
	for _, sock := range s.socks {
		s.drops += socketDrops(sock.fd)
		err = errors.Join(err, unix.Close(sock.fd))
	}
	s.socks = nil
	s.statsMu.Unlock()
	if s.epfd >= 0 {
		err = errors.Join(err, unix.Close(s.epfd))
	}
	if s.wake != nil {
		err = errors.Join(err, s.wake.close())
	}
	if err != nil {
		return fmt.Errorf("capture: closing udp sockets: %w", err)
	}
	return nil
}
