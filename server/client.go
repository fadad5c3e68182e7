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
	// Knock is the client's knock mode (config.KnockOff, KnockHOTP or
	// KnockTOTP), KnockFragments its n, and KnockRequired whether its
	// single packets are refused.
	Knock          string
	KnockFragments int
	KnockRequired  bool
}

// ClientFromConfig builds the runtime form of an enrolled client of the
// server whose configuration is srv and identity id: the server's limits
// where the client sets none, and the numbers of the actions it may run
// (config.Load has checked that they exist).
func ClientFromConfig(c *config.Client, srv *config.Server, id keys.ServerID) Client {
	rate, burst := c.Limits(srv.Limits)
	var acts []uint16
	for _, name := range c.Actions {
		if a, ok := srv.Action(name); ok {
			acts = append(acts, a.ID)
		}
	}
	return Client{
		Name:            c.Name,
		Key:             spa.NewKey(c.Name, c.Key.Bytes(), id.SPA()),
		Allow:           slices.Clone(c.Allow),
		MaxDuration:     c.MaxDuration,
		DefaultDuration: c.DefaultDuration,
		Address:         c.Address,
		Actions:         acts,
		Rate:            rate,
		Burst:           burst,
		Expires:         c.Expires,
		Knock:           c.Knock,
		KnockFragments:  c.KnockFragments,
		KnockRequired:   c.KnockRequired,
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
