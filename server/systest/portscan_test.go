//go:build linux

package systest

import (
	"net/netip"
	"testing"
	"time"

	"github.com/spa-project/spa/server/lab"
)

// Ports spad does not manage, probed for comparison.
const (
	unmanagedTCP = 2222
	unmanagedUDP = spaPort + 1
)

// A scan from the attacker, over IPv4 and IPv6, learns nothing from the
// protected port and the SPA port: neither answers, and the server sends
// nothing while they are probed. For comparison, ports spad does not
// manage answer as the kernel always does (a TCP reset, an ICMP port
// unreachable), which also shows that the capture behind the silence
// checks does see answers: spad hides its own ports, not the whole host,
// so the silence of tcp/22 and of the SPA port is what a scanner sees of a
// firewall that drops, not of a closed port.
func TestPortScanSeesNothing(t *testing.T) {
	s := newSpadLab(t, spadOptions{})
	s.Server.Serve(t, sshAddr4)
	s.Server.Serve(t, sshAddr6)
	junk := make([]byte, 157)
	for _, server := range []netip.Addr{lab.ServerIP4, lab.ServerIP6} {
		port := func(p uint16) netip.AddrPort { return netip.AddrPortFrom(server, p) }
		tcp := func(p uint16) lab.PortState {
			st, err := s.Attacker.TCPState(port(p), 2*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		udp := func(p uint16) lab.PortState {
			st, err := s.Attacker.UDPState(port(p), junk, 2, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		var protected, spaUDP, otherTCP, otherUDP lab.PortState
		expectSilence(t, s.Lab, func() { protected, spaUDP = tcp(protectedPort), udp(spaPort) })
		answers := serverAnswers(t, s.Lab, func() { otherTCP, otherUDP = tcp(unmanagedTCP), udp(unmanagedUDP) })
		t.Logf("%v: tcp/%d %s, udp/%d %s; unmanaged tcp/%d %s, udp/%d %s (%d answers captured)",
			server, protectedPort, protected, spaPort, spaUDP, unmanagedTCP, otherTCP, unmanagedUDP, otherUDP, len(answers))
		if protected != lab.Silent {
			t.Errorf("%v: protected tcp/%d is %s, want silent", server, protectedPort, protected)
		}
		if spaUDP != lab.Silent {
			t.Errorf("%v: SPA port udp/%d is %s, want silent like tcp/%d", server, spaPort, spaUDP, protectedPort)
		}
		if otherTCP != lab.Closed || otherUDP != lab.Closed || len(answers) < 2 {
			t.Errorf("%v: unmanaged ports tcp/%d %s, udp/%d %s, %d answers captured: want both closed and their answers seen",
				server, unmanagedTCP, otherTCP, unmanagedUDP, otherUDP, len(answers))
		}
	}
}
