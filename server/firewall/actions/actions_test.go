package actions_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spa-project/spa/server/firewall/actions"
	"github.com/spa-project/spa/spa"
)

// TestMain lets the test binary act as the recorded program: run as
// "BINARY argv-recorder FILE ARGS...", it appends ARGS as one JSON line to
// FILE and exits.
func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == "argv-recorder" {
		line, _ := json.Marshal(os.Args[3:])
		f, err := os.OpenFile(os.Args[2], os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			os.Exit(2)
		}
		_, _ = f.Write(append(line, '\n'))
		_ = f.Close()
		syscall.Exit(0) // skips the race detector's one-second exit delay

	}
	os.Exit(m.Run())
}

func testBinary(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// recorded reads the argv lists the recorder wrote to file.
func recorded(t *testing.T, file string) [][]string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var argv []string
		if err := json.Unmarshal([]byte(line), &argv); err != nil {
			t.Fatal(err)
		}
		out = append(out, argv)
	}
	return out
}

var vars = actions.Vars{
	IP:       netip.MustParseAddr("2001:db8::7"),
	Port:     spa.Port{Proto: spa.UDP, Port: 53},
	Duration: 1500 * time.Millisecond,
	Client:   "alice",
}

func TestCheckArgv(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		err  string
	}{
		{[]string{"/usr/sbin/nft", "add", "{ip}"}, ""},
		{[]string{"/bin/true", "{ 1 }", "{}", "{IP}", "a{b"}, ""},
		{nil, "empty command"},
		{[]string{"nft", "add"}, "not an absolute path"},
		{[]string{"./nft"}, "not an absolute path"},
		{[]string{"/usr/sbin/{client}"}, "must not contain tokens"},
		{[]string{"/bin/echo", "{addr}"}, "unknown token {addr}"},
		{[]string{"/bin/echo", "a\x00b"}, "NUL byte"},
	} {
		err := actions.CheckArgv(tc.argv)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("CheckArgv(%q) = %v, want error containing %q", tc.argv, err, tc.err)
		}
	}
}

func TestExpand(t *testing.T) {
	argv := []string{"/bin/x", "{ip}", "{family}", "{proto}/{port}", "--for={duration}s", "{client}", "{ {ip} }", "{ip}{ip}"}
	got, err := actions.Expand(argv, vars)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/bin/x", "2001:db8::7", "ipv6", "udp/53", "--for=2s", "alice", "{ 2001:db8::7 }", "2001:db8::72001:db8::7"}
	if !slices.Equal(got, want) {
		t.Fatalf("Expand = %q, want %q", got, want)
	}
	v4 := vars
	v4.IP = netip.MustParseAddr("::ffff:192.0.2.9")
	if got, _ := actions.Expand([]string{"/bin/x", "{ip}", "{family}"}, v4); !slices.Equal(got[1:], []string{"192.0.2.9", "ipv4"}) {
		t.Fatalf("mapped address expands to %q", got[1:])
	}
}

func TestExpandMissingOrUnsafe(t *testing.T) {
	for _, tc := range []struct {
		token string
		v     actions.Vars
		err   string
	}{
		{"{ip}", actions.Vars{}, "no address"},
		{"{family}", actions.Vars{}, "no address"},
		{"{port}", actions.Vars{}, "no port"},
		{"{proto}", actions.Vars{}, "not tcp or udp"},
		{"{client}", actions.Vars{}, "no client name"},
		{"{client}", actions.Vars{Client: "-rf"}, "begins with '-'"},
		{"x{client}", actions.Vars{Client: "-rf"}, "begins with '-'"},
		{"{duration}", actions.Vars{Duration: -time.Second}, "negative"},
	} {
		_, err := actions.Expand([]string{"/bin/x", tc.token}, tc.v)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("Expand(%q, %+v) = %v, want error containing %q", tc.token, tc.v, err, tc.err)
		}
	}
	// Tokens the template does not use need no value.
	if _, err := actions.Expand([]string{"/bin/x", "{ip}"}, actions.Vars{IP: vars.IP}); err != nil {
		t.Fatal(err)
	}
}

// Hostile-looking values reach the program as exactly those bytes, one
// argument each, and no shell interprets them.
func TestHostileValuesReachArgvExactly(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "pwned")
	out := filepath.Join(dir, "argv")
	hostile := []string{
		"$(touch " + marker + ")",
		"`touch " + marker + "`",
		"a; touch " + marker,
		"x && touch " + marker + " || true",
		"'\"\\ * ? [a] ~ # | > " + marker,
		"line\nbreak\ttab",
		"{ip}",
		"",
	}
	for _, h := range hostile {
		v := vars
		v.Client = "c" + h // a client name cannot begin with '-'
		a := actions.Action{ID: 7, Name: "record", Argv: []string{testBinary(t), "argv-recorder", out, "{client}", "pre-{client}-post", "{ip}"}, Timeout: 10 * time.Second}
		if _, err := actions.Run(context.Background(), a, v); err != nil {
			t.Fatalf("client %q: %v", v.Client, err)
		}
	}
	got := recorded(t, out)
	if len(got) != len(hostile) {
		t.Fatalf("recorded %d runs, want %d", len(got), len(hostile))
	}
	for i, h := range hostile {
		want := []string{"c" + h, "pre-c" + h + "-post", "2001:db8::7"}
		if !slices.Equal(got[i], want) {
			t.Errorf("run %d: argv %q, want %q", i, got[i], want)
		}
	}
	if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a shell ran: %s exists", marker)
	}
}

// The command's environment is fixed: nothing of spad's leaks into it.
func TestEnvironment(t *testing.T) {
	t.Setenv("SPA_SECRET_TEST", "leak")
	out, err := actions.Exec(context.Background(), []string{"/usr/bin/env"}, 5*time.Second)
	if err != nil {
		t.Skipf("no /usr/bin/env: %v", err)
	}
	if strings.Contains(string(out), "SPA_SECRET_TEST") || !strings.Contains(string(out), "PATH=") {
		t.Fatalf("environment:\n%s", out)
	}
}

func TestRunOutputAndFailure(t *testing.T) {
	out, err := actions.Run(context.Background(), actions.Action{Name: "echo", Argv: []string{"/bin/echo", "hello", "{client}"}}, vars)
	if err != nil || string(out) != "hello alice\n" {
		t.Fatalf("Run = %q, %v", out, err)
	}
	_, err = actions.Run(context.Background(), actions.Action{Name: "false", Argv: []string{"/bin/false"}}, vars)
	if err == nil || !strings.Contains(err.Error(), `action "false"`) {
		t.Fatalf("failing command: %v", err)
	}
	if _, err := actions.Run(context.Background(), actions.Action{Name: "rel", Argv: []string{"echo"}}, vars); err == nil {
		t.Fatal("relative program accepted")
	}
	if _, err := actions.Run(context.Background(), actions.Action{Argv: []string{"/bin/true"}}, vars); err == nil {
		t.Fatal("action without a name accepted")
	}
}

// A command that outlives its timeout is killed with its children, and the
// error says so.
func TestRunTimeoutKillsProcessGroup(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "survived")
	// /bin/sh here is the program under test, not a shell spad starts: it
	// forks a child that would create marker after the timeout.
	a := actions.Action{Name: "slow", Timeout: 200 * time.Millisecond,
		Argv: []string{"/bin/sh", "-c", "(sleep 1; touch " + marker + ") & sleep 10"}}
	start := time.Now()
	_, err := actions.Run(context.Background(), a, actions.Vars{})
	if !errors.Is(err, actions.ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Run returned after %v", d)
	}
	time.Sleep(1500 * time.Millisecond)
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the command's child survived the timeout")
	}
}

func TestOutputIsBounded(t *testing.T) {
	out, err := actions.Exec(context.Background(), []string{"/usr/bin/head", "-c", "1000000", "/dev/zero"}, 5*time.Second)
	if err != nil {
		t.Skipf("head: %v", err)
	}
	if len(out) > actions.MaxOutput+100 || !strings.HasSuffix(string(out), "[output truncated]\n") {
		t.Fatalf("output of %d bytes, suffix %q", len(out), out[len(out)-20:])
	}
}
