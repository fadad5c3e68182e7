package capture

import (
	"net/netip"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// decoder turns an IP packet into a Packet with gopacket's
// DecodingLayerParser over layers it reuses: it does not allocate (except
// inside gopacket for each option of an IPv6 hop-by-hop header, and for
// the error of a malformed header, both of which the BPF filter makes
// rare). It is not safe for concurrent use.
type decoder struct {
	ip4 layers.IPv4
	ip6 layers.IPv6
	ext ipv6Extension
	udp layers.UDP

	parse4, parse6 *gopacket.DecodingLayerParser
	decoded        []gopacket.LayerType
	ranges         []PortRange
}

// ipv6Extension skips IPv6 routing and destination-options headers
// (gopacket's IPv6 layer consumes hop-by-hop itself). Fragment headers
// are left undecodable on purpose: a fragment is not a whole datagram.
type ipv6Extension struct {
	layers.IPv6ExtensionSkipper
}

var ipv6ExtensionClass = gopacket.NewLayerClass([]gopacket.LayerType{
	layers.LayerTypeIPv6Routing,
	layers.LayerTypeIPv6Destination,
})

// CanDecode implements gopacket.DecodingLayer.
func (*ipv6Extension) CanDecode() gopacket.LayerClass { return ipv6ExtensionClass }

func newDecoder(ranges ...PortRange) *decoder {
	d := &decoder{ranges: ranges, decoded: make([]gopacket.LayerType, 0, 2+maxIPv6Extensions)}
	d.parse4 = gopacket.NewDecodingLayerParser(layers.LayerTypeIPv4, &d.ip4, &d.udp)
	d.parse6 = gopacket.NewDecodingLayerParser(layers.LayerTypeIPv6, &d.ip6, &d.ext, &d.udp)
	// The UDP payload is the end: whatever gopacket would decode next
	// (DNS, VXLAN...) is not wanted.
	d.parse4.IgnoreUnsupported = true
	d.parse6.IgnoreUnsupported = true
	return d
}

// decode parses an IPv4 or IPv6 packet (by its version) and reports
// whether it is a whole UDP datagram to a port in [lo, hi]. The payload
// aliases data.
func (d *decoder) decode(data []byte) (Packet, bool) {
	if len(data) == 0 {
		return Packet{}, false
	}
	var p Packet
	switch data[0] >> 4 {
	case 4:
		if d.parse4.DecodeLayers(data, &d.decoded) != nil || !d.reachedUDP() {
			return Packet{}, false
		}
		p.Src = netip.AddrFrom4([4]byte(d.ip4.SrcIP))
		p.Dst = netip.AddrFrom4([4]byte(d.ip4.DstIP))
	case 6:
		if d.parse6.DecodeLayers(data, &d.decoded) != nil || !d.reachedUDP() {
			return Packet{}, false
		}
		p.Src = netip.AddrFrom16([16]byte(d.ip6.SrcIP)).Unmap()
		p.Dst = netip.AddrFrom16([16]byte(d.ip6.DstIP)).Unmap()
	default:
		return Packet{}, false
	}
	u := &d.udp
	// gopacket cuts the payload at the UDP length or at the end of the
	// data, whichever comes first: a shorter payload means truncation
	// (and a length of 0, an IPv6 jumbogram, is not for us).
	if int(u.Length) != 8+len(u.Payload) {
		return Packet{}, false
	}
	p.SrcPort, p.DstPort = uint16(u.SrcPort), uint16(u.DstPort)
	if !d.wanted(p.DstPort) {
		return Packet{}, false
	}
	p.Payload = u.Payload
	return p, true
}

// wanted reports whether port lies in one of the decoder's ranges.
func (d *decoder) wanted(port uint16) bool {
	for _, r := range d.ranges {
		if port >= r.Lo && port <= r.Hi {
			return true
		}
	}
	return false
}

// reachedUDP reports whether the layers decoded are IP, extension
// headers, then UDP: not UDP inside a tunnel, not a fragment.
func (d *decoder) reachedUDP() bool {
	n := len(d.decoded)
	if n < 2 || d.decoded[n-1] != layers.LayerTypeUDP {
		return false
	}
	for _, t := range d.decoded[1 : n-1] {
		if t != layers.LayerTypeIPv6Routing && t != layers.LayerTypeIPv6Destination {
			return false
		}
	}
	return true
}
