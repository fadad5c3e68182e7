package server

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/spa-project/spa/server/config"
	"github.com/spa-project/spa/server/firewall"
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
// returns it as a Granter.
func OpenFirewall(cfg *config.Config, log *slog.Logger) (Granter, error) {
	s := cfg.Server
	fc := firewall.Config{Backend: string(s.Backend), Protect: s.Protect, ManageDeny: s.ManageDeny, Logger: log}
	if s.Listen != config.ListenUDP {
		// Capture mode has no socket on the SPA port, so the kernel would
		// answer each datagram with an ICMP port unreachable: drop them
		// before it can (capture sees them first).
		fc.Silent = []firewall.PortRange{{Proto: spa.UDP, Lo: s.Port, Hi: s.Port}}
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
	log.Info("firewall ready", "backend", m.Name(), "protect", s.Protect, "manage_deny", s.ManageDeny)
	return &firewallGranter{m: m}, nil
}

type firewallGranter struct{ m *firewall.Manager }

// Apply opens or closes the decision's ports for its address. Actions are
// refused by policy until action support lands, so they never reach here.
func (g *firewallGranter) Apply(ctx context.Context, d Decision) error {
	ctx = firewall.WithClient(ctx, d.Client)
	var errs []error
	for _, p := range d.Ports {
		r := firewall.Rule{Addr: d.Addr, Port: p}
		switch d.Type {
		case spa.MsgOpen:
			errs = append(errs, g.m.Allow(ctx, r, d.Duration))
		case spa.MsgClose:
			errs = append(errs, g.m.Revoke(ctx, r))
		}
	}
	return errors.Join(errs...)
}

func (g *firewallGranter) Close(ctx context.Context) error { return g.m.Close(ctx) }

// Reconcile removes expired and unknown grants from the kernel and
// restores the live ones the state recorded.
func (g *firewallGranter) Reconcile(ctx context.Context, grants []state.Grant) error {
	recs := make([]firewall.GrantRecord, 0, len(grants))
	for _, gr := range grants {
		recs = append(recs, firewall.GrantRecord{
			Rule:    firewall.Rule{Addr: gr.Addr, Port: spa.Port{Proto: spa.Proto(gr.Proto), Port: gr.Port}},
			Expires: gr.Expires,
		})
	}
	return g.m.Reconcile(ctx, recs)
}
