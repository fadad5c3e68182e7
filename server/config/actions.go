package config

import (
	"strconv"
	"time"

	"github.com/spa-project/spa/server/config/tomlfile"
	"github.com/spa-project/spa/server/firewall/actions"
)

// Exec are the exec backend's commands: argv templates (never run through a
// shell) with the tokens {ip}, {family}, {proto}, {port}, {duration} and
// {client} (the [exec] table).
type Exec struct {
	// Open runs when a grant starts, Close when it ends (keys "open",
	// "close").
	Open, Close []string
	// Timeout bounds one command (key "timeout").
	Timeout time.Duration
}

// Action is a named server-side command a client may run by its number
// (one [[action]] table).
type Action struct {
	ID      uint16        // the number clients send (key "id"), 1 to 65535
	Name    string        // what client files name in "actions" (key "name")
	Argv    []string      // the command; the same tokens as Exec (key "argv")
	Timeout time.Duration // bound on one run (key "timeout")
}

// DefaultActionTimeout bounds an action or exec command without a timeout.
const DefaultActionTimeout = 10 * time.Second

// MaxActionTimeout bounds the timeout of actions and exec commands.
const MaxActionTimeout = 24 * time.Hour

// Action returns the action called name.
func (s *Server) Action(name string) (Action, bool) {
	for _, a := range s.Actions {
		if a.Name == name {
			return a, true
		}
	}
	return Action{}, false
}

type rawExec struct {
	Open    any `toml:"open"`
	Close   any `toml:"close"`
	Timeout any `toml:"timeout"`
}

type rawAction struct {
	ID      any `toml:"id"`
	Name    any `toml:"name"`
	Argv    any `toml:"argv"`
	Timeout any `toml:"timeout"`
}

// checkExec checks the [exec] table; the commands are required with the
// exec backend.
func checkExec(c *tomlfile.Checker, s *Server, raw rawExec) {
	for _, f := range []struct {
		key string
		v   any
		dst *[]string
	}{{"exec.open", raw.Open, &s.Exec.Open}, {"exec.close", raw.Close, &s.Exec.Close}} {
		if f.v == nil {
			if s.Backend == BackendExec {
				c.AddAt(0, f.key, nil, "missing: the exec backend needs [exec] open and close commands")
			}
			continue
		}
		if v, ok := c.Strings(f.key, f.v); ok {
			if err := actions.CheckArgv(v); err != nil {
				c.Add(f.key, "%v", err)
			}
			*f.dst = v
		}
	}
	if v, ok := c.Duration("exec.timeout", raw.Timeout, time.Second, MaxActionTimeout, false); ok {
		s.Exec.Timeout = v
	}
}

// checkServerActions checks the [[action]] tables: unique numbers and names, and
// commands that are argv templates.
func checkServerActions(c *tomlfile.Checker, s *Server, raw []rawAction) {
	ids, names := map[uint16]bool{}, map[string]bool{}
	for i, r := range raw {
		key := func(k string) string { return "action." + strconv.Itoa(i) + "." + k }
		a := Action{Timeout: DefaultActionTimeout}
		if v, ok := c.Int(key("id"), r.ID, 1, 65535); ok {
			a.ID = uint16(v)
			if ids[a.ID] {
				c.Add(key("id"), "action number %d used twice", a.ID)
			}
			ids[a.ID] = true
		} else if r.ID == nil {
			c.AddAt(c.Line("action."+strconv.Itoa(i)), key("id"), nil, "missing: each action needs a number")
		}
		if v, ok := c.Str(key("name"), r.Name); ok {
			if err := CheckClientName(v); err != nil {
				c.Add(key("name"), "action name %q: use 1 to 64 of A-Z a-z 0-9 . _ -", v)
			} else if names[v] {
				c.Add(key("name"), "action name %q used twice", v)
			}
			a.Name, names[v] = v, true
		} else if r.Name == nil {
			c.AddAt(c.Line("action."+strconv.Itoa(i)), key("name"), nil, "missing: each action needs a name")
		}
		if v, ok := c.Strings(key("argv"), r.Argv); ok {
			if err := actions.CheckArgv(v); err != nil {
				c.Add(key("argv"), "%v", err)
			}
			a.Argv = v
		} else if r.Argv == nil {
			c.AddAt(c.Line("action."+strconv.Itoa(i)), key("argv"), nil, "missing: each action needs a command")
		}
		if v, ok := c.Duration(key("timeout"), r.Timeout, time.Second, MaxActionTimeout, false); ok {
			a.Timeout = v
		}
		s.Actions = append(s.Actions, a)
	}
}
