package profile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

func TestStoreImportLoadList(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spa", "profiles")
	s := NewStore(dir)
	if names, err := s.List(); names != nil || err != nil {
		t.Fatalf("List of missing dir = %v, %v", names, err)
	}
	p := testProfile(t, 1)
	path, err := s.Import(p, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, "bastion.toml") {
		t.Errorf("path %q", path)
	}
	if _, err := s.Import(testProfile(t, 2), "work", false); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
			t.Errorf("dir mode %o", fi.Mode().Perm())
		}
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Errorf("file mode %o", fi.Mode().Perm())
		}
	}
	got, err := s.Load("bastion")
	if err != nil {
		t.Fatal(err)
	}
	assertSame(t, got, p)
	w, err := s.Load("work")
	if err != nil {
		t.Fatal(err)
	}
	if w.Name != "work" {
		t.Errorf("name %q", w.Name)
	}
	names, err := s.List()
	if err != nil || !reflect.DeepEqual(names, []string{"bastion", "work"}) {
		t.Errorf("List = %v, %v", names, err)
	}

	// No overwrite without force.
	other := testProfile(t, 3)
	if _, err := s.Import(other, "bastion", false); !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("Import over existing = %v", err)
	}
	if got, _ := s.Load("bastion"); !got.Secret.Equal(p.Secret) {
		t.Fatal("profile replaced without force")
	}
	if _, err := s.Import(other, "bastion", true); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Load("bastion"); !got.Secret.Equal(other.Secret) {
		t.Fatal("profile not replaced with force")
	}
	if runtime.GOOS != "windows" {
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Errorf("replaced file mode %o", fi.Mode().Perm())
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("files left behind: %v", entries)
	}
}

func TestStoreErrors(t *testing.T) {
	s := NewStore(t.TempDir())
	p := testProfile(t, 1)
	if _, err := s.Import(p, "../evil", false); err == nil {
		t.Error("imported under a bad name")
	}
	p.Name = ""
	if _, err := s.Import(p, "", false); err == nil || !strings.Contains(err.Error(), "no name") {
		t.Errorf("Import without name = %v", err)
	}
	bad := testProfile(t, 1)
	bad.Ports = nil
	if _, err := s.Import(bad, "", false); err == nil || !strings.Contains(err.Error(), "ports") {
		t.Errorf("Import of invalid profile = %v", err)
	}
	if names, _ := s.List(); len(names) != 0 {
		t.Errorf("invalid profiles stored: %v", names)
	}
	if _, err := s.Import(testProfile(t, 1), "", false); err != nil {
		t.Fatal(err)
	}
	_, err := s.Load("x")
	if !errors.Is(err, fs.ErrNotExist) || err.Error() != `unknown profile "x"; known: bastion: file does not exist` {
		t.Errorf("Load unknown = %v", err)
	}
}

func TestStoreRefusesReadableProfile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	s := NewStore(t.TempDir())
	p := testProfile(t, 1)
	path, err := s.Import(p, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, load := range []func() (*Profile, error){
		func() (*Profile, error) { return s.Load("bastion") },
		func() (*Profile, error) { return LoadFile(path) },
		func() (*Profile, error) { return s.Resolve("", "") },
	} {
		_, err := load()
		if err == nil || !strings.Contains(err.Error(), "chmod 600 "+path) {
			t.Errorf("loading a world-readable profile: %v", err)
		}
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(string(filepath.Separator), "cfg"))
	dir, err := DefaultDir()
	if err != nil || dir != filepath.Join(string(filepath.Separator), "cfg", "spa", "profiles") {
		t.Errorf("DefaultDir = %q, %v", dir, err)
	}
	if runtime.GOOS == "linux" {
		t.Setenv("XDG_CONFIG_HOME", "")
		t.Setenv("HOME", "/home/u")
		if dir, err := DefaultDir(); err != nil || dir != "/home/u/.config/spa/profiles" {
			t.Errorf("DefaultDir without XDG_CONFIG_HOME = %q, %v", dir, err)
		}
	}
}
