package main

import (
	"errors"
	"testing"
)

func TestRefuseSecrets(t *testing.T) {
	refused := [][]string{
		{"spa", "knock", "--secret", "x"},
		{"spa", "knock", "-key=x"},
		{"spa", "knock", "--TOKEN", "x"},
		{"spa", "knock", "--client-secret=x"},
		{"spa", "knock", "SPA-CLIENT-SECRET-LJNFUWS2LJNFUWS2LJNF"},
		{"spa", "knock", "--profile=spa-client-key-abcdefghijklmnopqrstuvwxyz"},
		{"spa", "knock", "x", "spa1-profile:bmFtZSA9ICJiYXN0aW9uIgpzZXJ2ZXIg"},
	}
	for _, args := range refused {
		err := refuseSecrets(args)
		var u usageError
		if !errors.As(err, &u) {
			t.Errorf("%q: %v", args, err)
		}
	}
	allowed := [][]string{
		{"spa", "knock", "--profile", "spa-client-secret-backup.toml"},
		{"spa", "knock", "bastion", "--port", "tcp/22"},
		{"spa", "profile", "import", "-"},
		{"spa"},
		{},
	}
	for _, args := range allowed {
		if err := refuseSecrets(args); err != nil {
			t.Errorf("%q: %v", args, err)
		}
	}
}
