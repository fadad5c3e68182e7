package client

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/spa-project/spa/client/profile"
	"github.com/spa-project/spa/keys"
	"github.com/spa-project/spa/spa"
)

// Request describes one packet to send.
type Request struct {
	// Profile is the server and the client's secret. Required.
	Profile *profile.Profile
	// Host replaces the profile's server address when not "".
	Host string
	// Type is spa.MsgOpen or spa.MsgClose; 0 means open.
	Type spa.MsgType
	// Ports to open or close; nil means the profile's ports.
	Ports []spa.Port
	// AllowIP is the address to open the ports for; the zero value is the
	// source address the kernel uses to reach the server.
	AllowIP AllowIP
	// Duration is the grant asked for, rounded up to whole seconds; 0
	// leaves it to the server. Only for open.
	Duration time.Duration
	// Family restricts the server's addresses to IPv4 or IPv6.
	Family Family
	// Repeat is how many copies of the same datagram to send, RepeatGap
	// apart, against packet loss; 0 means 1. The server accepts the first
	// copy it gets and counts the others as replays.
	Repeat int
	// TimeOffset is added to the clock for the packet's timestamp, for a
	// client whose clock is known to be off (SPEC.md §8).
	TimeOffset time.Duration
	// Bucket is the packet size; the zero value is the small bucket.
	Bucket spa.Bucket
	// Action is the action number of an action message.
	Action uint16
	// Counter is the counter a resync message reports.
	Counter uint64
	// Knock sends the packet as a knock on one-time ports in the profile's
	// knock mode (SPEC.md §11), instead of as one datagram to the SPA port.
	Knock bool
	// Counters keeps the HOTP knock counter; required for a HOTP knock.
	Counters CounterStore
	// KnockGap is the pause between a knock's datagrams.
	KnockGap time.Duration
}

// Limits of a Request.
const (
	// MaxRepeat is the most copies of one datagram Knock sends.
	MaxRepeat = 10
	// RepeatGap is the pause between copies of a datagram.
	RepeatGap = 10 * time.Millisecond
	// MaxDuration is the longest grant a packet can ask for.
	MaxDuration = math.MaxUint16 * time.Second
)

// msgType returns the request's message type, open for 0.
func (r *Request) msgType() spa.MsgType {
	if r.Type == 0 {
		return spa.MsgOpen
	}
	return r.Type
}

// copies returns how many datagrams to send.
func (r *Request) copies() int { return max(r.Repeat, 1) }

// host returns the host to send to.
func (r *Request) host() string {
	if r.Host != "" {
		return r.Host
	}
	return r.Profile.Server
}

// ports returns the ports to ask for: none for actions and resyncs.
func (r *Request) ports() []spa.Port {
	if t := r.msgType(); t == spa.MsgAction || t == spa.MsgResync {
		return nil
	}
	if r.Ports != nil {
		return r.Ports
	}
	return r.Profile.Ports
}

// check reports what is wrong with the request before anything is sent.
func (r *Request) check() error {
	if r.Profile == nil {
		return errors.New("no profile")
	}
	if err := checkIdentity(r.Profile); err != nil {
		return err
	}
	t := r.msgType()
	switch t {
	case spa.MsgOpen, spa.MsgClose:
		if err := checkPorts(r.ports()); err != nil {
			return err
		}
	case spa.MsgAction:
		if r.Action == 0 {
			return errors.New("an action message needs an action number")
		}
	case spa.MsgResync:
		if r.Knock {
			return errors.New("a resync is a single packet, never a knock")
		}
	default:
		return fmt.Errorf("cannot send a %s message", t)
	}
	if r.Duration != 0 && t == spa.MsgClose {
		return withHint(errors.New("a close message takes no duration"), "leave out --duration")
	}
	if _, err := durationSeconds(r.Duration); err != nil {
		return err
	}
	if r.Repeat < 0 || r.Repeat > MaxRepeat {
		return fmt.Errorf("repeat %d: must be 1 to %d copies", r.Repeat, MaxRepeat)
	}
	if strings.TrimSpace(r.host()) == "" {
		return withHint(errors.New("no server address"), "pass the server's host name or address as HOST")
	}
	return nil
}

// checkIdentity makes sure the profile's server identity is the one derived
// from its server name: packets are sealed for the identity, so a mismatch
// would send packets no server accepts.
func checkIdentity(p *profile.Profile) error {
	want, err := keys.NewServerID(p.ServerName)
	if err != nil {
		return fmt.Errorf("profile %q: %w", p.Name, err)
	}
	if !want.Equal(p.ServerID) {
		return withHint(fmt.Errorf("profile %q: server identity mismatch: its server_id is not the identity of server_name %q", p.Name, p.ServerName),
			"the profile is corrupt or was edited by hand; ask the server's administrator for a new one (spad client add)")
	}
	return nil
}

// checkPorts checks the ports of a request.
func checkPorts(ports []spa.Port) error {
	if len(ports) == 0 {
		return withHint(errors.New("no ports to ask for"), "pass --port tcp/22 or add ports to the profile")
	}
	if len(ports) > spa.MaxPorts {
		return fmt.Errorf("%d ports requested, at most %d fit in one packet", len(ports), spa.MaxPorts)
	}
	for i, p := range ports {
		if !p.Valid() {
			return fmt.Errorf("port %s: not a TCP or UDP port 1-65535", p)
		}
		for _, q := range ports[:i] {
			if p == q {
				return fmt.Errorf("port %s listed twice", p)
			}
		}
	}
	return nil
}

// durationSeconds converts a grant duration to the body's whole seconds,
// rounding up.
func durationSeconds(d time.Duration) (uint16, error) {
	switch {
	case d < 0:
		return 0, fmt.Errorf("duration %s: must not be negative", d)
	case d > MaxDuration:
		return 0, fmt.Errorf("duration %s: longer than the most a packet can ask for, %s", d, MaxDuration)
	}
	return uint16((d + time.Second - 1) / time.Second), nil
}

// Family selects the IP version used to reach the server.
type Family uint8

// The address families.
const (
	AnyFamily Family = iota // whatever the server's name resolves to first
	IPv4                    // IPv4 only (-4)
	IPv6                    // IPv6 only (-6)
)

// String returns "IPv4", "IPv6" or "any".
func (f Family) String() string {
	switch f {
	case IPv4:
		return "IPv4"
	case IPv6:
		return "IPv6"
	}
	return "any"
}

// network returns the resolver network name for the family.
func (f Family) network() string {
	switch f {
	case IPv4:
		return "ip4"
	case IPv6:
		return "ip6"
	}
	return "ip"
}

// familyOf returns the family of an address; IPv4-mapped addresses are IPv4.
func familyOf(a netip.Addr) Family {
	if a.Unmap().Is4() {
		return IPv4
	}
	return IPv6
}

// AllowIP is the address a request asks the server to open ports for.
type AllowIP struct {
	source bool
	addr   netip.Addr
}

// AllowSource asks the server to open the ports for the address it sees
// the packet come from (flag USE_SOURCE), for clients behind NAT.
var AllowSource = AllowIP{source: true}

// ParseAllowIP parses an --allow-ip value: "" or "auto" for the source
// address the kernel uses to reach the server (the default, which the
// server's strict policy needs), "source" for [AllowSource], or an IP
// address, for a relay that connects on the client's behalf.
func ParseAllowIP(s string) (AllowIP, error) {
	switch s {
	case "", "auto":
		return AllowIP{}, nil
	case "source":
		return AllowSource, nil
	}
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return AllowIP{}, fmt.Errorf("allow-ip %q: want an IP address, \"source\" or \"auto\"", s)
	}
	if err := checkOpenable(a); err != nil {
		return AllowIP{}, fmt.Errorf("allow-ip %q: %w", s, err)
	}
	return AllowIP{addr: a.Unmap()}, nil
}

// IsAuto reports whether a is the default: the kernel's source address.
func (a AllowIP) IsAuto() bool { return !a.source && !a.addr.IsValid() }

// IsSource reports whether a is [AllowSource].
func (a AllowIP) IsSource() bool { return a.source }

// Addr returns the explicit address, or the zero Addr for auto and source.
func (a AllowIP) Addr() netip.Addr { return a.addr }

// String returns "auto", "source" or the address.
func (a AllowIP) String() string {
	switch {
	case a.source:
		return "source"
	case a.addr.IsValid():
		return a.addr.String()
	}
	return "auto"
}

// checkOpenable reports why a packet cannot ask to open a (SPEC.md §5.1
// rule 3).
func checkOpenable(a netip.Addr) error {
	a = a.Unmap()
	switch {
	case a.Zone() != "":
		return errors.New("an address with a zone cannot be opened")
	case a.IsUnspecified(), a.IsMulticast(), a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return fmt.Errorf("%s cannot be opened (unspecified, multicast or broadcast)", a)
	}
	return nil
}
