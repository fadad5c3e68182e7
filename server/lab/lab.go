//go:build linux

package lab

import (
	"net/netip"
	"testing"
)

// Iface is the name of every host's one interface.
const Iface = "eth0"

// The hosts' addresses: documentation ranges only (RFC 5737, RFC 3849).
var (
	ServerIP4   = netip.MustParseAddr("192.0.2.1")
	ClientIP4   = netip.MustParseAddr("192.0.2.2")
	AttackerIP4 = netip.MustParseAddr("192.0.2.3")
	ServerIP6   = netip.MustParseAddr("2001:db8:1::1")
	ClientIP6   = netip.MustParseAddr("2001:db8:1::2")
	AttackerIP6 = netip.MustParseAddr("2001:db8:1::3")
)

// Host is one end of the lab: a namespace with eth0 on the bridge.
type Host struct {
	*NS
	// Port is the host's bridge port in the wire namespace.
	Port     string
	IP4, IP6 netip.Addr
}

// Lab is a server, a client and an attacker on one bridge.
type Lab struct {
	Server, Client, Attacker Host
	// Wire holds the bridge, br0.
	Wire *NS
}

// New builds the lab (see the package documentation); t.Cleanup tears it
// down. It calls [Require] first.
func New(t testing.TB) *Lab {
	t.Helper()
	Require(t)
	l := &Lab{Wire: NewNS(t, "wire")}
	l.Wire.MustIP(t, "link", "add", "br0", "type", "bridge")
	l.Wire.MustIP(t, "link", "set", "br0", "up")
	l.Server = l.attach(t, "server", "srv", ServerIP4, ServerIP6)
	l.Client = l.attach(t, "client", "cli", ClientIP4, ClientIP6)
	l.Attacker = l.attach(t, "attacker", "atk", AttackerIP4, AttackerIP6)
	// The attacker forges the client's address (same link, so strict
	// reverse-path filtering would pass it anyway); make sure no
	// reverse-path check hides what the daemon does with such packets.
	for _, k := range []string{"all", "default", Iface} {
		l.Server.Sysctl(t, "net/ipv4/conf/"+k+"/rp_filter", "0")
	}
	return l
}

// attach creates a host namespace and its veth pair to the bridge.
func (l *Lab) attach(t testing.TB, role, port string, ip4, ip6 netip.Addr) Host {
	t.Helper()
	h := Host{NS: NewNS(t, role), Port: port, IP4: ip4, IP6: ip6}
	l.Wire.MustIP(t, "link", "add", port, "type", "veth", "peer", "name", Iface, "netns", h.Name)
	l.Wire.MustIP(t, "link", "set", port, "master", "br0", "up")
	h.MustIP(t, "addr", "add", ip4.String()+"/24", "dev", Iface)
	h.MustIP(t, "addr", "add", ip6.String()+"/64", "dev", Iface, "nodad")
	h.MustIP(t, "link", "set", Iface, "up")
	return h
}

// Hub makes the bridge forward every frame to every host (on) or learn
// addresses like a switch (off, the default). With the hub on, the
// attacker sees the client's traffic on its own eth0. (An ageing time of
// zero expires every learned address at once, so all unicast floods.)
func (l *Lab) Hub(t testing.TB, on bool) {
	t.Helper()
	ageing := "30000" // the kernel's default, 300 s in centiseconds
	if on {
		ageing = "0"
	}
	l.Wire.MustIP(t, "link", "set", "br0", "type", "bridge", "ageing_time", ageing)
}

// Hosts returns the server, the client and the attacker.
func (l *Lab) Hosts() []Host { return []Host{l.Server, l.Client, l.Attacker} }
