package keys

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestWriteSecretFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	if err := WriteSecretFile(path, []byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "hello\n" {
		t.Errorf("content = %q", got)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %04o, want 0600", fi.Mode().Perm())
	}

	// It refuses to overwrite, and leaves the file alone.
	err = WriteSecretFile(path, []byte("other"))
	if err == nil {
		t.Fatal("overwrote an existing file")
	}
	if !errors.Is(err, fs.ErrExist) {
		t.Errorf("error %v does not wrap fs.ErrExist", err)
	}
	want := "keys: " + path + " already exists and will not be overwritten"
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if got, _ := os.ReadFile(path); string(got) != "hello\n" {
		t.Errorf("existing file changed to %q", got)
	}

	// A missing directory is reported with the path.
	missing := filepath.Join(t.TempDir(), "no", "such", "dir", "secret")
	if err := WriteSecretFile(missing, nil); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing directory: error %v", err)
	}
}

func TestReadSecretFileSize(t *testing.T) {
	dir := t.TempDir()
	exact := filepath.Join(dir, "exact")
	if err := WriteSecretFile(exact, bytes.Repeat([]byte("#"), MaxSecretFileSize)); err != nil {
		t.Fatal(err)
	}
	if data, err := ReadSecretFile(exact); err != nil || len(data) != MaxSecretFileSize {
		t.Errorf("1 MiB file: %d bytes, error %v", len(data), err)
	}
	big := filepath.Join(dir, "big")
	if err := WriteSecretFile(big, bytes.Repeat([]byte("#"), MaxSecretFileSize+1)); err != nil {
		t.Fatal(err)
	}
	_, err := ReadSecretFile(big)
	if err == nil || err.Error() != "keys: "+big+" is larger than 1 MiB" {
		t.Errorf("1 MiB + 1 file: error %v", err)
	}
	if _, err := ReadClientSecretFile(big); err == nil || !strings.Contains(err.Error(), "larger than 1 MiB") {
		t.Errorf("ReadClientSecretFile of a big file: error %v", err)
	}
}

func TestReadSecretFileRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	_, err := ReadSecretFile(dir)
	if err == nil || err.Error() != "keys: "+dir+" is not a regular file" {
		t.Errorf("directory: error %v", err)
	}
	missing := filepath.Join(dir, "missing")
	_, err = ReadSecretFile(missing)
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "keys: ") {
		t.Errorf("missing file: error %v", err)
	}
}
