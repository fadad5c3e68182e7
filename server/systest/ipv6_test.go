//go:build linux

package systest

import (
	"slices"
	"testing"
	"time"

	"github.com/spa-project/spa/server/lab"
)

// The real client knocks over IPv6 and opens tcp/22 for its IPv6 address
// only: the attacker on the same link still gets no answer.
func TestKnockOverIPv6(t *testing.T) {
	s := newSpadLab(t, spadOptions{})
	s.Server.Serve(t, sshAddr6)
	if st, err := s.Client.TCPState(sshAddr6, time.Second); err != nil || st != lab.Silent {
		t.Fatalf("before the knock, client's connection to %v: %v (%v), want no answer", sshAddr6, st, err)
	}
	before := s.counters(t)
	s.knock(t, "-6", lab.ServerIP6.String())
	s.expectDelta(t, before, map[string]uint64{"accepted": 1})
	if g := s.grants(t); !slices.Equal(g, []string{lab.ClientIP6.String() + " tcp/22"}) {
		t.Errorf("grants %q, want only the client's IPv6 address", g)
	}
	if st, err := s.Client.TCPState(sshAddr6, 2*time.Second); err != nil || st != lab.Open {
		t.Errorf("client's connection to %v: %v (%v), want open", sshAddr6, st, err)
	}
	if st, err := s.Attacker.TCPState(sshAddr6, time.Second); err != nil || st != lab.Silent {
		t.Errorf("attacker's connection to %v: %v (%v), want no answer", sshAddr6, st, err)
	}
}
