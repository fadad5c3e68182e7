//go:build linux

package systest

import (
	"slices"
	"testing"
	"time"

	"github.com/spa-project/spa/server/lab"
)

// An attacker on the path overhears the client's knock and sends it again,
// first from its own address, then with the client's address forged: it
// gets no access, spad counts the first as "address" (the strict policy
// binds the grant to the address inside the packet) and the second as
// "replay", and the server answers neither.
func TestReplayFromTheWire(t *testing.T) {
	s := newSpadLab(t, spadOptions{})
	s.Server.Serve(t, sshAddr4)
	ear := overhear(t, s.Lab)
	expectSilence(t, s.Lab, func() {
		before := s.counters(t)
		s.knock(t)
		pkt, src := ear.next(t, 5*time.Second)
		s.expectDelta(t, before, map[string]uint64{"accepted": 1})
		if len(pkt) != 157 {
			t.Fatalf("overheard a %d-byte datagram, want 157", len(pkt))
		}

		before = s.counters(t)
		if err := s.Attacker.SendUDP(spaAddr4, pkt); err != nil {
			t.Fatal(err)
		}
		s.expectDelta(t, before, map[string]uint64{"address": 1})

		before = s.counters(t)
		if err := s.Attacker.SendSpoofedUDP4(src, spaAddr4, pkt); err != nil {
			t.Fatal(err)
		}
		s.expectDelta(t, before, map[string]uint64{"replay": 1})

		if st, err := s.Attacker.TCPState(sshAddr4, time.Second); err != nil || st != lab.Silent {
			t.Errorf("attacker's connection to %v: %v (%v), want no answer", sshAddr4, st, err)
		}
	})
	if g := s.grants(t); !slices.Equal(g, []string{"192.0.2.2 tcp/22"}) {
		t.Errorf("grants %q, want only the client's", g)
	}
	if st, err := s.Client.TCPState(sshAddr4, 2*time.Second); err != nil || st != lab.Open {
		t.Errorf("client's connection to %v: %v (%v), want open", sshAddr4, st, err)
	}
}
