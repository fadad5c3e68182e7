//go:build linux

package main

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		if _, err := exec.LookPath("ip"); err == nil {
			return
		}
	}
	msg := "spa demo needs root and iproute2 (network namespaces); run as root"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI=true: a skip is a failure)")
	}
	t.Skip(msg)
}

// syncBuffer is a bytes.Buffer safe to read while a command writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// demoCmd runs this test binary as "spa demo".
func demoCmd(t *testing.T, out *syncBuffer, extra ...string) *exec.Cmd {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, append([]string{"demo", "--duration", "2s"}, extra...)...)
	cmd.Env = append(os.Environ(), "SPA_TEST_AS_SPA=1")
	cmd.Stdout, cmd.Stderr = out, out
	return cmd
}

// demoNamespaces lists the namespaces a demo with this pid would create.
func demoNamespaces(t *testing.T, pid int) []string {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], "spademo-"+strconv.Itoa(pid)+"-") {
			left = append(left, f[0])
		}
	}
	return left
}

// The README's first command: the whole job, start to finish.
func TestDemoRunsToCompletion(t *testing.T) {
	runDemoTest(t)
}

// The same with a knock on one-time HOTP ports through real nftables.
func TestDemoKnockPorts(t *testing.T) {
	text := runDemoTest(t, "--knock-ports")
	if !strings.Contains(text, "4 datagrams to one-time ports") {
		t.Errorf("no knock in the output:\n%s", text)
	}
}

func runDemoTest(t *testing.T, extra ...string) string {
	requireRoot(t)
	var out syncBuffer
	cmd := demoCmd(t, &out, extra...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("spa demo: %v\n%s", err, &out)
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("spa demo did not finish within 60 s:\n%s", &out)
	}
	text := out.String()
	for _, want := range []string{
		"[3/6] client: connect to 192.0.2.1:22 ... closed",
		"[4/6] client: spa knock",
		`open, the service says "SSH-2.0-spa-demo"`,
		"[6/6] client: connect to 192.0.2.1:22 ... closed",
		"spad counters: accepted 1, refused 0",
		"cleaned up",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if left := demoNamespaces(t, cmd.Process.Pid); len(left) > 0 {
		t.Errorf("namespaces left behind: %v", left)
	}
	return text
}

// Interrupted half way, the demo still removes everything it created.
func TestDemoCleansUpWhenInterrupted(t *testing.T) {
	requireRoot(t)
	var out syncBuffer
	cmd := demoCmd(t, &out)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 400 && !strings.Contains(out.String(), "[2/6]"); i++ {
		time.Sleep(25 * time.Millisecond)
	}
	if len(demoNamespaces(t, cmd.Process.Pid)) != 2 {
		t.Fatalf("demo did not set up its namespaces:\n%s", &out)
	}
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("demo did not stop on SIGINT:\n%s", &out)
	}
	if left := demoNamespaces(t, cmd.Process.Pid); len(left) > 0 {
		t.Fatalf("namespaces left behind after SIGINT: %v\n%s", left, &out)
	}
	if !strings.Contains(out.String(), "cleaned up") {
		t.Fatalf("no cleanup message:\n%s", &out)
	}
}
