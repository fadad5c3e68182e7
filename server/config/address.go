package config

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// AddressMode is the kind of a client's address policy (SPEC.md §10.1).
type AddressMode int

// The address modes. The zero value is AddressStrict, the safest.
const (
	// AddressStrict: USE_SOURCE must not be set, and the address named in
	// the packet must be the packet's source address.
	AddressStrict AddressMode = iota
	// AddressSource: USE_SOURCE must be set; the grant is for the packet's
	// source address. For clients behind NAT.
	AddressSource
	// AddressCIDR: USE_SOURCE must not be set, and the address named in the
	// packet must lie inside one of the policy's prefixes.
	AddressCIDR
)

// String returns "strict", "source" or "cidr".
func (m AddressMode) String() string {
	switch m {
	case AddressStrict:
		return "strict"
	case AddressSource:
		return "source"
	case AddressCIDR:
		return "cidr"
	}
	return fmt.Sprintf("AddressMode(%d)", int(m))
}

// AddressPolicy is a client's address policy: the addresses a client may open
// access for (SPEC.md §10.1). The zero value is the strict policy.
type AddressPolicy struct {
	Mode AddressMode
	// Prefixes are the allowed prefixes of an AddressCIDR policy, masked,
	// with IPv4 prefixes in their 4-byte form.
	Prefixes []netip.Prefix
}

// ParseAddressPolicy parses the address policy of a client file: "strict",
// "source", or a comma-separated list of CIDR prefixes such as
// "198.51.100.0/24, 2001:db8::/32". A prefix must not have host bits set
// ("192.0.2.1/24" is refused); a plain address stands for itself alone (/32 or
// /128). IPv4-mapped IPv6 prefixes (::ffff:192.0.2.0/120) are converted to
// IPv4 prefixes.
func ParseAddressPolicy(s string) (AddressPolicy, error) {
	switch strings.TrimSpace(s) {
	case "strict":
		return AddressPolicy{Mode: AddressStrict}, nil
	case "source":
		return AddressPolicy{Mode: AddressSource}, nil
	case "":
		return AddressPolicy{}, errors.New(`empty address policy: want "strict", "source" or CIDR prefixes such as "198.51.100.0/24"`)
	}
	p := AddressPolicy{Mode: AddressCIDR}
	for _, f := range strings.Split(s, ",") {
		pfx, err := parsePrefix(strings.TrimSpace(f))
		if err != nil {
			return AddressPolicy{}, err
		}
		for _, q := range p.Prefixes {
			if q == pfx {
				return AddressPolicy{}, fmt.Errorf("prefix %q listed twice", pfx)
			}
		}
		p.Prefixes = append(p.Prefixes, pfx)
	}
	return p, nil
}

// parsePrefix parses one element of a CIDR policy.
func parsePrefix(s string) (netip.Prefix, error) {
	if s == "" {
		return netip.Prefix{}, errors.New(`empty prefix in list: want "strict", "source" or CIDR prefixes separated by commas`)
	}
	var pfx netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		pfx, err = netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf(`bad prefix %q: want "strict", "source" or CIDR prefixes such as "198.51.100.0/24" or "2001:db8::/32"`, s)
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf(`bad prefix %q: want "strict", "source" or CIDR prefixes such as "198.51.100.0/24" or "2001:db8::/32"`, s)
		}
		pfx = netip.PrefixFrom(a, a.BitLen())
	}
	if m := pfx.Masked(); m != pfx {
		return netip.Prefix{}, fmt.Errorf("prefix %q has host bits set; did you mean %q?", s, m)
	}
	if a := pfx.Addr(); a.Is4In6() && pfx.Bits() >= 96 {
		pfx = netip.PrefixFrom(a.Unmap(), pfx.Bits()-96)
	}
	return pfx, nil
}

// String returns the policy as written in a client file.
func (p AddressPolicy) String() string {
	switch p.Mode {
	case AddressStrict, AddressSource:
		return p.Mode.String()
	}
	ss := make([]string, len(p.Prefixes))
	for i, pfx := range p.Prefixes {
		ss[i] = pfx.String()
	}
	return strings.Join(ss, ", ")
}

// Allows applies the policy to a packet (SPEC.md §10.1, verification step 7).
// named is the client_ip of the packet's body, source the packet's source
// address and useSource its USE_SOURCE flag. It returns the address to open
// access for, unmapped and without zone, and whether the packet passes:
//
//   - strict: useSource is false and named equals source, comparing an
//     IPv4-mapped address with the IPv4 address it maps; the grant is for
//     named.
//   - source: useSource is true; the grant is for source.
//   - cidr: useSource is false and named lies inside one of the prefixes; the
//     grant is for named, whatever the source.
//
// Anything else, including an invalid address where one is needed, fails.
func (p AddressPolicy) Allows(named, source netip.Addr, useSource bool) (netip.Addr, bool) {
	named = named.Unmap().WithZone("")
	source = source.Unmap().WithZone("")
	switch p.Mode {
	case AddressStrict:
		if useSource || !named.IsValid() || named != source {
			return netip.Addr{}, false
		}
		return named, true
	case AddressSource:
		if !useSource || !source.IsValid() {
			return netip.Addr{}, false
		}
		return source, true
	case AddressCIDR:
		if useSource || !named.IsValid() {
			return netip.Addr{}, false
		}
		for _, pfx := range p.Prefixes {
			if pfx.Contains(named) {
				return named, true
			}
		}
	}
	return netip.Addr{}, false
}
