package profile

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/spa-project/spa/keys"
	"github.com/spa-project/spa/server/config/tomlfile"
	"github.com/spa-project/spa/spa"
)

// Limits and defaults of profiles.
const (
	// DefaultPort is the SPA UDP port used when a profile names none.
	DefaultPort = 62201
	// MaxName is the longest profile name.
	MaxName = 64
	// MaxPorts is the most default ports: one packet carries at most 8
	// (SPEC.md §5.1).
	MaxPorts = 8
)

// The knock-port modes of [Profile.KnockPorts] (SPEC.md §11, reserved).
const (
	KnockOff  = ""
	KnockHOTP = "hotp"
	KnockTOTP = "totp"
)

// Profile is what the client needs to send packets to one server.
//
// It holds the client's secret, but printing it with fmt (String, %v, %+v,
// %#v) never shows the secret.
type Profile struct {
	// Name is the profile's name in a [Store] (see [CheckName]); "" if it
	// has none.
	Name string
	// Server is the host name or IP address packets are sent to.
	Server string
	// Port is the server's SPA UDP port.
	Port uint16
	// ServerName is the server's name N (SPEC.md §2).
	ServerName string
	// ServerID is the server's identity; it must equal
	// keys.NewServerID(ServerName).
	ServerID keys.ServerID
	// Secret is the client's secret S.
	Secret keys.ClientSecret
	// Ports are the ports to open when none are given: 1 to 8.
	Ports []spa.Port
	// Client is the client's name on the server, for information; "" if
	// unknown.
	Client string
	// KnockPorts is the knock-port mode: KnockOff (""), KnockHOTP or
	// KnockTOTP (SPEC.md §11). The server's client file has the same.
	KnockPorts string
	// KnockFragments, KnockRange and KnockExclude are the knock settings
	// shared with the server (SPEC.md §11.1); used when KnockPorts is set.
	KnockFragments int
	KnockRange     spa.PortRange
	KnockExclude   []uint16
	// Actions are the server-side actions the client may run, by name.
	Actions map[string]uint16
}

// KnockExcluded returns the excluded set of SPEC.md §11.1: the SPA port and
// KnockExclude.
func (p *Profile) KnockExcluded() func(uint16) bool {
	return spa.ExcludePorts(append([]uint16{p.Port}, p.KnockExclude...)...)
}

// CheckName checks a profile name: 1 to 64 characters of A-Z a-z 0-9 . _ -,
// not starting with '.'. Profile names are file names in a [Store].
func CheckName(name string) error {
	return tomlfile.CheckName(name, MaxName)
}

// Validate checks p as [Parse] checks a file. The error is of type
// tomlfile.Problems and never contains the secret.
func (p *Profile) Validate() error {
	data := p.marshal(false)
	defer clear(data)
	_, err := parse("", data)
	return err
}

// Addr returns the address packets are sent to, "host:port".
func (p *Profile) Addr() string {
	return net.JoinHostPort(p.Server, strconv.Itoa(int(p.Port)))
}

// String describes the profile without its secret, for example
//
//	profile "bastion": client "alice" at 203.0.113.10:62201 (server "bastion.example.com"), ports tcp/22
func (p Profile) String() string {
	var b strings.Builder
	b.WriteString("profile")
	if p.Name != "" {
		fmt.Fprintf(&b, " %q", p.Name)
	}
	b.WriteString(":")
	if p.Client != "" {
		fmt.Fprintf(&b, " client %q", p.Client)
	}
	fmt.Fprintf(&b, " at %s (server %q), ports %s", p.Addr(), p.ServerName, portString(p.Ports))
	if p.KnockPorts != "" {
		fmt.Fprintf(&b, ", knock ports %s", p.KnockPorts)
	}
	return b.String()
}

// GoString is like String, in Go syntax, for %#v; the secret shows as
// redacted.
func (p Profile) GoString() string {
	return fmt.Sprintf("profile.Profile{Name:%q, Server:%q, Port:%d, ServerName:%q, ServerID:%q, Secret:%s, Ports:%q, Client:%q, KnockPorts:%q}",
		p.Name, p.Server, p.Port, p.ServerName, p.ServerID.Encode(), p.Secret.GoString(), portString(p.Ports), p.Client, p.KnockPorts)
}

// portString formats ports as "tcp/22,udp/53".
func portString(ps []spa.Port) string {
	ss := make([]string, len(ps))
	for i, p := range ps {
		ss[i] = p.String()
	}
	return strings.Join(ss, ",")
}
