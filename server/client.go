package server

import (
	"slices"
	"time"

	"github.com/spa-project/spa/keys"
	"github.com/spa-project/spa/server/config"
	"github.com/spa-project/spa/spa"
)

// Client is an enrolled client's key and policy as the pipeline uses them.
type Client struct {
	Name            string
	Key             *spa.Key
	Allow           []spa.Port
	MaxDuration     time.Duration
	DefaultDuration time.Duration
	Address         config.AddressPolicy
	// Actions are the action numbers the client may run.
	Actions []uint16
	Rate    float64
	Burst   int
	// Expires is when the client stops being accepted; zero for never.
	Expires time.Time
}

// ClientFromConfig builds the runtime form of an enrolled client for the
// server id, with the server's limits where the client sets none.
func ClientFromConfig(c *config.Client, id keys.ServerID, limits config.Limits) Client {
	rate, burst := c.Limits(limits)
	return Client{
		Name:            c.Name,
		Key:             spa.NewKey(c.Name, c.Key.Bytes(), id.SPA()),
		Allow:           slices.Clone(c.Allow),
		MaxDuration:     c.MaxDuration,
		DefaultDuration: c.DefaultDuration,
		Address:         c.Address,
		Rate:            rate,
		Burst:           burst,
		Expires:         c.Expires,
	}
}

// grantDuration clamps a requested duration in seconds to the policy; 0
// asks for the default.
func (c *Client) grantDuration(requested uint16) time.Duration {
	d := time.Duration(requested) * time.Second
	if d == 0 {
		d = c.DefaultDuration
	}
	return min(d, c.MaxDuration)
}

// allows reports whether every requested port is in the client's allowlist.
func (c *Client) allows(ports []spa.Port) bool {
	for _, p := range ports {
		if !slices.Contains(c.Allow, p) {
			return false
		}
	}
	return true
}
