package config

import (
	"fmt"
	"time"

	"github.com/spa-project/spa/server/config/tomlfile"
	"github.com/spa-project/spa/spa"
)

// Knock modes of a client (SPEC.md §11.1, key "knock_ports").
const (
	KnockOff  = ""
	KnockHOTP = "hotp"
	KnockTOTP = "totp"
)

// Knock-port defaults and bounds.
const (
	DefaultKnockLookahead = spa.DefaultLookAhead
	DefaultKnockTimeout   = spa.DefaultReassemblyTimeout
	MaxKnockExclude       = 4096
)

// Knock holds the server's knock-port settings (keys "knock_range",
// "knock_exclude", "knock_lookahead", "knock_timeout").
type Knock struct {
	// Range is where knock ports lie; clients' profiles carry it too.
	Range spa.PortRange
	// Exclude are ports in the range that are never knock ports: every UDP
	// port a service of this host listens on.
	Exclude []uint16
	// Lookahead is the HOTP look-ahead window s.
	Lookahead int
	// Timeout is how long an incomplete knock is kept.
	Timeout time.Duration
}

// Excluded returns the excluded set X of SPEC.md §11.1: the SPA port and
// the configured exclusions.
func (s *Server) Excluded() func(uint16) bool {
	return spa.ExcludePorts(append([]uint16{s.Port}, s.Knock.Exclude...)...)
}

type rawKnock struct {
	Range     any `toml:"knock_range"`
	Exclude   any `toml:"knock_exclude"`
	Lookahead any `toml:"knock_lookahead"`
	Timeout   any `toml:"knock_timeout"`
}

// checkKnock checks the server's knock settings (decoded at the top level
// of spad.toml).
func checkKnock(c *tomlfile.Checker, s *Server, raw rawKnock) {
	if v, ok := c.Str("knock_range", raw.Range); ok {
		r, err := spa.ParsePortRange(v)
		if err != nil {
			c.Add("knock_range", "%v", err)
		}
		s.Knock.Range = r
	}
	if v, ok := c.Ints("knock_exclude", raw.Exclude, 1, 65535); ok {
		if len(v) > MaxKnockExclude {
			c.Add("knock_exclude", "lists %d ports, at most %d", len(v), MaxKnockExclude)
		}
		s.Knock.Exclude = nil
		for _, p := range v {
			s.Knock.Exclude = append(s.Knock.Exclude, uint16(p))
		}
	}
	if v, ok := c.Int("knock_lookahead", raw.Lookahead, 1, spa.MaxLookAhead); ok {
		s.Knock.Lookahead = int(v)
	}
	if v, ok := c.Duration("knock_timeout", raw.Timeout, time.Second, 30*time.Second, false); ok {
		s.Knock.Timeout = v
	}
	// The range must leave room for knocks (SPEC.md §11.1 rules 1 and 2);
	// checked with the smallest fragment count, which every client's n
	// passes too.
	if err := spa.CheckKnockConfig(spa.MinFragments, s.Knock.Range, s.Excluded()); err != nil {
		c.Add("knock_range", "%v", err)
	}
}

type rawClientKnock struct {
	Mode      any `toml:"knock_ports"`
	Fragments any `toml:"knock_fragments"`
	Required  any `toml:"knock_required"`
}

// checkClientKnock checks a client's knock settings.
func checkClientKnock(c *tomlfile.Checker, cl *Client, raw rawClientKnock) {
	if v, ok := c.Str("knock_ports", raw.Mode); ok {
		if v == "off" {
			v = KnockOff
		}
		tomlfile.OneOf(c, "knock_ports", v, KnockOff, KnockHOTP, KnockTOTP)
		cl.Knock = v
	}
	if v, ok := c.Int("knock_fragments", raw.Fragments, spa.MinFragments, spa.MaxFragments); ok {
		cl.KnockFragments = int(v)
	}
	if v, ok := c.Bool("knock_required", raw.Required); ok {
		cl.KnockRequired = v
		if v && cl.Knock == KnockOff {
			c.Add("knock_required", "true needs knock_ports = \"hotp\" or \"totp\"")
		}
	}
}

// renderClientKnock writes a client's knock settings.
func renderClientKnock(c Client) string {
	mode := c.Knock
	if mode == KnockOff {
		mode = "off"
	}
	return fmt.Sprintf(`
# Knock ports (SPEC.md §11): "hotp" (the client keeps a counter), "totp" (the
# counter is the time, for clients without state such as CI runners) or
# "off". The client's profile must carry the same mode and fragment count.
knock_ports = %s
knock_fragments = %d
# With true, single packets to the SPA port are refused for this client.
knock_required = %t
`, tomlfile.Quote(mode), c.KnockFragments, c.KnockRequired)
}
