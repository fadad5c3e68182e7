package spa

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"sync"
)

// Key is everything one side needs to seal or open packets between one
// client and one server: the per-purpose keys derived from the client-server
// key, and the server identity. It is safe for concurrent use.
type Key struct {
	name string
	id   ServerID
	k    purposeKeys
	// macPrefix is "spa1" || server_id, the fixed start of every MAC input.
	macPrefix [len(labelMACPrefix) + len(ServerID{})]byte
	// macs holds reusable HMAC states: hmac.New costs six allocations, and a
	// hash.Hash is not safe for concurrent use.
	macs sync.Pool
}

type macState struct {
	h   hash.Hash
	sum [sha256.Size]byte
}

// NewKey derives a Key from a client-server key (see
// [DeriveClientServerKey]) for the server id. name identifies the client
// to the caller (the server's client name) and is never used in the
// protocol.
func NewKey(name string, clientServerKey [KeySize]byte, id ServerID) *Key {
	k := &Key{name: name, id: id, k: derivePurposeKeys(&clientServerKey)}
	copy(k.macPrefix[:], labelMACPrefix)
	copy(k.macPrefix[len(labelMACPrefix):], id[:])
	k.macs.New = func() any { return &macState{h: hmac.New(sha256.New, k.k.mac[:])} }
	return k
}

// Name returns the name given to NewKey.
func (k *Key) Name() string { return k.name }

// ServerID returns the identity of the server the key belongs to.
func (k *Key) ServerID() ServerID { return k.id }

// Hint returns the key hint and header mask for an epoch (SPEC.md §3.1).
func (k *Key) Hint(epoch uint64) (hint [HintLen]byte, mask byte) {
	var in [len(labelHintInput) + 8]byte
	copy(in[:], labelHintInput)
	binary.BigEndian.PutUint64(in[len(labelHintInput):], epoch)
	m := hmac.New(sha256.New, k.k.hint[:])
	m.Write(in[:])
	var sum [sha256.Size]byte
	m.Sum(sum[:0])
	copy(hint[:], sum[:HintLen])
	return hint, sum[HintLen]
}

// checkTag reports in constant time whether the packet's tag is right.
// pkt is a whole packet of a valid length.
func (k *Key) checkTag(pkt []byte) bool {
	st := k.macs.Get().(*macState)
	end := len(pkt) - TagSize
	ok := hmac.Equal(k.tag(st, pkt[:HeaderLen], pkt[HeaderLen:end]), pkt[end:])
	k.macs.Put(st)
	return ok
}

// putTag writes the tag into the last TagSize bytes of pkt.
func (k *Key) putTag(pkt []byte) {
	st := k.macs.Get().(*macState)
	end := len(pkt) - TagSize
	copy(pkt[end:], k.tag(st, pkt[:HeaderLen], pkt[HeaderLen:end]))
	k.macs.Put(st)
}

// tag computes HMAC(k_mac, "spa1" || server_id || header || ciphertext)
// truncated to TagSize bytes. The result aliases st.
func (k *Key) tag(st *macState, header, ciphertext []byte) []byte {
	st.h.Reset()
	st.h.Write(k.macPrefix[:])
	st.h.Write(header)
	st.h.Write(ciphertext)
	return st.h.Sum(st.sum[:0])[:TagSize]
}
