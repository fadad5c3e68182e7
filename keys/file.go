package keys

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// MaxSecretFileSize is the largest file [ReadSecretFile] reads: 1 MiB.
const MaxSecretFileSize = 1 << 20

// WriteSecretFile creates the file path with mode 0600 and writes data to it.
// It never overwrites: if path exists, even as a dangling symbolic link, it
// fails with an error that wraps [fs.ErrExist]. The data is flushed to stable
// storage (fsync) before the file is closed. If writing fails, the new file is
// removed.
func WriteSecretFile(path string, data []byte) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return &existsError{path: path}
		}
		return fmt.Errorf("keys: %w", err)
	}
	defer func() {
		if err != nil {
			os.Remove(path) // ours: O_EXCL created it
		}
	}()
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("keys: writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("keys: writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("keys: writing %s: %w", path, err)
	}
	return nil
}

// existsError is WriteSecretFile's error for an existing file.
type existsError struct{ path string }

func (e *existsError) Error() string {
	return "keys: " + e.path + " already exists and will not be overwritten"
}

func (e *existsError) Unwrap() error { return fs.ErrExist }

// ReadSecretFile returns the contents of the secret file path. It refuses
// anything but a regular file (after following symbolic links) and files
// larger than [MaxSecretFileSize]. On Unix it also refuses a file that group
// or others may read or write (mode&0o077 != 0), with an error that gives the
// chmod command to fix it. On Windows, whose permissions are ACLs that Go's
// file modes do not describe, there is no permission check.
func ReadSecretFile(path string) ([]byte, error) {
	// openReadFlags does not block on a FIFO, which is refused below.
	f, err := os.OpenFile(path, openReadFlags, 0)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("keys: %s is not a regular file", path)
	}
	if err := checkPermissions(path, fi); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxSecretFileSize+1))
	if err != nil {
		clear(data)
		return nil, fmt.Errorf("keys: reading %s: %w", path, err)
	}
	if len(data) > MaxSecretFileSize {
		clear(data)
		return nil, fmt.Errorf("keys: %s is larger than 1 MiB", path)
	}
	return data, nil
}
