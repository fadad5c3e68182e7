package server

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spa-project/spa/client/profile"
	"github.com/spa-project/spa/keys"
	"github.com/spa-project/spa/server/config"
	"github.com/spa-project/spa/server/state"
	"github.com/spa-project/spa/spa"
)

// StateFile returns the path of the state database in a state directory.
func StateFile(stateDir string) string { return filepath.Join(stateDir, "spad.db") }

// Init writes a new configuration directory and creates the state
// database, so that a later start can tell a lost database from a new one.
func Init(dir string, s config.Server) error {
	if err := config.InitDir(dir, s); err != nil {
		return err
	}
	if err := os.MkdirAll(s.StateDir, 0o700); err != nil {
		return fmt.Errorf("creating state directory %s: %w", s.StateDir, err)
	}
	st, _, err := state.Open(StateFile(s.StateDir), state.Options{Create: true})
	if err != nil {
		return err
	}
	return st.Close()
}

// Enrollment describes a client to add.
type Enrollment struct {
	Name        string
	Allow       []spa.Port
	MaxDuration time.Duration // 0 for the default
	Address     string        // "" for strict
	// Knock is the knock mode (config.KnockOff, KnockHOTP, KnockTOTP),
	// KnockFragments its n (0 for the default) and KnockRequired whether
	// single packets are refused.
	Knock          string
	KnockFragments int
	KnockRequired  bool
	// Actions are names of [[action]] tables the client may run.
	Actions []string
}

// Enroll creates a client secret, hands the client's profile (which holds
// the secret) to deliver, and only if that succeeds writes the server's
// client file, which holds just the derived client-server key. So a
// profile that could not be saved never leaves an enrolled client behind.
func Enroll(dir string, e Enrollment, rand io.Reader, deliver func(*profile.Profile) error) (*profile.Profile, error) {
	cfg, err := config.Load(dir)
	if err != nil {
		return nil, err
	}
	if err := config.CheckClientName(e.Name); err != nil {
		return nil, err
	}
	if _, err := os.Lstat(config.ClientFile(dir, e.Name)); err == nil {
		return nil, fmt.Errorf("client %q already exists in %s; revoke it or choose another name", e.Name, config.ClientsDir(dir))
	}
	secret, err := keys.GenerateClientSecret(rand)
	if err != nil {
		return nil, err
	}
	c := config.NewClient(e.Name, secret.ForServer(cfg.ServerID), e.Allow)
	if e.MaxDuration != 0 {
		c.MaxDuration = e.MaxDuration
		c.DefaultDuration = min(c.DefaultDuration, e.MaxDuration)
	}
	if e.Address != "" {
		if c.Address, err = config.ParseAddressPolicy(e.Address); err != nil {
			return nil, fmt.Errorf("--address %q: %w", e.Address, err)
		}
	}
	c.Knock, c.KnockRequired, c.Actions = e.Knock, e.KnockRequired, e.Actions
	if e.KnockFragments != 0 {
		c.KnockFragments = e.KnockFragments
	}
	acts := map[string]uint16{}
	for _, name := range e.Actions {
		a, ok := cfg.Server.Action(name)
		if !ok {
			return nil, fmt.Errorf("action %q is not defined in %s", name, config.ServerFile(dir))
		}
		acts[name] = a.ID
	}
	host := cfg.Server.Addr
	if host == "" {
		host = cfg.Server.Name
	}
	p := &profile.Profile{
		Name: cfg.Server.Name, Server: host, Port: cfg.Server.Port,
		ServerName: cfg.Server.Name, ServerID: cfg.ServerID, Secret: secret,
		Ports: e.Allow, Client: e.Name,
		KnockPorts: c.Knock, KnockFragments: c.KnockFragments,
		KnockRange: cfg.Server.Knock.Range, KnockExclude: cfg.Server.Knock.Exclude,
	}
	if len(acts) > 0 {
		p.Actions = acts
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := deliver(p); err != nil {
		return nil, err
	}
	if err := config.WriteClient(dir, c); err != nil {
		return nil, err
	}
	return p, nil
}
