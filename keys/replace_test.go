package keys

import (
	"os"
	"path/filepath"
	"testing"
)

func TestReplaceSecretFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "profile.toml")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ReplaceSecretFile(path, []byte("new")); err != nil {
		t.Fatal(err)
	}
	got, err := ReadSecretFile(path) // also checks the mode is private now
	if err != nil || string(got) != "new" {
		t.Fatalf("read back %q, %v", got, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
	if err := ReplaceSecretFile(filepath.Join(dir, "missing", "x"), []byte("y")); err == nil {
		t.Fatal("replaced a file in a missing directory")
	}
}
