package firewall

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/spa-project/spa/server/firewall/actions"
)

// execBackend runs the configured open and close commands (knockd's
// start_command and stop_command) for each grant; see package actions for
// the templates. It only knows the grants this process opened: the daemon's
// Manager runs the expiry timers and, at start, closes the grants its state
// says have expired.
//
// A re-knock for a grant that is open only moves its expiry; the open
// command does not run again. The close command runs once when the grant
// ends (expiry, close message, or Close, which ends every grant).
type execBackend struct {
	cfg Config
	log *slog.Logger
	run *runner
	now func() time.Time

	mu     sync.Mutex
	live   map[Rule]execGrant
	closed bool
}

type execGrant struct {
	client  string
	ttl     time.Duration
	expires time.Time
}

func newExec(cfg Config) (*execBackend, error) {
	if err := cfg.Exec.check(); err != nil {
		return nil, fmt.Errorf("firewall: %w", err)
	}
	run, err := newRunner(cfg.NetNS)
	if err != nil {
		return nil, fmt.Errorf("firewall: exec: %w", err)
	}
	return &execBackend{cfg: cfg, log: cfg.Logger.With("backend", BackendExec), run: run,
		now: time.Now, live: map[Rule]execGrant{}}, nil
}

func (b *execBackend) Name() string { return BackendExec }

// Features: Live only knows this process's grants.
func (b *execBackend) Features() Features { return Features{Forgetful: true} }

// Setup checks that both programs exist and are executable files.
func (b *execBackend) Setup(ctx context.Context) error {
	for _, argv := range [][]string{b.cfg.Exec.Open, b.cfg.Exec.Close} {
		fi, err := os.Stat(argv[0])
		if err == nil && (fi.IsDir() || fi.Mode()&0o111 == 0) {
			err = errors.New("not an executable file")
		}
		if err != nil {
			return fmt.Errorf("firewall: exec: program %q: %w", argv[0], err)
		}
	}
	return nil
}

// command expands and runs one template in the backend's namespace,
// logging its output.
func (b *execBackend) command(ctx context.Context, what string, argv []string, v actions.Vars) error {
	args, err := actions.Expand(argv, v)
	if err != nil {
		return fmt.Errorf("%s command: %w", what, err)
	}
	var out []byte
	err = b.run.do(func() error {
		out, err = actions.Exec(ctx, args, b.cfg.Exec.Timeout)
		return err
	})
	if err != nil {
		b.log.Warn("command failed", "command", what, "argv", args, "output", string(out), "error", err.Error())
		return fmt.Errorf("%s command: %w", what, err)
	}
	b.log.Debug("command ran", "command", what, "argv", args, "output", string(out))
	return nil
}

// Allow runs the open command for a new grant, or only moves the expiry of
// an open one. The client name comes from WithClient.
func (b *execBackend) Allow(ctx context.Context, r Rule, ttl time.Duration) error {
	r, err := r.normalize()
	if err == nil {
		err = checkTTL(r, ttl)
	}
	if err != nil {
		return fmt.Errorf("firewall: exec: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	g, open := b.live[r]
	if !open {
		g = execGrant{client: ClientFrom(ctx), ttl: ttl}
		v := actions.Vars{IP: r.Addr, Port: r.Port, Duration: ttl, Client: g.client}
		if err := b.command(ctx, "open", b.cfg.Exec.Open, v); err != nil {
			return fmt.Errorf("firewall: exec: allowing %s: %w", r, err)
		}
	}
	g.expires = b.now().Add(ttl)
	b.live[r] = g
	return nil
}

// Revoke runs the close command. For a grant this process did not open
// (one left by an earlier run) the command still runs, with the client
// from WithClient, but its failure is only logged: the grant may not
// exist.
func (b *execBackend) Revoke(ctx context.Context, r Rule) error {
	r, err := r.normalize()
	if err != nil {
		return fmt.Errorf("firewall: exec: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	return b.revokeLocked(ctx, r)
}

func (b *execBackend) revokeLocked(ctx context.Context, r Rule) error {
	g, open := b.live[r]
	if !open {
		g.client = ClientFrom(ctx)
	}
	v := actions.Vars{IP: r.Addr, Port: r.Port, Duration: g.ttl, Client: g.client}
	err := b.command(ctx, "close", b.cfg.Exec.Close, v)
	if !open {
		return nil // logged by command
	}
	if err != nil {
		return fmt.Errorf("firewall: exec: revoking %s: %w", r, err)
	}
	delete(b.live, r)
	return nil
}

// Live lists the grants this process opened.
func (b *execBackend) Live(ctx context.Context) ([]Live, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrClosed
	}
	now := b.now()
	out := make([]Live, 0, len(b.live))
	for r, g := range b.live {
		out = append(out, Live{Rule: r, Remaining: g.expires.Sub(now)})
	}
	return out, nil
}

// Close runs the close command for every open grant.
func (b *execBackend) Close(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	var errs error
	for r := range b.live {
		errs = errors.Join(errs, b.revokeLocked(ctx, r))
	}
	b.closed = true
	b.run.close()
	return errs
}
