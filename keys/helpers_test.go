package keys

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/spa-project/spa/spa"
)

// testValue returns a random-looking 32-byte value that depends on label.
func testValue(label string) [spa.KeySize]byte {
	return sha256.Sum256([]byte("keys test value: " + label))
}

func testSecret(label string) ClientSecret {
	v := testValue(label)
	return ClientSecret{b: newKeyRef(v)}
}

func testServerID(t *testing.T, name string) ServerID {
	t.Helper()
	id, err := NewServerID(name)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// leakForms returns substrings whose presence in some output would show that
// (part of) v leaked: hex, base32, base64, raw and decimal forms.
func leakForms(v [spa.KeySize]byte) []string {
	b32s := base32.StdEncoding.EncodeToString(v[:])
	dec := make([]string, 6)
	for i := range dec {
		dec[i] = fmt.Sprint(v[i])
	}
	forms := []string{
		hex.EncodeToString(v[:6]),
		strings.ToUpper(hex.EncodeToString(v[:6])),
		b32s[:10],
		strings.ToLower(b32s[:10]),
		base64.StdEncoding.EncodeToString(v[:])[:10],
		base64.RawURLEncoding.EncodeToString(v[:])[:10],
		string(v[:6]),
		strings.Join(dec, " "),
		strings.Join(dec, ","),
	}
	return forms
}

// assertNoLeak fails if out contains any form of v.
func assertNoLeak(t *testing.T, what, out string, v [spa.KeySize]byte) {
	t.Helper()
	for _, f := range leakForms(v) {
		if strings.Contains(out, f) {
			t.Errorf("%s leaks the key (contains %q): %q", what, f, out)
			return
		}
	}
}

// assertNoSubstring fails if msg contains any 6-character piece of text.
func assertNoSubstring(t *testing.T, msg, text string) {
	t.Helper()
	const n = 6
	for i := 0; i+n <= len(text); i++ {
		if strings.Contains(msg, text[i:i+n]) {
			t.Errorf("error %q contains part %q of the parsed text", msg, text[i:i+n])
			return
		}
	}
}

// body returns the base32 part of an encoded key.
func body(s string) string {
	return s[strings.LastIndexByte(s, '-')+1:]
}
