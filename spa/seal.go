package spa

import (
	"fmt"
	"io"

	"golang.org/x/crypto/chacha20"
)

// Seal appends to dst the packet carrying body b, encrypted and
// authenticated under k with the given nonce, in the given size bucket
// (SPEC.md §6). The nonce must never be used twice with the same key: use
// [Key.SealRandom] unless the nonce is pinned on purpose, as in test
// vectors. Seal refuses a non-canonical body.
func (k *Key) Seal(dst []byte, b *Body, nonce *[NonceSize]byte, size Bucket) ([]byte, error) {
	if err := b.Validate(); err != nil {
		return dst, fmt.Errorf("spa: cannot seal body: %w", err)
	}
	n := size.bodyLen()
	start := len(dst)
	dst = append(dst, make([]byte, HeaderLen+n+TagSize)...)
	pkt := dst[start:]

	hint, mask := k.Hint(Epoch(b.UnixMilli))
	pkt[0] = hdrV1Suite1 ^ mask
	copy(pkt[offHint:], hint[:])
	copy(pkt[offNonce:], nonce[:])

	body := pkt[HeaderLen : HeaderLen+n]
	b.encode(body)
	c, err := chacha20.NewUnauthenticatedCipher(k.k.enc[:], nonce[:])
	if err != nil {
		panic("spa: internal error: xchacha20: " + err.Error())
	}
	c.XORKeyStream(body, body)
	k.putTag(pkt)
	return dst, nil
}

// SealRandom is [Key.Seal] with a fresh nonce read from rand, which must be
// a cryptographically secure source such as crypto/rand.Reader.
func (k *Key) SealRandom(dst []byte, b *Body, rand io.Reader, size Bucket) ([]byte, error) {
	var nonce [NonceSize]byte
	if _, err := io.ReadFull(rand, nonce[:]); err != nil {
		return dst, fmt.Errorf("spa: reading nonce: %w", err)
	}
	return k.Seal(dst, b, &nonce, size)
}
