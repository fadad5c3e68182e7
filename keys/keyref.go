package keys

import (
	"crypto/subtle"

	"github.com/spa-project/spa/spa"
)

// keyRef holds a secret key where fmt cannot print it. A ClientSecret or
// ClientServerKey in an unexported struct field is printed by reflection,
// without calling its Format method. fmt prints an array in place, and the
// array behind a pointer whenever it formats the pointer at top level (as it
// does for a bad verb such as %s), but it never follows a pointer to a
// pointer: it prints the address. Nil means the zero key. The array is never
// modified after creation, so copies of a keyRef may share it.
type keyRef **[spa.KeySize]byte

// newKeyRef returns a keyRef holding a copy of v.
func newKeyRef(v [spa.KeySize]byte) keyRef {
	p := &v
	return &p
}

// loadKey returns a copy of the key held by r.
func loadKey(r keyRef) [spa.KeySize]byte {
	if r == nil || *r == nil {
		return [spa.KeySize]byte{}
	}
	return **r
}

// equalKeys reports whether a and b hold the same key, in constant time.
func equalKeys(a, b keyRef) bool {
	x, y := loadKey(a), loadKey(b)
	defer clear(x[:])
	defer clear(y[:])
	return subtle.ConstantTimeCompare(x[:], y[:]) == 1
}

// isZeroKey reports whether r holds the zero key, in constant time.
func isZeroKey(r keyRef) bool {
	return equalKeys(r, nil)
}
