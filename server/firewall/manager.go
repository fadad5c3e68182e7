package firewall

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Manager puts a Backend behind one worker goroutine: every change runs
// there, one at a time, which makes check-then-act backends (iptables)
// safe and keeps the order of a client's knocks. For backends without
// kernel expiry (iptables, exec) it runs the expiry timers and revokes
// each grant when its time is up; [Manager.Reconcile] brings the backend
// in line with the daemon's recorded grants at start.
//
// Manager is itself a Backend. Its methods are safe for concurrent use and
// wait for their change to be carried out, even if ctx ends meanwhile.
type Manager struct {
	b    Backend
	feat Features
	log  *slog.Logger
	now  func() time.Time

	reqs      chan func()
	quit      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
	retry     time.Duration // retryDelay; shorter in tests

	timers expiryTimers // owned by the worker
}

// ManagerOptions configure a Manager; the zero value is ready to use.
type ManagerOptions struct {
	Logger *slog.Logger     // nil discards the log
	Now    func() time.Time // the clock Reconcile compares expiries with; nil is time.Now
}

// revokeTimeout bounds a revocation the Manager starts by itself.
const revokeTimeout = 30 * time.Second

// retryDelay is how long the Manager waits before retrying a revocation
// that failed.
const retryDelay = 5 * time.Second

// NewManager starts a Manager for b. Close stops it and closes b.
func NewManager(b Backend, o ManagerOptions) *Manager {
	m := &Manager{b: b, feat: FeaturesOf(b), log: o.Logger, now: o.Now,
		reqs: make(chan func()), quit: make(chan struct{}), done: make(chan struct{}), retry: retryDelay}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.now == nil {
		m.now = time.Now
	}
	m.timers.init()
	go m.worker()
	return m
}

func (m *Manager) worker() {
	defer close(m.done)
	defer m.timers.stop()
	for {
		select {
		case fn := <-m.reqs:
			fn()
		case <-m.timers.c():
			m.expireDue()
		case <-m.quit:
			return
		}
		m.timers.rearm(m.now())
	}
}

// call runs fn on the worker and returns its error.
func (m *Manager) call(ctx context.Context, fn func() error) error {
	errc := make(chan error, 1)
	job := func() {
		if err := ctx.Err(); err != nil {
			errc <- err
			return
		}
		errc <- fn()
	}
	select {
	case m.reqs <- job:
		return <-errc
	case <-ctx.Done():
		return ctx.Err()
	case <-m.done:
		return ErrClosed
	}
}

// Name returns the backend's name.
func (m *Manager) Name() string { return m.b.Name() }

// Setup sets the backend up. For a backend without kernel expiry it then
// starts a timer for every grant already installed, by the expiry the
// backend reports, so leftovers go even if Reconcile is never called.
func (m *Manager) Setup(ctx context.Context) error {
	return m.call(ctx, func() error {
		if err := m.b.Setup(ctx); err != nil {
			return err
		}
		if m.feat.KernelExpiry {
			return nil
		}
		live, err := m.b.Live(ctx)
		if err != nil {
			return err
		}
		now := m.now()
		for _, l := range live {
			m.timers.set(l.Rule, now.Add(l.Remaining))
		}
		return nil
	})
}

// Allow installs or extends the grant for r and, without kernel expiry,
// (re)starts its timer — also when the backend fails, so that whatever it
// did install is revoked on time.
func (m *Manager) Allow(ctx context.Context, r Rule, ttl time.Duration) error {
	r, err := r.normalize()
	if err != nil {
		return fmt.Errorf("firewall: %w", err)
	}
	return m.call(ctx, func() error {
		err := m.b.Allow(ctx, r, ttl)
		// Even after an error: the backend may have installed part of
		// the grant (one family's path of two), which must expire too.
		if !m.feat.KernelExpiry {
			m.timers.set(r, m.now().Add(ttl))
		}
		return err
	})
}

// Revoke removes the grant for r now and cancels its timer.
func (m *Manager) Revoke(ctx context.Context, r Rule) error {
	r, err := r.normalize()
	if err != nil {
		return fmt.Errorf("firewall: %w", err)
	}
	return m.call(ctx, func() error {
		if err := m.b.Revoke(ctx, r); err != nil {
			return err
		}
		m.timers.remove(r)
		return nil
	})
}

// Live returns the backend's grants.
func (m *Manager) Live(ctx context.Context) ([]Live, error) {
	var out []Live
	err := m.call(ctx, func() error {
		var err error
		out, err = m.b.Live(ctx)
		return err
	})
	return out, err
}

// Close stops the worker, dropping pending timers, and closes the backend
// (which removes or keeps grants as its Config says). Later calls return
// the first call's result.
func (m *Manager) Close(ctx context.Context) error {
	m.closeOnce.Do(func() {
		close(m.quit)
		<-m.done
		m.closeErr = m.b.Close(ctx)
	})
	return m.closeErr
}

// expireDue revokes every grant whose time has come. A failed revocation
// is retried after retryDelay: a grant must not outlive its time for good.
func (m *Manager) expireDue() {
	now := m.now()
	for _, r := range m.timers.due(now) {
		ctx, cancel := context.WithTimeout(context.Background(), revokeTimeout)
		err := m.b.Revoke(ctx, r)
		cancel()
		if err != nil {
			m.log.Error("revoking expired grant failed, will retry", "rule", r.String(), "error", err.Error())
			m.timers.set(r, now.Add(m.retry))
			continue
		}
		m.log.Info("grant expired", "rule", r.String())
	}
}
