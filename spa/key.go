package spa

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"hash"
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
	// macs is a free list of reusable HMAC states: hmac.New costs six
	// allocations, and a hash.Hash is not safe for concurrent use. (A
	// channel rather than sync.Pool: the pool drops entries at random under
	// the race detector, and the reject path must not allocate there
	// either.)
	macs chan *macState
}

// macStates is how many idle HMAC states a key keeps: enough for the
// daemon's concurrent workers.
const macStates = 8

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
	k.macs = make(chan *macState, macStates)
	return k
}

// getMAC returns an idle HMAC state, or a new one.
func (k *Key) getMAC() *macState {
	select {
	case st := <-k.macs:
		return st
	default:
		return &macState{h: hmac.New(sha256.New, k.k.mac[:])}
	}
}

// putMAC returns a state to the free list, or drops it if the list is full.
func (k *Key) putMAC(st *macState) {
	select {
	case k.macs <- st:
	default:
	}
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
	st := k.getMAC()
	end := len(pkt) - TagSize
	ok := hmac.Equal(k.tag(st, pkt[:HeaderLen], pkt[HeaderLen:end]), pkt[end:])
	k.putMAC(st)
	return ok
}

// putTag writes the tag into the last TagSize bytes of pkt.
func (k *Key) putTag(pkt []byte) {
	st := k.getMAC()
	end := len(pkt) - TagSize
	copy(pkt[end:], k.tag(st, pkt[:HeaderLen], pkt[HeaderLen:end]))
	k.putMAC(st)
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
