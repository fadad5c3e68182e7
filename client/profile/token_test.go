package profile

import (
	"github.com/spa-project/spa/spa"
	"strings"
	"testing"
)

func TestTokenRoundTrip(t *testing.T) {
	p := testProfile(t, 1)
	p.KnockPorts = KnockHOTP
	p.KnockFragments, p.KnockRange = 4, spa.DefaultKnockRange()
	tok := p.EncodeToken()
	if !strings.HasPrefix(tok, TokenPrefix) || strings.ContainsAny(tok, " \t\r\n=") {
		t.Fatalf("token %q is not one line with the prefix", tok)
	}
	got, err := ParseToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	assertSame(t, got, p)
	if got, err := ParseToken("  " + tok + "\n"); err != nil {
		t.Errorf("surrounding space: %v", err)
	} else {
		assertSame(t, got, p)
	}
}

func TestTokenEveryChangeRejected(t *testing.T) {
	p := testProfile(t, 2)
	tok := p.EncodeToken()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := len(TokenPrefix); i < len(tok); i++ {
		for _, c := range []byte{alphabet[(strings.IndexByte(alphabet, tok[i])+1)%64], alphabet[(strings.IndexByte(alphabet, tok[i])+32)%64]} {
			bad := tok[:i] + string(c) + tok[i+1:]
			_, err := ParseToken(bad)
			if err == nil {
				t.Fatalf("token with character %d changed to %q accepted", i, c)
			}
			if !strings.HasPrefix(err.Error(), "malformed token") {
				t.Errorf("error %q does not start with \"malformed token\"", err)
			}
			assertNoSecret(t, p, "error", err.Error())
			if strings.Contains(err.Error(), bad[len(TokenPrefix):len(TokenPrefix)+12]) {
				t.Fatalf("error echoes the token: %v", err)
			}
		}
	}
}

func TestTokenErrors(t *testing.T) {
	p := testProfile(t, 3)
	tok := p.EncodeToken()
	tests := map[string]string{
		"":                                       `malformed token: it must start with "spa1-profile:"`,
		"spa1-profil:" + tok[13:]:                `malformed token: it must start with "spa1-profile:"`,
		tok[:len(tok)-4]:                         "malformed token: checksum mismatch (was it copied completely and unchanged?)",
		tok + "=":                                "malformed token: bad base64url encoding (was it copied completely and unchanged?)",
		TokenPrefix + "AAAA":                     "malformed token: too short (was it copied completely?)",
		tok[:40] + " " + tok[40:]:                "malformed token: bad base64url encoding (was it copied completely and unchanged?)",
		TokenPrefix + strings.Repeat("A", 1<<17): "malformed token: too long",
	}
	for in, want := range tests {
		_, err := ParseToken(in)
		if err == nil || err.Error() != want {
			t.Errorf("ParseToken(%.30q...) = %v, want %q", in, err, want)
		}
	}
}

func TestTokenValidatedByParse(t *testing.T) {
	// A token whose checksum is right but whose profile is not: Parse's
	// checks apply, with the problem's line.
	p := testProfile(t, 4)
	p.Port = 0
	_, err := ParseToken(p.EncodeToken())
	want := "malformed token: token:3: port: 0 is out of range: must be 1 to 65535"
	if err == nil || err.Error() != want {
		t.Errorf("ParseToken = %v, want %q", err, want)
	}
}
