//go:build linux

package systest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/spa-project/spa/client/profile"
	"github.com/spa-project/spa/server"
	"github.com/spa-project/spa/server/lab"
)

// Ports of the lab's spa set-up.
const (
	spaPort       = 62201
	serverName    = "lab.example"
	clientName    = "alice"
	protectedPort = 22
)

var (
	sshAddr4 = netip.AddrPortFrom(lab.ServerIP4, protectedPort)
	sshAddr6 = netip.AddrPortFrom(lab.ServerIP6, protectedPort)
	spaAddr4 = netip.AddrPortFrom(lab.ServerIP4, spaPort)
)

// spadLab is spad with the nftables backend running in the lab's server
// namespace, protecting tcp/22, with one client, alice (strict address
// policy, allowed tcp/22).
type spadLab struct {
	*lab.Lab
	bin     binaries
	dir     string // configuration directory
	state   string // state directory
	profile string // alice's profile file
	prof    *profile.Profile
	proc    *lab.Proc
}

// spadOptions change the set-up for a test.
type spadOptions struct {
	// clientRate, if set, replaces alice's rate limit (requests per second,
	// with a burst of 10 seconds' worth) for benchmarks that knock and
	// close many times a second.
	clientRate float64
}

// newSpadLab builds a lab and starts spad in it.
func newSpadLab(t testing.TB, opt spadOptions) *spadLab {
	t.Helper()
	s := &spadLab{bin: build(t), Lab: lab.New(t)}
	tmp := t.TempDir()
	s.dir, s.state, s.profile = filepath.Join(tmp, "etc"), filepath.Join(tmp, "state"), filepath.Join(tmp, "alice.spa")
	s.spad(t, "init", "--dir", s.dir, "--name", serverName, "--addr", lab.ServerIP4.String(),
		"--protect", fmt.Sprintf("tcp/%d", protectedPort), "--backend", "nftables", "--state", s.state)
	s.spad(t, "client", "add", "--dir", s.dir, clientName, "--allow", fmt.Sprintf("tcp/%d", protectedPort), "--out", s.profile)
	if opt.clientRate > 0 {
		appendFile(t, filepath.Join(s.dir, "clients", clientName+".toml"),
			fmt.Sprintf("rate = %g\nburst = %d\n", opt.clientRate, int(10*opt.clientRate)))
	}
	var err error
	if s.prof, err = profile.LoadFile(s.profile); err != nil {
		t.Fatal(err)
	}
	s.proc = lab.Start(t, s.Server.NS, "spad", s.bin.spad, "run", "--dir", s.dir)
	s.waitRunning(t)
	return s
}

// spad runs a spad command in the test's namespace (configuration
// commands touch files only).
func (s *spadLab) spad(t testing.TB, args ...string) {
	t.Helper()
	if out, err := runCmd(s.bin.spad, args...); err != nil {
		t.Fatalf("spad %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// waitRunning waits until spad answers on its control socket with its
// firewall in place.
func (s *spadLab) waitRunning(t testing.TB) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if done, err := s.proc.Exited(); done {
			t.Fatalf("spad exited: %v\n%s", err, s.proc.Log())
		}
		if _, err := server.Query(s.state, "status"); err == nil && s.proc.LogContains("spad running") {
			return
		}
	}
	t.Fatalf("spad did not start:\n%s", s.proc.Log())
}

// status queries the running spad.
func (s *spadLab) status(t testing.TB) server.Status {
	t.Helper()
	reply, err := server.Query(s.state, "status")
	if err != nil {
		t.Fatalf("spad status: %v\n%s", err, s.proc.Log())
	}
	var st server.Status
	if err := json.Unmarshal(reply, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// counters returns spad's per-reason counters.
func (s *spadLab) counters(t testing.TB) map[string]uint64 { return s.status(t).Counters }

// expectDelta waits until the counters have grown from before by exactly
// want (counters not named must not move), or fails t after 10 s.
func (s *spadLab) expectDelta(t testing.TB, before, want map[string]uint64) {
	t.Helper()
	var got map[string]uint64
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		got = delta(before, s.counters(t))
		if reached(got, want) {
			break
		}
	}
	// Anything still in flight would show up now.
	time.Sleep(50 * time.Millisecond)
	if got = delta(before, s.counters(t)); !maps.Equal(got, want) {
		t.Fatalf("counters moved by %s, want %s", fmtCounters(got), fmtCounters(want))
	}
}

// delta returns the counters that differ from before, with the increase.
func delta(before, after map[string]uint64) map[string]uint64 {
	d := map[string]uint64{}
	for k, v := range after {
		if v != before[k] {
			d[k] = v - before[k]
		}
	}
	return d
}

func reached(got, want map[string]uint64) bool {
	for k, v := range want {
		if got[k] < v {
			return false
		}
	}
	return true
}

func fmtCounters(c map[string]uint64) string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("{")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s:%d", k, c[k])
	}
	return b.String() + "}"
}

// spa runs the real client with args inside h's namespace.
func (s *spadLab) spa(h lab.Host, args ...string) ([]byte, error) {
	return h.Run(append([]string{s.bin.spa}, args...)...)
}

// knock runs "spa knock --profile ALICE args..." in the client namespace
// and fails t if the client fails.
func (s *spadLab) knock(t testing.TB, args ...string) {
	t.Helper()
	s.knockWith(t, s.profile, args...)
}

// knockWith is knock with another profile file.
func (s *spadLab) knockWith(t testing.TB, profile string, args ...string) {
	t.Helper()
	if out, err := s.spa(s.Client, append([]string{"knock", "--profile", profile}, args...)...); err != nil {
		t.Fatalf("spa knock: %v\n%s", err, out)
	}
}

// grants returns the live grants as "ADDR PORT" strings.
func (s *spadLab) grants(t testing.TB) []string {
	t.Helper()
	var g []string
	for _, gr := range s.status(t).Grants {
		g = append(g, gr.Addr+" "+gr.Port)
	}
	sort.Strings(g)
	return g
}

func appendFile(t testing.TB, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}
