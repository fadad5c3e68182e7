package config

import (
	"path/filepath"
	"strings"
	"unicode"

	"github.com/spa-project/spa/keys"
	"github.com/spa-project/spa/server/config/tomlfile"
)

// rawServer is spad.toml as decoded, before checking. Its leaves are of type
// any so that a value of the wrong type is a problem of its own, reported
// with the others, rather than the end of decoding.
type rawServer struct {
	Name       any `toml:"name"`
	Listen     any `toml:"listen"`
	Port       any `toml:"port"`
	Interfaces any `toml:"interfaces"`
	Addr       any `toml:"addr"`
	Protect    any `toml:"protect"`
	Backend    any `toml:"backend"`
	ManageDeny any `toml:"manage_deny"`
	StateDir   any `toml:"state_dir"`
	Window     any `toml:"window"`
	LogFormat  any `toml:"log_format"`
	LogLevel   any `toml:"log_level"`
	LogRate    any `toml:"log_rate"`
	rawKnock
	Forward  any         `toml:"forward"`
	Teardown any         `toml:"teardown"`
	Mark     any         `toml:"mark"`
	Exec     rawExec     `toml:"exec"`
	Actions  []rawAction `toml:"action"`
	Limits   rawLimits   `toml:"limits"`
}

// rawLimits is the [limits] table as decoded.
type rawLimits struct {
	ReplayPerClient any `toml:"replay_per_client"`
	ReplayGlobal    any `toml:"replay_global"`
	Rate            any `toml:"rate"`
	Burst           any `toml:"burst"`
}

// ParseServer parses and checks the content of spad.toml; file names it in
// problems. Absent keys take their defaults ([DefaultServer]). The error is
// of type [Problems].
func ParseServer(file string, data []byte) (Server, error) {
	s, probs := parseServer(file, data)
	return s, probs.Err()
}

// parseServer is ParseServer returning the problems.
func parseServer(file string, data []byte) (Server, Problems) {
	c := tomlfile.NewChecker(file, data, "")
	var raw rawServer
	if !c.Decode(&raw) {
		return Server{}, c.Problems()
	}
	s := DefaultServer()
	if name, ok := c.Str("name", raw.Name); ok {
		if _, err := keys.NewServerID(name); err != nil {
			c.Add("name", "server name %q must be 1 to 255 bytes of UTF-8", name)
		}
		s.Name = name
	} else if raw.Name == nil {
		c.AddAt(0, "name", nil, "missing: set the server's name, normally its host name")
	}
	if v, ok := c.Str("listen", raw.Listen); ok {
		s.Listen = ListenMode(v)
		tomlfile.OneOf(c, "listen", v, ListenCapture, ListenUDP)
	}
	if v, ok := c.Int("port", raw.Port, 1, 65535); ok {
		s.Port = uint16(v)
	}
	if v, ok := c.Strings("interfaces", raw.Interfaces); ok {
		checkInterfaces(c, v)
		s.Interfaces = v
	}
	if v, ok := c.Str("addr", raw.Addr); ok {
		if v != "" {
			if err := tomlfile.CheckHost(v); err != nil {
				c.Add("addr", "%v", err)
			}
		}
		s.Addr = v
	}
	if v, ok := c.Ports("protect", raw.Protect); ok {
		s.Protect = v
	}
	if v, ok := c.Str("backend", raw.Backend); ok {
		s.Backend = Backend(v)
		tomlfile.OneOf(c, "backend", v, BackendAuto, BackendNftables, BackendIptables, BackendExec, BackendNone)
	}
	if v, ok := c.Bool("manage_deny", raw.ManageDeny); ok {
		s.ManageDeny = v
	}
	if v, ok := c.Str("state_dir", raw.StateDir); ok {
		if !filepath.IsAbs(v) {
			c.Add("state_dir", "%q must be an absolute path", v)
		}
		s.StateDir = v
	}
	if v, ok := c.Duration("window", raw.Window, MinWindow, MaxWindow, false); ok {
		s.Window = v
	}
	if v, ok := c.Str("log_format", raw.LogFormat); ok {
		s.LogFormat = LogFormat(v)
		tomlfile.OneOf(c, "log_format", v, LogText, LogJSON)
	}
	if v, ok := c.Str("log_level", raw.LogLevel); ok {
		s.LogLevel = LogLevel(v)
		tomlfile.OneOf(c, "log_level", v, LogDebug, LogInfo, LogWarn, LogError)
	}
	if v, ok := c.Int("log_rate", raw.LogRate, 0, MaxLogRate); ok {
		s.LogRate = int(v)
	}
	if v, ok := c.Bool("forward", raw.Forward); ok {
		s.Forward = v
	}
	if v, ok := c.Bool("teardown", raw.Teardown); ok {
		s.Teardown = v
	}
	if v, ok := c.Int("mark", raw.Mark, 0, 1<<32-1); ok {
		s.Mark = uint32(v)
	}
	checkKnock(c, &s, raw.rawKnock)
	checkExec(c, &s, raw.Exec)
	checkServerActions(c, &s, raw.Actions)
	checkLimits(c, &s.Limits, raw.Limits)
	return s, c.Problems()
}

// checkLimits checks the [limits] table into l.
func checkLimits(c *tomlfile.Checker, l *Limits, raw rawLimits) {
	if v, ok := c.Int("limits.replay_per_client", raw.ReplayPerClient, 1, MaxReplayGlobal); ok {
		l.ReplayPerClient = int(v)
	}
	if v, ok := c.Int("limits.replay_global", raw.ReplayGlobal, 1, MaxReplayGlobal); ok {
		l.ReplayGlobal = int(v)
	}
	if l.ReplayPerClient > l.ReplayGlobal {
		key := "limits.replay_per_client"
		if raw.ReplayPerClient == nil {
			key = "limits.replay_global"
		}
		c.Add(key, "replay_per_client (%d) must not exceed replay_global (%d)", l.ReplayPerClient, l.ReplayGlobal)
	}
	if v, ok := c.Number("limits.rate", raw.Rate, MaxRate); ok {
		l.Rate = v
	}
	if v, ok := c.Int("limits.burst", raw.Burst, 1, MaxBurst); ok {
		l.Burst = int(v)
	}
}

// checkInterfaces checks the interface names of the "interfaces" key.
func checkInterfaces(c *tomlfile.Checker, names []string) {
	seen := map[string]bool{}
	for i, n := range names {
		switch {
		case n == "" || len(n) > MaxInterfaceName:
			c.AddElem("interfaces", i, "interface name %q must be 1 to %d bytes", n, MaxInterfaceName)
		case strings.ContainsFunc(n, func(r rune) bool { return r == '/' || unicode.IsSpace(r) || !unicode.IsPrint(r) }):
			c.AddElem("interfaces", i, "interface name %q must not contain '/', spaces or control characters", n)
		case seen[n]:
			c.AddElem("interfaces", i, "interface %q listed twice", n)
		}
		seen[n] = true
	}
}
