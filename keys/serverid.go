package keys

import (
	"fmt"

	"github.com/spa-project/spa/spa"
)

// ServerID is the public identity of a server (SPEC.md §2), the SHA-256 hash
// of its name. It is not secret: it prints as its text form. It cannot be
// compared with ==; use [ServerID.Equal], or [ServerID.SPA] for a map key.
type ServerID struct {
	_  [0]func() // not comparable, like the secret types
	id spa.ServerID
}

// NewServerID returns the identity of the server called name, 1 to 255 bytes
// of UTF-8 (normally its host name).
func NewServerID(name string) (ServerID, error) {
	id, err := spa.NewServerID(name)
	if err != nil {
		return ServerID{}, fmt.Errorf("keys: server name %q: %w", name, err)
	}
	return ServerID{id: id}, nil
}

// ServerIDFromSPA returns the ServerID holding id.
func ServerIDFromSPA(id spa.ServerID) ServerID {
	return ServerID{id: id}
}

// ParseServerID parses the text form of a server identity
// ("spa-server-id-..."), as returned by [ServerID.Encode]. Surrounding white
// space is ignored. The text is not quoted in errors either, in case a
// mistyped secret was passed.
func ParseServerID(s string) (ServerID, error) {
	v, err := decode(roleServerID, s)
	if err != nil {
		return ServerID{}, fmt.Errorf("keys: %w", err)
	}
	return ServerID{id: v}, nil
}

// Encode returns the text form of the identity, "spa-server-id-" followed by
// 58 base32 characters.
func (s ServerID) Encode() string {
	v := [spa.KeySize]byte(s.id)
	return encode(roleServerID, &v)
}

// String returns the text form of the identity, like [ServerID.Encode].
func (s ServerID) String() string { return s.Encode() }

// SPA returns the identity as the spa package's type.
func (s ServerID) SPA() spa.ServerID { return s.id }

// Equal reports whether s and o are the same identity.
func (s ServerID) Equal(o ServerID) bool { return s.id == o.id }
