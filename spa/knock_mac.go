package spa

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash"
)

// portMAC is a reusable HMAC-SHA256 state under k_knock with its buffers.
// A table update uses one for all of a key's ports: after its first use,
// crypto/hmac resets from saved pad states, which saves two of the four
// SHA-256 blocks per port, but making one costs several allocations.
type portMAC struct {
	h   hash.Hash
	in  [knockInputLen]byte
	out [sha256.Size]byte
}

func (k *Key) newPortMAC() *portMAC { return &portMAC{h: hmac.New(sha256.New, k.k.knock[:])} }

func (m *portMAC) sum(c uint64, n, i, j int) [sha256.Size]byte {
	putKnockInput(&m.in, c, n, i, j)
	m.h.Reset()
	m.h.Write(m.in[:])
	m.h.Sum(m.out[:0])
	return m.out
}

// maxShortMAC is the longest message shortMAC takes: a tag input for the
// largest chunk.
const maxShortMAC = fragHeadLen + (PacketLenLarge+MinFragments-1)/MinFragments

// shortMAC returns HMAC-SHA256(key, head || tail) for a 32-byte key and a
// message of at most maxShortMAC bytes. It is RFC 2104 written out over
// sha256.Sum256 with both hash inputs in stack buffers, so it never
// allocates and shares no state: a Key has no room for free lists of
// k_knock and k_frag HMAC states, hmac.New costs six allocations, and the
// fragment-tag reject path must not allocate.
func shortMAC(key *[KeySize]byte, head, tail []byte) [sha256.Size]byte {
	var in [sha256.BlockSize + maxShortMAC]byte
	var out [sha256.BlockSize + sha256.Size]byte
	if len(head)+len(tail) > maxShortMAC {
		panic("spa: internal error: shortMAC message too long")
	}
	for i := range sha256.BlockSize {
		var b byte
		if i < KeySize {
			b = key[i]
		}
		in[i] = b ^ 0x36
		out[i] = b ^ 0x5c
	}
	n := sha256.BlockSize
	n += copy(in[n:], head)
	n += copy(in[n:], tail)
	inner := sha256.Sum256(in[:n])
	copy(out[sha256.BlockSize:], inner[:])
	return sha256.Sum256(out[:])
}
