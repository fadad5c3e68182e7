// Package firewalltest provides a recording fake firewall.Backend for the
// daemon's tests, which need no root and touch no firewall.
package firewalltest

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/spa-project/spa/server/firewall"
)

// Call is one recorded method call.
type Call struct {
	Op     string        // "Setup", "Allow", "Revoke", "Live" or "Close"
	Rule   firewall.Rule // Allow and Revoke
	TTL    time.Duration // Allow
	Client string        // firewall.ClientFrom of the call's context
}

// Fake is a firewall.Backend that records its calls and keeps the grants
// it was given in memory, as a kernel would. The zero value is not ready;
// use New. It is safe for concurrent use.
type Fake struct {
	mu     sync.Mutex
	now    func() time.Time
	feat   firewall.Features
	calls  []Call
	grants map[firewall.Rule]time.Time
	fail   map[string]error
	closed bool
}

// New returns an empty Fake with the given features, using the system
// clock.
func New(feat firewall.Features) *Fake {
	return &Fake{now: time.Now, feat: feat, grants: map[firewall.Rule]time.Time{}, fail: map[string]error{}}
}

// SetClock makes the Fake compute expiries with now.
func (f *Fake) SetClock(now func() time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = now
}

// Fail makes every later call of op ("Allow", ...) record itself and
// return err, changing nothing; a nil err ends that.
func (f *Fake) Fail(op string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil {
		delete(f.fail, op)
	} else {
		f.fail[op] = err
	}
}

// Calls returns a copy of the calls so far.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// CallsOf returns the calls of one method.
func (f *Fake) CallsOf(op string) []Call {
	var out []Call
	for _, c := range f.Calls() {
		if c.Op == op {
			out = append(out, c)
		}
	}
	return out
}

// Grants returns the installed grants and their expiries. With
// KernelExpiry, expired grants are gone.
func (f *Fake) Grants() map[firewall.Rule]time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.expireLocked()
	out := make(map[firewall.Rule]time.Time, len(f.grants))
	for r, at := range f.grants {
		out[r] = at
	}
	return out
}

// Install puts a grant in place without recording a call, as if an
// earlier run of the daemon had left it.
func (f *Fake) Install(r firewall.Rule, expires time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.grants[r] = expires
}

func (f *Fake) expireLocked() {
	if !f.feat.KernelExpiry {
		return
	}
	now := f.now()
	for r, at := range f.grants {
		if !at.After(now) {
			delete(f.grants, r)
		}
	}
}

// record appends a call and returns the error Fail set for it.
func (f *Fake) record(ctx context.Context, c Call) error {
	c.Client = firewall.ClientFrom(ctx)
	f.calls = append(f.calls, c)
	if f.closed && c.Op != "Close" {
		return firewall.ErrClosed
	}
	return f.fail[c.Op]
}

// Name returns "fake".
func (f *Fake) Name() string { return "fake" }

// Features returns the features New was given.
func (f *Fake) Features() firewall.Features { return f.feat }

// Setup records the call.
func (f *Fake) Setup(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.record(ctx, Call{Op: "Setup"})
}

// Allow records the call and sets r's expiry to now + ttl.
func (f *Fake) Allow(ctx context.Context, r firewall.Rule, ttl time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record(ctx, Call{Op: "Allow", Rule: r, TTL: ttl}); err != nil {
		return err
	}
	r.Addr = r.Addr.Unmap()
	f.grants[r] = f.now().Add(ttl)
	return nil
}

// Revoke records the call and removes r.
func (f *Fake) Revoke(ctx context.Context, r firewall.Rule) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record(ctx, Call{Op: "Revoke", Rule: r}); err != nil {
		return err
	}
	r.Addr = r.Addr.Unmap()
	delete(f.grants, r)
	return nil
}

// Live records the call and lists the grants.
func (f *Fake) Live(ctx context.Context) ([]firewall.Live, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record(ctx, Call{Op: "Live"}); err != nil {
		return nil, err
	}
	f.expireLocked()
	now := f.now()
	out := make([]firewall.Live, 0, len(f.grants))
	for r, at := range f.grants {
		out = append(out, firewall.Live{Rule: r, Remaining: at.Sub(now)})
	}
	return out, nil
}

// Close records the call; later calls fail with firewall.ErrClosed.
func (f *Fake) Close(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	err := f.record(ctx, Call{Op: "Close"})
	f.closed = true
	return err
}

var _ firewall.Backend = (*Fake)(nil)
