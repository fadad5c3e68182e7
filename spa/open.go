package spa

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// Open runs verification steps 1 to 6 of SPEC.md §7 on a received packet:
// length, key hint, header and MAC, decryption, strict parsing and
// freshness at now. Steps 7 onwards (address, policy, replay) are the
// caller's.
//
// It returns the key that authenticated the packet whenever the MAC
// matched, even if a later step failed, so the caller can attribute the
// failure; key is nil for every failure before authentication. Errors are
// [Reason] values or wrap one. Nothing is decrypted unless the MAC matches,
// and the reject path before that does not allocate.
func (t *HintTable) Open(pkt []byte, now time.Time) (key *Key, b Body, err error) {
	n := bodyLenOf(len(pkt))
	if n == 0 {
		return nil, b, ReasonMalformed
	}
	cands := t.cands[binary.BigEndian.Uint32(pkt[offHint:offNonce])]
	if len(cands) == 0 {
		return nil, b, ReasonUnknownKey
	}
	key, epoch, err := t.authenticate(pkt, cands)
	if err != nil {
		return nil, b, err
	}

	// The packet is authentic: only now is the body decrypted.
	var buf [BodyLenLarge]byte
	body := t.decrypt(key, pkt, buf[:n])
	if b, err = ParseBody(body); err != nil {
		return key, Body{}, err
	}
	return t.checkTime(key, b, epoch, now)
}

// decrypt is step 4: it decrypts the authenticated packet's body into body,
// which must be its length, and returns it.
func (t *HintTable) decrypt(key *Key, pkt, body []byte) []byte {
	if t.onDecrypt != nil {
		t.onDecrypt()
	}
	key.xorBody(body, pkt[HeaderLen:HeaderLen+len(body)], pkt[offNonce:HeaderLen])
	return body
}

// checkTime is §5.1 rule 7 (the timestamp's epoch is the hint's) and step
// 6 (freshness) on a parsed body.
func (t *HintTable) checkTime(key *Key, b Body, epoch uint64, now time.Time) (*Key, Body, error) {
	if e := Epoch(b.UnixMilli); e != epoch {
		return key, Body{}, fmt.Errorf("%w: timestamp epoch %d does not match the hint's epoch %d", ReasonBadBody, e, epoch)
	}
	if !fresh(b.UnixMilli, now, t.window) {
		return key, b, ReasonStale
	}
	return key, b, nil
}

// authenticate tries each candidate whose mask yields a version 1 suite 1
// header and returns the first whose tag matches.
func (t *HintTable) authenticate(pkt []byte, cands []candidate) (*Key, uint64, error) {
	hdrOK := false
	for _, c := range cands {
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
	if !hdrOK {
		return nil, 0, ReasonMalformed
	}
	return nil, 0, ReasonAuth
}

// fresh reports whether now-window <= ts <= now+window (SPEC.md §8).
func fresh(ts uint64, now time.Time, window time.Duration) bool {
	if ts > math.MaxInt64 {
		return false
	}
	d := int64(ts) - now.UnixMilli()
	w := window.Milliseconds()
	return d >= -w && d <= w
}
