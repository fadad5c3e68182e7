package capture

import (
	"encoding/binary"
	"strings"
	"testing"

	"golang.org/x/net/bpf"
)

const (
	testLo = 62201
	testHi = 62203
)

// runFilter runs ins on pkt with x/net/bpf's VM and returns the kept length.
func runFilter(t *testing.T, ins []bpf.Instruction, pkt []byte) int {
	t.Helper()
	vm, err := bpf.NewVM(ins)
	if err != nil {
		t.Fatalf("bpf.NewVM: %v", err)
	}
	n, err := vm.Run(pkt)
	if err != nil {
		t.Fatalf("vm.Run: %v", err)
	}
	return n
}

// ipFilter is the filter's IP part behind a dispatch on the version
// nibble instead of the Linux extensions (which the VM lacks; they are
// tested separately by TestFilterMetadata).
func ipFilter(t *testing.T, ranges ...PortRange) []bpf.Instruction {
	t.Helper()
	var p prog
	p.emit(
		bpf.LoadAbsolute{Off: 0, Size: 1},
		bpf.ALUOpConstant{Op: bpf.ALUOpShiftRight, Val: 4},
	)
	p.jumpIf(bpf.JumpEqual, 4, lblIPv4, "")
	p.jumpIf(bpf.JumpEqual, 6, lblIPv6, lblDrop)
	ipChecks(&p, ranges)
	ins, err := p.resolve()
	if err != nil {
		t.Fatal(err)
	}
	return ins
}

func TestFilterIP(t *testing.T) {
	pl := testPayload(157)
	udp := func(port uint16) []byte { return udpHeader(40000, port, pl) }
	v4 := func(port uint16) []byte { return ipv4Packet(protoUDP, 0, nil, udp(port)) }
	v6 := func(port uint16, exts ...ipv6Ext) []byte { return ipv6Packet(protoUDP, exts, udp(port)) }
	// A non-first fragment whose data looks like a UDP header to testLo.
	nonFirst := ipv4Packet(protoUDP, 5, nil, udp(testLo))
	tests := []struct {
		name string
		pkt  []byte
		want bool
	}{
		{"ipv4 lo-1", v4(testLo - 1), false},
		{"ipv4 lo", v4(testLo), true},
		{"ipv4 mid", v4(testLo + 1), true},
		{"ipv4 hi", v4(testHi), true},
		{"ipv4 hi+1", v4(testHi + 1), false},
		{"ipv4 port 0", v4(0), false},
		{"ipv4 port 65535", v4(65535), false},
		{"ipv4 options lo", ipv4Packet(protoUDP, 0, []byte{1, 1, 1, 0}, udp(testLo)), true},
		{"ipv4 options hi+1", ipv4Packet(protoUDP, 0, []byte{1, 1, 1, 0}, udp(testHi+1)), false},
		{"ipv4 dont-fragment", ipv4Packet(protoUDP, 0x4000, nil, udp(testLo)), true},
		{"ipv4 first fragment", ipv4Packet(protoUDP, 0x2000, nil, udp(testLo)), false},
		{"ipv4 non-first fragment", nonFirst, false},
		{"ipv4 last fragment", ipv4Packet(protoUDP, 0x0001, nil, udp(testLo)), false},
		{"ipv4 tcp to lo", ipv4Packet(6, 0, nil, tcpHeader(40000, testLo)), false},
		{"ipv4 header length 16", append([]byte{0x44}, v4(testLo)[1:]...), false},
		{"ipv4 truncated udp", v4(testLo)[:22], false},
		{"ipv6 lo-1", v6(testLo - 1), false},
		{"ipv6 lo", v6(testLo), true},
		{"ipv6 hi", v6(testHi), true},
		{"ipv6 hi+1", v6(testHi + 1), false},
		{"ipv6 tcp to lo", ipv6Packet(6, nil, tcpHeader(40000, testLo)), false},
		{"ipv6 hop-by-hop", v6(testLo, extHopByHop), true},
		{"ipv6 hop-by-hop hi+1", v6(testHi+1, extHopByHop), false},
		{"ipv6 destination options", v6(testLo, extDestOpts), true},
		{"ipv6 four extensions", v6(testHi, extHopByHop, extDestOpts, extRouting, extDestOpts), true},
		{"ipv6 five extensions", v6(testLo, extHopByHop, extDestOpts, extRouting, extDestOpts, extDestOpts), false},
		{"ipv6 hop-by-hop not first", v6(testLo, extDestOpts, extHopByHop), false},
		{"ipv6 fragment", v6(testLo, extFragment), false},
		{"ipv6 hop-by-hop fragment", v6(testLo, extHopByHop, extFragment), false},
		{"ipv6 truncated extension", v6(testLo, extHopByHop)[:44], false},
		{"ipv6 truncated udp", v6(testLo)[:43], false},
		{"version 5", append([]byte{0x55}, v4(testLo)[1:]...), false},
		{"empty", nil, false},
	}
	ins := ipFilter(t, PortRange{testLo, testHi})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := runFilter(t, ins, tt.pkt)
			if got := n > 0; got != tt.want {
				t.Fatalf("accepted = %v (kept %d bytes), want %v", got, n, tt.want)
			}
			if tt.want && n < len(tt.pkt) {
				t.Fatalf("keeps %d bytes of %d", n, len(tt.pkt))
			}
		})
	}
}

// With several ranges (the SPA port and a knock range), a port passes if it
// lies in any of them, and the gaps between them stay closed.
func TestFilterSeveralRanges(t *testing.T) {
	ins := ipFilter(t, PortRange{62201, 62201}, PortRange{20000, 32767})
	pl := testPayload(40)
	for port, want := range map[uint16]bool{
		62201: true, 20000: true, 26000: true, 32767: true,
		19999: false, 32768: false, 62200: false, 62202: false, 53: false, 65535: false,
	} {
		for _, pkt := range [][]byte{
			ipv4Packet(protoUDP, 0, nil, udpHeader(40000, port, pl)),
			ipv6Packet(protoUDP, nil, udpHeader(40000, port, pl)),
		} {
			if got := runFilter(t, ins, pkt) > 0; got != want {
				t.Errorf("port %d: accepted = %v, want %v", port, got, want)
			}
		}
	}
	d := newDecoder(PortRange{62201, 62201}, PortRange{20000, 32767})
	for port, want := range map[uint16]bool{62201: true, 20000: true, 32767: true, 32768: false, 19999: false} {
		if _, ok := d.decode(ipv4Packet(protoUDP, 0, nil, udpHeader(40000, port, pl))); ok != want {
			t.Errorf("decoder, port %d: %v, want %v", port, ok, want)
		}
	}
}

func TestFilterSinglePort(t *testing.T) {
	ins := ipFilter(t, PortRange{testLo, testLo})
	for port, want := range map[uint16]bool{testLo - 1: false, testLo: true, testLo + 1: false} {
		for _, pkt := range [][]byte{
			ipv4Packet(protoUDP, 0, nil, udpHeader(1, port, nil)),
			ipv6Packet(protoUDP, nil, udpHeader(1, port, nil)),
		} {
			if got := runFilter(t, ins, pkt) > 0; got != want {
				t.Errorf("port %d, ipv%d: accepted = %v, want %v", port, pkt[0]>>4, got, want)
			}
		}
	}
}

func TestFilterFullRange(t *testing.T) {
	ins := ipFilter(t, PortRange{1, 65535})
	for _, port := range []uint16{0, 1, 53, 65535} {
		got := runFilter(t, ins, ipv4Packet(protoUDP, 0, nil, udpHeader(1, port, nil))) > 0
		if got != (port != 0) {
			t.Errorf("port %d: accepted = %v", port, got)
		}
	}
}

// metaRecord stands for a frame's metadata in TestFilterMetadata.
func metaRecord(pkttype, ifindex, proto uint32) []byte {
	b := make([]byte, 12)
	binary.BigEndian.PutUint32(b[0:], pkttype)
	binary.BigEndian.PutUint32(b[4:], ifindex)
	binary.BigEndian.PutUint32(b[8:], proto)
	return b
}

// metaFilter is the filter's metadata part with its extension loads
// turned into loads from a metaRecord, before a body that returns 4 or 6.
func metaFilter(t *testing.T, ifindexes []int) []bpf.Instruction {
	t.Helper()
	var p prog
	metaChecks(&p, ifindexes)
	p.label(lblIPv4)
	p.emit(bpf.RetConstant{Val: 4})
	p.label(lblIPv6)
	p.emit(bpf.RetConstant{Val: 6})
	p.label(lblDrop)
	p.emit(bpf.RetConstant{Val: 0})
	ins, err := p.resolve()
	if err != nil {
		t.Fatal(err)
	}
	offsets := map[bpf.Extension]uint32{bpf.ExtType: 0, bpf.ExtInterfaceIndex: 4, bpf.ExtProto: 8}
	for i, in := range ins {
		if ext, ok := in.(bpf.LoadExtension); ok {
			off, known := offsets[ext.Num]
			if !known {
				t.Fatalf("unexpected extension %v", ext.Num)
			}
			ins[i] = bpf.LoadAbsolute{Off: off, Size: 4}
		}
	}
	return ins
}

func TestFilterMetadata(t *testing.T) {
	const (
		outgoing  = 4
		broadcast = 1
		multicast = 2
		otherhost = 3
		arp       = 0x0806
	)
	tests := []struct {
		name      string
		ifindexes []int
		meta      []byte
		want      int
	}{
		{"host ipv4", nil, metaRecord(packetHost, 7, ethPIPv4), 4},
		{"host ipv6", nil, metaRecord(packetHost, 7, ethPIPv6), 6},
		{"host arp", nil, metaRecord(packetHost, 7, arp), 0},
		{"outgoing", nil, metaRecord(outgoing, 7, ethPIPv4), 0},
		{"broadcast", nil, metaRecord(broadcast, 7, ethPIPv4), 0},
		{"multicast", nil, metaRecord(multicast, 7, ethPIPv6), 0},
		{"otherhost", nil, metaRecord(otherhost, 7, ethPIPv4), 0},
		{"listed interface", []int{2, 7}, metaRecord(packetHost, 7, ethPIPv6), 6},
		{"first listed interface", []int{2, 7}, metaRecord(packetHost, 2, ethPIPv4), 4},
		{"other interface", []int{2, 7}, metaRecord(packetHost, 3, ethPIPv4), 0},
		{"listed interface outgoing", []int{7}, metaRecord(outgoing, 7, ethPIPv4), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := runFilter(t, metaFilter(t, tt.ifindexes), tt.meta); got != tt.want {
				t.Fatalf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestFilterProgramAssembles(t *testing.T) {
	many := make([]int, maxInterfaces)
	for i := range many {
		many[i] = i + 1
	}
	for _, ifindexes := range [][]int{nil, {1}, many} {
		raw, err := filterProgram([]PortRange{{testLo, testHi}}, ifindexes)
		if err != nil {
			t.Fatalf("%d interfaces: %v", len(ifindexes), err)
		}
		if len(raw) == 0 || len(raw) > bpfMaxInstructions {
			t.Fatalf("%d interfaces: %d instructions", len(ifindexes), len(raw))
		}
		t.Logf("%d interfaces: %d instructions", len(ifindexes), len(raw))
	}
}

func TestProgErrors(t *testing.T) {
	tests := []struct {
		name  string
		build func(p *prog)
		want  string
	}{
		{"undefined", func(p *prog) { p.jumpTo("nowhere") }, "undefined"},
		{"backward", func(p *prog) {
			p.label("back")
			p.emit(bpf.LoadConstant{Val: 1})
			p.jumpIf(bpf.JumpEqual, 1, "back", "")
		}, "not forward"},
		{"too far", func(p *prog) {
			p.jumpIf(bpf.JumpEqual, 1, "far", "")
			for range 300 {
				p.emit(bpf.LoadConstant{Val: 1})
			}
			p.label("far")
			p.emit(bpf.RetConstant{Val: 0})
		}, "too far"},
	}
	for _, tt := range tests {
		var p prog
		tt.build(&p)
		if _, err := p.resolve(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}
