package config

import (
	"time"

	"github.com/spa-project/spa/keys"
	"github.com/spa-project/spa/server/config/tomlfile"
	"github.com/spa-project/spa/spa"
)

// Defaults and limits of client files.
const (
	// DefaultMaxDuration is the default longest grant of a client.
	DefaultMaxDuration = 5 * time.Minute
	// DefaultDefaultDuration is the default grant when a client asks for
	// none.
	DefaultDefaultDuration = 30 * time.Second
	// MaxMaxDuration bounds max_duration.
	MaxMaxDuration = 24 * time.Hour
	// MaxClientName is the longest client name.
	MaxClientName = 64
	// MaxActions is the most actions a client may be allowed.
	MaxActions = 1000
)

// Client is an enrolled client: the content of clients/NAME.toml.
type Client struct {
	// Name is the client's name, equal to the file's base name: 1 to 64 of
	// A-Z a-z 0-9 . _ -, not starting with '.' (see [CheckClientName]).
	Name string
	// Key is the client-server key K_cs (SPEC.md §3), never the client's
	// secret. It does not print itself.
	Key keys.ClientServerKey
	// Allow are the ports the client may open; at least one (key "allow").
	Allow []spa.Port
	// MaxDuration is the longest grant; a longer request is clamped to it
	// (key "max_duration").
	MaxDuration time.Duration
	// DefaultDuration is the grant when the client asks for none, at most
	// MaxDuration (key "default_duration").
	DefaultDuration time.Duration
	// Address is the client's address policy (key "address").
	Address AddressPolicy
	// Actions are the names of the server-side actions the client may run;
	// none if empty (key "actions").
	Actions []string
	// Rate and Burst override the server's [limits] for this client; 0
	// means the server's value (keys "rate", "burst").
	Rate  float64
	Burst int
	// Expires is when the client stops being accepted; zero means never
	// (key "expires").
	Expires time.Time
	// Revoked is when the client was revoked; zero if it is not. A revoked
	// client is kept for the record but never accepted (key "revoked").
	Revoked time.Time
	// Knock is the client's knock mode: KnockOff, KnockHOTP or KnockTOTP
	// (key "knock_ports").
	Knock string
	// KnockFragments is n, the fragments per knock (key "knock_fragments").
	KnockFragments int
	// KnockRequired refuses the client's single packets: it must knock
	// (key "knock_required").
	KnockRequired bool
}

// NewClient returns a client with the given name, key and allowed ports and
// every default set: 5m maximum duration, 30s default duration, strict
// address policy.
func NewClient(name string, key keys.ClientServerKey, allow []spa.Port) Client {
	return Client{
		Name:            name,
		Key:             key,
		Allow:           allow,
		MaxDuration:     DefaultMaxDuration,
		DefaultDuration: DefaultDefaultDuration,
		KnockFragments:  spa.DefaultFragments,
	}
}

// Active reports whether the client may be accepted at time now: it is not
// revoked (whatever the time of revocation) and has not expired.
func (c *Client) Active(now time.Time) bool {
	return c.Revoked.IsZero() && (c.Expires.IsZero() || now.Before(c.Expires))
}

// Limits returns the client's rate and burst: its own if set, else the
// server's.
func (c *Client) Limits(server Limits) (rate float64, burst int) {
	rate, burst = server.Rate, server.Burst
	if c.Rate > 0 {
		rate = c.Rate
	}
	if c.Burst > 0 {
		burst = c.Burst
	}
	return rate, burst
}

// CheckClientName checks a client name: 1 to 64 characters of A-Z a-z 0-9
// . _ -, not starting with '.'. Client names are file names, and the same
// rule applies to action names.
func CheckClientName(name string) error {
	return tomlfile.CheckName(name, MaxClientName)
}
