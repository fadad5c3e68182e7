package firewall

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
)

// nftBackend keeps grants in two sets of an inet table of spad's own, with
// per-element timeouts, so the kernel revokes a grant on time even if spad
// has died. It talks netlink directly (no nft process); every change is
// one netlink batch, applied atomically by the kernel.
//
// The table, for Table "spad":
//
//	table inet spad {
//		set grants4 { type ipv4_addr . inet_proto . inet_service; flags timeout; }
//		set grants6 { type ipv6_addr . inet_proto . inet_service; flags timeout; }
//		set protect { type inet_proto . inet_service; }
//		chain input { type filter hook input priority -10; policy accept; ... }
//		chain forward { type filter hook forward priority -10; policy accept; ... }  (Forward only)
//	}
//
// See nftRuleSet for the rules.
type nftBackend struct {
	cfg  Config
	log  *slog.Logger
	mu   sync.Mutex // serialises batches: the Conn's message buffer is shared
	conn *nftables.Conn
	ns   *os.File // the network namespace, kept open while conn lives

	table           *nftables.Table
	g4, g6, protect *nftables.Set
	input, forward  *nftables.Chain
	closed          bool
}

// nftPriority runs spad's chains before the usual filter chains (priority
// 0), so a mark set on granted packets is visible to them.
const nftPriority = -10

func newNft(cfg Config) (*nftBackend, error) {
	b := &nftBackend{cfg: cfg, log: cfg.Logger.With("backend", BackendNftables)}
	opts := []nftables.ConnOption{nftables.AsLasting()}
	if cfg.NetNS != "" {
		f, err := os.Open(cfg.NetNS)
		if err != nil {
			return nil, fmt.Errorf("firewall: nftables: network namespace %q: %w", cfg.NetNS, err)
		}
		b.ns = f
		opts = append(opts, nftables.WithNetNSFd(int(f.Fd())))
	}
	conn, err := nftables.New(opts...)
	if err != nil {
		b.closeNS()
		return nil, fmt.Errorf("firewall: nftables: opening netlink: %w", err)
	}
	b.conn = conn
	b.table = &nftables.Table{Name: cfg.Table, Family: nftables.TableFamilyINet}
	b.g4 = &nftables.Set{Table: b.table, Name: "grants4", KeyType: grants4Type, Concatenation: true, HasTimeout: true}
	b.g6 = &nftables.Set{Table: b.table, Name: "grants6", KeyType: grants6Type, Concatenation: true, HasTimeout: true}
	b.protect = &nftables.Set{Table: b.table, Name: "protect", KeyType: protectType, Concatenation: true}
	policy := nftables.ChainPolicyAccept
	b.input = &nftables.Chain{Name: "input", Table: b.table, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookInput, Priority: nftables.ChainPriorityRef(nftPriority), Policy: &policy}
	b.forward = &nftables.Chain{Name: "forward", Table: b.table, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookForward, Priority: nftables.ChainPriorityRef(nftPriority), Policy: &policy}
	return b, nil
}

func (b *nftBackend) Name() string { return BackendNftables }

// Features: the kernel expires grants.
func (b *nftBackend) Features() Features { return Features{KernelExpiry: true} }

// probe checks that nf_tables answers: the kernel has it and spad may use it.
func (b *nftBackend) probe() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, err := b.conn.ListTablesOfFamily(nftables.TableFamilyINet); err != nil {
		return fmt.Errorf("listing tables: %w", err)
	}
	return nil
}

func (b *nftBackend) errorf(format string, args ...any) error {
	return fmt.Errorf("firewall: nftables: table %q: "+format, append([]any{b.cfg.Table}, args...)...)
}

// Setup creates the table, sets and chains if missing and replaces the
// chains' rules and the protected ports in one batch, keeping the grants.
func (b *nftBackend) Setup(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	return b.setupLocked()
}

func (b *nftBackend) setupLocked() error {
	if err := b.dropIncompatible(); err != nil {
		return err
	}
	c := b.conn
	c.AddTable(b.table)
	for _, s := range []*nftables.Set{b.g4, b.g6, b.protect} {
		if err := c.AddSet(s, nil); err != nil {
			return b.errorf("set %q: %w", s.Name, err)
		}
	}
	c.FlushSet(b.protect)
	if len(b.cfg.Protect) > 0 {
		elems := make([]nftables.SetElement, len(b.cfg.Protect))
		for i, p := range b.cfg.Protect {
			elems[i] = nftables.SetElement{Key: protectKey(p)}
		}
		if err := c.SetAddElements(b.protect, elems); err != nil {
			return b.errorf("protected ports: %w", err)
		}
	}
	rs := nftRuleSet{cfg: b.cfg, g4: b.g4, g6: b.g6, protect: b.protect}
	b.replaceChain(b.input, rs.inputRules())
	if b.cfg.Forward {
		b.replaceChain(b.forward, rs.forwardRules())
	} else if _, err := c.ListChain(b.table, b.forward.Name); err == nil {
		c.FlushChain(b.forward)
		c.DelChain(b.forward)
	}
	if err := c.Flush(); err != nil {
		return b.errorf("setting up: %w", err)
	}
	b.log.Info("firewall set up", "table", b.cfg.Table, "protect", len(b.cfg.Protect),
		"manage_deny", b.cfg.ManageDeny, "forward", b.cfg.Forward)
	return nil
}

// replaceChain queues the creation (if missing) and the new content of ch.
func (b *nftBackend) replaceChain(ch *nftables.Chain, rules [][]expr.Any) {
	b.conn.AddChain(ch)
	b.conn.FlushChain(ch)
	for _, exprs := range rules {
		b.conn.AddRule(&nftables.Rule{Table: b.table, Chain: ch, Exprs: exprs})
	}
}

// dropIncompatible deletes spad's table if a set in it has another type
// than this version uses (an older layout). The daemon's Reconcile puts
// the live grants back.
func (b *nftBackend) dropIncompatible() error {
	if _, err := b.conn.ListTableOfFamily(b.cfg.Table, nftables.TableFamilyINet); err != nil {
		return nil // no table yet
	}
	sets, err := b.conn.GetSets(b.table)
	if err != nil {
		return b.errorf("listing sets: %w", err)
	}
	for _, have := range sets {
		for _, want := range []*nftables.Set{b.g4, b.g6, b.protect} {
			if have.Name == want.Name && (have.KeyType.Bytes != want.KeyType.Bytes ||
				have.KeyType.GetNFTMagic() != want.KeyType.GetNFTMagic() || have.HasTimeout != want.HasTimeout) {
				b.log.Warn("replacing table with an incompatible set", "table", b.cfg.Table, "set", have.Name)
				b.conn.DelTable(b.table)
				if err := b.conn.Flush(); err != nil {
					return b.errorf("deleting incompatible table: %w", err)
				}
				return nil
			}
		}
	}
	return nil
}
