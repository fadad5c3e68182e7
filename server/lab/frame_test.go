//go:build linux

package lab

import (
	"net/netip"
	"testing"
)

// A forged datagram decodes back to what was asked for, and its UDP
// checksum verifies.
func TestUDP4PacketDecodes(t *testing.T) {
	src, dst := netip.MustParseAddrPort("192.0.2.2:4242"), netip.MustParseAddrPort("192.0.2.1:62201")
	pkt := udp4Packet(src, dst, []byte("odd-length payload!"))
	var f Frame
	if !decodeIP(&f, pkt, false) {
		t.Fatal("does not decode")
	}
	if f.Src != src.Addr() || f.Dst != dst.Addr() || f.SrcPort != 4242 || f.DstPort != 62201 || string(f.Payload) != "odd-length payload!" {
		t.Fatalf("decoded %v", f)
	}
	// Summing the pseudo-header and the UDP segment, checksum included,
	// gives zero.
	s, d := src.Addr().As4(), dst.Addr().As4()
	seg := pkt[20:]
	pseudo := append(append(append(s[:], d[:]...), 0, ProtoUDP, seg[4], seg[5]), seg...)
	if c := checksum(pseudo); c != 0 {
		t.Fatalf("checksum does not verify: %#04x", c)
	}
}

// An ICMP port unreachable quoting a UDP datagram is recognised, and the
// quoted datagram decodes.
func TestPortUnreachableQuotes(t *testing.T) {
	quoted := udp4Packet(netip.MustParseAddrPort("192.0.2.3:5000"), netip.MustParseAddrPort("192.0.2.1:62201"), nil)
	icmp := append([]byte{3, 3, 0, 0, 0, 0, 0, 0}, quoted...)
	outer := udp4Packet(netip.MustParseAddrPort("192.0.2.1:1"), netip.MustParseAddrPort("192.0.2.3:1"), nil)[:20]
	outer[9] = ProtoICMP
	var f Frame
	if !decodeIP(&f, append(outer, icmp...), false) || !f.IsPortUnreachable() {
		t.Fatalf("not a port unreachable: %v", f)
	}
	if q, ok := f.Quoted(); !ok || q.DstPort != 62201 || q.Src != netip.MustParseAddr("192.0.2.3") {
		t.Fatalf("quoted %v (%v)", q, ok)
	}
}
