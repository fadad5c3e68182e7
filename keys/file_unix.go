//go:build unix

package keys

import (
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
)

// openReadFlags opens without blocking, so that opening a FIFO does not wait
// for a writer; ReadSecretFile refuses non-regular files after opening.
const openReadFlags = os.O_RDONLY | syscall.O_NONBLOCK

// checkPermissions refuses a secret file that group or others may access.
func checkPermissions(path string, fi fs.FileInfo) error {
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("keys: %s is accessible by group or others (mode %04o); run: chmod 600 %s",
			path, uint32(perm), shellQuote(path))
	}
	return nil
}

// shellQuote quotes path for a POSIX shell if it needs quoting.
func shellQuote(path string) string {
	safe := path != ""
	for _, c := range path {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.ContainsRune("/._-+,:@%=", c)) {
			safe = false
			break
		}
	}
	if safe {
		return path
	}
	return "'" + strings.ReplaceAll(path, "'", `'\''`) + "'"
}
