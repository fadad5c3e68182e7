package spa_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/binary"
	"testing"

	"github.com/spa-project/spa/spa"
	"github.com/spa-project/spa/testvectors"
)

// The generated RFC 4226 vectors (SPEC.md §12.2) agree with the HOTP core.
func TestHOTPVectorFiles(t *testing.T) {
	vs, err := testvectors.HOTPs()
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 10 {
		t.Fatalf("%d HOTP vectors, want 10", len(vs))
	}
	for _, v := range vs {
		var msg [8]byte
		binary.BigEndian.PutUint64(msg[:], v.Counter)
		m := hmac.New(sha1.New, v.Secret)
		m.Write(msg[:])
		if !bytes.Equal(m.Sum(nil), v.HMACSHA1) {
			t.Errorf("%s: HMAC differs", v.Name)
		}
		if got := spa.DynamicTruncate(v.HMACSHA1); got != v.Truncated {
			t.Errorf("%s: DT %d, want %d", v.Name, got, v.Truncated)
		}
		if got := spa.FormatOTP(spa.HOTP(v.Secret, v.Counter, v.Digits), v.Digits); got != v.OTP {
			t.Errorf("%s: HOTP %s, want %s", v.Name, got, v.OTP)
		}
	}
}
