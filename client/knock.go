package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"

	"github.com/spa-project/spa/client/profile"
	"github.com/spa-project/spa/spa"
)

// Result describes a packet that was sent.
type Result struct {
	// Type is the message sent: open or close.
	Type spa.MsgType
	// Server is the server's name (the profile's server_name).
	Server string
	// Host is the host name or address the packet was sent to.
	Host string
	// Addr is the UDP address the packet was sent to.
	Addr netip.AddrPort
	// Source is the local address the kernel sent from.
	Source netip.Addr
	// Ports are the ports asked for.
	Ports []spa.Port
	// AllowIP is the address the packet asks to open, or the zero Addr
	// when it asks for the observed source address.
	AllowIP netip.Addr
	// UseSource reports whether the packet asks for the source address.
	UseSource bool
	// Duration is the grant asked for; 0 leaves it to the server.
	Duration time.Duration
	// SentAt is the packet's timestamp: the clock plus the time offset.
	SentAt time.Time
	// Copies is how many copies of the datagram were sent.
	Copies int
	// Packet is the datagram. It is encrypted and authenticated, fit to be
	// seen by anyone, like everything on the wire. Empty for a knock.
	Packet []byte
	// KnockPorts are the ports a knock went to, and Counter its counter.
	KnockPorts []uint16
	Counter    uint64
}

// Knock seals the request into one packet and sends it to the server.
//
// The server is reached at the first of its addresses (in the request's
// family) that the system has a route to. Unless the request names the
// address to open, the packet names the source address the kernel uses for
// that route, which is what the server's strict address policy requires.
// Nothing is sent if the request is wrong, the clock is obviously wrong, or
// the server's name does not resolve.
func Knock(ctx context.Context, req Request, d Deps) (*Result, error) {
	if err := req.check(); err != nil {
		return nil, err
	}
	now := d.now().Add(req.TimeOffset)
	if err := CheckClock(now); err != nil {
		return nil, err
	}
	p := req.Profile
	d.logf("using %s", p)
	fam, err := pickFamily(req.Family, req.AllowIP)
	if err != nil {
		return nil, err
	}
	host := trimHost(req.host())
	addrs, err := resolve(ctx, d.net(), host, fam)
	if err != nil {
		return nil, familyHint(err, fam, req.AllowIP)
	}
	d.logf("%s resolves to %v", host, addrs)
	conn, dst, err := dialFirst(ctx, d, addrs, p.Port)
	if err != nil {
		return nil, withHint(fmt.Errorf("cannot send to server %q: %w", host, err),
			"check the network, or pass -4 or -6 to choose the address family")
	}
	defer conn.Close()
	src := localAddr(conn)

	res := &Result{
		Type: req.msgType(), Server: p.ServerName, Host: host, Addr: dst, Source: src,
		Ports: req.ports(), Duration: req.Duration, SentAt: time.UnixMilli(now.UnixMilli()),
	}
	body, err := buildBody(&req, res)
	if err != nil {
		return nil, err
	}
	if req.Knock {
		return res, sendKnock(ctx, d, &req, res, body, dst)
	}
	key := packetKey(p)
	res.Packet, err = key.SealRandom(nil, body, d.rand(), req.Bucket)
	if err != nil {
		return nil, fmt.Errorf("sealing the packet: %w", err)
	}
	d.logf("%s %v for %s, duration %s, timestamp %s, from %s to %s",
		res.Type, res.Ports, allowString(res), durationString(res.Duration), res.SentAt.UTC().Format(time.RFC3339Nano), src, dst)
	res.Copies, err = send(ctx, d, conn, dst, res.Packet, req.copies())
	return res, err
}

// dialFirst connects a UDP socket to the first address the system can route
// to. Connecting a UDP socket sends nothing; it only picks a route.
func dialFirst(ctx context.Context, d Deps, addrs []netip.Addr, port uint16) (Datagram, netip.AddrPort, error) {
	var errs []error
	for _, a := range addrs {
		dst := netip.AddrPortFrom(a, port)
		conn, err := d.net().DialUDP(ctx, dst)
		if err == nil {
			return conn, dst, nil
		}
		d.logf("cannot use %s: %v", dst, err)
		errs = append(errs, err)
	}
	return nil, netip.AddrPort{}, errors.Join(errs...)
}

// localAddr returns the socket's local IP address, unmapped and without
// a zone, or the zero Addr if it has none.
func localAddr(conn Datagram) netip.Addr {
	if ua, ok := conn.LocalAddr().(*net.UDPAddr); ok {
		return ua.AddrPort().Addr().Unmap().WithZone("")
	}
	if ap, err := netip.ParseAddrPort(conn.LocalAddr().String()); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	return netip.Addr{}
}

// buildBody makes the packet body and fills in res.AllowIP and
// res.UseSource.
func buildBody(req *Request, res *Result) (*spa.Body, error) {
	b := &spa.Body{Type: res.Type, UnixMilli: uint64(res.SentAt.UnixMilli()), Action: req.Action}
	if res.Type == spa.MsgResync {
		b.Counter = req.Counter
	}
	b.Duration, _ = durationSeconds(req.Duration) // checked by req.check
	if err := b.SetPorts(res.Ports); err != nil {
		return nil, err
	}
	switch {
	case req.AllowIP.IsSource():
		b.Flags |= spa.FlagUseSource
		res.UseSource = true
	case req.AllowIP.IsAuto():
		if err := checkOpenable(res.Source); err != nil || !res.Source.IsValid() {
			return nil, withHint(fmt.Errorf("the local address %v used to reach the server cannot be named in the packet", res.Source),
				"pass --allow-ip with the address the server sees, or --allow-ip source")
		}
		b.ClientIP = res.Source
	default:
		b.ClientIP = req.AllowIP.Addr()
	}
	res.AllowIP = b.ClientIP
	return b, nil
}

// packetKey derives the key that seals the profile's packets (SPEC.md §3).
func packetKey(p *profile.Profile) *spa.Key {
	cs := p.Secret.ForServer(p.ServerID).Bytes()
	defer clear(cs[:])
	return spa.NewKey(p.Client, cs, p.ServerID.SPA())
}

// send writes the datagram n times, RepeatGap apart, and returns how many
// copies went out.
func send(ctx context.Context, d Deps, conn Datagram, dst netip.AddrPort, pkt []byte, n int) (int, error) {
	for i := range n {
		if i > 0 {
			if err := sleep(ctx, RepeatGap); err != nil {
				return i, err
			}
		}
		if err := write(d, conn, pkt); err != nil {
			return i, fmt.Errorf("sending to %s: %w", dst, err)
		}
		d.logf("sent copy %d of %d (%d bytes)", i+1, n, len(pkt))
	}
	return n, nil
}

// write sends one datagram. On a connected UDP socket the kernel reports an
// ICMP port unreachable, caused by an earlier copy, as an error of the next
// write, which then sends nothing. That is normal here: a server that
// captures packets has no socket, and a firewall may reject the port. So the
// write is retried, and the error is only returned if it persists.
func write(d Deps, conn Datagram, pkt []byte) error {
	var err error
	for range 3 {
		if _, err = conn.Write(pkt); err == nil || !isICMPError(err) {
			return err
		}
		d.logf("ignoring %v (an earlier copy was refused)", err)
	}
	return err
}

// isICMPError reports whether err is an ICMP error reported on a socket.
func isICMPError(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}

// allowString describes the address a result asked for.
func allowString(r *Result) string {
	if r.UseSource {
		return "the observed source address"
	}
	return r.AllowIP.String()
}

// durationString describes a requested duration.
func durationString(d time.Duration) string {
	if d == 0 {
		return "server default"
	}
	return d.String()
}
