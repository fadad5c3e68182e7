package profile

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/spa-project/spa/keys"
	"github.com/spa-project/spa/server/config/tomlfile"
	"github.com/spa-project/spa/spa"
)

const testServerName = "bastion.example.com"

// testProfile returns a valid profile with a deterministic secret.
func testProfile(t *testing.T, seed byte) *Profile {
	t.Helper()
	secret, err := keys.GenerateClientSecret(bytes.NewReader(bytes.Repeat([]byte{seed}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	id, err := keys.NewServerID(testServerName)
	if err != nil {
		t.Fatal(err)
	}
	return &Profile{
		Name:       "bastion",
		Server:     "203.0.113.10",
		Port:       62201,
		ServerName: testServerName,
		ServerID:   id,
		Secret:     secret,
		Ports:      []spa.Port{{Proto: spa.TCP, Port: 22}, {Proto: spa.UDP, Port: 53}},
		Client:     "alice",
	}
}

// secretFragments returns every 8-character piece of the base32 part of the
// profile's secret, in both cases.
func secretFragments(p *Profile) []string {
	b32 := strings.TrimPrefix(p.Secret.Encode(), "spa-client-secret-")
	var out []string
	for i := 0; i+8 <= len(b32); i++ {
		out = append(out, b32[i:i+8], strings.ToUpper(b32[i:i+8]))
	}
	return out
}

// assertNoSecret fails if s contains any part of the profile's secret.
func assertNoSecret(t *testing.T, p *Profile, what, s string) {
	t.Helper()
	for _, f := range secretFragments(p) {
		if strings.Contains(s, f) {
			t.Fatalf("%s contains part %q of the secret: %s", what, f, s)
		}
	}
}

// assertSame fails unless got and want describe the same profile.
func assertSame(t *testing.T, got, want *Profile) {
	t.Helper()
	if !got.Secret.Equal(want.Secret) {
		t.Error("secret differs")
	}
	if !got.ServerID.Equal(want.ServerID) {
		t.Error("server id differs")
	}
	if got.String() != want.String() || got.GoString() != want.GoString() {
		t.Errorf("got  %#v\nwant %#v", got, want)
	}
}

func TestFileRoundTrip(t *testing.T) {
	full := testProfile(t, 1)
	full.KnockPorts = KnockTOTP
	full.KnockFragments, full.KnockRange, full.KnockExclude = 6, spa.PortRange{Lo: 40000, Hi: 40999}, []uint16{40053}
	full.Actions = map[string]uint16{"restart-web": 1, "backup": 9}
	full.Server = "2001:db8::10"
	full.Port = 1
	minimal := testProfile(t, 2)
	minimal.Name, minimal.Client = "", ""
	for _, p := range []*Profile{full, minimal} {
		data := p.Marshal()
		if !bytes.HasPrefix(data, []byte("# ")) || !bytes.Contains(data, []byte("IT HOLDS A SECRET")) {
			t.Errorf("no warning header:\n%s", data)
		}
		got, err := Parse("p.toml", data)
		if err != nil {
			t.Fatal(err)
		}
		assertSame(t, got, p)
	}
}

func TestParseDefaultsPort(t *testing.T) {
	p := testProfile(t, 1)
	data := strings.Replace(string(p.Marshal()), "port = 62201\n", "", 1)
	got, err := Parse("p.toml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if got.Port != DefaultPort {
		t.Errorf("port = %d", got.Port)
	}
}

// withLine returns the profile's file with the line starting with key
// replaced by line ("" removes it).
func withLine(t *testing.T, p *Profile, key, line string) string {
	t.Helper()
	var out []string
	found := false
	for _, l := range strings.Split(string(p.Marshal()), "\n") {
		if strings.HasPrefix(l, key+" = ") {
			found = true
			if line == "" {
				continue
			}
			l = line
		}
		out = append(out, l)
	}
	if !found {
		t.Fatalf("no key %s", key)
	}
	return strings.Join(out, "\n")
}

func TestParseErrors(t *testing.T) {
	p := testProfile(t, 1)
	otherID, _ := keys.NewServerID("other.example.com")
	// Lines of Marshal: 1-4 comment, 5 name, 6 server, 7 port, 8 server_name,
	// 9 server_id, 10 client, 11 ports, 12 secret.
	key := func(seed byte) string {
		id, _ := keys.NewServerID(testServerName)
		return testProfile(t, seed).Secret.ForServer(id).Encode()
	}
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"unknown key", string(p.Marshal()) + "colour = \"blue\"\n",
			[]string{"F:13: colour: unknown key"}},
		{"inconsistent server_id", withLine(t, p, "server_id", `server_id = "`+otherID.Encode()+`"`),
			[]string{`F:9: server_id: server_id does not match server_name "bastion.example.com": the profile is inconsistent or corrupt; ask the server's administrator for a new one`}},
		{"bad port", withLine(t, p, "port", "port = 70000"),
			[]string{"F:7: port: 70000 is out of range: must be 1 to 65535"}},
		{"no ports", withLine(t, p, "ports", "ports = []"),
			[]string{`F:11: ports: must list 1 to 8 ports, such as ["tcp/22"]`}},
		{"too many ports", withLine(t, p, "ports", `ports = ["tcp/1","tcp/2","tcp/3","tcp/4","tcp/5","tcp/6","tcp/7","tcp/8","tcp/9"]`),
			[]string{`F:11: ports: must list 1 to 8 ports, such as ["tcp/22"]`}},
		{"bad port entry", withLine(t, p, "ports", `ports = ["tcp/22", "sctp/1"]`),
			[]string{`F:11: ports: port "sctp/1": unknown protocol "sctp": want PROTO/PORT such as "tcp/22" or "udp/53"`}},
		{"host with port", withLine(t, p, "server", `server = "bastion:62201"`),
			[]string{`F:6: server: host "bastion:62201" is not a host name or IP address (the port is set separately)`}},
		{"missing secret", withLine(t, p, "secret", ""),
			[]string{"F: secret: missing: the client's secret (spa-client-secret-...)"}},
		{"client key as secret", withLine(t, p, "secret", `secret = "`+key(1)+`"`),
			[]string{"F:12: secret: malformed client secret: expected a client secret (spa-client-secret-...), got a client key; a client key belongs on the server, the profile needs the client's secret"}},
		{"bad knock mode", string(p.Marshal()) + "knock_ports = \"yes\"\n",
			[]string{`F:13: knock_ports: "yes" is not one of "", "hotp", "totp"`}},
		{"several", withLine(t, p, "port", `port = "62201"`) + "x = 1\n",
			[]string{"F:13: x: unknown key", "F:7: port: must be an integer, not a string"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("F", []byte(tt.doc))
			var probs tomlfile.Problems
			if !errors.As(err, &probs) {
				t.Fatalf("error %v is not Problems", err)
			}
			if got := strings.Split(err.Error(), "\n"); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", err, strings.Join(tt.want, "\n"))
			}
			assertNoSecret(t, p, "error", err.Error())
		})
	}
}

func TestMalformedSecretNotInErrors(t *testing.T) {
	p := testProfile(t, 3)
	enc := p.Secret.Encode()
	i := len(enc) - 5
	c := byte('a')
	if enc[i] == 'a' {
		c = 'b'
	}
	for name, line := range map[string]string{
		"checksum":  `secret = "` + enc[:i] + string(c) + enc[i+1:] + `"`,
		"truncated": `secret = "` + enc[:40] + `"`,
		"unquoted":  `secret = ` + enc,
		"unclosed":  `secret = "` + enc,
		"array":     `secret = ["` + enc + `"]`,
		"as key":    enc + ` = "x"`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("F", []byte(withLine(t, p, "secret", line)))
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			assertNoSecret(t, p, "error", err.Error())
			if !strings.Contains(err.Error(), "F:12:") {
				t.Errorf("error does not name line 12: %v", err)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	if err := testProfile(t, 1).Validate(); err != nil {
		t.Fatal(err)
	}
	p := testProfile(t, 1)
	p.ServerName = "renamed"
	p.Port = 0
	err := p.Validate()
	if err == nil || !strings.Contains(err.Error(), "port: 0 is out of range") ||
		!strings.Contains(err.Error(), "server_id does not match server_name") {
		t.Fatalf("Validate = %v", err)
	}
	assertNoSecret(t, p, "error", err.Error())
	if err := (&Profile{}).Validate(); err == nil {
		t.Fatal("zero profile valid")
	}
}

func TestPrintingHidesSecret(t *testing.T) {
	p := testProfile(t, 4)
	want := `profile "bastion": client "alice" at 203.0.113.10:62201 (server "bastion.example.com"), ports tcp/22,udp/53`
	if p.String() != want {
		t.Errorf("String() = %q, want %q", p.String(), want)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
		for _, v := range []any{p, *p, []*Profile{p}, []Profile{*p}, map[string]Profile{"a": *p}, struct{ P Profile }{*p}} {
			out := fmt.Sprintf(verb, v)
			assertNoSecret(t, p, fmt.Sprintf("Sprintf(%q, %T)", verb, v), out)
		}
	}
	if s := fmt.Sprintf("%#v", p); !strings.Contains(s, "keys.ClientSecret(redacted)") {
		t.Errorf("%%#v = %s", s)
	}
}
