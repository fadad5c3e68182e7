package config

import (
	"fmt"
	"os"
	"path/filepath"
)

// writeNew creates file with mode perm, refusing to overwrite, and writes
// and flushes data.
func writeNew(file string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("creating %s: %w", file, err)
	}
	if err := writeSyncClose(f, data); err != nil {
		os.Remove(file)
		return fmt.Errorf("writing %s: %w", file, err)
	}
	return nil
}

// replaceFile atomically replaces file with data: it writes a temporary file
// of mode 0600 in the same directory, flushes it, renames it over file and
// flushes the directory.
func replaceFile(file string, data []byte) error {
	dir := filepath.Dir(file)
	f, err := os.CreateTemp(dir, "."+filepath.Base(file)+".tmp*")
	if err != nil {
		return fmt.Errorf("replacing %s: %w", file, err)
	}
	tmp := f.Name()
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("replacing %s: %w", file, err)
	}
	if err := writeSyncClose(f, data); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("replacing %s: %w", file, err)
	}
	if err := os.Rename(tmp, file); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("replacing %s: %w", file, err)
	}
	return syncDir(dir)
}

// writeSyncClose writes data to f, flushes it to stable storage and closes
// it.
func writeSyncClose(f *os.File, data []byte) error {
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir flushes the directory dir, so that files created or renamed in it
// survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}
