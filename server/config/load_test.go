package config

import (
	"errors"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spa-project/spa/keys"
	"github.com/spa-project/spa/spa"
)

func TestLoadDefaults(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, ServerFile(dir), "name = \"bastion.example.com\"\n", 0o644)
	cfg, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultServer()
	want.Name = "bastion.example.com"
	if !reflect.DeepEqual(cfg.Server, want) {
		t.Errorf("server = %+v\nwant %+v", cfg.Server, want)
	}
	if cfg.Server.Port != 62201 || cfg.Server.Window != 60*time.Second || !cfg.Server.ManageDeny ||
		cfg.Server.Listen != ListenCapture || cfg.Server.Backend != BackendAuto ||
		cfg.Server.StateDir != "/var/lib/spa" || cfg.Server.LogRate != 10 ||
		cfg.Server.Limits != (Limits{ReplayPerClient: 1024, ReplayGlobal: 1_000_000, Rate: 1, Burst: 5}) {
		t.Errorf("defaults wrong: %+v", cfg.Server)
	}
	id, _ := keys.NewServerID("bastion.example.com")
	if !cfg.ServerID.Equal(id) {
		t.Error("wrong server id")
	}
	if len(cfg.Clients) != 0 || cfg.Dir != dir {
		t.Errorf("clients = %v, dir = %q", cfg.Clients, cfg.Dir)
	}
}

func TestLoadEveryKey(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, ServerFile(dir), `
name = "gw"
listen = "udp"
port = 4000
interfaces = ["eth0", "wg0"]
addr = "2001:db8::1"
protect = ["tcp/22", "UDP/53"]
backend = "nftables"
manage_deny = false
state_dir = "/srv/spa"
window = "90s"
log_format = "json"
log_level = "debug"
log_rate = 0
limits.replay_per_client = 10
limits.replay_global = 100
limits.rate = 2
limits.burst = 3
forward = true
teardown = true
mark = 21328
knock_range = "41000-41999"
knock_exclude = [41053, 41500]
knock_lookahead = 20
knock_timeout = "3s"

[exec]
open = ["/usr/sbin/fw-open", "{ip}", "{proto}/{port}"]
close = ["/usr/sbin/fw-close", "{ip}"]
timeout = "5s"

[[action]]
id = 3
name = "restart-vpn"
argv = ["/usr/bin/systemctl", "restart", "openvpn"]

[[action]]
id = 4
name = "backup"
argv = ["/usr/local/bin/backup", "{client}"]
timeout = "2h"
`, 0o644)
	key := testKey(t, 1)
	writeFile(t, ClientFile(dir, "ci-runner.1"), `name = "ci-runner.1"
key = "`+key.Encode()+`"
allow = ["tcp/22", "tcp/443"]
max_duration = "1h"
default_duration = "1m"
address = "198.51.100.0/24"
actions = ["restart-vpn"]
rate = 0.5
burst = 2
expires = 2030-01-02T03:04:05Z
revoked = "2029-01-02T03:04:05+01:00"
knock_ports = "hotp"
knock_fragments = 3
knock_required = true
`, 0o600)
	cfg, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := Server{
		Name: "gw", Listen: ListenUDP, Port: 4000, Interfaces: []string{"eth0", "wg0"}, Addr: "2001:db8::1",
		Protect: []spa.Port{{Proto: spa.TCP, Port: 22}, {Proto: spa.UDP, Port: 53}}, Backend: BackendNftables,
		ManageDeny: false, StateDir: "/srv/spa", Window: 90 * time.Second, LogFormat: LogJSON, LogLevel: LogDebug,
		LogRate: 0, Limits: Limits{ReplayPerClient: 10, ReplayGlobal: 100, Rate: 2, Burst: 3},
		Forward: true, Teardown: true, Mark: 21328,
		Knock: Knock{Range: spa.PortRange{Lo: 41000, Hi: 41999}, Exclude: []uint16{41053, 41500}, Lookahead: 20, Timeout: 3 * time.Second},
		Exec:  Exec{Open: []string{"/usr/sbin/fw-open", "{ip}", "{proto}/{port}"}, Close: []string{"/usr/sbin/fw-close", "{ip}"}, Timeout: 5 * time.Second},
		Actions: []Action{
			{ID: 3, Name: "restart-vpn", Argv: []string{"/usr/bin/systemctl", "restart", "openvpn"}, Timeout: DefaultActionTimeout},
			{ID: 4, Name: "backup", Argv: []string{"/usr/local/bin/backup", "{client}"}, Timeout: 2 * time.Hour},
		},
	}
	if !reflect.DeepEqual(cfg.Server, want) {
		t.Errorf("server = %+v\nwant %+v", cfg.Server, want)
	}
	c, ok := cfg.Client("ci-runner.1")
	if !ok {
		t.Fatal("client not found")
	}
	if !c.Key.Equal(key) || c.MaxDuration != time.Hour || c.DefaultDuration != time.Minute ||
		c.Address.String() != "198.51.100.0/24" || !reflect.DeepEqual(c.Actions, []string{"restart-vpn"}) ||
		c.Rate != 0.5 || c.Burst != 2 || c.Knock != KnockHOTP || c.KnockFragments != 3 || !c.KnockRequired ||
		!c.Expires.Equal(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) ||
		!c.Revoked.Equal(time.Date(2029, 1, 2, 2, 4, 5, 0, time.UTC)) {
		t.Errorf("client = %+v", c)
	}
	if c.Active(time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Error("revoked client is active")
	}
	if r, b := c.Limits(cfg.Server.Limits); r != 0.5 || b != 2 {
		t.Errorf("limits = %v, %v", r, b)
	}
}

func TestLoadErrors(t *testing.T) {
	const srv = "name = \"bastion.example.com\"\n"
	alice, bob := testKey(t, 1), testKey(t, 2)
	type file struct {
		text string
		perm fs.FileMode
	}
	tests := []struct {
		name    string
		server  string          // "" for srv
		clients map[string]file // by client file base name
		want    []string
	}{
		{
			name:   "unknown top-level key",
			server: srv + "lsiten = \"udp\"\n",
			want:   []string{"DIR/spad.toml:2: lsiten: unknown key"},
		},
		{
			name:   "unknown key in limits",
			server: srv + "\n[limits]\nrate = 2.0\nbrust = 3\n",
			want:   []string{"DIR/spad.toml:5: limits.brust: unknown key"},
		},
		{
			name:   "unknown table",
			server: srv + "[limit]\nrate = 2.0\n",
			want:   []string{"DIR/spad.toml:2: limit: unknown table"},
		},
		{
			name:   "wrong type",
			server: srv + "port = \"62201\"\n",
			want:   []string{"DIR/spad.toml:2: port: must be an integer, not a string"},
		},
		{
			name:   "wrong type in limits",
			server: srv + "[limits]\nrate = \"fast\"\n",
			want:   []string{"DIR/spad.toml:3: limits.rate: must be a number, not a string"},
		},
		{
			name:   "table of wrong type",
			server: srv + "limits = 5\n",
			want:   []string{"DIR/spad.toml:2: limits: must be a table, not an integer"},
		},
		{
			name:   "bad port in protect",
			server: srv + "protect = [\n  \"tcp/22\",\n  \"tcp/99999\",\n]\n",
			want:   []string{`DIR/spad.toml:4: protect: port "tcp/99999": port number must be 1 to 65535: want PROTO/PORT such as "tcp/22" or "udp/53"`},
		},
		{
			name:   "duplicate port in protect",
			server: srv + "protect = [\"tcp/22\", \"TCP/22\"]\n",
			want:   []string{`DIR/spad.toml:2: protect: port "tcp/22" listed twice`},
		},
		{
			name:   "bad duration",
			server: srv + "window = \"60\"\n",
			want:   []string{`DIR/spad.toml:2: window: bad duration "60": want a number and a unit, such as "30s", "5m" or "1h30m"`},
		},
		{
			name:   "window out of range",
			server: srv + "window = \"11m\"\n",
			want:   []string{`DIR/spad.toml:2: window: duration "11m" is out of range: must be 1s to 10m`},
		},
		{
			name:   "duration as integer",
			server: srv + "window = 60\n",
			want:   []string{`DIR/spad.toml:2: window: must be a duration string such as "30s" or "5m", not an integer`},
		},
		{
			name:   "missing name",
			server: "port = 1\n",
			want:   []string{"DIR/spad.toml: name: missing: set the server's name, normally its host name"},
		},
		{
			name:   "bad enum",
			server: srv + "backend = \"pf\"\n",
			want:   []string{`DIR/spad.toml:2: backend: "pf" is not one of "auto", "nftables", "iptables", "exec", "none"`},
		},
		{
			name:   "repeated key",
			server: srv + "port = 1\nport = 2\n",
			want:   []string{"DIR/spad.toml:3: port: key port is already defined"},
		},
		{
			name:   "syntax error in table",
			server: srv + "[limits]\n# comment\nburst = [1\n",
			want:   []string{"DIR/spad.toml:4: limits.burst: array is incomplete"},
		},
		{
			name:   "syntax error",
			server: srv + "port = \n",
			want:   []string{"DIR/spad.toml:2: port: unexpected character U+000A at start of value"},
		},
		{
			name:    "client name mismatch",
			clients: map[string]file{"alice": {clientText("bob", alice, ""), 0o600}},
			want:    []string{`DIR/clients/alice.toml:1: name: "bob" does not match the file name (want "alice")`},
		},
		{
			name:    "bad client file name",
			clients: map[string]file{".alice": {clientText(".alice", alice, ""), 0o600}},
			want: []string{
				`DIR/clients/.alice.toml: bad client file name: name ".alice" must not start with '.'`,
				`DIR/clients/.alice.toml:1: name: name ".alice" must not start with '.'`,
			},
		},
		{
			name:    "bad CIDR",
			clients: map[string]file{"alice": {clientText("alice", alice, "address = \"198.51.100.0/33\"\n"), 0o600}},
			want:    []string{`DIR/clients/alice.toml:4: address: bad prefix "198.51.100.0/33": want "strict", "source" or CIDR prefixes such as "198.51.100.0/24" or "2001:db8::/32"`},
		},
		{
			name:    "CIDR with host bits",
			clients: map[string]file{"alice": {clientText("alice", alice, "address = \"198.51.100.0/24, 192.0.2.1/24\"\n"), 0o600}},
			want:    []string{`DIR/clients/alice.toml:4: address: prefix "192.0.2.1/24" has host bits set; did you mean "192.0.2.0/24"?`},
		},
		{
			name:    "default_duration longer than max_duration",
			clients: map[string]file{"alice": {clientText("alice", alice, "max_duration = \"1m\"\ndefault_duration = \"2m\"\n"), 0o600}},
			want:    []string{`DIR/clients/alice.toml:5: default_duration: default_duration (2m) must not be longer than max_duration (1m)`},
		},
		{
			name:    "max_duration shorter than default",
			clients: map[string]file{"alice": {clientText("alice", alice, "max_duration = \"10s\"\n"), 0o600}},
			want:    []string{`DIR/clients/alice.toml:4: max_duration: default_duration (30s) must not be longer than max_duration (10s)`},
		},
		{
			name:    "fractional duration",
			clients: map[string]file{"alice": {clientText("alice", alice, "max_duration = \"1.5s\"\n"), 0o600}},
			want:    []string{`DIR/clients/alice.toml:4: max_duration: duration "1.5s" must be a whole number of seconds`},
		},
		{
			name:    "no ports",
			clients: map[string]file{"alice": {"name = \"alice\"\nkey = \"" + alice.Encode() + "\"\nallow = []\n", 0o600}},
			want:    []string{`DIR/clients/alice.toml:3: allow: must list at least one port, such as ["tcp/22"]`},
		},
		{
			name:    "missing key",
			clients: map[string]file{"alice": {"name = \"alice\"\nallow = [\"tcp/22\"]\n", 0o600}},
			want:    []string{`DIR/clients/alice.toml: key: missing: the client's key (spa-client-key-...)`},
		},
		{
			name:    "client secret instead of key",
			clients: map[string]file{"alice": {"name = \"alice\"\nkey = \"" + testSecret(t, 1).Encode() + "\"\nallow = [\"tcp/22\"]\n", 0o600}},
			want:    []string{`DIR/clients/alice.toml:2: key: malformed client key: expected a client key (spa-client-key-...), got a client secret; the server holds the client's key for this server, never the client's secret`},
		},
		{
			name:    "local time",
			clients: map[string]file{"alice": {clientText("alice", alice, "expires = 2030-01-01T00:00:00\n"), 0o600}},
			want:    []string{`DIR/clients/alice.toml:4: expires: must have a time zone offset, such as 2030-01-02T03:04:05Z`},
		},
		{
			name:    "bad action",
			clients: map[string]file{"alice": {clientText("alice", alice, "actions = [\"ok\",\n  \"not ok\"]\n"), 0o600}},
			want:    []string{`DIR/clients/alice.toml:5: actions: bad action name "not ok" may only contain A-Z, a-z, 0-9, '.', '_' and '-'`},
		},
		{
			name: "duplicate key across two clients",
			clients: map[string]file{
				"alice": {clientText("alice", alice, ""), 0o600},
				"bob":   {clientText("bob", alice, ""), 0o600},
			},
			want: []string{`DIR/clients/bob.toml:2: key: same key as client "alice" (DIR/clients/alice.toml): every client needs its own key`},
		},
		{
			name: "group-readable client file",
			clients: map[string]file{
				"alice": {clientText("alice", alice, ""), 0o640},
				"bob":   {clientText("bob", bob, ""), 0o600},
			},
			want: []string{`DIR/clients/alice.toml: is accessible by group or others (mode 0640); run: chmod 600 DIR/clients/alice.toml`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			server := tt.server
			if server == "" {
				server = srv
			}
			writeFile(t, ServerFile(dir), server, 0o644)
			for name, f := range tt.clients {
				writeFile(t, filepath.Join(ClientsDir(dir), name+".toml"), f.text, f.perm)
			}
			cfg, err := Load(dir)
			if cfg != nil {
				t.Error("Load returned a config with an error")
			}
			var probs Problems
			if !errors.As(err, &probs) {
				t.Fatalf("Load error %v (%T) is not Problems", err, err)
			}
			if got := problemLines(err, dir); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestLoadMissingServerFile(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(dir)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error %v does not wrap fs.ErrNotExist", err)
	}
	want := []string{`DIR/spad.toml: no such file or directory; run "spad init --dir DIR" to create it`}
	if got := problemLines(err, dir); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, ServerFile(dir), `name = "bastion.example.com"
port = 0
window = "forever"
colour = "blue"
[limits]
burst = "many"
`, 0o644)
	writeFile(t, ClientFile(dir, "alice"), clientText("alice", testKey(t, 1),
		"address = \"192.0.2.1/24\"\nmax_duration = 300\nextra = true\n"), 0o600)
	writeFile(t, ClientFile(dir, "bob"), clientText("bob", testKey(t, 2), ""), 0o644)
	_, err := Load(dir)
	want := []string{
		"DIR/spad.toml:4: colour: unknown key",
		"DIR/spad.toml:2: port: 0 is out of range: must be 1 to 65535",
		`DIR/spad.toml:3: window: bad duration "forever": want a number and a unit, such as "30s", "5m" or "1h30m"`,
		"DIR/spad.toml:6: limits.burst: must be an integer, not a string",
		"DIR/clients/alice.toml:6: extra: unknown key",
		`DIR/clients/alice.toml:5: max_duration: must be a duration string such as "30s" or "5m", not an integer`,
		`DIR/clients/alice.toml:4: address: prefix "192.0.2.1/24" has host bits set; did you mean "192.0.2.0/24"?`,
		"DIR/clients/bob.toml: is accessible by group or others (mode 0644); run: chmod 600 DIR/clients/bob.toml",
	}
	if got := problemLines(err, dir); !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// keyFragments returns every 8-character piece of the base32 part of the
// key's text form.
func keyFragments(k keys.ClientServerKey) []string {
	b32 := strings.TrimPrefix(k.Encode(), "spa-client-key-")
	var out []string
	for i := 0; i+8 <= len(b32); i++ {
		out = append(out, b32[i:i+8], strings.ToUpper(b32[i:i+8]))
	}
	return out
}

func TestMalformedKeyNotInErrors(t *testing.T) {
	key := testKey(t, 7)
	enc := key.Encode()
	// Change one character of the base32 part: the checksum fails.
	i := len(enc) - 10
	c := byte('a')
	if enc[i] == 'a' {
		c = 'b'
	}
	bad := enc[:i] + string(c) + enc[i+1:]
	cases := map[string]string{
		"checksum":   "key = \"" + bad + "\"\n",
		"truncated":  "key = \"" + enc[:len(enc)-3] + "\"\n",
		"no prefix":  "key = \"" + strings.TrimPrefix(enc, "spa-client-key-") + "\"\n",
		"unquoted":   "key = " + enc + "\n",
		"unclosed":   "key = \"" + enc + "\n",
		"as key":     enc + " = 1\n",
		"wrong type": "key = [\"" + enc + "\"]\n",
	}
	for name, keyLine := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, ServerFile(dir), "name = \"x\"\n", 0o644)
			writeFile(t, ClientFile(dir, "alice"), "name = \"alice\"\n"+keyLine+"allow = [\"tcp/22\"]\n", 0o600)
			_, err := Load(dir)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			t.Log(msg)
			for _, f := range keyFragments(key) {
				if strings.Contains(msg, f) {
					t.Fatalf("error contains part %q of the key: %s", f, msg)
				}
			}
			if !strings.Contains(msg, "alice.toml:2:") {
				t.Errorf("error does not name line 2: %s", msg)
			}
		})
	}
}

// Knock settings are checked like the rest, with file, line and key.
func TestKnockSettingProblems(t *testing.T) {
	for _, tc := range []struct{ server, client, want string }{
		{`knock_range = "20000-20010"`, "", `knock_range: spa: knock range 20000-20010`},
		{`knock_range = "9-5"`, "", `knock_range: port range "9-5"`},
		{`knock_exclude = [20001, 20001]`, "", `knock_exclude: 20001 listed twice`},
		{`knock_lookahead = 0`, "", `knock_lookahead: 0 is out of range`},
		{"", `knock_ports = "yes"`, `knock_ports:`},
		{"", `knock_fragments = 9`, `knock_fragments: 9 is out of range: must be 2 to 8`},
		{"", "knock_ports = \"off\"\nknock_required = true", `knock_required: true needs knock_ports`},
	} {
		dir := t.TempDir()
		writeFile(t, ServerFile(dir), "name = \"gw\"\n"+tc.server+"\n", 0o644)
		if tc.client != "" {
			writeFile(t, ClientFile(dir, "c"), "name = \"c\"\nkey = \""+testKey(t, 7).Encode()+"\"\nallow = [\"tcp/22\"]\n"+tc.client+"\n", 0o600)
		}
		_, err := Load(dir)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), ".toml:") {
			t.Errorf("%q %q: %v, want a problem with file:line and %q", tc.server, tc.client, err, tc.want)
		}
	}
}
