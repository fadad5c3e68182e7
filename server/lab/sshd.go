//go:build linux

package lab

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// SSHD is a real OpenSSH server running in a lab namespace with its own
// configuration, host key and one authorized user key, for root.
type SSHD struct {
	*Proc
	// Addr is where it listens.
	Addr netip.AddrPort
	// UserKey is the private key that may log in as root.
	UserKey string
	dir     string
}

// privsepDir is the directory sshd insists on (compiled in by Debian); it
// is created if missing and left in place, as the openssh-server package
// would.
const privsepDir = "/run/sshd"

// StartSSHD starts sshd in h's namespace, listening on addr, with key
// authentication only. It runs as root in the foreground (-D -e -f
// CONFIG) with every file in a temporary directory of t, and returns once
// it accepts connections from inside its own namespace.
func StartSSHD(t testing.TB, h Host, addr netip.AddrPort) *SSHD {
	t.Helper()
	Require(t, "sshd", "ssh-keygen")
	s := &SSHD{Addr: addr, dir: t.TempDir()}
	hostKey, userKey := filepath.Join(s.dir, "host_ed25519"), filepath.Join(s.dir, "user_ed25519")
	for _, k := range []string{hostKey, userKey} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "spa-lab", "-f", k).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v: %s", err, out)
		}
	}
	s.UserKey = userKey
	pub, err := os.ReadFile(userKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(s.dir, "authorized_keys"), pub, 0o600)
	cfg := filepath.Join(s.dir, "sshd_config")
	write(t, cfg, []byte(s.config(hostKey)), 0o600)
	if err := os.MkdirAll(privsepDir, 0o755); err != nil {
		t.Fatal(err)
	}
	sshd, err := LookPath("sshd")
	if err != nil {
		t.Fatal(err)
	}
	// sshd re-executes itself and needs its absolute path.
	if out, err := exec.Command(sshd, "-t", "-f", cfg).CombinedOutput(); err != nil {
		t.Fatalf("sshd -t: %v: %s", err, out)
	}
	s.Proc = Start(t, h.NS, "sshd", sshd, "-D", "-e", "-f", cfg)
	s.waitListening(t, h)
	return s
}

func (s *SSHD) config(hostKey string) string {
	return fmt.Sprintf(`# spa lab sshd: key authentication for root only, nothing else.
ListenAddress %s
HostKey %s
PidFile %s
AuthorizedKeysFile %s
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
X11Forwarding no
AllowTcpForwarding no
PrintMotd no
`, s.Addr, hostKey, filepath.Join(s.dir, "sshd.pid"), filepath.Join(s.dir, "authorized_keys"))
}

// waitListening waits until sshd accepts a connection from inside its own
// namespace (over loopback, which firewalls leave alone), or fails t.
func (s *SSHD) waitListening(t testing.TB, h Host) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if done, err := s.Exited(); done {
			t.Fatalf("sshd exited: %v\n%s", err, s.Log())
		}
		if st, err := h.TCPState(s.Addr, 200*time.Millisecond); err == nil && st == Open {
			return
		}
	}
	t.Fatalf("sshd does not accept connections on %v:\n%s", s.Addr, s.Log())
}

// ClientArgs returns an ssh command line that logs in as root with the
// user key, trusting any host key and reading no configuration; opts are
// added before the destination, then args.
func (s *SSHD) ClientArgs(opts []string, args ...string) []string {
	argv := []string{"ssh", "-F", "none", "-i", s.UserKey,
		"-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "LogLevel=ERROR"}
	argv = append(argv, opts...)
	argv = append(argv, "root@"+s.Addr.Addr().String())
	return append(argv, args...)
}

func write(t testing.TB, path string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
}
