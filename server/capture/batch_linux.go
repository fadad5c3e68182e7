package capture

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

const (
	// batchSize is how many datagrams one recvmmsg(2) takes at most.
	batchSize = 64
	// maxDatagram is the largest IPv4 or IPv6 packet short of a jumbogram
	// (65535 bytes of IPv6 payload after its 40-byte header).
	maxDatagram = 0xffff + ipv6HeaderLen
	// slotSize holds maxDatagram; as it is not a multiple of the page
	// size, the slots start on different cache sets.
	slotSize = (maxDatagram+63)&^63 + 64
)

// batch receives the frames of a cooked packet socket with recvmmsg(2)
// into buffers it reuses: up to batchSize per call, so that a flood costs
// one system call per batch while a lone datagram is returned at once. It
// is not safe for concurrent use.
type batch struct {
	bufs  []byte // batchSize slots of slotSize bytes
	msgs  [batchSize]unix.Mmsghdr
	iovs  [batchSize]unix.Iovec
	names [batchSize]unix.RawSockaddrLinklayer
	n     int // frames received by the last recv
	i     int // next frame to return
}

// frame is one captured frame; data aliases the batch's buffers.
type frame struct {
	data      []byte
	truncated bool
	protocol  uint16
	pkttype   uint8
}

func newBatch() *batch {
	b := &batch{bufs: make([]byte, batchSize*slotSize)}
	for i := range b.msgs {
		b.iovs[i].Base = &b.bufs[i*slotSize]
		b.iovs[i].SetLen(slotSize)
		h := &b.msgs[i].Hdr
		h.Iov = &b.iovs[i]
		h.SetIovlen(1)
		h.Name = (*byte)(unsafe.Pointer(&b.names[i]))
		h.Namelen = unix.SizeofSockaddrLinklayer
	}
	return b
}

// recv fills the batch from fd, a non-blocking socket, with what it has
// queued; it returns a bare unix.Errno on error (EAGAIN when nothing is
// queued).
func (b *batch) recv(fd int) error {
	for i := range b.n {
		b.msgs[i].Hdr.Namelen = unix.SizeofSockaddrLinklayer // the kernel rewrote it
	}
	b.n, b.i = 0, 0
	n, _, errno := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(fd), uintptr(unsafe.Pointer(&b.msgs[0])),
		batchSize, 0, 0, 0)
	if errno != 0 {
		return errno
	}
	b.n = int(n)
	return nil
}

// next returns the next frame received; ok is false once the batch is
// used up.
func (b *batch) next() (f frame, ok bool) {
	if b.i >= b.n {
		return frame{}, false
	}
	m := &b.msgs[b.i]
	sll := &b.names[b.i]
	start := b.i * slotSize
	b.i++
	n := min(int(m.Len), slotSize)
	return frame{
		data:      b.bufs[start : start+n],
		truncated: m.Hdr.Flags&unix.MSG_TRUNC != 0,
		protocol:  ntohs(sll.Protocol),
		pkttype:   sll.Pkttype,
	}, true
}
