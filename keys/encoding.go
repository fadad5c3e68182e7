package keys

import (
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"

	"github.com/spa-project/spa/spa"
)

// role describes one kind of key and its text form.
type role struct {
	prefix string // text prefix, e.g. "spa-client-secret-"
	name   string // human name, e.g. "client secret"
	secret bool   // whether the value is secret
}

var (
	roleClientSecret = &role{prefix: "spa-client-secret-", name: "client secret", secret: true}
	roleClientKey    = &role{prefix: "spa-client-key-", name: "client key", secret: true}
	roleServerID     = &role{prefix: "spa-server-id-", name: "server id", secret: false}

	allRoles = []*role{roleClientSecret, roleClientKey, roleServerID}
)

const (
	checksumSize = 4
	// encodedLen is the length of the base32 part: 36 bytes = 288 bits in
	// 58 characters of 5 bits, the last of which carries 2 zero bits.
	encodedLen = (8*(spa.KeySize+checksumSize) + 4) / 5
)

// b32 is RFC 4648 base32 with the standard alphabet and no padding.
var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Causes of a malformed encoding. They are wrapped with the role and, by the
// callers, with "keys: " and a location; none contains the parsed text.
var (
	errWrongLength = fmt.Errorf("wrong length (want %d base32 characters after the prefix)", encodedLen)
	errBadBase32   = errors.New("bad base32 encoding")
	errChecksum    = errors.New("checksum mismatch")
	errZero        = errors.New("all-zero value")
)

// checksum returns SHA-256(prefix || value)[0:4].
func checksum(r *role, value *[spa.KeySize]byte) [checksumSize]byte {
	h := sha256.New()
	h.Write([]byte(r.prefix))
	h.Write(value[:])
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return [checksumSize]byte(sum[:checksumSize])
}

// encode returns the text form of value in role r.
func encode(r *role, value *[spa.KeySize]byte) string {
	var buf [spa.KeySize + checksumSize]byte
	copy(buf[:], value[:])
	sum := checksum(r, value)
	copy(buf[spa.KeySize:], sum[:])
	s := r.prefix + strings.ToLower(b32.EncodeToString(buf[:]))
	clear(buf[:])
	return s
}

// decode parses the text form of a value in role r. Its errors have no
// "keys: " prefix and never contain any part of s.
func decode(r *role, s string) ([spa.KeySize]byte, error) {
	var value [spa.KeySize]byte
	s = strings.TrimSpace(s)
	body, ok := strings.CutPrefix(s, r.prefix)
	if !ok {
		for _, other := range allRoles {
			if other != r && strings.HasPrefix(s, other.prefix) {
				return value, fmt.Errorf("expected a %s (%s...), got a %s", r.name, r.prefix, other.name)
			}
		}
		return value, fmt.Errorf("expected a %s (%s...)", r.name, r.prefix)
	}
	if len(body) != encodedLen {
		return value, fmt.Errorf("malformed %s: %w", r.name, errWrongLength)
	}
	var upper [encodedLen]byte
	for i := range len(body) {
		c := body[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		if !('A' <= c && c <= 'Z' || '2' <= c && c <= '7') {
			return value, fmt.Errorf("malformed %s: %w", r.name, errBadBase32)
		}
		upper[i] = c
	}
	// The last character carries 3 data bits and 2 bits that must be zero;
	// without this check four different texts would decode to one value.
	if last := upper[encodedLen-1]; base32Value(last)&3 != 0 {
		clear(upper[:])
		return value, fmt.Errorf("malformed %s: %w", r.name, errBadBase32)
	}
	var buf [spa.KeySize + checksumSize]byte
	n, err := b32.Decode(buf[:], upper[:])
	clear(upper[:])
	if err != nil || n != len(buf) {
		clear(buf[:])
		return value, fmt.Errorf("malformed %s: %w", r.name, errBadBase32)
	}
	copy(value[:], buf[:spa.KeySize])
	want := checksum(r, &value)
	got := [checksumSize]byte(buf[spa.KeySize:])
	clear(buf[:])
	if got != want {
		clear(value[:])
		return value, fmt.Errorf("malformed %s: %w", r.name, errChecksum)
	}
	if value == [spa.KeySize]byte{} {
		return value, fmt.Errorf("malformed %s: %w", r.name, errZero)
	}
	return value, nil
}

// base32Value returns the 5-bit value of an upper-case standard base32
// character, which the caller has validated.
func base32Value(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c - 'A'
	}
	return c - '2' + 26
}
