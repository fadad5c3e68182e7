package spa

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"fmt"
	"hash"
	"time"
)

// This file is the plain one-time-password core: HOTP (RFC 4226) and TOTP
// (RFC 6238). spa does not send these decimal codes anywhere; the knock
// ports use the same dynamic truncation over HMAC-SHA256 (SPEC.md §11.3,
// §11.4). The core exists so that the truncation is checked against the
// RFCs' known answers.

// OTPHash selects the HMAC hash of an HOTP or TOTP computation.
type OTPHash uint8

// The hashes RFC 6238 allows. RFC 4226 HOTP is OTPSHA1.
const (
	OTPSHA1 OTPHash = iota + 1
	OTPSHA256
	OTPSHA512
)

// String returns "sha1", "sha256" or "sha512".
func (h OTPHash) String() string {
	switch h {
	case OTPSHA1:
		return "sha1"
	case OTPSHA256:
		return "sha256"
	case OTPSHA512:
		return "sha512"
	}
	return fmt.Sprintf("otphash(%d)", uint8(h))
}

// ParseOTPHash returns the hash named "sha1", "sha256" or "sha512".
func ParseOTPHash(s string) (OTPHash, bool) {
	for h := OTPSHA1; h <= OTPSHA512; h++ {
		if h.String() == s {
			return h, true
		}
	}
	return 0, false
}

func (h OTPHash) new() func() hash.Hash {
	switch h {
	case OTPSHA1:
		return sha1.New
	case OTPSHA256:
		return sha256.New
	case OTPSHA512:
		return sha512.New
	}
	panic("spa: unknown OTP hash " + h.String())
}

// TOTPStep is the TOTP time step (RFC 6238 X = 30 s, T0 = 0), and the length
// of a knock-port counter in TOTP mode.
const TOTPStep = 30 * time.Second

// DynamicTruncate is the dynamic truncation DT of RFC 4226 §5.3,
// generalised as in SPEC.md §11.3: the offset is the low nibble of the last
// byte of h (h[19] for HMAC-SHA-1, as in RFC 4226; h[31] for HMAC-SHA256,
// as RFC 6238's reference code does for every hash), and the result is the
// 31-bit big-endian value at that offset. h must be at least 20 bytes long.
func DynamicTruncate(h []byte) uint32 {
	if len(h) < 20 {
		panic("spa: dynamic truncation of fewer than 20 bytes")
	}
	o := h[len(h)-1] & 0x0f
	return binary.BigEndian.Uint32(h[o:o+4]) & 0x7fffffff
}

// HOTP returns the RFC 4226 one-time password for key and counter:
// DT(HMAC-SHA-1(key, u64(counter))) mod 10^digits. digits must be 6, 7 or 8.
func HOTP(key []byte, counter uint64, digits int) uint32 {
	return HOTPHash(OTPSHA1, key, counter, digits)
}

// HOTPHash is [HOTP] with the HMAC hash h, as TOTP (RFC 6238) allows.
func HOTPHash(h OTPHash, key []byte, counter uint64, digits int) uint32 {
	mod := otpModulus(digits)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(h.new(), key)
	m.Write(msg[:])
	return DynamicTruncate(m.Sum(nil)) % mod
}

// TOTP returns the RFC 6238 one-time password at time t: HOTP with the
// hash h and counter [TOTPCounter](t).
func TOTP(h OTPHash, key []byte, t time.Time, digits int) uint32 {
	return HOTPHash(h, key, TOTPCounter(t), digits)
}

// TOTPCounter returns the TOTP time step of t: floor(unix seconds / 30),
// with T0 = 0. Times before 1970 give 0.
func TOTPCounter(t time.Time) uint64 {
	s := t.Unix()
	if s < 0 {
		return 0
	}
	return uint64(s) / uint64(TOTPStep/time.Second)
}

// FormatOTP writes an OTP value in decimal with leading zeros to digits
// characters, as an authenticator displays it.
func FormatOTP(v uint32, digits int) string {
	return fmt.Sprintf("%0*d", digits, v)
}

func otpModulus(digits int) uint32 {
	switch digits {
	case 6:
		return 1_000_000
	case 7:
		return 10_000_000
	case 8:
		return 100_000_000
	}
	panic(fmt.Sprintf("spa: OTP of %d digits; RFC 4226 allows 6 to 8", digits))
}
