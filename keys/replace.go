package keys

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// ReplaceSecretFile atomically replaces the file at path with data: it
// writes a temporary file of mode 0600 in the same directory, flushes it,
// renames it over path and flushes the directory. Readers see the old file
// or the new one, never a mix, and a crash leaves one of the two.
func ReplaceSecretFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("keys: replacing %s: %w", path, err)
	}
	tmp := f.Name()
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("keys: replacing %s: %w", path, err)
	}
	return SyncDir(dir)
}

// SyncDir flushes the directory dir, so that files created or renamed in it
// survive a crash. Windows cannot flush a directory; there it does nothing.
func SyncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("keys: syncing %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("keys: syncing %s: %w", dir, err)
	}
	return nil
}
