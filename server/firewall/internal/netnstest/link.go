package netnstest

import (
	"fmt"
	"net/netip"
	"sync/atomic"
	"testing"
)

// End is one side of a veth pair.
type End struct {
	NS  *NS
	If  string       // interface name
	IP4 netip.Prefix // e.g. 192.0.2.1/24
	IP6 netip.Prefix // e.g. 2001:db8:1::1/64
}

// Addr4 and Addr6 are the end's addresses without prefix length.
func (e End) Addr4() netip.Addr { return e.IP4.Addr() }
func (e End) Addr6() netip.Addr { return e.IP6.Addr() }

var linkSeq atomic.Int64

// Connect joins a and b with a veth pair, gives each end its IPv4 and IPv6
// address (IPv6 without duplicate address detection, so it is usable at
// once) and brings both up. Deleting either namespace deletes the pair.
func Connect(t testing.TB, a, b End) (End, End) {
	t.Helper()
	n := linkSeq.Add(1)
	if a.If == "" {
		a.If = fmt.Sprintf("veth%da", n)
	}
	if b.If == "" {
		b.If = fmt.Sprintf("veth%db", n)
	}
	a.NS.MustIP(t, "link", "add", a.If, "type", "veth", "peer", "name", b.If, "netns", b.NS.Name)
	for _, e := range []End{a, b} {
		if e.IP4.IsValid() {
			e.NS.MustIP(t, "addr", "add", e.IP4.String(), "dev", e.If)
		}
		if e.IP6.IsValid() {
			e.NS.MustIP(t, "addr", "add", e.IP6.String(), "dev", e.If, "nodad")
		}
		e.NS.MustIP(t, "link", "set", e.If, "up")
	}
	return a, b
}

// DefaultRoute routes everything not on a link via gw4 and gw6.
func (ns *NS) DefaultRoute(t testing.TB, gw4, gw6 netip.Addr) {
	t.Helper()
	ns.MustIP(t, "route", "add", "default", "via", gw4.String())
	ns.MustIP(t, "-6", "route", "add", "default", "via", gw6.String())
}
