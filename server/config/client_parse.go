package config

import (
	"path/filepath"
	"strings"
	"time"

	"github.com/spa-project/spa/keys"
	"github.com/spa-project/spa/server/config/tomlfile"
)

// ClientFileExt is the extension of client files.
const ClientFileExt = ".toml"

// rawClient is a client file as decoded, before checking (see rawServer).
type rawClient struct {
	Name            any `toml:"name"`
	Key             any `toml:"key"`
	Allow           any `toml:"allow"`
	MaxDuration     any `toml:"max_duration"`
	DefaultDuration any `toml:"default_duration"`
	Address         any `toml:"address"`
	Actions         any `toml:"actions"`
	Rate            any `toml:"rate"`
	Burst           any `toml:"burst"`
	Expires         any `toml:"expires"`
	Revoked         any `toml:"revoked"`
	rawClientKnock
}

// ParseClient parses and checks the content of the client file file (whose
// base name, without ".toml", must be the client's name). Absent optional
// keys take their defaults ([NewClient]). The error is of type [Problems] and
// never contains the key.
func ParseClient(file string, data []byte) (Client, error) {
	c, probs := parseClient(file, data)
	return c, probs.Err()
}

// parseClient is ParseClient returning the problems.
func parseClient(file string, data []byte) (Client, Problems) {
	c := tomlfile.NewChecker(file, data, "key")
	wantName := strings.TrimSuffix(filepath.Base(file), ClientFileExt)
	if err := CheckClientName(wantName); err != nil {
		c.AddAt(0, "", nil, "bad client file name: %v", err)
	}
	var raw rawClient
	if !c.Decode(&raw) {
		return Client{}, c.Problems()
	}
	cl := NewClient("", keys.ClientServerKey{}, nil)
	if name, ok := c.Str("name", raw.Name); ok {
		if err := CheckClientName(name); err != nil {
			c.Add("name", "%v", err)
		} else if name != wantName {
			c.Add("name", "%q does not match the file name (want %q)", name, wantName)
		}
		cl.Name = name
	} else if raw.Name == nil {
		c.AddAt(0, "name", nil, "missing: set it to %q, the file's name", wantName)
	}
	checkClientKey(c, &cl, raw.Key)
	if v, ok := c.Ports("allow", raw.Allow); ok {
		if len(v) == 0 {
			c.Add("allow", `must list at least one port, such as ["tcp/22"]`)
		}
		cl.Allow = v
	} else if raw.Allow == nil {
		c.AddAt(0, "allow", nil, `missing: list the ports the client may open, such as ["tcp/22"]`)
	}
	maxOK, defOK := true, true
	if v, ok := c.Duration("max_duration", raw.MaxDuration, time.Second, MaxMaxDuration, true); ok {
		cl.MaxDuration = v
	} else {
		maxOK = raw.MaxDuration == nil
	}
	if v, ok := c.Duration("default_duration", raw.DefaultDuration, time.Second, MaxMaxDuration, true); ok {
		cl.DefaultDuration = v
	} else {
		defOK = raw.DefaultDuration == nil
	}
	if maxOK && defOK && cl.DefaultDuration > cl.MaxDuration {
		key := "default_duration"
		if raw.DefaultDuration == nil {
			key = "max_duration"
		}
		c.Add(key, "default_duration (%s) must not be longer than max_duration (%s)",
			tomlfile.FormatDuration(cl.DefaultDuration), tomlfile.FormatDuration(cl.MaxDuration))
	}
	if v, ok := c.Str("address", raw.Address); ok {
		p, err := ParseAddressPolicy(v)
		if err != nil {
			c.Add("address", "%v", err)
		}
		cl.Address = p
	}
	if v, ok := c.Strings("actions", raw.Actions); ok {
		checkActions(c, v)
		cl.Actions = v
	}
	if v, ok := c.Number("rate", raw.Rate, MaxRate); ok {
		cl.Rate = v
	}
	if v, ok := c.Int("burst", raw.Burst, 1, MaxBurst); ok {
		cl.Burst = int(v)
	}
	if v, ok := c.Time("expires", raw.Expires); ok {
		cl.Expires = v
	}
	checkClientKnock(c, &cl, raw.rawClientKnock)
	if v, ok := c.Time("revoked", raw.Revoked); ok {
		cl.Revoked = v
	}
	return cl, c.Problems()
}

// checkClientKey checks the client-server key into cl.Key. Its messages never
// contain any part of the value.
func checkClientKey(c *tomlfile.Checker, cl *Client, v any) {
	if v == nil {
		c.AddAt(0, "key", nil, "missing: the client's key (spa-client-key-...)")
		return
	}
	s, ok := v.(string)
	if !ok {
		c.Add("key", "malformed client key: must be a string, not %s", tomlfile.KindOf(v))
		return
	}
	k, err := keys.ParseClientServerKey(s)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "keys: ")
		if !strings.HasPrefix(msg, "malformed client key") {
			msg = "malformed client key: " + msg
		}
		if strings.HasPrefix(strings.TrimSpace(s), "spa-client-secret-") {
			msg += "; the server holds the client's key for this server, never the client's secret"
		}
		c.Add("key", "%s", msg)
		return
	}
	cl.Key = k
}

// checkActions checks the action names of the "actions" key.
func checkActions(c *tomlfile.Checker, names []string) {
	if len(names) > MaxActions {
		c.Add("actions", "lists %d actions, more than %d", len(names), MaxActions)
	}
	seen := map[string]bool{}
	for i, n := range names {
		if err := CheckClientName(n); err != nil {
			c.AddElem("actions", i, "bad action %v", err)
		} else if seen[n] {
			c.AddElem("actions", i, "action %q listed twice", n)
		}
		seen[n] = true
	}
}
