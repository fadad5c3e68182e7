//go:build linux

package lab

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Proc is a long-running process started inside a namespace, in its own
// process group, with its output in a log file.
type Proc struct {
	// Name names the process in messages and its log file.
	Name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error // valid once done is closed
	once sync.Once
}

// Start runs argv inside ns in a new process group. Its standard output
// and error go to NAME.log in a temporary directory of t. t.Cleanup stops
// it (SIGTERM to the group, then SIGKILL).
func Start(t testing.TB, ns *NS, name string, argv ...string) *Proc {
	t.Helper()
	p, err := StartCmd(ns.Command(argv...), name, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(5 * time.Second) })
	return p
}

// StartCmd starts cmd in a new process group with its output in
// dir/NAME.log. The caller must Stop it.
func StartCmd(cmd *exec.Cmd, name, dir string) (*Proc, error) {
	p := &Proc{Name: name, cmd: cmd, log: filepath.Join(dir, name+".log"), done: make(chan struct{})}
	f, err := os.Create(p.log)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	return p, nil
}

// Pid is the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Log returns what the process wrote so far (its last 8 KiB).
func (p *Proc) Log() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 8<<10 {
		b = b[len(b)-8<<10:]
	}
	return string(b)
}

// LogContains reports whether the log contains s.
func (p *Proc) LogContains(s string) bool {
	b, _ := os.ReadFile(p.log)
	return strings.Contains(string(b), s)
}

// Exited reports whether the process has ended, and how.
func (p *Proc) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// Signal sends sig to the process (not its group).
func (p *Proc) Signal(sig syscall.Signal) error { return p.cmd.Process.Signal(sig) }

// Wait waits up to timeout for the process to end and returns its exit
// error.
func (p *Proc) Wait(timeout time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		return fmt.Errorf("%s (pid %d) still running after %v", p.Name, p.Pid(), timeout)
	}
}

// Stop sends SIGTERM to the process group, waits up to grace, then sends
// SIGKILL, and returns the exit error of a process that ended on SIGTERM
// (nil for a clean exit). Stop is idempotent.
func (p *Proc) Stop(grace time.Duration) error {
	var err error
	p.once.Do(func() {
		if done, werr := p.Exited(); done {
			err = werr // never signal a group that may be gone
			return
		}
		pgid := p.Pid()
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.done:
			err = p.err
		case <-time.After(grace):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-p.done
			err = errors.New(p.Name + " ignored SIGTERM")
		}
	})
	return err
}
