package server

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/spa-project/spa/server/config"
	"github.com/spa-project/spa/server/firewall"
	"github.com/spa-project/spa/server/firewall/actions"
	"github.com/spa-project/spa/server/state"
	"github.com/spa-project/spa/spa"
)

// reconciler is a Granter that can be brought in line with the grants the
// state recorded, after a restart or a crash.
type reconciler interface {
	Reconcile(ctx context.Context, grants []state.Grant) error
}

// OpenFirewall sets up the configured firewall backend (installing the
// default deny for the protected ports unless manage_deny is off) and
// returns it, with the configured actions, as a Granter.
func OpenFirewall(cfg *config.Config, log *slog.Logger) (Granter, error) {
	s := cfg.Server
	fc := firewall.Config{
		Backend: string(s.Backend), Protect: s.Protect, ManageDeny: s.ManageDeny,
		Forward: s.Forward, Teardown: s.Teardown, Mark: s.Mark, Logger: log,
		Exec: firewall.ExecConfig{Open: s.Exec.Open, Close: s.Exec.Close, Timeout: s.Exec.Timeout},
	}
	if s.Listen != config.ListenUDP {
		// Capture mode has no socket on the SPA port, so the kernel would
		// answer each datagram with an ICMP port unreachable: drop them
		// before it can (capture sees them first).
		fc.Silent = append([]firewall.PortRange{{Proto: spa.UDP, Lo: s.Port, Hi: s.Port}}, silentKnockRanges(&s)...)
	}
	b, err := firewall.New(fc)
	if err != nil {
		return nil, err
	}
	if name := b.Name(); len(fc.Silent) > 0 && (name == firewall.BackendNone || name == firewall.BackendExec) {
		log.Warn("this backend cannot drop datagrams to the SPA port, so the kernel answers each with ICMP port unreachable; drop udp to the SPA port in your own firewall, or use nftables or iptables",
			"backend", name, "port", s.Port)
	}
	m := firewall.NewManager(b, firewall.ManagerOptions{Logger: log})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := m.Setup(ctx); err != nil {
		return nil, errors.Join(err, m.Close(ctx))
	}
	log.Info("firewall ready", "backend", m.Name(), "protect", s.Protect, "manage_deny", s.ManageDeny, "forward", s.Forward)
	return newFirewallGranter(m, s.Actions, log), nil
}

// silentKnockRanges returns the knock range without its excluded ports (the
// host's own UDP services), as ranges to drop silently.
func silentKnockRanges(s *config.Server) []firewall.PortRange {
	var out []firewall.PortRange
	excluded := s.Excluded()
	lo := int(s.Knock.Range.Lo)
	for p := lo; p <= int(s.Knock.Range.Hi)+1; p++ {
		if p <= int(s.Knock.Range.Hi) && !excluded(uint16(p)) {
			continue
		}
		if p > lo {
			out = append(out, firewall.PortRange{Proto: spa.UDP, Lo: uint16(lo), Hi: uint16(p - 1)})
		}
		lo = p + 1
	}
	return out
}

// firewallGranter opens and closes ports through the firewall manager and
// runs actions.
type firewallGranter struct {
	m       *firewall.Manager
	log     *slog.Logger
	actions map[uint16]config.Action

	// Running actions: each runs at most once at a time, and Close stops
	// them.
	ctx     context.Context
	stop    context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	running map[uint16]bool
}

func newFirewallGranter(m *firewall.Manager, acts []config.Action, log *slog.Logger) *firewallGranter {
	g := &firewallGranter{m: m, log: log, actions: map[uint16]config.Action{}, running: map[uint16]bool{}}
	for _, a := range acts {
		g.actions[a.ID] = a
	}
	g.ctx, g.stop = context.WithCancel(context.Background())
	return g
}

// Apply opens or closes the decision's ports for its address, or starts
// its action.
func (g *firewallGranter) Apply(ctx context.Context, d Decision) error {
	ctx = firewall.WithClient(ctx, d.Client)
	var errs []error
	switch d.Type {
	case spa.MsgOpen:
		for _, p := range d.Ports {
			errs = append(errs, g.m.Allow(ctx, firewall.Rule{Addr: d.Addr, Port: p}, d.Duration))
		}
	case spa.MsgClose:
		for _, p := range d.Ports {
			errs = append(errs, g.m.Revoke(ctx, firewall.Rule{Addr: d.Addr, Port: p}))
		}
	case spa.MsgAction:
		g.startAction(d)
	}
	return errors.Join(errs...)
}

// startAction runs the decision's action in the background, unless it is
// already running. Its output goes to the log.
func (g *firewallGranter) startAction(d Decision) {
	a, ok := g.actions[d.Action]
	if !ok { // the policy only allows configured actions
		g.log.Error("unknown action", "client", d.Client, "action", d.Action)
		return
	}
	g.mu.Lock()
	busy := g.running[a.ID]
	g.running[a.ID] = true
	g.mu.Unlock()
	if busy {
		g.log.Warn("action already running; not started again", "action", a.Name, "client", d.Client)
		return
	}
	g.wg.Go(func() {
		defer func() { g.mu.Lock(); delete(g.running, a.ID); g.mu.Unlock() }()
		start := time.Now()
		out, err := actions.Run(g.ctx, actions.Action{ID: a.ID, Name: a.Name, Argv: a.Argv, Timeout: a.Timeout},
			actions.Vars{IP: d.Addr, Client: d.Client})
		attrs := []any{"action", a.Name, "client", d.Client, "addr", d.Addr, "took", time.Since(start).Round(time.Millisecond), "output", string(out)}
		if err != nil {
			g.log.Error("action failed", append(attrs, "error", err.Error())...)
			return
		}
		g.log.Info("action done", attrs...)
	})
}

// Close stops running actions and closes the firewall.
func (g *firewallGranter) Close(ctx context.Context) error {
	g.stop()
	g.wg.Wait()
	return g.m.Close(ctx)
}

// Reconcile removes expired and unknown grants from the kernel and
// restores the live ones the state recorded.
func (g *firewallGranter) Reconcile(ctx context.Context, grants []state.Grant) error {
	recs := make([]firewall.GrantRecord, 0, len(grants))
	for _, gr := range grants {
		recs = append(recs, firewall.GrantRecord{
			Rule:    firewall.Rule{Addr: gr.Addr, Port: spa.Port{Proto: spa.Proto(gr.Proto), Port: gr.Port}},
			Client:  gr.Client,
			Expires: gr.Expires,
		})
	}
	return g.m.Reconcile(ctx, recs)
}
