package spa

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Proto is an IP protocol number as carried in a body's port entries.
type Proto uint8

// The protocols a port entry may name (SPEC.md §5.1 rule 4).
const (
	TCP Proto = 6
	UDP Proto = 17
)

// String returns "tcp", "udp" or the decimal protocol number.
func (p Proto) String() string {
	switch p {
	case TCP:
		return "tcp"
	case UDP:
		return "udp"
	}
	return strconv.Itoa(int(p))
}

// Port is one (protocol, port) entry of a body.
type Port struct {
	Proto Proto
	Port  uint16
}

// String returns the entry as "tcp/22".
func (p Port) String() string { return p.Proto.String() + "/" + strconv.Itoa(int(p.Port)) }

// Valid reports whether p may appear in a body: TCP or UDP, port not 0.
func (p Port) Valid() bool { return (p.Proto == TCP || p.Proto == UDP) && p.Port != 0 }

var errPortSyntax = errors.New(`want PROTO/PORT such as "tcp/22" or "udp/53"`)

// ParsePort parses "tcp/22" or "udp/53" (protocol name case-insensitive,
// port 1 to 65535).
func ParsePort(s string) (Port, error) {
	proto, num, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Port{}, fmt.Errorf("port %q: %w", s, errPortSyntax)
	}
	var p Port
	switch strings.ToLower(proto) {
	case "tcp":
		p.Proto = TCP
	case "udp":
		p.Proto = UDP
	default:
		return Port{}, fmt.Errorf("port %q: unknown protocol %q: %w", s, proto, errPortSyntax)
	}
	n, err := strconv.ParseUint(num, 10, 16)
	if err != nil || n == 0 {
		return Port{}, fmt.Errorf("port %q: port number must be 1 to 65535: %w", s, errPortSyntax)
	}
	p.Port = uint16(n)
	return p, nil
}

// ParsePorts parses a comma-separated list of ports ("tcp/22,udp/53"),
// rejecting duplicates.
func ParsePorts(s string) ([]Port, error) {
	var out []Port
	for _, f := range strings.Split(s, ",") {
		p, err := ParsePort(f)
		if err != nil {
			return nil, err
		}
		for _, q := range out {
			if q == p {
				return nil, fmt.Errorf("port %q listed twice", p)
			}
		}
		out = append(out, p)
	}
	return out, nil
}
