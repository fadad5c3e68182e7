//go:build linux

package systest

import (
	"testing"
	"time"
)

// Every single-bit flip of a real datagram captured on the wire, sent with
// the client's own address, is refused before decryption: a flipped
// header byte fails the header check ("malformed"), a flipped key hint
// finds no key ("unknown_key"), any other bit fails the MAC ("auth").
// Nothing is granted and nothing is answered.
func TestBitFlipsOnTheWire(t *testing.T) {
	s := newSpadLab(t, spadOptions{})
	ear := overhear(t, s.Lab)
	expectSilence(t, s.Lab, func() {
		before := s.counters(t)
		s.knock(t)
		pkt, src := ear.next(t, 5*time.Second)
		s.expectDelta(t, before, map[string]uint64{"accepted": 1})
		// Close the grant the real knock made, so that any grant after
		// the flips would be theirs.
		before = s.counters(t)
		if out, err := s.spa(s.Client, "close", "--profile", s.profile); err != nil {
			t.Fatalf("spa close: %v\n%s", err, out)
		}
		s.expectDelta(t, before, map[string]uint64{"accepted": 1})
		if g := s.grants(t); len(g) != 0 {
			t.Fatalf("grants %q after spa close", g)
		}

		flips := make([][]byte, 0, 8*len(pkt))
		for i := range 8 * len(pkt) {
			f := append([]byte(nil), pkt...)
			f[i/8] ^= 1 << (i % 8)
			flips = append(flips, f)
		}
		before = s.counters(t)
		if err := s.Attacker.SendSpoofedUDP4(src, spaAddr4, flips...); err != nil {
			t.Fatal(err)
		}
		// Byte 0 is the masked header, bytes 1-4 the key hint.
		s.expectDelta(t, before, map[string]uint64{
			"malformed":   8,
			"unknown_key": 4 * 8,
			"auth":        uint64(8 * (len(pkt) - 5)),
		})
	})
	if g := s.grants(t); len(g) != 0 {
		t.Errorf("grants %q after the bit flips", g)
	}
	if st := s.status(t); st.KernelDrops != 0 {
		t.Errorf("spad's capture dropped %d packets", st.KernelDrops)
	}
}
