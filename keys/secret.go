package keys

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"github.com/spa-project/spa/spa"
)

// ClientSecret is a client's secret S (SPEC.md §2): 32 random bytes, one per
// client, that never leave the client. Servers hold only the
// [ClientServerKey] derived from it for them.
//
// A ClientSecret never prints itself (see [ClientSecret.Format]) and has no
// marshalling methods; [ClientSecret.Encode] is the only way to get it as text.
// It cannot be compared with ==; use [ClientSecret.Equal]. The zero value is
// not a valid secret ([ClientSecret.IsZero] reports it).
type ClientSecret struct {
	_ [0]func() // not comparable
	b keyRef    // not an array, so that fmt cannot print it; see keyRef
}

// GenerateClientSecret returns a new client secret read from rand, which
// should be [crypto/rand.Reader] (used when rand is nil); tests may pass a
// deterministic reader. It fails if rand fails or returns fewer than 32 bytes.
func GenerateClientSecret(rand io.Reader) (ClientSecret, error) {
	if rand == nil {
		rand = cryptoRand
	}
	var b [spa.KeySize]byte
	defer clear(b[:])
	if _, err := io.ReadFull(rand, b[:]); err != nil {
		return ClientSecret{}, fmt.Errorf("keys: generating client secret: %w", err)
	}
	if b == [spa.KeySize]byte{} {
		return ClientSecret{}, errors.New("keys: generating client secret: random source returned all zeros")
	}
	return ClientSecret{b: newKeyRef(b)}, nil
}

// cryptoRand is the default random source of GenerateClientSecret.
var cryptoRand io.Reader = rand.Reader

// ParseClientSecret parses the text form of a client secret
// ("spa-client-secret-..."), as returned by [ClientSecret.Encode]. Surrounding
// white space is ignored. Errors never contain any part of s.
func ParseClientSecret(s string) (ClientSecret, error) {
	k, err := parseClientSecret(s)
	if err != nil {
		return ClientSecret{}, fmt.Errorf("keys: %w", err)
	}
	return k, nil
}

// parseClientSecret is ParseClientSecret without the "keys: " error prefix.
func parseClientSecret(s string) (ClientSecret, error) {
	v, err := decode(roleClientSecret, s)
	defer clear(v[:])
	if err != nil {
		return ClientSecret{}, err
	}
	return ClientSecret{b: newKeyRef(v)}, nil
}

// Encode returns the text form of the secret, "spa-client-secret-" followed by
// 58 base32 characters. It is the only way to get the secret as text; handle
// the result as carefully as the secret itself. The zero ClientSecret encodes
// to a text that [ParseClientSecret] rejects.
func (k ClientSecret) Encode() string {
	v := k.value()
	defer clear(v[:])
	return encode(roleClientSecret, &v)
}

// ForServer returns the client-server key K_cs of this client for the server
// id (SPEC.md §3), the key that server stores for this client.
func (k ClientSecret) ForServer(id ServerID) ClientServerKey {
	v := k.value()
	defer clear(v[:])
	cs := spa.DeriveClientServerKey(&v, id.id)
	return ClientServerKey{b: newKeyRef(cs)}
}

// Equal reports whether k and o are the same secret, in constant time.
func (k ClientSecret) Equal(o ClientSecret) bool {
	return equalKeys(k.b, o.b)
}

// IsZero reports whether k is the zero ClientSecret, which is not a valid
// secret.
func (k ClientSecret) IsZero() bool {
	return isZeroKey(k.b)
}

// value returns a copy of the secret; all zeros for the zero value.
func (k ClientSecret) value() [spa.KeySize]byte {
	return loadKey(k.b)
}
