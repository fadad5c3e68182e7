//go:build linux

package lab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// NS is a network namespace made for one test.
type NS struct {
	// Name is the namespace's name under /run/netns.
	Name string
}

var nsSeq atomic.Int64

// NewNS creates a namespace named "spalab-PID-N-role", brings its loopback
// up and turns off IPv6 duplicate address detection (so addresses are
// usable at once). t.Cleanup kills whatever still runs inside it and
// deletes it. The first call of a process also removes the namespaces of
// lab processes that died without cleaning up.
func NewNS(t testing.TB, role string) *NS {
	t.Helper()
	sweepOnce.Do(sweepStale)
	ns := &NS{Name: fmt.Sprintf("spalab-%d-%d-%s", os.Getpid(), nsSeq.Add(1), role)}
	if out, err := ipCmd("netns", "add", ns.Name); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", ns.Name, err, out)
	}
	t.Cleanup(func() { ns.remove(t) })
	ns.MustIP(t, "link", "set", "lo", "up")
	ns.Sysctl(t, "net/ipv6/conf/all/accept_dad", "0")
	ns.Sysctl(t, "net/ipv6/conf/default/accept_dad", "0")
	return ns
}

// remove kills the processes left in the namespace (all of them started
// by this test, since the namespace is its own) and deletes it. The test
// process itself may be listed: "ip netns pids" looks at each process's
// main thread, which may have entered the namespace through [NS.Do].
func (ns *NS) remove(t testing.TB) {
	if out, err := ipCmd("netns", "pids", ns.Name); err == nil {
		for _, f := range strings.Fields(string(out)) {
			if pid, err := strconv.Atoi(f); err == nil && pid > 1 && pid != os.Getpid() {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	if out, err := ipCmd("netns", "del", ns.Name); err != nil {
		t.Errorf("ip netns del %s: %v: %s", ns.Name, err, out)
	}
}

// ipCmd runs ip(8) with args, for at most CommandTimeout.
func ipCmd(args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), CommandTimeout)
	defer cancel()
	return exec.CommandContext(ctx, "ip", args...).CombinedOutput()
}

// Path is the namespace's file, for setns(2).
func (ns *NS) Path() string { return "/run/netns/" + ns.Name }

// Do runs fn on a fresh OS thread inside the namespace. Sockets fn creates
// stay in the namespace after it returns. The thread is never reused: it
// exits with the goroutine.
func (ns *NS) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with this goroutine
		if err := ns.enter(); err != nil {
			errc <- err
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// enter moves the calling thread, which must be locked, into the
// namespace.
func (ns *NS) enter() error {
	fd, err := unix.Open(ns.Path(), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", ns.Path(), err)
	}
	defer unix.Close(fd)
	if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("setns %s: %w", ns.Name, err)
	}
	return nil
}

// CommandTimeout bounds every command [NS.Run] and the namespace set-up
// run.
const CommandTimeout = time.Minute

// Command returns a command that runs argv inside the namespace (through
// "ip netns exec", which execs argv: the process's pid is argv's).
func (ns *NS) Command(argv ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", ns.Name}, argv...)...)
}

// CommandContext is Command with a context that kills the process.
func (ns *NS) CommandContext(ctx context.Context, argv ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns.Name}, argv...)...)
}

// Run runs argv inside the namespace, for at most CommandTimeout, and
// returns its combined output.
func (ns *NS) Run(argv ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), CommandTimeout)
	defer cancel()
	out, err := ns.CommandContext(ctx, argv...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("in %s: %s: %w: %s", ns.Name, strings.Join(argv, " "), err, strings.TrimSpace(string(out)))
	}
	return out, nil
}

// MustRun is Run that fails t on error.
func (ns *NS) MustRun(t testing.TB, argv ...string) string {
	t.Helper()
	out, err := ns.Run(argv...)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// MustIP runs "ip -n NAME args..." and fails t on error.
func (ns *NS) MustIP(t testing.TB, args ...string) {
	t.Helper()
	args = append([]string{"-n", ns.Name}, args...)
	if out, err := ipCmd(args...); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// Sysctl writes value to /proc/sys/KEY (KEY with slashes, such as
// "net/ipv4/conf/all/rp_filter") inside the namespace.
func (ns *NS) Sysctl(t testing.TB, key, value string) {
	t.Helper()
	err := ns.Do(func() error { return os.WriteFile("/proc/sys/"+key, []byte(value), 0o644) })
	if err != nil {
		t.Fatalf("sysctl %s=%s in %s: %v", key, value, ns.Name, err)
	}
}
