package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/spa-project/spa/client/profile"
	"github.com/spa-project/spa/server"
	"github.com/spa-project/spa/spa"
)

// TestMain lets the test binary act as spad, so system tests can start the
// real command inside a network namespace.
func TestMain(m *testing.M) {
	if os.Getenv("SPAD_TEST_AS_SPAD") == "1" {
		os.Exit(run(os.Args, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// requireRoot skips a system test without root, except in CI, where a skip
// would hide a missing test and fails instead.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		if _, err := exec.LookPath("ip"); err == nil {
			return
		}
	}
	msg := "system test needs root and iproute2 (network namespaces); run as root"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI=true: a skip is a failure)")
	}
	t.Skip(msg)
}

func ip(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// lab is a server namespace with a client on 192.0.2.0/24 and an attacker
// on 198.51.100.0/24.
type lab struct {
	srv, cli, atk string
}

func newLab(t *testing.T) *lab {
	id := fmt.Sprintf("%d%d", os.Getpid()%100000, time.Now().UnixNano()%1000)
	l := &lab{srv: "spadsys-s" + id, cli: "spadsys-c" + id, atk: "spadsys-a" + id}
	for _, ns := range []string{l.srv, l.cli, l.atk} {
		ip(t, "netns", "add", ns)
		t.Cleanup(func() { exec.Command("ip", "netns", "delete", ns).Run() })
		ip(t, "-n", ns, "link", "set", "lo", "up")
	}
	for _, p := range []struct{ peer, srvAddr, peerAddr, tag string }{
		{l.cli, "192.0.2.1/24", "192.0.2.2/24", "c"},
		{l.atk, "198.51.100.1/24", "198.51.100.2/24", "a"},
	} {
		a, b := "sv"+p.tag+id, "pe"+p.tag+id
		ip(t, "link", "add", a, "netns", l.srv, "type", "veth", "peer", "name", b, "netns", p.peer)
		ip(t, "-n", l.srv, "addr", "add", p.srvAddr, "dev", a)
		ip(t, "-n", p.peer, "addr", "add", p.peerAddr, "dev", b)
		ip(t, "-n", l.srv, "link", "set", a, "up")
		ip(t, "-n", p.peer, "link", "set", b, "up")
	}
	return l
}

// udpIn opens a UDP socket inside the namespace ns. The socket keeps its
// namespace after the thread that made it is gone; the thread itself is
// never unlocked, so it exits instead of returning to the pool.
func udpIn(t *testing.T, ns string) *net.UDPConn {
	t.Helper()
	type result struct {
		c   *net.UDPConn
		err error
	}
	ch := make(chan result)
	go func() {
		runtime.LockOSThread()
		fd, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err == nil {
			err = unix.Setns(fd, unix.CLONE_NEWNET)
			unix.Close(fd)
		}
		if err != nil {
			ch <- result{nil, err}
			return
		}
		c, err := net.ListenUDP("udp", nil)
		ch <- result{c, err}
	}()
	r := <-ch
	if r.err != nil {
		t.Fatalf("udp socket in %s: %v", ns, r.err)
	}
	t.Cleanup(func() { r.c.Close() })
	return r.c
}

type spadProc struct {
	cmd *exec.Cmd
	log *bytes.Buffer
}

func startSpad(t *testing.T, l *lab, dir, stateDir string) *spadProc {
	t.Helper()
	self, _ := os.Executable()
	p := &spadProc{log: &bytes.Buffer{}}
	p.cmd = exec.Command("ip", "netns", "exec", l.srv, self, "run", "--dir", dir)
	p.cmd.Env = append(os.Environ(), "SPAD_TEST_AS_SPAD=1")
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	for i := 0; i < 200; i++ {
		if _, err := server.Query(stateDir, "status"); err == nil {
			return p
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("spad did not start:\n%s", p.log)
	return nil
}

func (p *spadProc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(unix.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("spad exited with %v:\n%s", err, p.log)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("spad did not stop on SIGTERM:\n%s", p.log)
	}
}

func spadCLI(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(append([]string{"spad"}, args...), &out, &errb); code != 0 {
		t.Fatalf("spad %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
	}
	return out.String()
}

func status(t *testing.T, stateDir string) server.Status {
	t.Helper()
	reply, err := server.Query(stateDir, "status")
	if err != nil {
		t.Fatal(err)
	}
	var st server.Status
	if err := json.Unmarshal(reply, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// knock seals an open request for addr at time ts with the profile.
func knock(t *testing.T, p *profile.Profile, ts time.Time, addr string) []byte {
	t.Helper()
	key := spa.NewKey(p.Client, p.Secret.ForServer(p.ServerID).Bytes(), p.ServerID.SPA())
	b := spa.Body{Type: spa.MsgOpen, UnixMilli: uint64(ts.UnixMilli()), ClientIP: netip.MustParseAddr(addr), Duration: 30}
	b.SetPorts([]spa.Port{{Proto: spa.TCP, Port: 22}})
	pkt, err := key.SealRandom(nil, &b, rand.Reader, spa.Small)
	if err != nil {
		t.Fatal(err)
	}
	return pkt
}

// peer is a sending socket in a namespace and the server address it reaches.
type peer struct {
	conn *net.UDPConn
	dst  netip.AddrPort
}

// sendExpect sends pkt from p and waits until the counter named want, and
// no other, has grown by one.
func sendExpect(t *testing.T, p peer, stateDir string, pkt []byte, want string) {
	t.Helper()
	before := status(t, stateDir).Counters
	if _, err := p.conn.WriteToUDPAddrPort(pkt, p.dst); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		now := status(t, stateDir).Counters
		if now[want] == before[want]+1 {
			for k, v := range now {
				if k != want && v != before[k] {
					t.Fatalf("expected %s, but %s moved: %v", want, k, now)
				}
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("counter %s did not move: %v", want, status(t, stateDir).Counters)
}

// The acceptance: spad init + client add + run in a network
// namespace grants a valid packet, refuses replayed, altered, stale and
// misaddressed ones with the right counter, and still refuses the replay
// after a restart.
func TestSpadInNetworkNamespace(t *testing.T) {
	requireRoot(t)
	l := newLab(t)
	tmp := t.TempDir()
	dir, stateDir := filepath.Join(tmp, "etc"), filepath.Join(tmp, "state")
	spadCLI(t, "init", "--dir", dir, "--name", "sys.example", "--addr", "192.0.2.1", "--protect", "tcp/22", "--backend", "none", "--state", stateDir)
	spadCLI(t, "client", "add", "alice", "--dir", dir, "--allow", "tcp/22", "--out", filepath.Join(tmp, "alice.spa"))
	prof, err := profile.LoadFile(filepath.Join(tmp, "alice.spa"))
	if err != nil {
		t.Fatal(err)
	}
	p := startSpad(t, l, dir, stateDir)
	cli := peer{udpIn(t, l.cli), netip.MustParseAddrPort("192.0.2.1:62201")}
	atk := peer{udpIn(t, l.atk), netip.MustParseAddrPort("198.51.100.1:62201")}

	now := time.Now()
	valid := knock(t, prof, now, "192.0.2.2")
	sendExpect(t, cli, stateDir, valid, "accepted")
	if g := status(t, stateDir).Grants; len(g) != 1 || g[0].Addr != "192.0.2.2" || g[0].Port != "tcp/22" {
		t.Fatalf("grants %+v", g)
	}
	sendExpect(t, cli, stateDir, valid, "replay")
	// The attacker's copy from its own address fails the strict address
	// check, which comes before the replay check: no access either way.
	sendExpect(t, atk, stateDir, valid, "address")
	flipped := knock(t, prof, now, "192.0.2.2")
	flipped[60] ^= 0x10
	sendExpect(t, cli, stateDir, flipped, "auth")
	sendExpect(t, cli, stateDir, knock(t, prof, now, "192.0.2.99"), "address")
	old := now.Add(-61 * time.Second)
	wantOld := "stale"
	if spa.Epoch(uint64(old.UnixMilli())) < spa.Epoch(uint64(now.Add(-60*time.Second).UnixMilli())) {
		wantOld = "unknown_key" // its hint epoch is already outside the table
	}
	sendExpect(t, cli, stateDir, knock(t, prof, old, "192.0.2.2"), wantOld)

	p.stop(t)
	startSpad(t, l, dir, stateDir)
	sendExpect(t, cli, stateDir, valid, "replay")
	if g := status(t, stateDir).Grants; len(g) != 1 {
		t.Fatalf("grant lost across the restart: %+v", g)
	}
}
