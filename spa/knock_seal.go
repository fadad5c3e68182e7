package spa

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/chacha20"
)

var errKnockResync = errors.New("a resync is never sent as a knock")

// SealKnock appends to dst the packet carrying body b as a knock with
// counter c (SPEC.md §11.6 step 2): like [Key.Seal], but the sealed body has
// [FlagFragmented] set and its counter is c, whatever b holds (b is not
// modified). A resync cannot be sent as a knock. The nonce rule of
// [Key.Seal] applies.
func (k *Key) SealKnock(dst []byte, b *Body, c uint64, nonce *[NonceSize]byte, size Bucket) ([]byte, error) {
	kb := *b
	kb.Flags &^= FlagFragmented
	kb.Counter = c
	if err := kb.Validate(); err != nil {
		return dst, fmt.Errorf("spa: cannot seal body: %w", err)
	}
	if kb.Type == MsgResync {
		return dst, fmt.Errorf("spa: cannot seal body: %w", errKnockResync)
	}
	if c > MaxKnockCounter {
		return dst, ErrCounterUnusable
	}
	n := size.bodyLen()
	start := len(dst)
	dst = append(dst, make([]byte, HeaderLen+n+TagSize)...)
	pkt := dst[start:]

	hint, mask := k.Hint(Epoch(kb.UnixMilli))
	pkt[0] = hdrV1Suite1 ^ mask
	copy(pkt[offHint:], hint[:])
	copy(pkt[offNonce:], nonce[:])

	body := pkt[HeaderLen : HeaderLen+n]
	kb.encode(body)
	body[offFlags] |= byte(FlagFragmented)
	k.xorBody(body, body, nonce[:])
	k.putTag(pkt)
	return dst, nil
}

// Knock makes a whole knock (SPEC.md §11.6 steps 2 and 3): it seals b with
// counter c and returns the n ports and the datagram payload for each. The
// caller sends payloads[i] to ports[i]. For HOTP, the caller must have
// stored c+1 as its next counter before sending; on [ErrCounterUnusable] it
// moves on to the next counter.
func (k *Key) Knock(b *Body, c uint64, n int, r PortRange, excluded func(uint16) bool, nonce *[NonceSize]byte, size Bucket) (ports []uint16, payloads [][]byte, err error) {
	if ports, err = k.KnockPorts(c, n, r, excluded); err != nil {
		return nil, nil, err
	}
	pkt, err := k.SealKnock(nil, b, c, nonce, size)
	if err != nil {
		return nil, nil, err
	}
	return ports, k.Fragments(make([][]byte, 0, n), pkt, c, n), nil
}

// xorBody writes src XOR XChaCha20(k_enc, nonce) into dst.
func (k *Key) xorBody(dst, src, nonce []byte) {
	c, err := chacha20.NewUnauthenticatedCipher(k.k.enc[:], nonce)
	if err != nil {
		panic("spa: internal error: xchacha20: " + err.Error())
	}
	c.XORKeyStream(dst, src)
}

// OpenKnock verifies a packet reassembled from a knock (SPEC.md §11.7 K5):
// [HintTable.Open]'s steps 1 to 6, considering only the knock's client
// (cand.Key), and requiring the body to carry [FlagFragmented], the knock's
// counter cand.Counter, and a type other than resync (else
// [ReasonBadBody]). The body returned has FlagFragmented set.
//
// As with Open, key is non-nil whenever the packet's MAC matched, even if a
// later step failed. In HOTP mode that is the moment the server must
// advance its counter past cand.Counter.
func (t *HintTable) OpenKnock(pkt []byte, now time.Time, cand Candidate) (key *Key, b Body, err error) {
	n := bodyLenOf(len(pkt))
	if n == 0 {
		return nil, b, ReasonMalformed
	}
	key, epoch, err := t.authenticateKnock(pkt, cand.Key)
	if err != nil {
		return nil, b, err
	}

	// The packet is authentic: only now is the body decrypted.
	var buf [BodyLenLarge]byte
	body := t.decrypt(key, pkt, buf[:n])
	if err := checkKnockBinding(body, cand.Counter); err != nil {
		return key, Body{}, err
	}
	body[offFlags] &^= byte(FlagFragmented)
	if b, err = ParseBody(body); err != nil {
		return key, Body{}, err
	}
	b.Flags |= FlagFragmented
	return t.checkTime(key, b, epoch, now)
}

// authenticateKnock is step 3 restricted to the knock's client.
func (t *HintTable) authenticateKnock(pkt []byte, want *Key) (*Key, uint64, error) {
	found, hdrOK := false, false
	for _, c := range t.cands[binary.BigEndian.Uint32(pkt[offHint:offNonce])] {
		if c.key != want {
			continue
		}
		found = true
		if pkt[0]^c.mask != hdrV1Suite1 {
			continue
		}
		hdrOK = true
		if t.onMAC != nil {
			t.onMAC()
		}
		if c.key.checkTag(pkt) {
			return c.key, c.epoch, nil
		}
	}
	switch {
	case !found:
		return nil, 0, ReasonUnknownKey
	case !hdrOK:
		return nil, 0, ReasonMalformed
	}
	return nil, 0, ReasonAuth
}

// checkKnockBinding checks what binds a decrypted body to its knock
// (SPEC.md §5.1 rule 2): FRAGMENTED set, counter = c, not a resync.
func checkKnockBinding(body []byte, c uint64) error {
	switch {
	case Flags(body[offFlags])&FlagFragmented == 0:
		return fmt.Errorf("%w: knock packet without the fragmented flag", ReasonBadBody)
	case binary.BigEndian.Uint64(body[offCounter:]) != c:
		return fmt.Errorf("%w: body counter %d, knock counter %d", ReasonBadBody, binary.BigEndian.Uint64(body[offCounter:]), c)
	case MsgType(body[offType]) == MsgResync:
		return fmt.Errorf("%w: %w", ReasonBadBody, errKnockResync)
	}
	return nil
}
