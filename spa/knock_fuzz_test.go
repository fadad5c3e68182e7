package spa

import (
	"net/netip"
	"testing"
)

// FuzzKnockReceive feeds arbitrary datagrams through Match, Add and
// OpenKnock: no panic, a rejected datagram leaves no state, and nothing but
// the real knock's packet ever opens.
func FuzzKnockReceive(f *testing.F) {
	k := testKey(f, "alice", "bastion-a.example")
	s := newKnockServer(f, false, k)
	cl := &knockClient{t: f, key: k}
	ports, payloads := cl.knock(3, s.now)
	for i := range ports {
		f.Add(ports[i], payloads[i], byte(1))
	}
	f.Add(uint16(20000), []byte{}, byte(0))
	f.Fuzz(func(t *testing.T, port uint16, payload []byte, src byte) {
		before := s.ra.Len() + len(s.ra.byID)
		cand, err := s.table.Match(port, payload)
		if err != nil {
			if cand != (Candidate{}) {
				t.Fatalf("candidate %+v with error %v", cand, err)
			}
			return
		}
		pkt, done, err := s.ra.Add(s.now, cand, netip.AddrFrom4([4]byte{192, 0, 2, src}), payload)
		if err != nil && s.ra.Len()+len(s.ra.byID) != before {
			t.Fatal("a rejected fragment made state")
		}
		if done {
			if _, _, err := s.hints.OpenKnock(pkt, s.now, cand); err != nil {
				t.Fatalf("the only valid fragments are the knock's, yet it failed: %v", err)
			}
		}
	})
}
