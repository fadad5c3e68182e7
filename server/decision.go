package server

import (
	"net/netip"
	"time"

	"github.com/spa-project/spa/spa"
)

// Decision is what an accepted packet asks the daemon to do.
type Decision struct {
	// Client is the enrolled client's name.
	Client string
	Type   spa.MsgType
	// Addr is the address to open or close access for: the address in the
	// packet, or its source with use-source.
	Addr netip.Addr
	// Ports are the requested entries (all allowed by policy).
	Ports []spa.Port
	// Duration is the grant's length after clamping to the policy.
	Duration time.Duration
	// Action is the action number of an action message.
	Action uint16
	// Counter is the knock-port counter the packet carries.
	Counter uint64
	// Sent is the sender's timestamp.
	Sent time.Time
}
