package keys

import (
	"fmt"
	"os"
	"strings"
)

// ClientSecretFromEnv parses the client secret held, in text form, by the
// environment variable name. Errors name the variable, never its value.
func ClientSecretFromEnv(name string) (ClientSecret, error) {
	v, ok := os.LookupEnv(name)
	if !ok {
		return ClientSecret{}, fmt.Errorf("keys: environment variable %s is not set", name)
	}
	if strings.TrimSpace(v) == "" {
		return ClientSecret{}, fmt.Errorf("keys: environment variable %s is empty", name)
	}
	k, err := parseClientSecret(v)
	if err != nil {
		return ClientSecret{}, fmt.Errorf("keys: environment variable %s: %w", name, err)
	}
	return k, nil
}
