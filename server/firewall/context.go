package firewall

import "context"

type clientKey struct{}

// WithClient returns a context that tells the backends which enrolled
// client a grant is for. Only the exec backend uses it (its {client}
// token); the name is remembered with the grant for the close command.
func WithClient(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, clientKey{}, name)
}

// ClientFrom returns the client name WithClient stored in ctx, or "".
func ClientFrom(ctx context.Context) string {
	name, _ := ctx.Value(clientKey{}).(string)
	return name
}
