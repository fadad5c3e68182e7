package firewall

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/coreos/go-iptables/iptables"
)

// iptBackend keeps grants as rules in chains of its own, with iptables and
// ip6tables (through go-iptables, which runs the commands with argv, never
// a shell). For Table "spad", in the filter table of both families:
//
//	INPUT        -j spad-input                        (inserted first)
//	spad-input   -j spad-grants
//	             ! -i lo -p tcp -m tcp --dport 22 -m conntrack ! --ctstate RELATED,ESTABLISHED -j DROP   (ManageDeny)
//	             ! -i lo -p udp -m udp --dport 62201 -j DROP                                             (each Silent range)
//	spad-grants  -s 192.0.2.7/32 -p tcp -m tcp --dport 22 -m comment --comment "spad-expires=2026-05-01T10:00:00Z" -j ACCEPT
//
// and with Forward, DOCKER-USER -j spad-forward, whose grants in
// spad-fgrants match the port before DNAT (--ctorigdstport).
//
// One rule per grant, its expiry in the comment. The kernel does not
// expire these rules: a [Manager] runs the timers, and Reconcile at start
// removes rules whose time passed while spad was not running.
type iptBackend struct {
	cfg    Config
	log    *slog.Logger
	chains iptChains
	run    *runner
	now    func() time.Time

	mu     sync.Mutex
	fams   [2]*iptFamily // IPv4, IPv6 (nil when ip6tables does not work)
	closed bool
}

// iptFamily is one of iptables and ip6tables, with the grant rules this
// backend believes are installed (rule to comment), refreshed from the
// kernel by Setup and Live.
type iptFamily struct {
	name    string
	ipt     *iptables.IPTables
	grants  map[Rule]string
	fgrants map[Rule]string
}

const (
	filterTable = "filter"
	dockerUser  = "DOCKER-USER"
	// iptLockWait is how long a command waits for the xtables lock.
	iptLockWait = 5
)

func newIpt(cfg Config) (*iptBackend, error) {
	run, err := newRunner(cfg.NetNS)
	if err != nil {
		return nil, fmt.Errorf("firewall: iptables: %w", err)
	}
	b := &iptBackend{cfg: cfg, log: cfg.Logger.With("backend", BackendIptables),
		chains: chainsFor(cfg.Table), run: run, now: time.Now}
	err = run.do(func() error {
		for i, p := range []iptables.Protocol{iptables.ProtocolIPv4, iptables.ProtocolIPv6} {
			ipt, err := iptables.New(iptables.IPFamily(p), iptables.Timeout(iptLockWait))
			name := [2]string{"iptables", "ip6tables"}[i]
			if err != nil && i == 0 {
				return fmt.Errorf("%s: %w", name, err)
			}
			if err != nil {
				b.log.Warn("ip6tables unusable, IPv6 grants will fail", "error", err.Error())
				continue
			}
			b.fams[i] = &iptFamily{name: name, ipt: ipt, grants: map[Rule]string{}, fgrants: map[Rule]string{}}
		}
		return nil
	})
	if err != nil {
		run.close()
		return nil, fmt.Errorf("firewall: iptables: %w", err)
	}
	return b, nil
}

func (b *iptBackend) Name() string { return BackendIptables }

func (b *iptBackend) errorf(format string, args ...any) error {
	return fmt.Errorf("firewall: iptables: chains %q: "+format, append([]any{b.cfg.Table + "-*"}, args...)...)
}

// do runs fn under the lock in the backend's namespace.
func (b *iptBackend) do(ctx context.Context, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	return b.run.do(fn)
}

func (b *iptBackend) family(r Rule) (*iptFamily, error) {
	if f := b.fams[b2i(r.Addr.Is6())]; f != nil {
		return f, nil
	}
	return nil, fmt.Errorf("rule %q: ip6tables is not usable", r)
}

func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}

// Setup creates the chains and jumps if missing, brings the deny rules up
// to date without a moment in which they are missing, and reads back the
// installed grants, deleting duplicates.
func (b *iptBackend) Setup(ctx context.Context) error {
	return b.do(ctx, func() error {
		for i, f := range b.fams {
			if f == nil {
				continue
			}
			if err := b.setupFamily(f); err != nil {
				if i == 0 {
					return b.errorf("%w", err)
				}
				b.log.Error("ip6tables setup failed, IPv6 grants will fail", "error", err.Error())
				b.fams[i] = nil
			}
		}
		b.log.Info("firewall set up", "chains", b.chains.input, "protect", len(b.cfg.Protect),
			"manage_deny", b.cfg.ManageDeny, "forward", b.cfg.Forward)
		return nil
	})
}

func (b *iptBackend) setupFamily(f *iptFamily) error {
	c := b.chains
	var input, forward [][]string
	input = append(input, []string{"-j", c.grants})
	forward = append(forward, []string{"-j", c.fgrant})
	for _, p := range b.cfg.Protect {
		if b.cfg.ManageDeny {
			input = append(input, denySpec(p, false))
			forward = append(forward, denySpec(p, true))
		}
	}
	for _, r := range b.cfg.Silent {
		input = append(input, silentSpec(r))
	}
	steps := []func() error{
		func() error { return f.ensureChain(c.grants) },
		func() error { return f.ensureChain(c.input) },
		func() error { return f.syncChain(c.input, input) },
		func() error { return f.ensureJump("INPUT", c.input) },
	}
	if b.cfg.Forward {
		steps = append(steps,
			func() error { return f.ensureChain(c.fgrant) },
			func() error { return f.ensureChain(c.forward) },
			func() error { return f.syncChain(c.forward, forward) },
			func() error { return f.ensureChain(dockerUser) },
			func() error { return f.ensureJump("FORWARD", dockerUser) },
			func() error { return f.ensureJump(dockerUser, c.forward) })
	} else {
		steps = append(steps, func() error { return f.removeForward(c) })
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	return b.loadGrants(f)
}

// loadGrants reads the grant chains back into f's maps.
func (b *iptBackend) loadGrants(f *iptFamily) error {
	var err error
	if f.grants, err = b.readGrants(f, b.chains.grants, false); err != nil {
		return err
	}
	if !b.cfg.Forward {
		f.fgrants = map[Rule]string{}
		return nil
	}
	f.fgrants, err = b.readGrants(f, b.chains.fgrant, true)
	return err
}

// readGrants lists the grant rules of chain, keeping the latest-expiring
// rule of each grant and deleting the others.
func (b *iptBackend) readGrants(f *iptFamily, chain string, forward bool) (map[Rule]string, error) {
	lines, err := f.ipt.List(filterTable, chain)
	if err != nil {
		return nil, fmt.Errorf("%s: listing %s: %w", f.name, chain, err)
	}
	best := map[Rule]iptGrant{}
	for _, line := range lines {
		g, ok, err := parseGrantLine(line)
		if err != nil {
			b.log.Warn("unreadable grant rule left alone", "chain", chain, "error", err.Error())
		}
		if !ok {
			continue
		}
		prev, dup := best[g.Rule]
		if !dup {
			best[g.Rule] = g
			continue
		}
		drop := g
		if g.expires.After(prev.expires) {
			best[g.Rule], drop = g, prev
		}
		b.log.Info("deleting duplicate grant rule", "rule", drop.Rule.String(), "comment", drop.comment)
		if err := f.deleteRule(chain, grantSpec(drop.Rule, drop.comment, forward)); err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
	}
	out := make(map[Rule]string, len(best))
	for r, g := range best {
		out[r] = g.comment
	}
	return out, nil
}
