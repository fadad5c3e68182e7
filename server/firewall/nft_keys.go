package firewall

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/google/nftables"
	"github.com/spa-project/spa/spa"
)

// The key types of spad's sets. In a concatenation every field is padded
// to a 4-byte register, so a grant key is address, protocol (1 byte + 3
// zero) and port (2 bytes big-endian + 2 zero): 12 bytes for IPv4, 24 for
// IPv6; a protected-port key is the last 8 of those.
var (
	grants4Type = nftables.MustConcatSetType(nftables.TypeIPAddr, nftables.TypeInetProto, nftables.TypeInetService)
	grants6Type = nftables.MustConcatSetType(nftables.TypeIP6Addr, nftables.TypeInetProto, nftables.TypeInetService)
	protectType = nftables.MustConcatSetType(nftables.TypeInetProto, nftables.TypeInetService)
)

// appendPortKey appends the padded protocol and port fields.
func appendPortKey(b []byte, p spa.Port) []byte {
	b = append(b, byte(p.Proto), 0, 0, 0)
	b = binary.BigEndian.AppendUint16(b, p.Port)
	return append(b, 0, 0)
}

// grantKey is r's element key in grants4 or grants6.
func grantKey(r Rule) []byte {
	a := r.Addr.AsSlice()
	return appendPortKey(append(make([]byte, 0, len(a)+8), a...), r.Port)
}

// protectKey is p's element key in the protect set.
func protectKey(p spa.Port) []byte { return appendPortKey(make([]byte, 0, 8), p) }

// parseGrantKey is the inverse of grantKey.
func parseGrantKey(k []byte) (Rule, error) {
	if len(k) != 12 && len(k) != 24 {
		return Rule{}, fmt.Errorf("set element key %x: want 12 or 24 bytes", k)
	}
	n := len(k) - 8
	addr, _ := netip.AddrFromSlice(k[:n])
	p := k[n:]
	if p[1]|p[2]|p[3]|p[6]|p[7] != 0 {
		return Rule{}, fmt.Errorf("set element key %x: padding not zero", k)
	}
	r := Rule{Addr: addr, Port: spa.Port{Proto: spa.Proto(p[0]), Port: binary.BigEndian.Uint16(p[4:6])}}
	return r, nil
}
