package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// noFamilyError is resolve's error for a server without an address in the
// requested family.
type noFamilyError struct{ msg string }

func (e *noFamilyError) Error() string { return e.msg }

func noFamily(format string, args ...any) error {
	return &noFamilyError{msg: fmt.Sprintf(format, args...)}
}

// resolve returns the server's addresses in the requested family, in the
// system's order of preference. A literal address is returned as it is.
func resolve(ctx context.Context, n Network, host string, fam Family) ([]netip.Addr, error) {
	host = trimHost(host)
	if a, err := netip.ParseAddr(host); err == nil {
		a = a.Unmap()
		if fam != AnyFamily && familyOf(a) != fam {
			return nil, noFamily("server address %s is %s, not %s", a, familyOf(a), fam)
		}
		return []netip.Addr{a}, nil
	}
	addrs, err := n.LookupNetIP(ctx, fam.network(), host)
	if err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound && fam != AnyFamily {
			// The name may exist in the other family only.
			if _, err2 := n.LookupNetIP(ctx, "ip", host); err2 == nil {
				return nil, noFamily("host %q has no %s address", host, fam)
			}
		}
		return nil, withHint(fmt.Errorf("cannot resolve host %q: %w", host, err),
			"check the server address in the profile (spa profile show), or pass the server's name or address as HOST")
	}
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		a = a.Unmap()
		if fam == AnyFamily || familyOf(a) == fam {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, noFamily("host %q has no %s address", host, fam)
	}
	return out, nil
}

// trimHost removes white space and the brackets of "[::1]".
func trimHost(host string) string {
	return strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(host), "["), "]")
}

// pickFamily returns the family the server must be reached in: the one asked
// for, or that of an explicit allow-ip address, because the later connection
// must come from the address the packet names, so the packet and the
// connection use one family.
func pickFamily(fam Family, allow AllowIP) (Family, error) {
	if !allow.addr.IsValid() {
		return fam, nil
	}
	af := familyOf(allow.addr)
	if fam != AnyFamily && fam != af {
		return 0, withHint(fmt.Errorf("--allow-ip %s is an %s address but %s was requested", allow.addr, af, flagOf(fam)),
			fmt.Sprintf("the packet and the later connection use one address family: pass an %s --allow-ip, --allow-ip source, or %s", fam, flagOf(af)))
	}
	return af, nil
}

// familyHint attaches the right suggestion to resolve's noFamilyError.
func familyHint(err error, fam Family, allow AllowIP) error {
	var nf *noFamilyError
	if !errors.As(err, &nf) {
		return err
	}
	if allow.addr.IsValid() {
		af := familyOf(allow.addr)
		return withHint(fmt.Errorf("--allow-ip %s is an %s address, but %w", allow.addr, af, err),
			fmt.Sprintf("pass an --allow-ip of the server's address family, --allow-ip source, or an %s server address as HOST", af))
	}
	return withHint(err, fmt.Sprintf("leave out %s, or pass a server address of the other family as HOST", flagOf(fam)))
}

// flagOf returns the command-line flag that selects a family.
func flagOf(f Family) string {
	if f == IPv6 {
		return "-6"
	}
	return "-4"
}
