//go:build linux

package systest

import (
	"crypto/rand"
	"net/netip"
	"testing"
	"time"

	"github.com/spa-project/spa/server/lab"
	"github.com/spa-project/spa/spa"
)

// Issue 7: an attacker sweeping the whole knock range from its own
// namespace, with datagrams of a fragment's length, opens nothing, stores
// nothing, and does not desynchronise the client, whose next knock on
// one-time ports opens the port. Every swept datagram is counted.
func TestKnockSweepFromAttacker(t *testing.T) {
	s := newSpadLab(t, spadOptions{})
	s.Server.Serve(t, sshAddr4)
	before := s.counters(t)
	r := spa.DefaultKnockRange()
	junk := make([]byte, 47) // the length of fragments 1-3 of a small 4-fragment knock
	sent := 0
	for p := int(r.Lo); p <= int(r.Hi); p++ {
		rand.Read(junk)
		if err := s.Attacker.SendUDP(netip.AddrPortFrom(lab.ServerIP4, uint16(p)), junk); err != nil {
			t.Fatalf("sending to port %d: %v", p, err)
		}
		sent++
	}
	refused := func() uint64 {
		d := delta(before, s.counters(t))
		return d["unknown_key"] + d["fragment_auth"] + d["malformed"]
	}
	for deadline := time.Now().Add(20 * time.Second); refused() < uint64(sent) && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	d := delta(before, s.counters(t))
	if got := refused(); got != uint64(sent) || d["accepted"] != 0 || d["fragments"] != 0 {
		t.Fatalf("after sweeping %d ports: %s; want all %d refused, none stored or accepted (kernel drops %d)",
			sent, fmtCounters(d), sent, s.status(t).KernelDrops)
	}
	if st, err := s.Attacker.TCPState(sshAddr4, time.Second); err != nil || st != lab.Silent {
		t.Fatalf("attacker's connection after the sweep: %v (%v), want no answer", st, err)
	}
	s.knock(t, "--knock-ports", "--wait", "--timeout", "10s")
	if d := delta(before, s.counters(t)); d["accepted"] != 1 {
		t.Fatalf("the client's knock after the sweep: %s", fmtCounters(d))
	}
	if st, err := s.Client.TCPState(sshAddr4, 2*time.Second); err != nil || st != lab.Open {
		t.Fatalf("client's connection after its knock: %v (%v), want open", st, err)
	}
	if st, err := s.Attacker.TCPState(sshAddr4, time.Second); err != nil || st != lab.Silent {
		t.Fatalf("attacker's connection after the client's knock: %v (%v), want no answer", st, err)
	}
}
