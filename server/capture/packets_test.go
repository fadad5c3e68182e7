package capture

import (
	"encoding/binary"
	"net/netip"
)

// Hand-built packets as a cooked AF_PACKET socket sees them: starting at
// the IP header. Checksums are left zero: nothing here checks them.

var (
	testSrc4 = netip.MustParseAddr("192.0.2.2")
	testDst4 = netip.MustParseAddr("192.0.2.1")
	testSrc6 = netip.MustParseAddr("2001:db8::2")
	testDst6 = netip.MustParseAddr("2001:db8::1")
)

// udpHeader returns a UDP header and payload.
func udpHeader(src, dst uint16, payload []byte) []byte {
	b := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(b[0:], src)
	binary.BigEndian.PutUint16(b[2:], dst)
	binary.BigEndian.PutUint16(b[4:], uint16(8+len(payload)))
	return append(b, payload...)
}

// tcpHeader returns a minimal TCP header with the given ports.
func tcpHeader(src, dst uint16) []byte {
	b := make([]byte, 20)
	binary.BigEndian.PutUint16(b[0:], src)
	binary.BigEndian.PutUint16(b[2:], dst)
	b[12] = 5 << 4
	return b
}

// ipv4Packet wraps l4 in an IPv4 header with optional options (a
// multiple of 4 bytes) and the flags/fragment-offset field frag.
func ipv4Packet(proto uint8, frag uint16, options, l4 []byte) []byte {
	hl := 20 + len(options)
	b := make([]byte, hl, hl+len(l4))
	b[0] = 0x40 | uint8(hl/4)
	binary.BigEndian.PutUint16(b[2:], uint16(hl+len(l4)))
	binary.BigEndian.PutUint16(b[6:], frag)
	b[8] = 64
	b[9] = proto
	src, dst := testSrc4.As4(), testDst4.As4()
	copy(b[12:], src[:])
	copy(b[16:], dst[:])
	copy(b[20:], options)
	return append(b, l4...)
}

// ipv6Ext is an extension header to put before the upper layer.
type ipv6Ext struct {
	typ  uint8
	body []byte // after the next-header byte; len+1 a multiple of 8
}

// ipv6Packet wraps l4 (of type proto) in an IPv6 header and the given
// extension headers.
func ipv6Packet(proto uint8, exts []ipv6Ext, l4 []byte) []byte {
	var chain []byte
	for i, e := range exts {
		next := proto
		if i+1 < len(exts) {
			next = exts[i+1].typ
		}
		chain = append(chain, next)
		chain = append(chain, e.body...)
	}
	first := proto
	if len(exts) > 0 {
		first = exts[0].typ
	}
	b := make([]byte, 40, 40+len(chain)+len(l4))
	b[0] = 0x60
	binary.BigEndian.PutUint16(b[4:], uint16(len(chain)+len(l4)))
	b[6] = first
	b[7] = 64
	src, dst := testSrc6.As16(), testDst6.As16()
	copy(b[8:], src[:])
	copy(b[24:], dst[:])
	return append(append(b, chain...), l4...)
}

// Extension headers of 8 bytes: hop-by-hop with a router alert option,
// destination options with PadN, routing type 4 with nothing left, and a
// fragment header (offset 0, more fragments).
var (
	extHopByHop = ipv6Ext{0, []byte{0, 5, 2, 0, 0, 1, 0}}
	extDestOpts = ipv6Ext{60, []byte{0, 1, 4, 0, 0, 0, 0}}
	extRouting  = ipv6Ext{43, []byte{0, 4, 0, 0, 0, 0, 0}}
	extFragment = ipv6Ext{44, []byte{0, 0, 1, 0, 0, 0, 7}}
)

// testPayload returns n recognisable bytes.
func testPayload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + 3)
	}
	return b
}
