package firewall

import (
	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// Registers: reg1 is the 16-byte register 1; concatenations load into the
// 4-byte registers from NFT_REG32_00 (8) on, which overlap register 1.
const (
	reg1    = 1
	reg3200 = 8
)

// ipsDstNAT is the conntrack status bit of a destination-NATed connection
// (IPS_DST_NAT), which Docker's published ports have.
const ipsDstNAT = 1 << 5

// nftRuleSet is the content of spad's chains, built from the config and the
// sets of one table.
type nftRuleSet struct {
	cfg             Config
	g4, g6, protect *nftables.Set
}

// inputRules are the rules of the input chain, in order:
//
//	iifname "lo" accept
//	ct state established,related accept
//	meta nfproto ipv4 ip saddr . meta l4proto . th dport @grants4 [meta mark set mark | M] counter accept
//	meta nfproto ipv6 ip6 saddr . meta l4proto . th dport @grants6 [...] counter accept
//	meta l4proto . th dport @protect counter drop       (ManageDeny only)
//	meta l4proto udp th dport 62201 counter drop        (each Silent range)
//
// An accept only ends this chain: a drop in any other base chain on the
// hook still drops the packet (see the package documentation).
func (s nftRuleSet) inputRules() [][]expr.Any {
	port := func(reg uint32) expr.Any {
		return &expr.Payload{DestRegister: reg, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2}
	}
	rules := [][]expr.Any{
		join(ifname("lo"), accept()),
		join(ctStateAny(expr.CtStateBitESTABLISHED|expr.CtStateBitRELATED), accept()),
		s.grantRule(s.g4, false, port),
		s.grantRule(s.g6, true, port),
	}
	if s.cfg.ManageDeny {
		rules = append(rules, join(
			[]expr.Any{&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: reg3200}, port(reg3200 + 1)},
			lookup(s.protect), counterDrop()))
	}
	for _, r := range s.cfg.Silent {
		rules = append(rules, join(silentMatch(r), counterDrop()))
	}
	return rules
}

// silentMatch matches packets of r's protocol to a destination port in r.
func silentMatch(r PortRange) []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: reg1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: []byte{byte(r.Proto)}},
		&expr.Payload{DestRegister: reg1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Range{Op: expr.CmpOpEq, Register: reg1,
			FromData: binaryutil.BigEndian.PutUint16(r.Lo), ToData: binaryutil.BigEndian.PutUint16(r.Hi)},
	}
}

// forwardRules are the rules of the forward chain (Config.Forward). They
// match the port the client connected to before DNAT (ct original
// proto-dst), which is the port Docker publishes:
//
//	ct state established,related accept
//	meta nfproto ipv4 ip saddr . meta l4proto . ct original proto-dst @grants4 [...] counter accept
//	meta nfproto ipv6 ip6 saddr . meta l4proto . ct original proto-dst @grants6 [...] counter accept
//	ct status dnat meta l4proto . ct original proto-dst @protect counter drop   (ManageDeny only)
func (s nftRuleSet) forwardRules() [][]expr.Any {
	port := func(reg uint32) expr.Any {
		return &expr.Ct{Key: expr.CtKeyPROTODST, Register: reg, Direction: 0}
	}
	rules := [][]expr.Any{
		join(ctStateAny(expr.CtStateBitESTABLISHED|expr.CtStateBitRELATED), accept()),
		s.grantRule(s.g4, false, port),
		s.grantRule(s.g6, true, port),
	}
	if s.cfg.ManageDeny {
		rules = append(rules, join(
			ctBitsAny(expr.CtKeySTATUS, ipsDstNAT),
			[]expr.Any{&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: reg3200}, port(reg3200 + 1)},
			lookup(s.protect), counterDrop()))
	}
	return rules
}

// grantRule matches the source address, protocol and port against a grant
// set; port loads the port into the given register.
func (s nftRuleSet) grantRule(set *nftables.Set, v6 bool, port func(uint32) expr.Any) []expr.Any {
	fam, off, size := byte(unix.NFPROTO_IPV4), uint32(12), uint32(4)
	if v6 {
		fam, off, size = unix.NFPROTO_IPV6, 8, 16
	}
	next := reg3200 + size/4
	e := join(
		[]expr.Any{
			&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: reg1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: []byte{fam}},
			&expr.Payload{DestRegister: reg3200, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: size},
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: next},
			port(next + 1),
		},
		lookup(set))
	if s.cfg.Mark != 0 {
		e = append(e, setMark(s.cfg.Mark)...)
	}
	return append(e, &expr.Counter{}, &expr.Verdict{Kind: expr.VerdictAccept})
}

func join(parts ...[]expr.Any) []expr.Any {
	var out []expr.Any
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func accept() []expr.Any { return []expr.Any{&expr.Verdict{Kind: expr.VerdictAccept}} }

func counterDrop() []expr.Any {
	return []expr.Any{&expr.Counter{}, &expr.Verdict{Kind: expr.VerdictDrop}}
}

func lookup(set *nftables.Set) []expr.Any {
	return []expr.Any{&expr.Lookup{SourceRegister: reg3200, SetName: set.Name, SetID: set.ID}}
}

// ifname matches the input interface name.
func ifname(name string) []expr.Any {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, name)
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: reg1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: b},
	}
}

// ctStateAny matches if any of the conntrack state bits is set.
func ctStateAny(bits uint32) []expr.Any { return ctBitsAny(expr.CtKeySTATE, bits) }

// ctBitsAny matches if any of bits is set in a 32-bit conntrack key (state
// or status, both in host byte order).
func ctBitsAny(key expr.CtKey, bits uint32) []expr.Any {
	return []expr.Any{
		&expr.Ct{Key: key, Register: reg1},
		&expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(bits), Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: reg1, Data: make([]byte, 4)},
	}
}

// setMark ORs m into the packet mark: meta mark set meta mark | m.
func setMark(m uint32) []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyMARK, Register: reg1},
		&expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(^m), Xor: binaryutil.NativeEndian.PutUint32(m)},
		&expr.Meta{Key: expr.MetaKeyMARK, Register: reg1, SourceRegister: true},
	}
}
