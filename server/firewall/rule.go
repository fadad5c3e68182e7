package firewall

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/spa-project/spa/spa"
)

// MaxTTL is the longest grant a backend accepts. It is well above the
// longest client policy (24 hours) and keeps every backend's arithmetic
// (nftables timeouts in milliseconds, iptables comments in seconds) exact.
const MaxTTL = 7 * 24 * time.Hour

// Rule is one grant element: an address may reach one protocol/port.
// Addr is an unmapped address (plain IPv4 or IPv6) without a zone; the
// backends unmap an IPv4-mapped IPv6 address themselves.
type Rule struct {
	Addr netip.Addr
	Port spa.Port
}

// String returns the rule as "192.0.2.7 tcp/22".
func (r Rule) String() string { return r.Addr.String() + " " + r.Port.String() }

// normalize returns r with its address unmapped, or an error naming r if it
// cannot be a grant.
func (r Rule) normalize() (Rule, error) {
	r.Addr = r.Addr.Unmap()
	switch {
	case !r.Addr.IsValid():
		return r, fmt.Errorf("rule %q: no address", r)
	case r.Addr.Zone() != "":
		return r, fmt.Errorf("rule %q: address has a zone", r)
	case r.Addr.IsUnspecified():
		return r, fmt.Errorf("rule %q: unspecified address", r)
	case !r.Port.Valid():
		return r, fmt.Errorf("rule %q: port must be tcp or udp, 1 to 65535", r)
	}
	return r, nil
}

// checkTTL reports whether ttl is a usable grant length for r.
func checkTTL(r Rule, ttl time.Duration) error {
	if ttl < time.Millisecond || ttl > MaxTTL {
		return fmt.Errorf("rule %q: duration %v must be 1ms to %v", r, ttl, MaxTTL)
	}
	return nil
}

// Live is a grant the kernel (or, for the exec backend, this process) holds
// now. Remaining is the time left; zero or less means the grant carries no
// future expiry (already past, or installed without one) and should go
// unless the daemon's state says otherwise.
type Live struct {
	Rule
	Remaining time.Duration
}

// GrantRecord is a grant as the daemon's state records it, for
// [Manager.Reconcile]. Client is optional; the exec backend's {client}
// token needs it.
type GrantRecord struct {
	Rule
	Expires time.Time
	Client  string
}
