package firewall

import (
	"context"
	"log/slog"
	"time"
)

// noneBackend changes nothing and only logs: for trying spad out and for
// setups where something else reads spad's log.
type noneBackend struct{ log *slog.Logger }

func newNone(cfg Config) *noneBackend {
	return &noneBackend{log: cfg.Logger.With("backend", BackendNone)}
}

func (b *noneBackend) Name() string                    { return BackendNone }
func (b *noneBackend) Setup(ctx context.Context) error { return nil }
func (b *noneBackend) Close(ctx context.Context) error { return nil }

func (b *noneBackend) Live(ctx context.Context) ([]Live, error) { return nil, nil }

func (b *noneBackend) Allow(ctx context.Context, r Rule, ttl time.Duration) error {
	b.log.Info("grant not applied (backend none)", "rule", r.String(), "ttl", ttl)
	return nil
}

func (b *noneBackend) Revoke(ctx context.Context, r Rule) error {
	b.log.Info("revoke not applied (backend none)", "rule", r.String())
	return nil
}
