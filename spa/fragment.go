package spa

import (
	"crypto/subtle"
	"encoding/binary"
)

// chunkSpan returns the offset and length of chunk i when a packet of
// pktLen bytes is cut into n chunks (SPEC.md §11.5): floor(pktLen/n) bytes
// each, one more for the first pktLen mod n.
func chunkSpan(pktLen, n, i int) (off, length int) {
	q, r := pktLen/n, pktLen%n
	off = i*q + min(i, r)
	length = q
	if i < r {
		length++
	}
	return off, length
}

// fragmentPacketLen returns the packet length (157 or 285) whose fragment i
// of n has a payload of payloadLen bytes, or 0 if neither has. For given n
// and i the two buckets never give the same length.
func fragmentPacketLen(payloadLen, n, i int) int {
	for _, l := range [2]int{PacketLenSmall, PacketLenLarge} {
		if _, cl := chunkSpan(l, n, i); cl+FragmentTagSize == payloadLen {
			return l
		}
	}
	return 0
}

// validFragment reports whether n and i describe a fragment of a knock.
func validFragment(n, i int) bool {
	return n >= MinFragments && n <= MaxFragments && i >= 0 && i < n
}

// Fragments appends to dst the n datagram payloads that carry the sealed
// packet pkt as a knock with counter c (SPEC.md §11.5): payload i is
// chunk i followed by its 8-byte tag, to be sent to knock port i (see
// [Key.KnockPorts]). The payloads share one new buffer. pkt must be a whole
// packet of 157 or 285 bytes, sealed with [Key.SealKnock], and n must be 2
// to 8; anything else is a programming error and panics.
func (k *Key) Fragments(dst [][]byte, pkt []byte, c uint64, n int) [][]byte {
	if bodyLenOf(len(pkt)) == 0 || !validFragment(n, 0) {
		panic("spa: Fragments needs a whole packet and 2 to 8 fragments")
	}
	buf := make([]byte, len(pkt)+n*FragmentTagSize)
	for i := range n {
		off, l := chunkSpan(len(pkt), n, i)
		p := buf[: l+FragmentTagSize : l+FragmentTagSize]
		buf = buf[len(p):]
		copy(p, pkt[off:off+l])
		tag := k.fragmentTag(c, n, i, p[:l])
		copy(p[l:], tag[:FragmentTagSize])
		dst = append(dst, p)
	}
	return dst
}

// CheckFragment checks a datagram payload received as fragment i of n of
// the knock with counter c (SPEC.md §11.7 K2, K3): its length must fit
// fragment i of a small or large packet, and its tag must match, compared
// in constant time. It returns the chunk, which aliases payload. It does
// not allocate.
func (k *Key) CheckFragment(c uint64, n, i int, payload []byte) (chunk []byte, ok bool) {
	if !validFragment(n, i) || fragmentPacketLen(len(payload), n, i) == 0 {
		return nil, false
	}
	return k.checkFragmentTag(c, n, i, payload)
}

// checkFragmentTag is CheckFragment after the length check.
func (k *Key) checkFragmentTag(c uint64, n, i int, payload []byte) ([]byte, bool) {
	end := len(payload) - FragmentTagSize
	tag := k.fragmentTag(c, n, i, payload[:end])
	if subtle.ConstantTimeCompare(tag[:FragmentTagSize], payload[end:]) != 1 {
		return nil, false
	}
	return payload[:end], true
}

// fragmentTag returns HMAC(k_frag, "frag" || u64(c) || u8(n) || u8(i) ||
// chunk), untruncated.
func (k *Key) fragmentTag(c uint64, n, i int, chunk []byte) [32]byte {
	var head [fragHeadLen]byte
	copy(head[:], labelFragInput)
	binary.BigEndian.PutUint64(head[len(labelFragInput):], c)
	head[fragHeadLen-2] = byte(n)
	head[fragHeadLen-1] = byte(i)
	return shortMAC(&k.k.frag, head[:], chunk)
}
