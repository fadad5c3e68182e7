package firewall_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spa-project/spa/server/firewall"
	"github.com/spa-project/spa/spa"
)

// recordArgv appends args as one JSON line to file.
func recordArgv(file string, args []string) int {
	line, _ := json.Marshal(args)
	f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return 2
	}
	defer f.Close()
	if _, err := f.Write(append(line, '\n')); err != nil {
		return 2
	}
	return 0
}

// recordedArgv reads what recordArgv wrote; nil if nothing ran.
func recordedArgv(t *testing.T, file string) [][]string {
	t.Helper()
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
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

// execRecorder returns an exec backend config whose commands record their
// argv in the returned file.
func execRecorder(t *testing.T) (firewall.Config, string) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "argv")
	tmpl := []string{"{ip}", "{family}", "{proto}", "{port}", "{duration}", "{client}", "--name={client}"}
	return firewall.Config{
		Backend: firewall.BackendExec,
		Exec: firewall.ExecConfig{
			Open:  append([]string{exe, "argv-recorder", file, "open"}, tmpl...),
			Close: append([]string{exe, "argv-recorder", file, "close"}, tmpl...),
		},
		Logger: testLogger(t),
	}, file
}

// The exec backend's variables reach argv exactly, hostile-looking ones
// included, and no shell runs (a shell would have created the marker).
func TestExecVariablesReachArgv(t *testing.T) {
	cfg, file := execRecorder(t)
	b, err := firewall.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := newManager(t, b, nil)
	marker := filepath.Join(t.TempDir(), "pwned")
	client := "c$(touch " + marker + ");`touch " + marker + "` | & > ' \" *"
	ctx := firewall.WithClient(context.Background(), client)
	r6 := firewall.Rule{Addr: netip.MustParseAddr("2001:db8::9"), Port: spa.Port{Proto: spa.UDP, Port: 53}}
	must(t, m.Setup(ctx))
	must(t, m.Allow(ctx, r6, 90*time.Second))
	must(t, m.Revoke(context.Background(), r6)) // the close command uses the remembered client
	got := recordedArgv(t, file)
	want := [][]string{
		{"open", "2001:db8::9", "ipv6", "udp", "53", "90", client, "--name=" + client},
		{"close", "2001:db8::9", "ipv6", "udp", "53", "90", client, "--name=" + client},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("argv:\n got %q\nwant %q", got, want)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("a shell interpreted a value")
	}
}

// Open runs once per grant (a re-knock only moves the timer), close runs
// on expiry, and Close closes what is still open.
func TestExecLifecycle(t *testing.T) {
	cfg, file := execRecorder(t)
	b, err := firewall.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := firewall.NewManager(b, firewall.ManagerOptions{Logger: cfg.Logger})
	ctx := firewall.WithClient(context.Background(), "bob")
	short, long := r4("192.0.2.1"), r4("192.0.2.2")
	must(t, m.Allow(ctx, short, 100*time.Millisecond))
	must(t, m.Allow(ctx, short, 200*time.Millisecond)) // re-knock
	must(t, m.Allow(ctx, long, time.Minute))
	eventually(t, 2*time.Second, "short grant closed", func() bool { return len(recordedArgv(t, file)) == 3 })
	must(t, m.Close(context.Background()))
	var ops []string
	for _, argv := range recordedArgv(t, file) {
		ops = append(ops, argv[0]+" "+argv[1])
	}
	want := []string{"open 192.0.2.1", "open 192.0.2.2", "close 192.0.2.1", "close 192.0.2.2"}
	if !slices.Equal(ops, want) {
		t.Fatalf("commands %q, want %q", ops, want)
	}
}

// After a restart the exec backend cannot list grants, so Reconcile runs
// the close command for recorded grants that expired meanwhile and the
// open command for those still live.
func TestExecReconcile(t *testing.T) {
	cfg, file := execRecorder(t)
	b, err := firewall.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := newManager(t, b, nil)
	must(t, m.Reconcile(context.Background(), []firewall.GrantRecord{
		{Rule: r4("192.0.2.1"), Expires: time.Now().Add(-time.Minute), Client: "carol"},
		{Rule: r4("192.0.2.2"), Expires: time.Now().Add(time.Minute), Client: "dave"},
	}))
	var ops []string
	for _, argv := range recordedArgv(t, file) {
		ops = append(ops, argv[0]+" "+argv[1]+" "+argv[6])
	}
	slices.Sort(ops)
	if want := []string{"close 192.0.2.1 carol", "open 192.0.2.2 dave"}; !slices.Equal(ops, want) {
		t.Fatalf("commands %q, want %q", ops, want)
	}
}
