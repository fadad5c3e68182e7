package client

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/spa-project/spa/client/profile"
)

// testStore returns a store holding "bastion" (server 192.0.2.1) and
// "web" (server web.example.com).
func testStore(t *testing.T) *profile.Store {
	t.Helper()
	s := profile.NewStore(filepath.Join(t.TempDir(), "profiles"))
	p := testProfile(t, "192.0.2.1", 62201)
	if _, err := s.Import(p, "bastion", false); err != nil {
		t.Fatal(err)
	}
	p.Server = "web.example.com"
	if _, err := s.Import(p, "web", false); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSelectProfile(t *testing.T) {
	s := testStore(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "file.toml")
	p := testProfile(t, "198.51.100.1", 62201)
	if err := os.WriteFile(file, p.Marshal(), 0o600); err != nil {
		t.Fatal(err)
	}
	token := p.EncodeToken()
	for _, c := range []struct {
		flag, env, host   string
		wantServer, wHost string
	}{
		{"bastion", "", "", "192.0.2.1", ""},
		{"bastion", "", "10.9.9.9", "192.0.2.1", "10.9.9.9"},
		{"bastion", "", "bastion", "192.0.2.1", ""},
		{file, "", "", "198.51.100.1", ""},
		{"", token, "", "198.51.100.1", ""},
		{"", file, "", "198.51.100.1", ""},
		{"", token, "h.example", "198.51.100.1", "h.example"},
		{"", "", "web", "web.example.com", ""},
		{"", "", "web.example.com", "web.example.com", ""},
		{"", "", "192.0.2.1", "192.0.2.1", ""},
	} {
		sel, err := SelectProfile(s, c.flag, c.env, c.host)
		if err != nil {
			t.Errorf("%q %q %q: %v", c.flag, c.env, c.host, err)
			continue
		}
		if sel.Profile.Server != c.wantServer || sel.Host != c.wHost {
			t.Errorf("%q %q %q: server %s host %q", c.flag, c.env, c.host, sel.Profile.Server, sel.Host)
		}
	}
}

func TestSelectProfileErrors(t *testing.T) {
	s := testStore(t)
	empty := profile.NewStore(t.TempDir())
	dir := t.TempDir()
	open := filepath.Join(dir, "open.toml")
	p := testProfile(t, "192.0.2.1", 62201)
	if err := os.WriteFile(open, p.Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
	token := p.EncodeToken()
	cases := []struct {
		name            string
		store           *profile.Store
		flag, env, host string
		err, hint       string
	}{
		{"unknown", s, "nope", "", "", `unknown profile "nope"; known: bastion, web`, "spa profile list"},
		{"several", s, "", "", "", "2 profiles (bastion, web)", ""},
		{"several, unknown host", s, "", "", "x.example", `no profile for host "x.example"`, ""},
		{"none", empty, "", "", "", `no profile: pass --profile NAME, set SPA_PROFILE, or import one with "spa profile import FILE"`, ""},
		{"malformed token", s, "", token[:len(token)-3] + "AAA", "", "SPA_PROFILE: malformed token", "copy it again"},
		{"missing file", s, filepath.Join(dir, "missing.toml"), "", "", "missing.toml", "check the path"},
		{"token in flag", s, token, "", "", "not a token", ""},
	}
	if runtime.GOOS != "windows" {
		cases = append(cases, struct {
			name            string
			store           *profile.Store
			flag, env, host string
			err, hint       string
		}{"world-readable", s, open, "", "", "accessible by group or others", "chmod 600 " + open})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := SelectProfile(c.store, c.flag, c.env, c.host)
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("error %v, want %q", err, c.err)
			}
			if !strings.Contains(Hint(err), c.hint) {
				t.Fatalf("hint %q, want %q", Hint(err), c.hint)
			}
			assertNoSecret(t, p, err.Error()+Hint(err))
		})
	}
}
