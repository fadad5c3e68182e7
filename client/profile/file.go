package profile

import (
	"github.com/spa-project/spa/spa"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/spa-project/spa/keys"
	"github.com/spa-project/spa/server/config/tomlfile"
)

// rawProfile is a profile file as decoded, before checking. Its leaves are
// of type any so that every wrong value is reported (see tomlfile.Checker).
type rawProfile struct {
	Name       any `toml:"name"`
	Server     any `toml:"server"`
	Port       any `toml:"port"`
	ServerName any `toml:"server_name"`
	ServerID   any `toml:"server_id"`
	Secret     any `toml:"secret"`
	Ports      any `toml:"ports"`
	Client     any `toml:"client"`
	KnockPorts any `toml:"knock_ports"`
	Fragments  any `toml:"knock_fragments"`
	Range      any `toml:"knock_range"`
	Exclude    any `toml:"knock_exclude"`
	Actions    any `toml:"actions"`
}

// Marshal returns the profile as a TOML file, starting with a comment that
// warns that it holds a secret. Handle the result as carefully as the secret:
// clear it after use.
func (p *Profile) Marshal() []byte { return p.marshal(true) }

// marshal returns the profile as TOML, with the comment header if header.
func (p *Profile) marshal(header bool) []byte {
	var b strings.Builder
	if header {
		b.WriteString("# spa client profile")
		if p.ServerName != "" {
			b.WriteString(" for server " + tomlfile.Quote(p.ServerName))
		}
		b.WriteString(`.
# IT HOLDS A SECRET: whoever has this file can open ports on the server as
# this client. Keep it private (mode 0600), never commit it, and import it
# with "spa profile import FILE".
`)
	}
	line := func(key, value string) { b.WriteString(key + " = " + value + "\n") }
	if p.Name != "" {
		line("name", tomlfile.Quote(p.Name))
	}
	line("server", tomlfile.Quote(p.Server))
	line("port", strconv.Itoa(int(p.Port)))
	line("server_name", tomlfile.Quote(p.ServerName))
	line("server_id", tomlfile.Quote(p.ServerID.Encode()))
	if p.Client != "" {
		line("client", tomlfile.Quote(p.Client))
	}
	line("ports", tomlfile.PortList(p.Ports))
	if p.KnockPorts != "" {
		line("knock_ports", tomlfile.Quote(p.KnockPorts))
		line("knock_fragments", strconv.Itoa(p.KnockFragments))
		line("knock_range", tomlfile.Quote(p.KnockRange.String()))
		ex := make([]string, len(p.KnockExclude))
		for i, x := range p.KnockExclude {
			ex[i] = strconv.Itoa(int(x))
		}
		line("knock_exclude", "["+strings.Join(ex, ", ")+"]")
	}
	line("secret", tomlfile.Quote(p.Secret.Encode()))
	if len(p.Actions) > 0 {
		b.WriteString("\n[actions] # server-side actions this client may run: name = number\n")
		names := make([]string, 0, len(p.Actions))
		for n := range p.Actions {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			line(tomlfile.Quote(n), strconv.Itoa(int(p.Actions[n])))
		}
	}
	return []byte(b.String())
}

// Parse parses and checks a profile file; path names it in errors. The
// error is of type tomlfile.Problems, one problem per line with the file,
// line and key, and never contains the secret. If the file has no name,
// the profile's Name is "".
func Parse(path string, data []byte) (*Profile, error) {
	return parse(path, data)
}

// parse is Parse; path may be "" for an unnamed document.
func parse(path string, data []byte) (*Profile, error) {
	c := tomlfile.NewChecker(path, data, "secret")
	var raw rawProfile
	if !c.Decode(&raw) {
		return nil, c.Problems()
	}
	p := &Profile{Port: DefaultPort}
	if v, ok := c.Str("name", raw.Name); ok {
		if err := CheckName(v); err != nil {
			c.Add("name", "%v", err)
		}
		p.Name = v
	}
	if v, ok := c.Str("server", raw.Server); ok {
		if err := tomlfile.CheckHost(v); err != nil {
			c.Add("server", "%v", err)
		}
		p.Server = v
	} else if raw.Server == nil {
		c.AddAt(0, "server", nil, "missing: the host name or address of the server")
	}
	if v, ok := c.Int("port", raw.Port, 1, 65535); ok {
		p.Port = uint16(v)
	}
	checkServer(c, p, raw)
	checkSecret(c, p, raw.Secret)
	if v, ok := c.Ports("ports", raw.Ports); ok {
		if len(v) == 0 || len(v) > MaxPorts {
			c.Add("ports", `must list 1 to %d ports, such as ["tcp/22"]`, MaxPorts)
		}
		p.Ports = v
	} else if raw.Ports == nil {
		c.AddAt(0, "ports", nil, `missing: the ports to open, such as ["tcp/22"]`)
	}
	if v, ok := c.Str("client", raw.Client); ok {
		if err := tomlfile.CheckName(v, MaxName); err != nil {
			c.Add("client", "%v", err)
		}
		p.Client = v
	}
	if v, ok := c.Str("knock_ports", raw.KnockPorts); ok {
		tomlfile.OneOf(c, "knock_ports", v, KnockOff, KnockHOTP, KnockTOTP)
		p.KnockPorts = v
	}
	checkKnock(c, p, raw)
	checkActions(c, p, raw.Actions)
	if err := c.Problems().Err(); err != nil {
		return nil, err
	}
	return p, nil
}

// checkKnock checks the knock settings shared with the server.
func checkKnock(c *tomlfile.Checker, p *Profile, raw rawProfile) {
	p.KnockFragments, p.KnockRange = spa.DefaultFragments, spa.DefaultKnockRange()
	if v, ok := c.Int("knock_fragments", raw.Fragments, spa.MinFragments, spa.MaxFragments); ok {
		p.KnockFragments = int(v)
	}
	if v, ok := c.Str("knock_range", raw.Range); ok {
		r, err := spa.ParsePortRange(v)
		if err != nil {
			c.Add("knock_range", "%v", err)
		}
		p.KnockRange = r
	}
	if v, ok := c.Ints("knock_exclude", raw.Exclude, 1, 65535); ok && len(v) > 0 {
		for _, x := range v {
			p.KnockExclude = append(p.KnockExclude, uint16(x))
		}
	}
	if p.KnockPorts != KnockOff {
		if err := spa.CheckKnockConfig(p.KnockFragments, p.KnockRange, p.KnockExcluded()); err != nil {
			c.Add("knock_range", "%v", err)
		}
	}
}

// checkActions checks the [actions] table: action names and numbers.
func checkActions(c *tomlfile.Checker, p *Profile, raw any) {
	if raw == nil {
		return
	}
	m, ok := raw.(map[string]any)
	if !ok {
		c.Add("actions", "must be a table of name = number, not %s", tomlfile.KindOf(raw))
		return
	}
	p.Actions = map[string]uint16{}
	for name, v := range m {
		if n, ok := c.Int("actions."+name, v, 1, 65535); ok {
			p.Actions[name] = uint16(n)
		}
	}
}

// checkServer checks server_name and server_id into p: the identity must be
// the one derived from the name.
func checkServer(c *tomlfile.Checker, p *Profile, raw rawProfile) {
	nameOK := false
	if v, ok := c.Str("server_name", raw.ServerName); ok {
		if _, err := keys.NewServerID(v); err != nil {
			c.Add("server_name", "server name %q must be 1 to 255 bytes of UTF-8", v)
		} else {
			p.ServerName, nameOK = v, true
		}
	} else if raw.ServerName == nil {
		c.AddAt(0, "server_name", nil, "missing: the server's name")
	}
	v, ok := c.Str("server_id", raw.ServerID)
	if !ok {
		if raw.ServerID == nil {
			c.AddAt(0, "server_id", nil, "missing: the server's identity (spa-server-id-...)")
		}
		return
	}
	id, err := keys.ParseServerID(v)
	if err != nil {
		c.Add("server_id", "%s", strings.TrimPrefix(err.Error(), "keys: "))
		return
	}
	p.ServerID = id
	if nameOK {
		if want, _ := keys.NewServerID(p.ServerName); !want.Equal(id) {
			c.Add("server_id", "server_id does not match server_name %q: the profile is inconsistent or corrupt; ask the server's administrator for a new one", p.ServerName)
		}
	}
}

// checkSecret checks the client secret into p.Secret. Its messages never
// contain any part of the value.
func checkSecret(c *tomlfile.Checker, p *Profile, v any) {
	if v == nil {
		c.AddAt(0, "secret", nil, "missing: the client's secret (spa-client-secret-...)")
		return
	}
	s, ok := v.(string)
	if !ok {
		c.Add("secret", "malformed client secret: must be a string, not %s", tomlfile.KindOf(v))
		return
	}
	k, err := keys.ParseClientSecret(s)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "keys: ")
		if !strings.HasPrefix(msg, "malformed client secret") {
			msg = "malformed client secret: " + msg
		}
		if strings.HasPrefix(strings.TrimSpace(s), "spa-client-key-") {
			msg += "; a client key belongs on the server, the profile needs the client's secret"
		}
		c.Add("secret", "%s", msg)
		return
	}
	p.Secret = k
}

// nameFromPath returns the profile name a file's base name suggests
// ("bastion" for "/x/bastion.toml"), or "" if it is not a valid name.
func nameFromPath(path string) string {
	n := strings.TrimSuffix(filepath.Base(path), ".toml")
	if CheckName(n) != nil {
		return ""
	}
	return n
}
