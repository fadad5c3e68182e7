package keys

import (
	"fmt"
	"io"
	"log/slog"
)

// The placeholders that the secret types print instead of their value.
const (
	redactedClientSecret    = "keys.ClientSecret(redacted)"
	redactedClientServerKey = "keys.ClientServerKey(redacted)"
)

// String returns a redacted placeholder, never the secret. Use
// [ClientSecret.Encode] to get the text form.
func (k ClientSecret) String() string { return redactedClientSecret }

// GoString returns a redacted placeholder, never the secret, for the %#v verb.
func (k ClientSecret) GoString() string { return redactedClientSecret }

// Format implements [fmt.Formatter] so that every verb, including %x and %d,
// prints a redacted placeholder, never the secret.
func (k ClientSecret) Format(f fmt.State, verb rune) { io.WriteString(f, redactedClientSecret) }

// LogValue implements [slog.LogValuer] so that log records show a redacted
// placeholder, never the secret.
func (k ClientSecret) LogValue() slog.Value { return slog.StringValue(redactedClientSecret) }

// String returns a redacted placeholder, never the key. Use
// [ClientServerKey.Encode] to get the text form.
func (k ClientServerKey) String() string { return redactedClientServerKey }

// GoString returns a redacted placeholder, never the key, for the %#v verb.
func (k ClientServerKey) GoString() string { return redactedClientServerKey }

// Format implements [fmt.Formatter] so that every verb, including %x and %d,
// prints a redacted placeholder, never the key.
func (k ClientServerKey) Format(f fmt.State, verb rune) {
	io.WriteString(f, redactedClientServerKey)
}

// LogValue implements [slog.LogValuer] so that log records show a redacted
// placeholder, never the key.
func (k ClientServerKey) LogValue() slog.Value { return slog.StringValue(redactedClientServerKey) }
