package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spa-project/spa/spa"
)

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestInitDirRoundTrip(t *testing.T) {
	servers := map[string]Server{"defaults": DefaultServer()}
	servers["defaults"] = func() Server { s := DefaultServer(); s.Name = "bastion"; return s }()
	odd := Server{
		Name: "b\u00e4stion \"east\"\\1\ttab", Listen: ListenUDP, Port: 1, Interfaces: []string{"eth0", "wg-1"},
		Addr: "bastion.example.com", Protect: nil, Backend: BackendExec, ManageDeny: false,
		StateDir: "/var/lib/spa east", Window: 90 * time.Second, LogFormat: LogJSON, LogLevel: LogError,
		LogRate: 1000, Limits: Limits{ReplayPerClient: 1, ReplayGlobal: 1, Rate: 0.25, Burst: 1},
		Forward: true, Teardown: true, Mark: 0x5350,
		Knock: Knock{Range: spa.PortRange{Lo: 40000, Hi: 40999}, Exclude: []uint16{40053, 40123}, Lookahead: 25, Timeout: 7 * time.Second},
		Exec:  Exec{Open: []string{"/usr/sbin/fw-open", "{ip}", "port={port}"}, Close: []string{"/usr/sbin/fw-close", "{ip}"}, Timeout: 20 * time.Second},
		Actions: []Action{
			{ID: 1, Name: "restart-web", Argv: []string{"/usr/bin/systemctl", "restart", "nginx"}, Timeout: 30 * time.Second},
			{ID: 9, Name: "backup", Argv: []string{"/usr/local/bin/backup", "--for", "{client}"}, Timeout: time.Hour},
		},
	}
	servers["every value"] = odd
	for name, s := range servers {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "etc", "spa")
			if err := InitDir(dir, s); err != nil {
				t.Fatal(err)
			}
			if m := mode(t, ServerFile(dir)); m != 0o644 {
				t.Errorf("spad.toml mode %o", m)
			}
			if m := mode(t, ClientsDir(dir)); m != 0o700 {
				t.Errorf("clients mode %o", m)
			}
			if m := mode(t, dir); m != 0o755 {
				t.Errorf("dir mode %o", m)
			}
			cfg, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if s.Protect == nil {
				s.Protect = []spa.Port{}
			}
			if s.Interfaces == nil {
				s.Interfaces = []string{}
			}
			if !reflect.DeepEqual(cfg.Server, s) {
				t.Errorf("loaded %+v\nwrote  %+v", cfg.Server, s)
			}
		})
	}
}

func TestInitDirComments(t *testing.T) {
	dir := t.TempDir()
	s := DefaultServer()
	s.Name = "bastion"
	if err := InitDir(dir, s); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(ServerFile(dir))
	if err != nil {
		t.Fatal(err)
	}
	// Every key has a comment line right above it or above its group.
	for _, key := range []string{"name", "listen", "port", "interfaces", "addr", "protect", "backend",
		"manage_deny", "state_dir", "window", "log_format", "log_rate", "replay_per_client", "rate"} {
		i := strings.Index(string(data), "\n"+key+" = ")
		if key == "addr" {
			i = strings.Index(string(data), "\n# addr = ")
		}
		if i < 0 {
			t.Fatalf("no key %s in\n%s", key, data)
		}
		before := string(data[:i])
		if last := before[strings.LastIndex(before, "\n")+1:]; !strings.HasPrefix(last, "#") {
			t.Errorf("key %s has no comment above it", key)
		}
	}
}

func TestInitDirRefuses(t *testing.T) {
	s := DefaultServer()
	s.Name = "bastion"

	dir := t.TempDir()
	if err := InitDir(dir, s); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(ServerFile(dir))
	s2 := s
	s2.Name = "other"
	err := InitDir(dir, s2)
	if !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), "spad.toml already exists") {
		t.Fatalf("second InitDir: %v", err)
	}
	if after, _ := os.ReadFile(ServerFile(dir)); string(after) != string(before) {
		t.Fatal("spad.toml changed")
	}

	dir = t.TempDir()
	writeFile(t, ClientFile(dir, "alice"), clientText("alice", testKey(t, 1), ""), 0o600)
	err = InitDir(dir, s)
	if !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), "clients is not empty") {
		t.Fatalf("InitDir with clients: %v", err)
	}
	if _, err := os.Stat(ServerFile(dir)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("spad.toml written")
	}

	// An empty clients directory is fine.
	dir = t.TempDir()
	if err := os.Mkdir(ClientsDir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := InitDir(dir, s); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, ClientsDir(dir)); m != 0o700 {
		t.Errorf("clients mode %o", m)
	}
}

func TestInitDirChecks(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spa")
	s := DefaultServer() // no name
	s.Window = time.Hour
	err := InitDir(dir, s)
	var probs Problems
	if !errors.As(err, &probs) || len(probs) != 2 {
		t.Fatalf("InitDir: %v", err)
	}
	if !strings.Contains(err.Error(), "name: server name \"\" must be 1 to 255 bytes") ||
		!strings.Contains(err.Error(), `window: duration "1h" is out of range`) {
		t.Errorf("InitDir: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Error("directory created for a bad server")
	}
}

func initTestDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	s := DefaultServer()
	s.Name = testServerName
	s.Actions = []Action{
		{ID: 1, Name: "restart-vpn", Argv: []string{"/usr/bin/systemctl", "restart", "openvpn"}, Timeout: time.Minute},
		{ID: 2, Name: "wake.nas", Argv: []string{"/usr/sbin/etherwake", "nas"}, Timeout: time.Minute},
	}
	if err := InitDir(dir, s); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A client may only name actions spad.toml defines; the problem points at
// the client file's "actions" line.
func TestClientActionMustBeDefined(t *testing.T) {
	dir := initTestDir(t)
	c := NewClient("bob", testKey(t, 4), []spa.Port{{Proto: spa.TCP, Port: 22}})
	c.Actions = []string{"wake.nas", "format-disk"}
	if err := WriteClient(dir, c); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir)
	var probs Problems
	if !errors.As(err, &probs) || len(probs) != 1 {
		t.Fatalf("Load: %v, want one problem", err)
	}
	p := probs[0]
	if p.File != ClientFile(dir, "bob") || p.Key != "actions" || p.Line == 0 || !strings.Contains(p.Msg, `"format-disk"`) {
		t.Fatalf("problem %+v", p)
	}
}

func TestWriteClientRoundTrip(t *testing.T) {
	dir := initTestDir(t)
	plain := NewClient("alice", testKey(t, 1), []spa.Port{{Proto: spa.TCP, Port: 22}})
	full := Client{
		Name: "ci_runner-2.b", Key: testKey(t, 2),
		Allow:       []spa.Port{{Proto: spa.TCP, Port: 443}, {Proto: spa.UDP, Port: 51820}},
		MaxDuration: 2 * time.Hour, DefaultDuration: 90 * time.Second,
		Address: mustPolicy(t, "198.51.100.0/24, 2001:db8::/32"),
		Actions: []string{"restart-vpn", "wake.nas"}, Rate: 0.2, Burst: 9,
		Knock: KnockTOTP, KnockFragments: 6, KnockRequired: true,
		Expires: time.Date(2031, 2, 3, 4, 5, 6, 7, time.UTC),
		Revoked: time.Date(2030, 2, 3, 4, 5, 6, 0, time.UTC),
	}
	source := NewClient("nat", testKey(t, 3), []spa.Port{{Proto: spa.TCP, Port: 22}})
	source.Address = AddressPolicy{Mode: AddressSource}
	for _, c := range []Client{plain, full, source} {
		if err := WriteClient(dir, c); err != nil {
			t.Fatal(err)
		}
		if m := mode(t, ClientFile(dir, c.Name)); m != 0o600 {
			t.Errorf("%s: mode %o", c.Name, m)
		}
	}
	cfg, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Clients) != 3 || cfg.Clients[0].Name != "alice" || cfg.Clients[1].Name != "ci_runner-2.b" {
		t.Fatalf("clients %v", cfg.Clients)
	}
	for _, want := range []Client{plain, full, source} {
		got, ok := cfg.Client(want.Name)
		if !ok {
			t.Fatalf("no client %s", want.Name)
		}
		if !got.Key.Equal(want.Key) {
			t.Errorf("%s: key differs", want.Name)
		}
		if !got.Expires.Equal(want.Expires) || !got.Revoked.Equal(want.Revoked) {
			t.Errorf("%s: times %v %v, want %v %v", want.Name, got.Expires, got.Revoked, want.Expires, want.Revoked)
		}
		g, w := *got, want
		g.Key, w.Key = w.Key, g.Key
		g.Expires, g.Revoked, w.Expires, w.Revoked = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("loaded %+v\nwrote  %+v", g, w)
		}
	}
	if _, ok := cfg.Client("nobody"); ok {
		t.Error("found client nobody")
	}
}

func TestWriteClientRefuses(t *testing.T) {
	dir := initTestDir(t)
	c := NewClient("alice", testKey(t, 1), []spa.Port{{Proto: spa.TCP, Port: 22}})
	if err := WriteClient(dir, c); err != nil {
		t.Fatal(err)
	}
	c2 := NewClient("alice", testKey(t, 2), []spa.Port{{Proto: spa.TCP, Port: 22}})
	if err := WriteClient(dir, c2); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("overwrite: %v", err)
	}
	cfg, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Clients[0].Key.Equal(c.Key) {
		t.Fatal("client overwritten")
	}
	ssh := []spa.Port{{Proto: spa.TCP, Port: 22}}
	long := NewClient("bob", testKey(t, 3), ssh)
	long.DefaultDuration = time.Hour
	for name, bad := range map[string]Client{
		"bad name":  NewClient("../x", testKey(t, 3), ssh),
		"no ports":  NewClient("bob", testKey(t, 3), nil),
		"zero key":  {Name: "bob", Allow: ssh},
		"bad port":  NewClient("bob", testKey(t, 3), []spa.Port{{Proto: spa.TCP}}),
		"durations": long,
	} {
		err := WriteClient(dir, bad)
		if err == nil {
			t.Errorf("%s: written", name)
		} else {
			for _, f := range keyFragments(testKey(t, 3)) {
				if strings.Contains(err.Error(), f) {
					t.Errorf("%s: error contains the key: %v", name, err)
				}
			}
		}
		if _, err := os.Stat(ClientFile(dir, "bob")); err == nil {
			t.Errorf("%s: file written", name)
		}
	}
}

func TestRevokeClient(t *testing.T) {
	dir := initTestDir(t)
	c := NewClient("alice", testKey(t, 1), []spa.Port{{Proto: spa.TCP, Port: 22}})
	if err := WriteClient(dir, c); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(ClientFile(dir, "alice"))
	at := time.Date(2030, 5, 6, 7, 8, 9, 123456789, time.FixedZone("X", 3600))
	if err := RevokeClient(dir, "alice", at); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(ClientFile(dir, "alice"))
	if !strings.HasPrefix(string(after), string(before)) ||
		!strings.HasSuffix(string(after), "\nrevoked = 2030-05-06T06:08:09Z\n") {
		t.Errorf("revoked file:\n%s", after)
	}
	if m := mode(t, ClientFile(dir, "alice")); m != 0o600 {
		t.Errorf("mode %o", m)
	}
	entries, _ := os.ReadDir(ClientsDir(dir))
	if len(entries) != 1 {
		t.Errorf("left files behind: %v", entries)
	}
	cfg, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.Clients[0]
	if !got.Revoked.Equal(at.Truncate(time.Second)) || got.Active(at.Add(-time.Hour)) {
		t.Errorf("revoked = %v", got.Revoked)
	}
	if err := RevokeClient(dir, "alice", at); err == nil || !strings.Contains(err.Error(), "already revoked") {
		t.Errorf("second revoke: %v", err)
	}
	if err := RevokeClient(dir, "bob", at); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("revoke unknown: %v", err)
	}
}

func TestListClients(t *testing.T) {
	dir := initTestDir(t)
	for i, name := range []string{"carol", "alice", "bob"} {
		if err := WriteClient(dir, NewClient(name, testKey(t, byte(i+1)), []spa.Port{{Proto: spa.TCP, Port: 22}})); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(ClientsDir(dir), "alice.toml~"), "junk", 0o644) // ignored
	cs, err := ListClients(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
	}
	if !reflect.DeepEqual(names, []string{"alice", "bob", "carol"}) {
		t.Errorf("names %v", names)
	}
	// A broken file is reported; the others are still listed.
	writeFile(t, ClientFile(dir, "dave"), "name = \"dave\"\n", 0o600)
	cs, err = ListClients(dir)
	var probs Problems
	if len(cs) != 3 || !errors.As(err, &probs) || len(probs) != 2 {
		t.Errorf("ListClients = %d clients, %v", len(cs), err)
	}
	// No client directory: no clients.
	if cs, err := ListClients(t.TempDir()); cs != nil || err != nil {
		t.Errorf("empty dir: %v %v", cs, err)
	}
}
