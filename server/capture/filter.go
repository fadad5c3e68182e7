package capture

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// Values the filter and the decoder check.
const (
	ethPIPv4 = 0x0800
	ethPIPv6 = 0x86dd

	packetHost = 0 // sockaddr_ll.sll_pkttype of unicast frames to this host

	protoUDP          = 17
	ipv6HopByHop      = 0
	ipv6Routing       = 43
	ipv6DestOptions   = 60
	ipv6HeaderLen     = 40
	maxIPv6Extensions = 4 // extension headers the filter skips at most

	// snapLen is what the filter asks the kernel to keep of a matching
	// frame: everything (the ring's block size bounds it further).
	snapLen = 1 << 18
)

// The filter's labels.
const (
	lblIPv4   = "ipv4"
	lblIPv6   = "ipv6"
	lblPort   = "port"
	lblDrop   = "drop"
	lblAccept = "accept"
	lblMeta   = "meta-ok"
	lblUDP6   = "udp6"
)

// filterProgram returns the socket filter for a cooked (SOCK_DGRAM)
// AF_PACKET socket, whose frames start at the network header. It accepts
// PACKET_HOST frames, from one of ifindexes if any, that are unfragmented
// IPv4 or IPv6 UDP datagrams to a destination port in one of ranges.
func filterProgram(ranges []PortRange, ifindexes []int) ([]bpf.RawInstruction, error) {
	var p prog
	metaChecks(&p, ifindexes)
	ipChecks(&p, ranges)
	ins, err := p.resolve()
	if err != nil {
		return nil, err
	}
	raw, err := bpf.Assemble(ins)
	if err != nil {
		return nil, fmt.Errorf("capture: assembling the filter: %w", err)
	}
	return raw, nil
}

// metaChecks tests the frame's metadata (Linux BPF extensions: packet
// type, interface, protocol) and goes to lblIPv4, lblIPv6 or lblDrop.
func metaChecks(p *prog, ifindexes []int) {
	p.emit(bpf.LoadExtension{Num: bpf.ExtType})
	p.jumpIf(bpf.JumpEqual, packetHost, "", lblDrop)
	if len(ifindexes) > 0 {
		p.emit(bpf.LoadExtension{Num: bpf.ExtInterfaceIndex})
		for _, ix := range ifindexes {
			p.jumpIf(bpf.JumpEqual, uint32(ix), lblMeta, "")
		}
		p.jumpTo(lblDrop)
	}
	p.label(lblMeta)
	p.emit(bpf.LoadExtension{Num: bpf.ExtProto})
	p.jumpIf(bpf.JumpEqual, ethPIPv4, lblIPv4, "")
	p.jumpIf(bpf.JumpEqual, ethPIPv6, lblIPv6, lblDrop)
}

// ipChecks parses the IP and UDP headers at offset 0 and defines lblIPv4,
// lblIPv6 and lblDrop. Out-of-bounds loads make the kernel (and the
// bpf.VM) drop the frame.
func ipChecks(p *prog, ranges []PortRange) {
	// IPv4: version 4 and header length >= 20 (first byte 0x45-0x4f),
	// UDP, not a fragment (neither MF nor an offset: since the socket
	// sees datagrams before reassembly, a fragment can only ever yield
	// part of a datagram, and SPA datagrams are far below any MTU).
	p.label(lblIPv4)
	p.emit(bpf.LoadAbsolute{Off: 0, Size: 1})
	p.jumpIf(bpf.JumpLessThan, 0x45, lblDrop, "")
	p.jumpIf(bpf.JumpGreaterThan, 0x4f, lblDrop, "")
	p.emit(bpf.LoadAbsolute{Off: 9, Size: 1})
	p.jumpIf(bpf.JumpEqual, protoUDP, "", lblDrop)
	p.emit(bpf.LoadAbsolute{Off: 6, Size: 2})
	p.jumpIf(bpf.JumpBitsSet, 0x3fff, lblDrop, "")
	p.emit(
		bpf.LoadMemShift{Off: 0}, // X = IPv4 header length
		bpf.LoadIndirect{Off: 2, Size: 2},
	)
	p.jumpTo(lblPort)

	// IPv6: version 6, then up to maxIPv6Extensions extension headers
	// (hop-by-hop first only, routing, destination options) before UDP;
	// a fragment header drops the datagram, as for IPv4. X tracks the
	// offset of the header whose type A holds.
	p.label(lblIPv6)
	p.emit(bpf.LoadAbsolute{Off: 0, Size: 1})
	p.emit(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0xf0})
	p.jumpIf(bpf.JumpEqual, 0x60, "", lblDrop)
	p.emit(
		bpf.LoadConstant{Dst: bpf.RegX, Val: ipv6HeaderLen},
		bpf.LoadAbsolute{Off: 6, Size: 1},
	)
	for i := range maxIPv6Extensions {
		skip := fmt.Sprintf("ipv6-ext-%d", i)
		p.jumpIf(bpf.JumpEqual, protoUDP, lblUDP6, "")
		if i == 0 {
			p.jumpIf(bpf.JumpEqual, ipv6HopByHop, skip, "")
		}
		p.jumpIf(bpf.JumpEqual, ipv6Routing, skip, "")
		p.jumpIf(bpf.JumpEqual, ipv6DestOptions, skip, lblDrop)
		// Next header type to M[0], X += (length+1)*8, A = M[0].
		p.label(skip)
		p.emit(
			bpf.LoadIndirect{Off: 0, Size: 1},
			bpf.StoreScratch{Src: bpf.RegA, N: 0},
			bpf.LoadIndirect{Off: 1, Size: 1},
			bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: 1},
			bpf.ALUOpConstant{Op: bpf.ALUOpShiftLeft, Val: 3},
			bpf.ALUOpX{Op: bpf.ALUOpAdd},
			bpf.TAX{},
			bpf.LoadScratch{Dst: bpf.RegA, N: 0},
		)
	}
	p.jumpIf(bpf.JumpEqual, protoUDP, "", lblDrop) // too many extensions
	p.label(lblUDP6)
	p.emit(bpf.LoadIndirect{Off: 2, Size: 2})

	// A holds the UDP destination port: accept it if it lies in any range.
	p.label(lblPort)
	for i, r := range ranges {
		next := fmt.Sprintf("range-%d", i+1)
		p.jumpIf(bpf.JumpLessThan, uint32(r.Lo), next, "")
		p.jumpIf(bpf.JumpGreaterThan, uint32(r.Hi), next, lblAccept)
		p.label(next)
	}
	p.jumpTo(lblDrop)
	p.label(lblAccept)
	p.emit(bpf.RetConstant{Val: snapLen})
	p.label(lblDrop)
	p.emit(bpf.RetConstant{Val: 0})
}
