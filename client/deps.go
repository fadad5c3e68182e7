package client

import (
	"context"
	"crypto/rand"
	"io"
	"net"
	"net/netip"
	"time"
)

// Deps are the outside world as Knock, Wait and Connect see it. Every
// field is optional: the zero Deps uses the real clock, crypto/rand and
// the system's network, and logs nothing.
type Deps struct {
	// Now returns the current time, for the packet's timestamp.
	Now func() time.Time
	// Rand is the source of nonces; it must be cryptographically secure.
	Rand io.Reader
	// Net resolves names, sends datagrams and dials TCP.
	Net Network
	// Logf, if set, is told what is being done (never any secret): the
	// spa command's -v.
	Logf func(format string, args ...any)
}

// Network is what the client needs from the network.
type Network interface {
	// LookupNetIP returns the addresses of host, which may be an IP
	// literal, for the network "ip", "ip4" or "ip6", in the order the
	// system prefers them.
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	// DialUDP returns a UDP socket connected to dst. Its LocalAddr is the
	// source address the kernel chose to reach dst.
	DialUDP(ctx context.Context, dst netip.AddrPort) (Datagram, error)
	// DialTCP opens a TCP connection to dst.
	DialTCP(ctx context.Context, dst netip.AddrPort) (net.Conn, error)
}

// Datagram is a connected UDP socket, as returned by [Network.DialUDP].
type Datagram interface {
	// Write sends b as one datagram.
	Write(b []byte) (int, error)
	// LocalAddr returns the socket's local address.
	LocalAddr() net.Addr
	Close() error
}

// System is the operating system's network: the default resolver and real
// sockets.
var System Network = systemNetwork{}

type systemNetwork struct{}

func (systemNetwork) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, network, host)
}

func (systemNetwork) DialUDP(ctx context.Context, dst netip.AddrPort) (Datagram, error) {
	var d net.Dialer
	return d.DialContext(ctx, "udp", dst.String())
}

func (systemNetwork) DialTCP(ctx context.Context, dst netip.AddrPort) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", dst.String())
}

func (d *Deps) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Deps) rand() io.Reader {
	if d.Rand != nil {
		return d.Rand
	}
	return rand.Reader
}

func (d *Deps) net() Network {
	if d.Net != nil {
		return d.Net
	}
	return System
}

func (d *Deps) logf(format string, args ...any) {
	if d.Logf != nil {
		d.Logf(format, args...)
	}
}
