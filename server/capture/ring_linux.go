package capture

import (
	"encoding/binary"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Ring geometry (TPACKET_V2: the kernel copies each frame into the next
// fixed-size slot, hands it to userspace at once and wakes the reader).
const (
	// ringFrameSize holds an IP packet of up to maxFramePacket bytes:
	// spa's datagrams (at most 285 bytes of payload, 333 with IPv6 and
	// UDP headers) with room to spare. Longer ones arrive truncated. A
	// small frame keeps the ring dense: 8192 frames in 8 MiB.
	ringFrameSize = 1 << 10
	// maxFramePacket is what a frame leaves after the kernel's headers:
	// in cooked mode the packet starts at TPACKET_ALIGN(TPACKET2_HDRLEN)
	// + 16 = 80 bytes.
	maxFramePacket = ringFrameSize - 80
	// ringBlockSize is the unit the kernel allocates; a multiple of the
	// frame size, so frame i is at i*ringFrameSize in the mapping.
	ringBlockSize = 1 << 17
	ringMinBlocks = 4
	// defaultRingSize holds 8192 frames: ~30 ms of a 300k pps flood, as
	// the TPACKET_V3 ring of 4 MiB this replaced did for 157-byte
	// datagrams.
	defaultRingSize = 8 << 20
)

// Offsets in struct tpacket2_hdr and the struct sockaddr_ll that follows
// it at TPACKET_ALIGN(sizeof(struct tpacket2_hdr)).
const (
	frameStatus   = 0
	frameLen      = 4
	frameSnaplen  = 8
	frameNet      = 14
	frameSockaddr = 32

	sllProtocol = 2
	sllPkttype  = 10
	sllSize     = 20
)

// ring walks a TPACKET_V2 receive ring frame by frame, in the kernel's
// order. It is not safe for concurrent use.
type ring struct {
	mem    []byte
	frames int
	cur    int // frame being read or to read next
}

// frame is one captured frame; data aliases the ring.
type frame struct {
	data      []byte
	truncated bool
	protocol  uint16
	pkttype   uint8
}

func ringGeometry(bufferSize int) unix.TpacketReq {
	if bufferSize == 0 {
		bufferSize = defaultRingSize
	}
	blocks := max(bufferSize/ringBlockSize, ringMinBlocks)
	return unix.TpacketReq{
		Block_size: ringBlockSize,
		Block_nr:   uint32(blocks),
		Frame_size: ringFrameSize,
		Frame_nr:   uint32(blocks * (ringBlockSize / ringFrameSize)),
	}
}

func (r *ring) status() *uint32 {
	return (*uint32)(unsafe.Pointer(&r.mem[r.cur*ringFrameSize+frameStatus]))
}

// ready reports whether the kernel has handed over the current frame.
func (r *ring) ready() bool {
	return atomic.LoadUint32(r.status())&unix.TP_STATUS_USER != 0
}

// next returns the current frame if the kernel has handed it over; the
// caller gives it back with done. valid is false for a frame whose header
// is inconsistent.
func (r *ring) next() (f frame, ok, valid bool) {
	if !r.ready() {
		return frame{}, false, false
	}
	h := r.mem[r.cur*ringFrameSize : (r.cur+1)*ringFrameSize]
	wire := int(binary.NativeEndian.Uint32(h[frameLen:]))
	snap := int(binary.NativeEndian.Uint32(h[frameSnaplen:]))
	net := int(binary.NativeEndian.Uint16(h[frameNet:]))
	if net < frameSockaddr+sllSize || net+snap > len(h) {
		return frame{}, true, false
	}
	sll := h[frameSockaddr:]
	return frame{
		data:      h[net : net+snap],
		truncated: snap < wire,
		protocol:  binary.BigEndian.Uint16(sll[sllProtocol:]),
		pkttype:   sll[sllPkttype],
	}, true, true
}

// done gives the current frame back to the kernel and moves on.
func (r *ring) done() {
	atomic.StoreUint32(r.status(), unix.TP_STATUS_KERNEL)
	if r.cur++; r.cur == r.frames {
		r.cur = 0
	}
}
