package capture

import (
	"encoding/binary"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Ring geometry (TPACKET_V3: the kernel fills variable-size frames into
// fixed-size blocks and hands a block to userspace when it is full or
// when ringBlockTimeout has passed since its first frame).
const (
	// ringBlockSize holds a maximum-size IP datagram with its headers.
	ringBlockSize = 1 << 17
	// ringFrameSize only matters for the kernel's tp_frame_nr check.
	ringFrameSize     = 1 << 11
	ringMinBlocks     = 4
	defaultRingSize   = 4 << 20
	ringBlockTimeout  = 1 // ms, the kernel minimum: the most a lone knock waits
	ringHeaderLength  = 48
	ringSockaddrAlign = 16
)

// Offsets in struct tpacket_block_desc (with tpacket_hdr_v1), struct
// tpacket3_hdr and the struct sockaddr_ll that follows it.
const (
	blockStatus     = 8
	blockNumPackets = 12
	blockFirst      = 16

	frameNext    = 0
	frameSnaplen = 12
	frameLen     = 16
	frameNet     = 26
	// frameSockaddr is TPACKET_ALIGN(sizeof(struct tpacket3_hdr)).
	frameSockaddr = (ringHeaderLength + ringSockaddrAlign - 1) &^ (ringSockaddrAlign - 1)

	sllProtocol = 2
	sllPkttype  = 10
	sllSize     = 20
)

// ring walks a TPACKET_V3 receive ring. It is not safe for concurrent use.
type ring struct {
	mem    []byte
	blocks int
	cur    int    // block being read or to read next
	held   bool   // block cur belongs to us
	left   uint32 // frames left in block cur
	off    int    // offset in mem of the next frame
}

// frame is one captured frame; data aliases the ring.
type frame struct {
	data      []byte
	truncated bool
	protocol  uint16
	pkttype   uint8
}

func ringGeometry(bufferSize int) unix.TpacketReq3 {
	if bufferSize == 0 {
		bufferSize = defaultRingSize
	}
	blocks := max(bufferSize/ringBlockSize, ringMinBlocks)
	return unix.TpacketReq3{
		Block_size:     ringBlockSize,
		Block_nr:       uint32(blocks),
		Frame_size:     ringFrameSize,
		Frame_nr:       uint32(blocks * (ringBlockSize / ringFrameSize)),
		Retire_blk_tov: ringBlockTimeout,
	}
}

func (r *ring) status(block int) *uint32 {
	return (*uint32)(unsafe.Pointer(&r.mem[block*ringBlockSize+blockStatus]))
}

// next returns the next frame; ok is false when none is ready. valid is
// false for a frame whose header is inconsistent (the rest of its block
// is skipped).
func (r *ring) next() (f frame, ok, valid bool) {
	for r.left == 0 {
		if r.held {
			r.release()
		}
		if atomic.LoadUint32(r.status(r.cur))&unix.TP_STATUS_USER == 0 {
			return frame{}, false, false
		}
		base := r.cur * ringBlockSize
		r.held = true
		r.left = binary.NativeEndian.Uint32(r.mem[base+blockNumPackets:])
		r.off = base + int(binary.NativeEndian.Uint32(r.mem[base+blockFirst:]))
	}
	end := (r.cur + 1) * ringBlockSize
	at := r.off
	r.left--
	if at < r.cur*ringBlockSize || at+frameSockaddr+sllSize > end {
		r.left = 0
		return frame{}, true, false
	}
	h := r.mem[at:end]
	r.off = at + int(binary.NativeEndian.Uint32(h[frameNext:]))
	snap := int(binary.NativeEndian.Uint32(h[frameSnaplen:]))
	wire := int(binary.NativeEndian.Uint32(h[frameLen:]))
	net := int(binary.NativeEndian.Uint16(h[frameNet:]))
	if net+snap > len(h) {
		r.left = 0
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

// done releases the block once its last frame has been used.
func (r *ring) done() {
	if r.left == 0 && r.held {
		r.release()
	}
}

func (r *ring) release() {
	atomic.StoreUint32(r.status(r.cur), unix.TP_STATUS_KERNEL)
	r.held = false
	r.left = 0
	r.cur = (r.cur + 1) % r.blocks
}
