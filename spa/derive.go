package spa

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"unicode/utf8"
)

// Labels used for domain separation (SPEC.md §2, §3). Each is an exact byte
// string; changing any of them changes the protocol.
const (
	labelServerID     = "spa1 server id"
	labelClientServer = "spa1/client-server"
	labelPRKSalt      = "spa1"
	labelMAC          = "spa1 mac hmac-sha256"
	labelEnc          = "spa1 enc xchacha20"
	labelHint         = "spa1 key hint"
	labelKnock        = "spa1 knock ports"
	labelFrag         = "spa1 fragment tag"
	labelMACPrefix    = "spa1"
	labelHintInput    = "hint"
)

// KeySize is the size of client secrets, client-server keys and every derived
// key.
const KeySize = 32

// MaxServerNameLen is the longest server name accepted by NewServerID.
const MaxServerNameLen = 255

// ServerID is a server's identity: SHA-256("spa1 server id" || name). It is
// never transmitted; it enters the key derivation and every MAC, so a packet
// made for one server fails at every other.
type ServerID [32]byte

var errServerName = errors.New("spa: server name must be 1 to 255 bytes of UTF-8")

// NewServerID returns the identity of the server called name.
func NewServerID(name string) (ServerID, error) {
	if len(name) == 0 || len(name) > MaxServerNameLen || !utf8.ValidString(name) {
		return ServerID{}, errServerName
	}
	h := sha256.New()
	h.Write([]byte(labelServerID))
	h.Write([]byte(name))
	var id ServerID
	h.Sum(id[:0])
	return id, nil
}

// DeriveClientServerKey returns K_cs, the key a server holds for the client
// whose secret is secret (SPEC.md §3). The server never needs the secret
// itself, so a compromised server cannot forge packets for other servers.
func DeriveClientServerKey(secret *[KeySize]byte, id ServerID) [KeySize]byte {
	return hkdfKey(secret[:], []byte(labelClientServer), string(id[:]))
}

// purposeKeys are the per-purpose keys derived from one client-server key.
type purposeKeys struct {
	mac, enc, hint, knock, frag [KeySize]byte
}

func derivePurposeKeys(cs *[KeySize]byte) purposeKeys {
	prk, err := hkdf.Extract(sha256.New, cs[:], []byte(labelPRKSalt))
	if err != nil {
		panic("spa: internal error: hkdf extract: " + err.Error())
	}
	return purposeKeys{
		mac:   expand(prk, labelMAC),
		enc:   expand(prk, labelEnc),
		hint:  expand(prk, labelHint),
		knock: expand(prk, labelKnock),
		frag:  expand(prk, labelFrag),
	}
}

func expand(prk []byte, label string) (k [KeySize]byte) {
	out, err := hkdf.Expand(sha256.New, prk, label, KeySize)
	if err != nil {
		// Only possible for lengths above 255*32 bytes.
		panic("spa: internal error: hkdf expand: " + err.Error())
	}
	copy(k[:], out)
	return k
}

func hkdfKey(ikm, salt []byte, info string) (k [KeySize]byte) {
	out, err := hkdf.Key(sha256.New, ikm, salt, info, KeySize)
	if err != nil {
		panic("spa: internal error: hkdf: " + err.Error())
	}
	copy(k[:], out)
	return k
}
