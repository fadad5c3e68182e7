package config

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spa-project/spa/keys"
)

// testServerName is the server name the test keys are derived for.
const testServerName = "bastion.example.com"

// testSecret returns a deterministic client secret.
func testSecret(t *testing.T, seed byte) keys.ClientSecret {
	t.Helper()
	s, err := keys.GenerateClientSecret(bytes.NewReader(bytes.Repeat([]byte{seed}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// testKey returns a deterministic client-server key.
func testKey(t *testing.T, seed byte) keys.ClientServerKey {
	t.Helper()
	id, err := keys.NewServerID(testServerName)
	if err != nil {
		t.Fatal(err)
	}
	return testSecret(t, seed).ForServer(id)
}

// writeFile writes a file under dir, creating directories.
func writeFile(t *testing.T, path, text string, perm os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil { // umask
		t.Fatal(err)
	}
}

// clientText returns a valid client file for name with the key's text form on
// line 2, followed by extra.
func clientText(name string, key keys.ClientServerKey, extra string) string {
	return "name = \"" + name + "\"\nkey = \"" + key.Encode() + "\"\nallow = [\"tcp/22\"]\n" + extra
}

// problemLines returns the lines of err with dir replaced by "DIR".
func problemLines(err error, dir string) []string {
	if err == nil {
		return nil
	}
	return strings.Split(strings.ReplaceAll(err.Error(), dir, "DIR"), "\n")
}
