package profile

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Token format: TokenPrefix followed by the unpadded base64url encoding of
// payload || checksum, where payload is the profile as TOML without comments
// and checksum = SHA-256(TokenPrefix || payload)[0:4]. The checksum catches a
// token that was cut or mistyped; Parse then checks the payload fully.
const (
	// TokenPrefix starts every profile token.
	TokenPrefix = "spa1-profile:"
	// tokenChecksumSize is the length of the token's checksum.
	tokenChecksumSize = 4
	// maxTokenLen bounds the tokens ParseToken accepts.
	maxTokenLen = 64 << 10
)

// EncodeToken returns the profile as a token: one line without spaces,
// starting with [TokenPrefix], for CI secrets and the SPA_PROFILE variable.
// It holds the secret: handle it as carefully as the secret itself.
func (p *Profile) EncodeToken() string {
	payload := p.marshal(false)
	defer clear(payload)
	sum := tokenChecksum(payload)
	buf := append(append([]byte(nil), payload...), sum[:]...)
	defer clear(buf)
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(buf)
}

// ParseToken parses a token made by [Profile.EncodeToken]; surrounding white
// space is ignored. Errors start with "malformed token" and never contain the
// token or the secret.
func ParseToken(s string) (*Profile, error) {
	s = strings.TrimSpace(s)
	body, ok := strings.CutPrefix(s, TokenPrefix)
	if !ok {
		return nil, fmt.Errorf("malformed token: it must start with %q", TokenPrefix)
	}
	if len(body) > maxTokenLen {
		return nil, errors.New("malformed token: too long")
	}
	buf, err := base64.RawURLEncoding.Strict().DecodeString(body)
	if err != nil {
		return nil, errors.New("malformed token: bad base64url encoding (was it copied completely and unchanged?)")
	}
	defer clear(buf)
	if len(buf) <= tokenChecksumSize {
		return nil, errors.New("malformed token: too short (was it copied completely?)")
	}
	payload, sum := buf[:len(buf)-tokenChecksumSize], buf[len(buf)-tokenChecksumSize:]
	want := tokenChecksum(payload)
	if !bytes.Equal(sum, want[:]) {
		return nil, errors.New("malformed token: checksum mismatch (was it copied completely and unchanged?)")
	}
	p, err := Parse("token", payload)
	if err != nil {
		return nil, fmt.Errorf("malformed token: %w", err)
	}
	return p, nil
}

// tokenChecksum returns SHA-256(TokenPrefix || payload)[0:4].
func tokenChecksum(payload []byte) [tokenChecksumSize]byte {
	h := sha256.New()
	h.Write([]byte(TokenPrefix))
	h.Write(payload)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return [tokenChecksumSize]byte(sum[:tokenChecksumSize])
}
