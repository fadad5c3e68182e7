package keys

import (
	"fmt"

	"github.com/spa-project/spa/spa"
)

// ClientServerKey is a client-server key K_cs (SPEC.md §3): what a server
// stores for one enrolled client, derived with [ClientSecret.ForServer]. It is
// secret, but useless at any other server.
//
// A ClientServerKey never prints itself (see [ClientServerKey.Format]) and has
// no marshalling methods; [ClientServerKey.Encode] and [ClientServerKey.Bytes]
// are the only ways to get its value. It cannot be compared with ==; use
// [ClientServerKey.Equal]. The zero value is not a valid key.
type ClientServerKey struct {
	_ [0]func() // not comparable
	b keyRef    // not an array, so that fmt cannot print it; see keyRef
}

// ParseClientServerKey parses the text form of a client-server key
// ("spa-client-key-..."), as returned by [ClientServerKey.Encode]. Surrounding
// white space is ignored. Errors never contain any part of s.
func ParseClientServerKey(s string) (ClientServerKey, error) {
	v, err := decode(roleClientKey, s)
	defer clear(v[:])
	if err != nil {
		return ClientServerKey{}, fmt.Errorf("keys: %w", err)
	}
	return ClientServerKey{b: newKeyRef(v)}, nil
}

// Encode returns the text form of the key, "spa-client-key-" followed by 58
// base32 characters. Handle the result as carefully as the key itself. The
// zero ClientServerKey encodes to a text that [ParseClientServerKey] rejects.
func (k ClientServerKey) Encode() string {
	v := k.Bytes()
	defer clear(v[:])
	return encode(roleClientKey, &v)
}

// Bytes returns the raw key, for the spa package's packet functions. The
// result is secret: callers must not log, print or store it; store the key
// with [ClientServerKey.Encode] instead.
func (k ClientServerKey) Bytes() [spa.KeySize]byte {
	return loadKey(k.b)
}

// Equal reports whether k and o are the same key, in constant time.
func (k ClientServerKey) Equal(o ClientServerKey) bool {
	return equalKeys(k.b, o.b)
}

// IsZero reports whether k is the zero ClientServerKey, which is not a valid
// key.
func (k ClientServerKey) IsZero() bool {
	return isZeroKey(k.b)
}
