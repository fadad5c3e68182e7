//go:build unix

package keys

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// writeWithMode creates path holding data with exactly mode perm.
func writeWithMode(t *testing.T, path string, data []byte, perm os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
}

func TestReadSecretFilePermissions(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		perm os.FileMode
		ok   bool
	}{
		{0o600, true}, {0o400, true}, {0o700, true},
		{0o644, false}, {0o640, false}, {0o604, false}, {0o620, false},
		{0o602, false}, {0o610, false}, {0o601, false}, {0o666, false}, {0o440, false},
	} {
		path := filepath.Join(dir, tt.perm.String())
		writeWithMode(t, path, []byte("data"), tt.perm)
		data, err := ReadSecretFile(path)
		if tt.ok {
			if err != nil {
				t.Errorf("mode %04o refused: %v", uint32(tt.perm), err)
			} else if string(data) != "data" {
				t.Errorf("mode %04o: data %q", uint32(tt.perm), data)
			}
			continue
		}
		if err == nil {
			t.Errorf("mode %04o accepted", uint32(tt.perm))
			continue
		}
		want := fmt.Sprintf("keys: %s is accessible by group or others (mode %04o); run: chmod 600 %s",
			path, uint32(tt.perm), path)
		if err.Error() != want {
			t.Errorf("mode %04o: error\n%q, want\n%q", uint32(tt.perm), err, want)
		}
	}
}

func TestReadSecretFilePermissionMessage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x")
	writeWithMode(t, path, []byte("data"), 0o644)
	_, err := ReadSecretFile(path)
	want := "keys: " + path + " is accessible by group or others (mode 0644); run: chmod 600 " + path
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}

func TestChmodHintQuotesPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "it's a key")
	writeWithMode(t, path, []byte("x"), 0o644)
	_, err := ReadSecretFile(path)
	want := "; run: chmod 600 '" + filepath.Dir(path) + `/it'\''s a key'`
	if err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("error %v, want suffix %q", err, want)
	}
}

func TestReadSecretFileRefusesFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := ReadSecretFile(path)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || err.Error() != "keys: "+path+" is not a regular file" {
			t.Errorf("FIFO: error %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ReadSecretFile blocked on a FIFO")
	}
}

func TestReadSecretFileFollowsSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	writeWithMode(t, target, []byte("data"), 0o600)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Skip(err)
	}
	if data, err := ReadSecretFile(link); err != nil || string(data) != "data" {
		t.Errorf("symlink: %q, %v", data, err)
	}
	// WriteSecretFile does not write through a symlink, even a dangling one.
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink(filepath.Join(dir, "nowhere"), dangling); err != nil {
		t.Fatal(err)
	}
	if err := WriteSecretFile(dangling, []byte("x")); err == nil {
		t.Error("wrote through a dangling symlink")
	}
	if _, err := os.Lstat(filepath.Join(dir, "nowhere")); err == nil {
		t.Error("created the symlink's target")
	}
}
