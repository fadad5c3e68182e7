//go:build linux

package systest

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/spa-project/spa/keys"
	"github.com/spa-project/spa/server/lab"
)

// Knocks the real client makes but spad must refuse: too old, too new,
// sealed for another server, for a port outside the client's policy, for
// an address that is not the client's. Each is counted under its reason,
// none grants anything, none is answered.
func TestRefusedKnocks(t *testing.T) {
	s := newSpadLab(t, spadOptions{})
	s.Server.Serve(t, sshAddr4)
	other := s.otherServerProfile(t)
	cases := []struct {
		name string
		args []string
		want []string // one of these counters moves by one
	}{
		// A packet older than the window is "stale", or "unknown_key" once
		// its key hint's epoch has left the hint table.
		{"stale", []string{"--time-offset", "-2m"}, []string{"stale", "unknown_key"}},
		{"from the future", []string{"--time-offset", "2m"}, []string{"stale", "unknown_key"}},
		{"another server", nil, []string{"unknown_key"}},
		{"port not in policy", []string{"--port", "tcp/23"}, []string{"policy"}},
		{"another address", []string{"--allow-ip", "192.0.2.99"}, []string{"address"}},
	}
	expectSilence(t, s.Lab, func() {
		for _, c := range cases {
			before := s.counters(t)
			if c.name == "another server" {
				s.knockWith(t, other)
			} else {
				s.knock(t, c.args...)
			}
			s.expectOneOf(t, c.name, before, c.want)
		}
	})
	if g := s.grants(t); len(g) != 0 {
		t.Errorf("grants %q after refused knocks", g)
	}
	if st, err := s.Client.TCPState(sshAddr4, time.Second); err != nil || st != lab.Silent {
		t.Errorf("client's connection to %v: %v (%v), want no answer", sshAddr4, st, err)
	}
}

// expectOneOf waits until exactly one of the counters in want has grown by
// one and nothing else moved.
func (s *spadLab) expectOneOf(t testing.TB, name string, before map[string]uint64, want []string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		d := delta(before, s.counters(t))
		for _, w := range want {
			if d[w] == 1 && len(d) == 1 {
				t.Logf("%s: refused as %s", name, w)
				return
			}
		}
		if len(d) > 0 {
			t.Fatalf("%s: counters moved by %s, want one of %v by one", name, fmtCounters(d), want)
		}
	}
	t.Fatalf("%s: no counter moved, want one of %v", name, want)
}

// otherServerProfile writes a copy of alice's profile that seals packets
// for another server identity (as if the same secret were enrolled on a
// server named other.example) but still sends them to the lab's server.
func (s *spadLab) otherServerProfile(t testing.TB) string {
	t.Helper()
	p := *s.prof
	p.ServerName = "other.example"
	id, err := keys.NewServerID(p.ServerName)
	if err != nil {
		t.Fatal(err)
	}
	p.ServerID = id
	path := filepath.Join(t.TempDir(), "other.spa")
	if err := keys.WriteSecretFile(path, p.Marshal()); err != nil {
		t.Fatal(fmt.Errorf("writing %s: %w", path, err))
	}
	return path
}
