package firewall

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Backend installs and removes grants in one firewall. Every method is safe
// for concurrent use; a [Manager] serialises them anyway.
type Backend interface {
	// Name is the backend's name, such as "nftables".
	Name() string
	// Setup installs the backend's table or chains and, with ManageDeny,
	// the deny for the protected ports. It is idempotent and keeps grants
	// that are already installed.
	Setup(ctx context.Context) error
	// Allow installs a grant for r lasting ttl from now, or sets the
	// remaining time of an existing grant for r to ttl. It never
	// installs a second grant for r.
	Allow(ctx context.Context, r Rule, ttl time.Duration) error
	// Revoke removes the grant for r; removing a grant that does not
	// exist is not an error.
	Revoke(ctx context.Context, r Rule) error
	// Live returns the grants installed now, in no particular order.
	Live(ctx context.Context) ([]Live, error)
	// Close releases the backend and, with Teardown, removes everything
	// it installed.
	Close(ctx context.Context) error
}

// Features describes what a backend does by itself. A backend that
// implements no Features method has none of them.
type Features struct {
	// KernelExpiry: the kernel removes a grant when its time is up, even
	// when spad is not running (nftables). Without it a Manager runs a
	// timer per grant.
	KernelExpiry bool
	// Forgetful: Live only knows the grants this process installed
	// (exec), so Reconcile also revokes expired grants Live does not show.
	Forgetful bool
}

// FeatureReporter is implemented by backends that have [Features].
type FeatureReporter interface {
	Features() Features
}

// FeaturesOf returns b's features.
func FeaturesOf(b Backend) Features {
	if f, ok := b.(FeatureReporter); ok {
		return f.Features()
	}
	return Features{}
}

// ErrClosed is returned by a closed backend or Manager.
var ErrClosed = errors.New("firewall: closed")

// New returns the backend cfg selects, not yet set up. "auto" picks
// nftables if nf_tables answers over netlink, else iptables if its
// commands work, else it fails saying what to install.
func New(cfg Config) (Backend, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("firewall: %w", err)
	}
	switch cfg.Backend {
	case BackendNftables:
		return newNft(cfg)
	case BackendIptables:
		return newIpt(cfg)
	case BackendExec:
		return newExec(cfg)
	case BackendNone:
		return newNone(cfg), nil
	case BackendAuto:
		return newAuto(cfg)
	}
	return nil, fmt.Errorf("firewall: unknown backend %q (want auto, nftables, iptables, exec or none)", cfg.Backend)
}

// newAuto tries nftables, then iptables.
func newAuto(cfg Config) (Backend, error) {
	nft, nftErr := newNft(cfg)
	if nftErr == nil {
		if nftErr = nft.probe(); nftErr == nil {
			cfg.Logger.Debug("firewall backend chosen", "backend", BackendNftables)
			return nft, nil
		}
		nft.release()
	}
	ipt, iptErr := newIpt(cfg)
	if iptErr == nil {
		cfg.Logger.Info("nftables unavailable, using iptables", "reason", nftErr.Error())
		return ipt, nil
	}
	return nil, fmt.Errorf("firewall: no usable backend: nftables: %w; iptables: %w "+
		"(spad needs CAP_NET_ADMIN and a kernel with nf_tables, or the iptables and ip6tables commands: "+
		"install the nftables or iptables package, or set backend = \"exec\" or \"none\")", nftErr, iptErr)
}
