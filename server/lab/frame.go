//go:build linux

package lab

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"
)

// Protocol numbers of the frames the lab decodes.
const (
	ProtoICMP   = 1
	ProtoTCP    = 6
	ProtoUDP    = 17
	ProtoICMPv6 = 58
)

// EtherType values.
const (
	etherIPv4 = 0x0800
	etherARP  = 0x0806
	etherIPv6 = 0x86dd
)

// Frame is one captured Ethernet frame, decoded as far as the lab needs.
type Frame struct {
	// Time is the kernel's capture timestamp.
	Time time.Time
	// Out is true for a frame the capturing namespace sent, false for one
	// it received (or, with the hub on, overheard).
	Out bool
	// EtherType is the frame's EtherType (0x0800 IPv4, 0x0806 ARP, 0x86dd
	// IPv6).
	EtherType uint16
	// Src and Dst are the IP addresses; invalid for non-IP frames.
	Src, Dst netip.Addr
	// Proto is the IP protocol (or IPv6 next header).
	Proto uint8
	// SrcPort and DstPort are the TCP or UDP ports.
	SrcPort, DstPort uint16
	// TCPFlags are the TCP flags byte.
	TCPFlags uint8
	// ICMPType and ICMPCode are set for ICMP and ICMPv6.
	ICMPType, ICMPCode uint8
	// Payload is what follows the transport header: UDP or TCP data, or
	// the ICMP message body after its 8-byte header.
	Payload []byte
}

// IsIP reports whether the frame carries IPv4 or IPv6.
func (f Frame) IsIP() bool { return f.Src.IsValid() }

// IsNeighbourDiscovery reports whether the frame is ARP or IPv6
// neighbour/router discovery or a multicast listener report: link-layer
// housekeeping, not an answer to anything a peer sent on a port.
func (f Frame) IsNeighbourDiscovery() bool {
	if f.EtherType == etherARP {
		return true
	}
	if f.Proto == ProtoICMPv6 {
		switch f.ICMPType {
		case 130, 131, 132, 133, 134, 135, 136, 137, 143:
			return true
		}
	}
	return f.EtherType == etherIPv6 && f.Proto == 0 // hop-by-hop header: MLD reports
}

// IsPortUnreachable reports whether the frame is an ICMP or ICMPv6 "port
// unreachable" error.
func (f Frame) IsPortUnreachable() bool {
	return (f.Proto == ProtoICMP && f.ICMPType == 3 && f.ICMPCode == 3) ||
		(f.Proto == ProtoICMPv6 && f.ICMPType == 1 && f.ICMPCode == 4)
}

// Quoted decodes the IP packet an ICMP error quotes (its header and the
// first bytes of its payload), as far as they go.
func (f Frame) Quoted() (Frame, bool) {
	if f.Proto != ProtoICMP && f.Proto != ProtoICMPv6 {
		return Frame{}, false
	}
	var q Frame
	if !decodeIP(&q, f.Payload, f.Proto == ProtoICMPv6) {
		return Frame{}, false
	}
	return q, true
}

func (f Frame) String() string {
	dir := "in"
	if f.Out {
		dir = "out"
	}
	switch {
	case !f.IsIP():
		return fmt.Sprintf("%s ethertype %#04x", dir, f.EtherType)
	case f.Proto == ProtoICMP || f.Proto == ProtoICMPv6:
		s := fmt.Sprintf("%s %v > %v icmp type %d code %d", dir, f.Src, f.Dst, f.ICMPType, f.ICMPCode)
		if q, ok := f.Quoted(); ok && q.Proto == ProtoUDP {
			s += fmt.Sprintf(" (quoting udp %v > %v:%d)", q.Src, q.Dst, q.DstPort)
		}
		return s
	case f.Proto == ProtoTCP:
		return fmt.Sprintf("%s %v:%d > %v:%d tcp flags %#02x", dir, f.Src, f.SrcPort, f.Dst, f.DstPort, f.TCPFlags)
	default:
		return fmt.Sprintf("%s %v:%d > %v:%d proto %d, %d bytes", dir, f.Src, f.SrcPort, f.Dst, f.DstPort, f.Proto, len(f.Payload))
	}
}

// decodeEthernet decodes an Ethernet frame into f.
func decodeEthernet(f *Frame, b []byte) {
	if len(b) < 14 {
		return
	}
	f.EtherType = binary.BigEndian.Uint16(b[12:14])
	switch f.EtherType {
	case etherIPv4:
		decodeIP(f, b[14:], false)
	case etherIPv6:
		decodeIP(f, b[14:], true)
	}
}

// decodeIP decodes an IPv4 or IPv6 packet (possibly truncated, as ICMP
// errors quote them) and its transport header into f.
func decodeIP(f *Frame, b []byte, v6 bool) bool {
	var l4 []byte
	switch {
	case !v6 && len(b) >= 20 && b[0]>>4 == 4:
		ihl := int(b[0]&0x0f) * 4
		if ihl < 20 || len(b) < ihl {
			return false
		}
		f.Src, _ = netip.AddrFromSlice(b[12:16])
		f.Dst, _ = netip.AddrFromSlice(b[16:20])
		f.Proto, l4 = b[9], b[ihl:]
	case v6 && len(b) >= 40 && b[0]>>4 == 6:
		f.Src, _ = netip.AddrFromSlice(b[8:24])
		f.Dst, _ = netip.AddrFromSlice(b[24:40])
		f.Proto, l4 = b[6], b[40:]
	default:
		return false
	}
	decodeTransport(f, l4)
	return true
}

func decodeTransport(f *Frame, b []byte) {
	switch f.Proto {
	case ProtoUDP:
		if len(b) >= 8 {
			f.SrcPort, f.DstPort = binary.BigEndian.Uint16(b[0:2]), binary.BigEndian.Uint16(b[2:4])
			f.Payload = b[8:]
		} else if len(b) >= 4 {
			f.SrcPort, f.DstPort = binary.BigEndian.Uint16(b[0:2]), binary.BigEndian.Uint16(b[2:4])
		}
	case ProtoTCP:
		if len(b) >= 20 {
			f.SrcPort, f.DstPort = binary.BigEndian.Uint16(b[0:2]), binary.BigEndian.Uint16(b[2:4])
			f.TCPFlags = b[13]
			if off := int(b[12]>>4) * 4; off >= 20 && off <= len(b) {
				f.Payload = b[off:]
			}
		}
	case ProtoICMP, ProtoICMPv6:
		if len(b) >= 8 {
			f.ICMPType, f.ICMPCode, f.Payload = b[0], b[1], b[8:]
		}
	}
}
