//go:build linux

package systest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spa-project/spa/server/lab"
)

// "spa connect" carries a real OpenSSH session through ProxyCommand: sshd
// (key authentication only) in the server namespace behind spad, ssh in
// the client namespace. Without spa the same ssh times out.
func TestConnectCarriesOpenSSH(t *testing.T) {
	lab.Require(t, "ssh", "sshd", "ssh-keygen")
	s := newSpadLab(t, spadOptions{})
	sshd := lab.StartSSHD(t, s.Server, sshAddr4)

	out, err := s.ssh(t, sshd.ClientArgs([]string{"-o", "ConnectTimeout=3"}, "echo", "hello"))
	if err == nil || strings.Contains(out, "hello") {
		t.Fatalf("plain ssh got through spad's firewall: %v\n%s", err, out)
	}
	if !strings.Contains(out, "timed out") {
		t.Errorf("plain ssh failed, but not by timing out: %v\n%s", err, out)
	}

	proxy := fmt.Sprintf("ProxyCommand=%s connect --profile %s %%h %%p", s.bin.spa, s.profile)
	out, err = s.ssh(t, sshd.ClientArgs([]string{"-o", proxy}, "echo", "hello"))
	if err != nil || strings.TrimSpace(out) != "hello" {
		t.Fatalf("ssh through spa connect: %v\n%s\nsshd:\n%s", err, out, sshd.Log())
	}
	if g := s.grants(t); len(g) != 1 || g[0] != "192.0.2.2 tcp/22" {
		t.Errorf("grants %q, want the client's tcp/22", g)
	}
}

// ssh runs an ssh command line in the client namespace, for at most 30 s.
func (s *spadLab) ssh(t testing.TB, argv []string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := s.Client.CommandContext(ctx, argv...).CombinedOutput()
	return string(b), err
}
