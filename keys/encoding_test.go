package keys

import (
	"errors"
	"strings"
	"testing"

	"github.com/spa-project/spa/spa"
)

// Golden encodings of the value 01 02 ... 20, computed independently
// (Python: prefix + b32encode(v + sha256(prefix + v)[:4]).rstrip("=").lower()).
const (
	goldenClientSecret = "spa-client-secret-aebagbafaydqqcikbmga2dqpcaireeyuculbogazdinryhi6d4qb2cr4ru"
	goldenClientKey    = "spa-client-key-aebagbafaydqqcikbmga2dqpcaireeyuculbogazdinryhi6d4qolegbme"
	goldenServerID     = "spa-server-id-aebagbafaydqqcikbmga2dqpcaireeyuculbogazdinryhi6d4qcszl53y"
)

func goldenValue() (v [spa.KeySize]byte) {
	for i := range v {
		v[i] = byte(i + 1)
	}
	return v
}

func TestGoldenEncodings(t *testing.T) {
	v := goldenValue()
	if got := (ClientSecret{b: newKeyRef(v)}).Encode(); got != goldenClientSecret {
		t.Errorf("ClientSecret.Encode = %q, want %q", got, goldenClientSecret)
	}
	if got := (ClientServerKey{b: newKeyRef(v)}).Encode(); got != goldenClientKey {
		t.Errorf("ClientServerKey.Encode = %q, want %q", got, goldenClientKey)
	}
	if got := ServerIDFromSPA(v).Encode(); got != goldenServerID {
		t.Errorf("ServerID.Encode = %q, want %q", got, goldenServerID)
	}

	s, err := ParseClientSecret(goldenClientSecret)
	if err != nil {
		t.Fatal(err)
	}
	if s.value() != v {
		t.Errorf("ParseClientSecret(golden) = %x, want %x", s.value(), v)
	}
	k, err := ParseClientServerKey(goldenClientKey)
	if err != nil {
		t.Fatal(err)
	}
	if k.Bytes() != v {
		t.Errorf("ParseClientServerKey(golden) = %x, want %x", k.Bytes(), v)
	}
	id, err := ParseServerID(goldenServerID)
	if err != nil {
		t.Fatal(err)
	}
	if id.SPA() != spa.ServerID(v) {
		t.Errorf("ParseServerID(golden) = %x, want %x", id.SPA(), v)
	}
}

func TestEncodingShape(t *testing.T) {
	for _, s := range []string{
		testSecret("shape").Encode(),
		testSecret("shape").ForServer(testServerID(t, "a")).Encode(),
		testServerID(t, "a").Encode(),
	} {
		b := body(s)
		if len(b) != 58 {
			t.Errorf("%q: base32 part has %d characters, want 58", s, len(b))
		}
		if b != strings.ToLower(b) || strings.ContainsAny(s, "= \n") {
			t.Errorf("%q: not lower-case unpadded base32", s)
		}
	}
}

// codec is one of the three text forms, for table-driven tests.
type codec struct {
	name   string
	prefix string
	secret bool
	parse  func(string) error
	sample func() string
}

func codecs(t *testing.T) []codec {
	return []codec{
		{"client secret", "spa-client-secret-", true,
			func(s string) error { _, err := ParseClientSecret(s); return err },
			func() string { return testSecret("codec").Encode() }},
		{"client key", "spa-client-key-", true,
			func(s string) error { _, err := ParseClientServerKey(s); return err },
			func() string { return testSecret("codec").ForServer(testServerID(t, "codec")).Encode() }},
		{"server id", "spa-server-id-", false,
			func(s string) error { _, err := ParseServerID(s); return err },
			func() string { return testServerID(t, "codec").Encode() }},
	}
}

func TestRoundTrip(t *testing.T) {
	for i := range 20 {
		label := strings.Repeat("x", i)
		sec := testSecret(label)
		id := testServerID(t, "host"+label)
		key := sec.ForServer(id)

		for _, text := range []string{sec.Encode(), "  " + sec.Encode() + "\r\n", upperBody(sec.Encode())} {
			got, err := ParseClientSecret(text)
			if err != nil {
				t.Fatalf("ParseClientSecret: %v", err)
			}
			if !got.Equal(sec) {
				t.Fatalf("client secret round trip of %q changed the value", text)
			}
		}
		for _, text := range []string{key.Encode(), "\t" + key.Encode() + "\n", upperBody(key.Encode())} {
			got, err := ParseClientServerKey(text)
			if err != nil {
				t.Fatalf("ParseClientServerKey: %v", err)
			}
			if !got.Equal(key) || got.Bytes() != key.Bytes() {
				t.Fatalf("client key round trip of %q changed the value", text)
			}
		}
		for _, text := range []string{id.Encode(), " " + id.String() + " ", upperBody(id.Encode())} {
			got, err := ParseServerID(text)
			if err != nil {
				t.Fatalf("ParseServerID: %v", err)
			}
			if !got.Equal(id) || got.SPA() != id.SPA() {
				t.Fatalf("server id round trip of %q changed the value", text)
			}
		}
	}
}

// upperBody upper-cases the base32 part of an encoded key.
func upperBody(s string) string {
	b := body(s)
	return s[:len(s)-len(b)] + strings.ToUpper(b)
}

func TestEverySingleCharacterChangeIsRejected(t *testing.T) {
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	for _, c := range codecs(t) {
		s := c.sample()
		p := len(c.prefix)
		tried := 0
		for i := p; i < len(s); i++ {
			for _, r := range alphabet {
				if byte(r) == s[i] {
					continue
				}
				mod := s[:i] + string(r) + s[i+1:]
				err := c.parse(mod)
				tried++
				if err == nil {
					t.Fatalf("%s: change at position %d to %q accepted", c.name, i, r)
				}
				if !errors.Is(err, errChecksum) && !errors.Is(err, errBadBase32) {
					t.Fatalf("%s: change at %d: error %v is neither checksum nor base32", c.name, i, err)
				}
				if c.secret {
					assertNoSubstring(t, err.Error(), body(mod))
				}
			}
		}
		if want := 58 * 31; tried != want {
			t.Errorf("%s: tried %d changes, want %d", c.name, tried, want)
		}
		// Changes of the prefix are rejected too.
		for i := range p {
			mod := s[:i] + "x" + s[i+1:]
			if s[i] == 'x' {
				mod = s[:i] + "y" + s[i+1:]
			}
			if err := c.parse(mod); err == nil {
				t.Errorf("%s: prefix change at %d accepted", c.name, i)
			}
		}
	}
}

func TestWrongRole(t *testing.T) {
	cs := codecs(t)
	for _, want := range cs {
		for _, got := range cs {
			if want.name == got.name {
				continue
			}
			err := want.parse(got.sample())
			if err == nil {
				t.Fatalf("parsing a %s as a %s succeeded", got.name, want.name)
			}
			msg := "keys: expected a " + want.name + " (" + want.prefix + "...), got a " + got.name
			if err.Error() != msg {
				t.Errorf("error = %q, want %q", err, msg)
			}
		}
	}
}

func TestMalformedErrors(t *testing.T) {
	for _, c := range codecs(t) {
		s := c.sample()
		b := body(s)
		zero := encode(&role{prefix: c.prefix}, &[spa.KeySize]byte{})
		const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
		last := strings.IndexByte(alphabet, b[len(b)-1])
		nonCanonical := alphabet[last|1]        // sets a bit that must be zero
		otherCanonical := alphabet[(last+4)%32] // changes a data bit
		tests := []struct {
			name  string
			text  string
			cause error
			msg   string
		}{
			{"short", s[:len(s)-1], errWrongLength, "wrong length"},
			{"long", s + "a", errWrongLength, "wrong length"},
			{"empty body", c.prefix, errWrongLength, "wrong length"},
			{"bad char", s[:len(s)-3] + "1" + s[len(s)-2:], errBadBase32, "bad base32 encoding"},
			{"padding", s[:len(s)-1] + "=", errBadBase32, "bad base32 encoding"},
			{"inner space", s[:len(s)-5] + " " + s[len(s)-4:], errBadBase32, "bad base32 encoding"},
			{"non-canonical tail", s[:len(s)-1] + string(nonCanonical), errBadBase32, "bad base32 encoding"},
			{"checksum", s[:len(s)-1] + string(otherCanonical), errChecksum, "checksum mismatch"},
			{"zero", zero, errZero, "all-zero value"},
		}
		for _, tt := range tests {
			err := c.parse(tt.text)
			if err == nil {
				t.Errorf("%s %s: accepted", c.name, tt.name)
				continue
			}
			if !errors.Is(err, tt.cause) {
				t.Errorf("%s %s: error %v, want cause %v", c.name, tt.name, err, tt.cause)
			}
			want := "keys: malformed " + c.name + ": " + tt.msg
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("%s %s: error %q, want prefix %q", c.name, tt.name, err, want)
			}
			if c.secret {
				assertNoSubstring(t, err.Error(), body(tt.text))
			}
		}
		// No prefix at all.
		err := c.parse(b)
		if err == nil || err.Error() != "keys: expected a "+c.name+" ("+c.prefix+"...)" {
			t.Errorf("%s without prefix: error %v", c.name, err)
		}
		// The prefix is case-sensitive.
		if err := c.parse(strings.ToUpper(s)); err == nil {
			t.Errorf("%s: upper-case prefix accepted", c.name)
		} else if c.secret {
			assertNoSubstring(t, strings.ToLower(err.Error()), strings.ToLower(b))
		}
	}
}

func TestZeroValuesEncodeToRejectedText(t *testing.T) {
	if _, err := ParseClientSecret(ClientSecret{}.Encode()); !errors.Is(err, errZero) {
		t.Errorf("zero ClientSecret: %v, want all-zero error", err)
	}
	if _, err := ParseClientServerKey(ClientServerKey{}.Encode()); !errors.Is(err, errZero) {
		t.Errorf("zero ClientServerKey: %v, want all-zero error", err)
	}
	if _, err := ParseServerID(ServerID{}.Encode()); !errors.Is(err, errZero) {
		t.Errorf("zero ServerID: %v, want all-zero error", err)
	}
}
