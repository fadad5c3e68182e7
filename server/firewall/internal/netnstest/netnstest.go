// Package netnstest builds throw-away network namespaces for privileged
// tests: namespaces joined by veth pairs with IPv4 and IPv6 documentation
// addresses, and listeners and dialers that live inside them. Nothing it
// does touches the namespace the test runs in, apart from the
// /run/netns/NAME entries, which t.Cleanup removes even after a failure.
//
// Tests that use it call Require first: it skips the test unless it runs
// as root with the ip command, and fails it instead when CI=true, so a
// continuous-integration run cannot pass by skipping.
package netnstest

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// skip skips t, or fails it under CI=true.
func skip(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true: privileged tests must run)", msg)
	}
	t.Skip(msg)
}

// Require skips t (fails it with CI=true) unless it can create network
// namespaces: root, the ip command, and not -short. cmds are further
// programs the test needs, such as "nft" or "iptables".
func Require(t testing.TB, cmds ...string) {
	t.Helper()
	if testing.Short() {
		skip(t, "privileged network namespace test skipped in -short mode")
	}
	if os.Geteuid() != 0 {
		skip(t, "needs root to create network namespaces (run the tests as root, e.g. sudo go test)")
	}
	for _, c := range append([]string{"ip"}, cmds...) {
		if _, err := exec.LookPath(c); err != nil {
			skip(t, "needs the %s command: %v", c, err)
		}
	}
}

var seq atomic.Int64

// NS is a network namespace made for one test.
type NS struct {
	Name string
}

// New creates a namespace named "spafw-<pid>-<n>" with loopback up and
// deletes it when the test ends.
func New(t testing.TB) *NS {
	t.Helper()
	ns := &NS{Name: fmt.Sprintf("spafw-%d-%d", os.Getpid(), seq.Add(1))}
	if out, err := exec.Command("ip", "netns", "add", ns.Name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", ns.Name, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", ns.Name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", ns.Name, err, out)
		}
	})
	ns.MustIP(t, "link", "set", "lo", "up")
	// No duplicate address detection: link-local addresses, which IPv6
	// neighbour discovery and routing use, are usable at once.
	ns.Sysctl(t, "net/ipv6/conf/all/accept_dad", "0")
	ns.Sysctl(t, "net/ipv6/conf/default/accept_dad", "0")
	return ns
}

// Path is the namespace's file, for setns(2) or firewall.Config.NetNS.
func (ns *NS) Path() string { return "/run/netns/" + ns.Name }

// Do runs fn on a fresh OS thread inside the namespace. Sockets fn creates
// stay in the namespace after it returns; processes it starts run there.
// The thread is discarded afterwards, never reused.
func (ns *NS) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with this goroutine
		f, err := os.Open(ns.Path())
		if err != nil {
			errc <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns.Name, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// Exec runs argv inside the namespace (no shell) and returns its combined
// output.
func (ns *NS) Exec(argv ...string) ([]byte, error) {
	args := append([]string{"netns", "exec", ns.Name}, argv...)
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("in %s: %s: %w: %s", ns.Name, strings.Join(argv, " "), err, out)
	}
	return out, nil
}

// ExecInput is Exec with stdin read from input.
func (ns *NS) ExecInput(input io.Reader, argv ...string) ([]byte, error) {
	args := append([]string{"netns", "exec", ns.Name}, argv...)
	cmd := exec.Command("ip", args...)
	cmd.Stdin = input
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("in %s: %s: %w: %s", ns.Name, strings.Join(argv, " "), err, out)
	}
	return out, nil
}

// MustExec is Exec that fails t on error.
func (ns *NS) MustExec(t testing.TB, argv ...string) string {
	t.Helper()
	out, err := ns.Exec(argv...)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// MustIP runs "ip -n NAME args..." and fails t on error.
func (ns *NS) MustIP(t testing.TB, args ...string) {
	t.Helper()
	args = append([]string{"-n", ns.Name}, args...)
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// Sysctl writes value to /proc/sys/<key> (key with slashes, such as
// "net/ipv4/ip_forward") inside the namespace.
func (ns *NS) Sysctl(t testing.TB, key, value string) {
	t.Helper()
	err := ns.Do(func() error { return os.WriteFile("/proc/sys/"+key, []byte(value), 0o644) })
	if err != nil {
		t.Fatalf("sysctl %s=%s in %s: %v", key, value, ns.Name, err)
	}
}
