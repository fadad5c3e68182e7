package capture

import (
	"bytes"
	"testing"
)

func TestDecode(t *testing.T) {
	pl := testPayload(285)
	udp := udpHeader(40000, testLo, pl)
	padded := append(ipv4Packet(protoUDP, 0, nil, udp), 0, 0, 0, 0) // link-layer padding
	tests := []struct {
		name     string
		pkt      []byte
		src, dst string
	}{
		{"ipv4", ipv4Packet(protoUDP, 0, nil, udp), "192.0.2.2", "192.0.2.1"},
		{"ipv4 options", ipv4Packet(protoUDP, 0, []byte{1, 1, 1, 0}, udp), "192.0.2.2", "192.0.2.1"},
		{"ipv4 padded", padded, "192.0.2.2", "192.0.2.1"},
		{"ipv6", ipv6Packet(protoUDP, nil, udp), "2001:db8::2", "2001:db8::1"},
		{"ipv6 hop-by-hop", ipv6Packet(protoUDP, []ipv6Ext{extHopByHop}, udp), "2001:db8::2", "2001:db8::1"},
		{"ipv6 extensions", ipv6Packet(protoUDP, []ipv6Ext{extHopByHop, extDestOpts, extRouting, extDestOpts}, udp), "2001:db8::2", "2001:db8::1"},
	}
	d := newDecoder(PortRange{testLo, testHi})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := d.decode(tt.pkt)
			if !ok {
				t.Fatal("not decoded")
			}
			if p.Src.String() != tt.src || p.Dst.String() != tt.dst || p.SrcPort != 40000 || p.DstPort != testLo {
				t.Fatalf("got %v:%d -> %v:%d", p.Src, p.SrcPort, p.Dst, p.DstPort)
			}
			if !bytes.Equal(p.Payload, pl) {
				t.Fatalf("payload of %d bytes differs", len(p.Payload))
			}
		})
	}
}

func TestDecodeMappedIPv6Unmapped(t *testing.T) {
	pkt := ipv6Packet(protoUDP, nil, udpHeader(1, testLo, nil))
	copy(pkt[8:24], []byte{10: 0xff, 11: 0xff, 12: 192, 13: 0, 14: 2, 15: 9})
	p, ok := newDecoder(PortRange{testLo, testHi}).decode(pkt)
	if !ok || p.Src.String() != "192.0.2.9" || !p.Src.Is4() {
		t.Fatalf("decode = %v, %v", p.Src, ok)
	}
}

func TestDecodeRejects(t *testing.T) {
	udp := udpHeader(40000, testLo, testPayload(157))
	v4 := ipv4Packet(protoUDP, 0, nil, udp)
	long := append([]byte(nil), v4...)
	long[20+5] += 4 // UDP length beyond the datagram
	zeroLen := append([]byte(nil), v4...)
	zeroLen[20+4], zeroLen[20+5] = 0, 0
	tests := []struct {
		name string
		pkt  []byte
	}{
		{"empty", nil},
		{"version 5", append([]byte{0x55}, v4[1:]...)},
		{"ipv4 port below", ipv4Packet(protoUDP, 0, nil, udpHeader(1, testLo-1, nil))},
		{"ipv4 port above", ipv4Packet(protoUDP, 0, nil, udpHeader(1, testHi+1, nil))},
		{"ipv4 tcp", ipv4Packet(6, 0, nil, tcpHeader(1, testLo))},
		{"ipv4 first fragment", ipv4Packet(protoUDP, 0x2000, nil, udp)},
		{"ipv4 non-first fragment", ipv4Packet(protoUDP, 3, nil, udp)},
		{"ipv4 in ipv4", ipv4Packet(4, 0, nil, v4)},
		{"ipv4 truncated", v4[:len(v4)-1]},
		{"ipv4 header only", v4[:20]},
		{"udp length beyond datagram", long},
		{"udp length 0", zeroLen},
		{"ipv6 port above", ipv6Packet(protoUDP, nil, udpHeader(1, testHi+1, nil))},
		{"ipv6 fragment", ipv6Packet(protoUDP, []ipv6Ext{extFragment}, udp)},
		{"ipv6 in ipv6", ipv6Packet(41, nil, ipv6Packet(protoUDP, nil, udp))},
		{"ipv6 truncated", ipv6Packet(protoUDP, nil, udp)[:100]},
		{"ipv6 short", ipv6Packet(protoUDP, nil, udp)[:30]},
	}
	d := newDecoder(PortRange{testLo, testHi})
	for _, tt := range tests {
		if p, ok := d.decode(tt.pkt); ok {
			t.Errorf("%s: decoded %+v", tt.name, p)
		}
	}
}

func TestDecodeAllocs(t *testing.T) {
	udp := udpHeader(40000, testLo, testPayload(285))
	tests := []struct {
		name string
		pkt  []byte
		max  float64
	}{
		{"ipv4", ipv4Packet(protoUDP, 0, nil, udp), 0},
		{"ipv4 options", ipv4Packet(protoUDP, 0, []byte{1, 1, 1, 0}, udp), 0},
		{"ipv6", ipv6Packet(protoUDP, nil, udp), 0},
		{"ipv6 destination options and routing", ipv6Packet(protoUDP, []ipv6Ext{extDestOpts, extRouting}, udp), 0},
		{"ipv4 port out of range", ipv4Packet(protoUDP, 0, nil, udpHeader(1, testHi+1, nil)), 0},
		// gopacket's IPv6 layer allocates each hop-by-hop option (here
		// a router alert and a PadN).
		{"ipv6 hop-by-hop", ipv6Packet(protoUDP, []ipv6Ext{extHopByHop}, udp), 2},
	}
	d := newDecoder(PortRange{testLo, testHi})
	for _, tt := range tests {
		allocs := testing.AllocsPerRun(1000, func() {
			if _, ok := d.decode(tt.pkt); !ok && tt.name != "ipv4 port out of range" {
				t.Fatalf("%s: not decoded", tt.name)
			}
		})
		if allocs > tt.max {
			t.Errorf("%s: %v allocations per packet, want at most %v", tt.name, allocs, tt.max)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	udp := udpHeader(40000, testLo, testPayload(285))
	for _, bc := range []struct {
		name string
		pkt  []byte
	}{
		{"ipv4", ipv4Packet(protoUDP, 0, nil, udp)},
		{"ipv6", ipv6Packet(protoUDP, nil, udp)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			d := newDecoder(PortRange{testLo, testHi})
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.pkt)))
			for b.Loop() {
				if _, ok := d.decode(bc.pkt); !ok {
					b.Fatal("not decoded")
				}
			}
		})
	}
}
