package capture

import (
	"encoding/binary"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// recvmsg receives one datagram with its source and destination into
// buffers it reuses: a raw recvmsg(2), since unix.Recvmsg allocates the
// source address.
type recvmsg struct {
	buf  []byte
	oob  []byte
	name unix.RawSockaddrInet6 // large enough for IPv4 too
	iov  unix.Iovec
	msg  unix.Msghdr
	n    int
}

func (r *recvmsg) init() {
	r.buf = make([]byte, 1<<16)
	r.oob = make([]byte, unix.CmsgSpace(unix.SizeofInet6Pktinfo)+unix.CmsgSpace(unix.SizeofInet4Pktinfo))
	r.iov.Base = &r.buf[0]
	r.iov.SetLen(len(r.buf))
	r.msg.Iov = &r.iov
	r.msg.SetIovlen(1)
}

// recv reads one datagram from fd, returning a bare unix.Errno on error.
func (r *recvmsg) recv(fd int) error {
	r.msg.Name = (*byte)(unsafe.Pointer(&r.name))
	r.msg.Namelen = unix.SizeofSockaddrInet6
	r.msg.Control = &r.oob[0]
	r.msg.SetControllen(len(r.oob))
	r.msg.Flags = 0
	n, _, errno := unix.Syscall(unix.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(&r.msg)), 0)
	if errno != 0 {
		return errno
	}
	r.n = int(n)
	return nil
}

// packet interprets the datagram received on a socket bound to local.
func (r *recvmsg) packet(local netip.AddrPort) (Packet, bool) {
	if r.msg.Flags&unix.MSG_TRUNC != 0 {
		return Packet{}, false
	}
	p := Packet{Payload: r.buf[:r.n], DstPort: local.Port(), Dst: local.Addr()}
	switch r.name.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&r.name))
		p.Src = netip.AddrFrom4(sa.Addr)
		p.SrcPort = ntohs(sa.Port)
	case unix.AF_INET6:
		p.Src = netip.AddrFrom16(r.name.Addr).Unmap()
		p.SrcPort = ntohs(r.name.Port)
	default:
		return Packet{}, false
	}
	if dst, ok := r.destination(); ok {
		p.Dst = dst
	}
	return p, p.Dst.IsValid() && !p.Dst.IsUnspecified()
}

// destination finds IP_PKTINFO or IPV6_PKTINFO in the control data.
func (r *recvmsg) destination() (netip.Addr, bool) {
	oob := r.oob[:r.msg.Controllen]
	for len(oob) >= unix.SizeofCmsghdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
		if h.Len < unix.SizeofCmsghdr || int(h.Len) > len(oob) {
			break
		}
		data := oob[unix.SizeofCmsghdr:h.Len]
		switch {
		case h.Level == unix.IPPROTO_IP && h.Type == unix.IP_PKTINFO && len(data) >= unix.SizeofInet4Pktinfo:
			info := (*unix.Inet4Pktinfo)(unsafe.Pointer(&data[0]))
			return netip.AddrFrom4(info.Addr), true
		case h.Level == unix.IPPROTO_IPV6 && h.Type == unix.IPV6_PKTINFO && len(data) >= unix.SizeofInet6Pktinfo:
			info := (*unix.Inet6Pktinfo)(unsafe.Pointer(&data[0]))
			return netip.AddrFrom16(info.Addr).Unmap(), true
		}
		next := unix.CmsgSpace(int(h.Len) - unix.SizeofCmsghdr)
		if next > len(oob) {
			break
		}
		oob = oob[next:]
	}
	return netip.Addr{}, false
}

// ntohs converts a port as stored in a sockaddr to host order.
func ntohs(v uint16) uint16 {
	var b [2]byte
	binary.NativeEndian.PutUint16(b[:], v)
	return binary.BigEndian.Uint16(b[:])
}
