package main

import (
	"errors"
	"strings"

	"github.com/spa-project/spa/client/profile"
)

// secretPrefixes start the text forms of secrets and profile tokens.
var secretPrefixes = []string{"spa-client-secret-", "spa-client-key-", strings.ToLower(profile.TokenPrefix)}

// secretFlags are flag names people try for passing a secret.
var secretFlags = map[string]bool{
	"key": true, "secret": true, "token": true, "client-secret": true, "client-key": true,
	"psk": true, "password": true, "passphrase": true,
}

// errSecretArg refuses a secret on the command line, where other users of
// the machine can read it (ps, /proc) and shells keep it in their history.
var errSecretArg = usageError{hintError{
	errors.New("secrets are never accepted on the command line, where other users can see them"),
	`spa reads secrets only from profile files, the ` + profile.EnvVar + ` variable or standard input: "spa profile import FILE", "spa profile import -", or ` + profile.EnvVar + `=<token>`,
}}

// refuseSecrets fails if any argument is, or is a flag made for, a secret.
// The argument itself is never repeated in the error.
func refuseSecrets(args []string) error {
	for _, a := range args[min(1, len(args)):] {
		if containsSecret(a) {
			return errSecretArg
		}
		if name, ok := strings.CutPrefix(a, "-"); ok {
			name = strings.TrimPrefix(name, "-")
			name, _, _ = strings.Cut(name, "=")
			if secretFlags[strings.ToLower(name)] {
				return errSecretArg
			}
		}
	}
	return nil
}

// containsSecret reports whether s holds something that looks like an
// encoded secret or token: a prefix followed by at least 16 characters of
// its encoding.
func containsSecret(s string) bool {
	lower := strings.ToLower(s)
	for _, p := range secretPrefixes {
		for rest := lower; ; {
			i := strings.Index(rest, p)
			if i < 0 {
				break
			}
			rest = rest[i+len(p):]
			n := 0
			for n < len(rest) && isEncoding(rest[n]) {
				n++
			}
			if n >= 16 {
				return true
			}
		}
	}
	return false
}

// isEncoding reports whether c may appear in base32 or base64url text.
func isEncoding(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}
