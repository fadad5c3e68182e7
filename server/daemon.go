package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/spa-project/spa/server/config"
	"github.com/spa-project/spa/server/state"
)

// Source delivers received datagrams: a packet capture or a UDP socket.
type Source interface {
	// Next blocks for the next datagram and returns its payload, source
	// address and destination port. The payload is only valid until the
	// next call. After Close it returns an error wrapping net.ErrClosed.
	Next() (payload []byte, src netip.Addr, port uint16, err error)
	// KernelDrops is how many packets the kernel dropped before delivery.
	KernelDrops() uint64
	Close() error
}

// Granter carries out decisions: it opens and closes firewall access or
// runs actions. Apply is called from one goroutine at a time.
type Granter interface {
	Apply(ctx context.Context, d Decision) error
	Close(ctx context.Context) error
}

// DaemonOptions are the daemon's connections to the outside world, which
// tests replace.
type DaemonOptions struct {
	Clock        Clock     // nil: the system clock
	LogOutput    io.Writer // where logs go
	OpenSource   func(cfg *config.Config) (Source, error)
	OpenFirewall func(cfg *config.Config, log *slog.Logger) (Granter, error)
}

// Daemon is a running spad.
type Daemon struct {
	dir     string
	opts    DaemonOptions
	clock   Clock
	started time.Time
	log     *slog.Logger
	store   *state.Store
	v       *Verifier
	src     Source
	fw      Granter
	grants  chan Decision

	mu  sync.Mutex // guards cfg
	cfg *config.Config
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// NewDaemon loads the configuration in dir, opens the state and the packet
// source, and sets up the firewall. A lost or corrupt state database starts
// a quiet period (SPEC.md §9).
func NewDaemon(dir string, o DaemonOptions) (*Daemon, error) {
	cfg, err := config.Load(dir)
	if err != nil {
		return nil, err
	}
	d := &Daemon{dir: dir, opts: o, clock: o.Clock, cfg: cfg, grants: make(chan Decision, 1024)}
	if d.clock == nil {
		d.clock = systemClock{}
	}
	d.started = d.clock.Now()
	d.log = newLogger(o.LogOutput, cfg.Server)
	if err := d.openState(); err != nil {
		return nil, err
	}
	if d.fw, err = o.OpenFirewall(cfg, d.log); err != nil {
		d.store.Close()
		return nil, err
	}
	if r, ok := d.fw.(reconciler); ok {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := r.Reconcile(ctx, d.store.Grants())
		cancel()
		if err != nil {
			d.log.Error("reconciling the firewall with the recorded grants", "error", err.Error())
		}
	}
	if d.src, err = o.OpenSource(cfg); err != nil {
		d.fw.Close(context.Background())
		d.store.Close()
		return nil, err
	}
	return d, nil
}

func (d *Daemon) openState() error {
	s := d.cfg.Server
	st, rec, err := state.Open(StateFile(s.StateDir), state.Options{
		TTL: 2 * s.Window, PerClientQuota: s.Limits.ReplayPerClient, GlobalCap: s.Limits.ReplayGlobal,
		Logger: d.log,
		// Valid packets are rare and each one waits for its commit on the
		// knock-to-open path: commit at once rather than batch.
		BatchDelay: -1,
	})
	if err != nil {
		return err
	}
	d.store = st
	opts := Options{Window: s.Window, Clock: d.clock, Replay: st, Logger: d.log, LogRate: float64(s.LogRate),
		Knock: &KnockOptions{Range: s.Knock.Range, Excluded: s.Excluded(), Lookahead: s.Knock.Lookahead, Timeout: s.Knock.Timeout, Counters: st},
	}
	if rec.Lost {
		opts.QuietUntil = d.started.Add(s.Window)
		d.log.Error("replay state lost: refusing packets stamped before the quiet period ends",
			"reason", rec.Reason, "quiet_until", opts.QuietUntil.Format(time.RFC3339))
	}
	d.v = NewVerifier(opts, d.runtimeClients(d.cfg))
	return nil
}

// runtimeClients returns the clients that may send packets now.
func (d *Daemon) runtimeClients(cfg *config.Config) []Client {
	now := d.clock.Now()
	var out []Client
	for i := range cfg.Clients {
		if c := &cfg.Clients[i]; c.Active(now) {
			out = append(out, ClientFromConfig(c, &cfg.Server, cfg.ServerID))
		}
	}
	return out
}

// config returns the running configuration.
func (d *Daemon) config() *config.Config {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cfg
}

// Verifier returns the daemon's pipeline, for its counters.
func (d *Daemon) Verifier() *Verifier { return d.v }

// Reload reads the configuration again and swaps in its clients. A bad
// configuration is reported and the running one kept.
func (d *Daemon) Reload() error {
	cfg, err := config.Load(d.dir)
	if err != nil {
		d.log.Error("reload failed; keeping the running configuration", "error", err.Error())
		return err
	}
	d.mu.Lock()
	old := d.cfg
	d.cfg = cfg
	d.mu.Unlock()
	if old.Server.Port != cfg.Server.Port || old.Server.Listen != cfg.Server.Listen || old.Server.Backend != cfg.Server.Backend || old.Server.Name != cfg.Server.Name {
		d.log.Warn("listen, port, backend and name changes take effect only after a restart")
	}
	clients := d.runtimeClients(cfg)
	d.v.SetClients(clients)
	d.log.Info("configuration reloaded", "clients", len(clients))
	return nil
}

// Run receives packets until ctx is done, then shuts down cleanly.
func (d *Daemon) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ctl, err := d.listenControl()
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	wg.Go(func() { d.grantWorker(ctx) })
	wg.Go(func() { d.maintain(ctx) })
	wg.Go(func() { d.serveControl(ctx, ctl) })
	go func() {
		<-ctx.Done()
		d.src.Close()
		ctl.Close()
	}()
	cfg := d.config()
	d.log.Info("spad running", "server", cfg.Server.Name, "port", cfg.Server.Port, "listen", string(cfg.Server.Listen), "clients", len(d.runtimeClients(cfg)))
	err = d.receive(ctx)
	cancel()
	wg.Wait()
	return errors.Join(err, d.shutdown())
}

// receive is the packet loop: verify, and queue what is accepted.
func (d *Daemon) receive(ctx context.Context) error {
	spaPort := d.config().Server.Port
	for {
		pkt, src, port, err := d.src.Next()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("receiving packets: %w", err)
		}
		var dec Decision
		if port == spaPort {
			dec, err = d.v.Handle(pkt, src)
		} else {
			dec, err = d.v.HandleKnock(pkt, src, port)
		}
		if err == nil {
			select {
			case d.grants <- dec:
			case <-ctx.Done():
				return nil
			}
		}
	}
}

func (d *Daemon) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := d.fw.Close(ctx)
	err = errors.Join(err, d.store.Close())
	d.log.Info("spad stopped")
	return err
}
