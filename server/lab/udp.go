//go:build linux

package lab

import (
	"net"
	"net/netip"
	"time"
)

// sendGap paces datagrams sent in a row, so that a burst of thousands
// stays well inside the receiver's buffers.
const sendGap = 50 * time.Microsecond

// SendUDP sends each payload as one datagram from inside ns (from its own
// address and an ephemeral port) to dst.
func (ns *NS) SendUDP(dst netip.AddrPort, payloads ...[]byte) error {
	return ns.Do(func() error {
		c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(dst))
		if err != nil {
			return err
		}
		defer c.Close()
		for i, p := range payloads {
			if i > 0 {
				time.Sleep(sendGap)
			}
			// An ICMP error for an earlier datagram may surface here
			// (connection refused); it says nothing about this one.
			_, _ = c.Write(p)
		}
		return nil
	})
}
