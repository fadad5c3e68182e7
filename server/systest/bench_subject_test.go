//go:build linux

package systest

import (
	"net/netip"
	"testing"

	"github.com/spa-project/spa/server/lab"
)

// subject is a system under benchmark: a daemon in the server namespace of
// its own lab, protecting tcp/22, and the real client that knocks on it.
type subject interface {
	// lab is the subject's lab.
	lab() *lab.Lab
	// daemon is the daemon's process.
	daemon() *lab.Proc
	// knock runs the real client once in the client namespace.
	knock() error
	// knockPorts are the UDP ports on the server the knock is sent to.
	knockPorts() []uint16
	// reset takes the client's access away again.
	reset() error
	// flood says where junk goes and what it looks like; knock is the last
	// knock datagram seen on the wire.
	flood(knock []byte) floodSpec
	// counters returns the daemon's counters, if it has any (nil if not).
	counters(t testing.TB) map[string]uint64
}

// floodSpec is the junk a flood sends.
type floodSpec struct {
	to []netip.AddrPort
	// kind is "random" (bytes) or "base64" (text), see labflood.
	kind string
	// prefix starts every second datagram.
	prefix []byte
	// what describes the junk for the report.
	what string
}
