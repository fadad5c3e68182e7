package firewall

import (
	"context"
	"errors"
	"time"
)

// reconcileSlack is how far the backend's remaining time for a grant may be
// from the recorded one before Reconcile sets it again (iptables comments
// round the expiry up to the second).
const reconcileSlack = 1500 * time.Millisecond

// Reconcile makes the backend hold exactly the grants of records that have
// not expired, with their recorded expiry: it re-adds live grants the
// backend lacks (or holds with another expiry), revokes grants the records
// do not know or say have expired, and, without kernel expiry, starts a
// timer for each live grant. Call it once after Setup, with every grant the
// daemon's state holds. Records for the same rule count with their latest
// expiry. Invalid records are skipped and reported in the error, after the
// others are done.
func (m *Manager) Reconcile(ctx context.Context, records []GrantRecord) error {
	return m.call(ctx, func() error { return m.reconcile(ctx, records) })
}

func (m *Manager) reconcile(ctx context.Context, records []GrantRecord) error {
	now := m.now()
	want := map[Rule]time.Time{}
	expired := map[Rule]bool{}
	client := map[Rule]string{}
	var errs []error
	for _, rec := range records {
		r, err := rec.Rule.normalize()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !rec.Expires.After(now) {
			expired[r] = true
			if _, ok := want[r]; !ok {
				client[r] = rec.Client
			}
		} else if at, ok := want[r]; !ok || rec.Expires.After(at) {
			want[r] = rec.Expires
			client[r] = rec.Client
		}
	}
	// withClient gives the exec backend the client a record names.
	withClient := func(r Rule) context.Context {
		if client[r] == "" {
			return ctx
		}
		return WithClient(ctx, client[r])
	}
	live, err := m.b.Live(ctx)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	have := make(map[Rule]time.Duration, len(live))
	for _, l := range live {
		have[l.Rule] = l.Remaining
	}
	var added, kept, removed int
	for r, at := range want {
		left := at.Sub(now)
		if rem, ok := have[r]; ok && (rem-left).Abs() <= reconcileSlack {
			kept++
		} else if err := m.b.Allow(withClient(r), r, left); err != nil {
			errs = append(errs, err)
			continue
		} else {
			added++
		}
		if !m.feat.KernelExpiry {
			m.timers.set(r, at)
		}
	}
	for r := range have {
		if _, ok := want[r]; ok {
			continue
		}
		if err := m.b.Revoke(withClient(r), r); err != nil {
			errs = append(errs, err)
			continue
		}
		m.timers.remove(r)
		removed++
	}
	if m.feat.Forgetful {
		for r := range expired {
			_, live := have[r]
			if _, ok := want[r]; !ok && !live {
				errs = append(errs, m.b.Revoke(withClient(r), r))
			}
		}
	}
	m.log.Info("firewall reconciled", "backend", m.b.Name(), "records", len(records),
		"kept", kept, "restored", added, "removed", removed)
	return errors.Join(errs...)
}
