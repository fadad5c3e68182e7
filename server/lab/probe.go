//go:build linux

package lab

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// PortState is what a scanner learns about a port.
type PortState string

// The port states.
const (
	// Open: a TCP handshake completed, or a UDP datagram was answered.
	Open PortState = "open"
	// Closed: the host answered that nothing listens (a TCP reset, or an
	// ICMP port unreachable).
	Closed PortState = "closed"
	// Silent: no answer at all, as behind a firewall that drops ("filtered"
	// in nmap's words).
	Silent PortState = "silent"
)

// TCPState connects from ns to addr and reports what came back within
// timeout.
func (ns *NS) TCPState(addr netip.AddrPort, timeout time.Duration) (PortState, error) {
	var st PortState
	err := ns.Do(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr.String())
		switch {
		case err == nil:
			c.Close()
			st = Open
		case errors.Is(err, syscall.ECONNREFUSED):
			st = Closed
		case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
			st = Silent
		default:
			return err
		}
		return nil
	})
	return st, err
}

// UDPState sends payload from ns to addr up to tries times and reports
// whether an ICMP port unreachable (Closed), a datagram (Open) or nothing
// (Silent) came back within timeout of each try.
func (ns *NS) UDPState(addr netip.AddrPort, payload []byte, tries int, timeout time.Duration) (PortState, error) {
	var st PortState
	err := ns.Do(func() error {
		c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(addr))
		if err != nil {
			return err
		}
		defer c.Close()
		buf := make([]byte, 2048)
		for range tries {
			if _, err := c.Write(payload); errors.Is(err, syscall.ECONNREFUSED) {
				st = Closed // the answer to an earlier try
				return nil
			} else if err != nil {
				return err
			}
			c.SetReadDeadline(time.Now().Add(timeout))
			_, err := c.Read(buf)
			switch {
			case err == nil:
				st = Open
				return nil
			case errors.Is(err, syscall.ECONNREFUSED):
				st = Closed
				return nil
			case !isTimeout(err):
				return err
			}
		}
		st = Silent
		return nil
	})
	return st, err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
