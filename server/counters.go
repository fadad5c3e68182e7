package server

import (
	"sync/atomic"

	"github.com/spa-project/spa/spa"
)

// Counters count accepted packets and drops per reason. They are exact:
// every packet handed to the pipeline increments exactly one counter.
type Counters struct {
	accepted  atomic.Uint64
	fragments atomic.Uint64     // knock fragments stored (duplicates included)
	drops     [16]atomic.Uint64 // indexed by spa.Reason
}

func (c *Counters) drop(r spa.Reason) {
	if int(r) < len(c.drops) {
		c.drops[r].Add(1)
	}
}

// Accepted returns the number of accepted packets.
func (c *Counters) Accepted() uint64 { return c.accepted.Load() }

// Drops returns the number of packets dropped for r.
func (c *Counters) Drops(r spa.Reason) uint64 {
	if int(r) >= len(c.drops) {
		return 0
	}
	return c.drops[r].Load()
}

// Snapshot returns every counter by label: "accepted" and each reason.
func (c *Counters) Snapshot() map[string]uint64 {
	m := map[string]uint64{"accepted": c.Accepted(), "fragments": c.fragments.Load()}
	for _, r := range spa.Reasons() {
		m[r.String()] = c.Drops(r)
	}
	return m
}

// Total returns the number of datagrams counted: each is accepted, stored
// as a knock fragment, or dropped for a reason (the datagram completing a
// knock counts as the knock's outcome). partial_timeout and partial_evicted
// count knocks rather than datagrams and are left out.
func (c *Counters) Total() uint64 {
	n := c.Accepted() + c.fragments.Load()
	for _, r := range spa.Reasons() {
		if r != spa.ReasonPartialTimeout && r != spa.ReasonPartialEvicted {
			n += c.Drops(r)
		}
	}
	return n
}
