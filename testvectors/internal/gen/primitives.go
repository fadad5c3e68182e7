package main

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"golang.org/x/crypto/chacha20"
)

// Wire constants of SPEC.md §3.1 and §4.
const (
	hdrV1Suite1 = 0x11   // version 1, suite 1, before masking
	epochMs     = 300000 // hint epoch length
	headLen     = 29     // hdr || hint || nonce
	tagLen      = 16
	smallBody   = 112
	largeBody   = 240
)

// keys is everything a sender derives for one (client secret, server) pair
// (SPEC.md §2, §3).
type keys struct {
	serverID, kcs, mac, enc, hint, knock, frag []byte
}

// serverID is SHA-256("spa1 server id" || N).
func serverID(name string) []byte {
	h := sha256.Sum256(append([]byte("spa1 server id"), name...))
	return h[:]
}

// clientServerKey is K_cs = HKDF(salt "spa1/client-server", IKM S, info server_id, 32).
func clientServerKey(secret, sid []byte) []byte {
	k, err := hkdf.Key(sha256.New, secret, []byte("spa1/client-server"), string(sid), 32)
	must(err)
	return k
}

// purposeKeys derives the per-purpose keys from K_cs.
func purposeKeys(sid, kcs []byte) keys {
	prk, err := hkdf.Extract(sha256.New, kcs, []byte("spa1"))
	must(err)
	expand := func(label string) []byte {
		k, err := hkdf.Expand(sha256.New, prk, label, 32)
		must(err)
		return k
	}
	return keys{
		serverID: sid,
		kcs:      kcs,
		mac:      expand("spa1 mac hmac-sha256"),
		enc:      expand("spa1 enc xchacha20"),
		hint:     expand("spa1 key hint"),
		knock:    expand("spa1 knock ports"),
		frag:     expand("spa1 fragment tag"),
	}
}

// senderKeys derives the keys a client with secret S uses for server N.
func senderKeys(secret []byte, server string) keys {
	sid := serverID(server)
	return purposeKeys(sid, clientServerKey(secret, sid))
}

// epoch is floor(t / 300000).
func epoch(t uint64) uint64 { return t / epochMs }

// hintFor returns hint = H[0:4] and mask = H[4] with H = HMAC(k_hint, "hint" || u64(e)).
func hintFor(kHint []byte, e uint64) ([]byte, byte) {
	m := hmac.New(sha256.New, kHint)
	m.Write([]byte("hint"))
	m.Write(binary.BigEndian.AppendUint64(nil, e))
	h := m.Sum(nil)
	return h[:4], h[4]
}

// xchacha20 returns the first n bytes of the XChaCha20 keystream.
func xchacha20(key, nonce []byte, n int) []byte {
	c, err := chacha20.NewUnauthenticatedCipher(key, nonce)
	must(err)
	out := make([]byte, n)
	c.XORKeyStream(out, out)
	return out
}

// xor returns a XOR b; the slices have equal length.
func xor(a, b []byte) []byte {
	out := make([]byte, len(a))
	for i := range a {
		out[i] = a[i] ^ b[i]
	}
	return out
}

// packetTag is HMAC(k_mac, "spa1" || server_id || head || ciphertext)[0:16].
func packetTag(kMAC, sid, head, ct []byte) []byte {
	m := hmac.New(sha256.New, kMAC)
	m.Write([]byte("spa1"))
	m.Write(sid)
	m.Write(head)
	m.Write(ct)
	return m.Sum(nil)[:tagLen]
}

// seal builds a datagram (SPEC.md §6) from a plaintext. The unmasked header
// and the hint epoch are parameters so negative cases can use other values;
// the tag is always computed over the bytes as sent.
func seal(k keys, hdr byte, e uint64, nonce, plaintext []byte) []byte {
	hint, mask := hintFor(k.hint, e)
	pkt := []byte{hdr ^ mask}
	pkt = append(pkt, hint...)
	pkt = append(pkt, nonce...)
	ct := xor(plaintext, xchacha20(k.enc, nonce, len(plaintext)))
	pkt = append(pkt, ct...)
	return append(pkt, packetTag(k.mac, k.serverID, pkt[:headLen], ct)...)
}

// checkXChaCha20 confirms that chacha20.NewUnauthenticatedCipher with a
// 24-byte nonce is the construction SPEC.md §1 defines: HChaCha20 subkey,
// nonce 00000000 || n[16:24], block counter starting at 0.
func checkXChaCha20() error {
	key := digest("spa test vectors: xchacha20 check key")
	nonce := digest("spa test vectors: xchacha20 check nonce")[:24]
	sub, err := chacha20.HChaCha20(key, nonce[:16])
	if err != nil {
		return err
	}
	c, err := chacha20.NewUnauthenticatedCipher(sub, append(make([]byte, 4), nonce[16:]...))
	if err != nil {
		return err
	}
	want := make([]byte, 200)
	c.XORKeyStream(want, want)
	if got := xchacha20(key, nonce, len(want)); !bytes.Equal(got, want) {
		return fmt.Errorf("xchacha20 keystream differs from hchacha20 + chacha20 (spec §1)")
	}
	return nil
}

// digest is SHA-256 of a label, the source of every fixed key and nonce.
func digest(label string) []byte {
	h := sha256.Sum256([]byte(label))
	return h[:]
}

// must panics on an error that only a bug in the generator can cause.
func must(err error) {
	if err != nil {
		panic(err)
	}
}
