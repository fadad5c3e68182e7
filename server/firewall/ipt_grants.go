package firewall

import (
	"context"
	"errors"
	"time"
)

// Allow inserts the rule for r with the new expiry in its comment, then
// deletes the old rule for r if there was one: a re-knock briefly has two
// rules, never none, and ends with one.
func (b *iptBackend) Allow(ctx context.Context, r Rule, ttl time.Duration) error {
	r, err := r.normalize()
	if err == nil {
		err = checkTTL(r, ttl)
	}
	if err != nil {
		return b.errorf("%w", err)
	}
	comment := expiryComment(b.now().Add(ttl))
	err = b.do(ctx, func() error {
		f, err := b.family(r)
		if err != nil {
			return err
		}
		if err := f.setGrant(b.chains.grants, f.grants, r, comment, false); err != nil {
			return err
		}
		if b.cfg.Forward {
			return f.setGrant(b.chains.fgrant, f.fgrants, r, comment, true)
		}
		return nil
	})
	if err != nil {
		return b.errorf("allowing %s: %w", r, err)
	}
	return nil
}

// Revoke deletes the rules for r. A grant this backend does not know of is
// looked up in the kernel first, in case someone else added it.
func (b *iptBackend) Revoke(ctx context.Context, r Rule) error {
	r, err := r.normalize()
	if err != nil {
		return b.errorf("%w", err)
	}
	err = b.do(ctx, func() error {
		f := b.fams[b2i(r.Addr.Is6())]
		if f == nil {
			return nil
		}
		_, known := f.grants[r]
		_, fknown := f.fgrants[r]
		if !known && !fknown {
			if err := b.loadGrants(f); err != nil {
				return err
			}
		}
		err := f.unsetGrant(b.chains.grants, f.grants, r, false)
		if b.cfg.Forward {
			err = errors.Join(err, f.unsetGrant(b.chains.fgrant, f.fgrants, r, true))
		}
		return err
	})
	if err != nil {
		return b.errorf("revoking %s: %w", r, err)
	}
	return nil
}

// Live lists the grant rules of both families (input and forward path).
// An expiry in the past shows as Remaining <= 0.
func (b *iptBackend) Live(ctx context.Context) ([]Live, error) {
	var out []Live
	err := b.do(ctx, func() error {
		now := b.now()
		for _, f := range b.fams {
			if f == nil {
				continue
			}
			if err := b.loadGrants(f); err != nil {
				return err
			}
			seen := map[Rule]bool{}
			for _, m := range []map[Rule]string{f.grants, f.fgrants} {
				for r, comment := range m {
					if seen[r] {
						continue
					}
					seen[r] = true
					exp, _ := iptExpiry(comment)
					out = append(out, Live{Rule: r, Remaining: exp.Sub(now)})
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, b.errorf("listing grants: %w", err)
	}
	return out, nil
}

// Close removes everything with Teardown. Otherwise it removes the grants
// (nothing would expire them while spad is down) and keeps the chains and
// the deny; the next start's Reconcile restores the grants still live.
func (b *iptBackend) Close(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	err := b.run.do(func() error {
		var errs error
		for _, f := range b.fams {
			if f == nil {
				continue
			}
			if b.cfg.Teardown {
				errs = errors.Join(errs, f.teardown(b.chains))
			} else {
				errs = errors.Join(errs, f.clearGrants(b.chains, b.cfg.Forward))
			}
		}
		return errs
	})
	b.run.close()
	if err != nil {
		return b.errorf("closing: %w", err)
	}
	b.log.Info("firewall closed", "teardown", b.cfg.Teardown)
	return nil
}
