//go:build linux

package systest

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spa-project/spa/server/lab"
)

func write(t testing.TB, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func mkdir(t testing.TB, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Mkdir(path, mode); err != nil {
		t.Fatal(err)
	}
}

// waitLog waits until p's log contains s, or fails t.
func waitLog(t testing.TB, p *lab.Proc, s string, timeout time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if p.LogContains(s) {
			return
		}
		if done, err := p.Exited(); done {
			t.Fatalf("%s exited: %v\n%s", p.Name, err, p.Log())
		}
	}
	t.Fatalf("%s did not log %q within %v:\n%s", p.Name, s, timeout, p.Log())
}

// waitFile waits until the file at path contains s, or fails t.
func waitFile(t testing.TB, path, s string, timeout time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(path); err == nil && strings.Contains(string(b), s) {
			return
		}
	}
	b, _ := os.ReadFile(path)
	t.Fatalf("%s does not contain %q after %v:\n%s", path, s, timeout, b)
}
