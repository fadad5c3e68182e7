package profile

import (
	"fmt"
	"os"
	"path/filepath"
)

// replaceFile atomically replaces file with data: it writes a temporary file
// of mode 0600 in the same directory, flushes it and renames it over file.
func replaceFile(file string, data []byte) error {
	dir := filepath.Dir(file)
	f, err := os.CreateTemp(dir, "."+filepath.Base(file)+".tmp*")
	if err != nil {
		return fmt.Errorf("replacing %s: %w", file, err)
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
		err = os.Rename(tmp, file)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("replacing %s: %w", file, err)
	}
	syncDir(dir)
	return nil
}

// syncDir flushes the directory dir so that a rename in it survives a crash.
// It is best effort: some systems (Windows) cannot flush a directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
