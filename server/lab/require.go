//go:build linux

package lab

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// Skip skips t with the message, or fails it when the environment has
// CI=true: in continuous integration a skipped system test would pass
// without having run.
func Skip(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true: a skip is a failure)", msg)
	}
	t.Skip(msg)
}

// Require skips t (see [Skip]) unless the lab can be built: root, the ip
// command, and every program in cmds (names looked up in PATH and in the
// sbin directories, which a non-login root shell may lack).
func Require(t testing.TB, cmds ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		Skip(t, "the network lab needs root to create network namespaces (run the tests as root)")
	}
	for _, c := range append([]string{"ip"}, cmds...) {
		if _, err := LookPath(c); err != nil {
			Skip(t, "the network lab needs %s: %v", c, err)
		}
	}
}

// LookPath finds a program in PATH or, failing that, in /usr/sbin and
// /sbin.
func LookPath(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin"} {
		if fi, serr := os.Stat(dir + "/" + name); serr == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return dir + "/" + name, nil
		}
	}
	return "", err
}
