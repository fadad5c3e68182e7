package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/spa-project/spa/keys"
	"github.com/spa-project/spa/server/config/tomlfile"
)

// InitDir creates the configuration directory dir for the server s (start
// from [DefaultServer]): dir (mode 0755 if created), dir/clients (0700) and
// dir/spad.toml (0644) with a comment explaining each key. It checks s first
// exactly as [Load] would check the file, and refuses to touch an existing
// setup: if dir/spad.toml exists, or dir/clients exists and is not empty.
func InitDir(dir string, s Server) error {
	file := ServerFile(dir)
	data := renderServer(s, time.Now())
	if _, probs := parseServer(file, data); len(probs) > 0 {
		return fmt.Errorf("not writing %s: %w", file, probs)
	}
	if _, err := os.Lstat(file); err == nil {
		return fmt.Errorf("%s already exists; not overwriting an existing setup: %w", file, fs.ErrExist)
	}
	cdir := ClientsDir(dir)
	entries, err := os.ReadDir(cdir)
	if err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty; not overwriting an existing setup: %w", cdir, fs.ErrExist)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating configuration directory: %w", err)
	}
	if err := os.Mkdir(cdir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("creating client directory: %w", err)
	}
	if err := os.Chmod(cdir, 0o700); err != nil {
		return fmt.Errorf("creating client directory: %w", err)
	}
	if err := writeNew(file, data, 0o644); err != nil {
		return err
	}
	return keys.SyncDir(dir)
}

// WriteClient writes the client file of c into the configuration directory
// dir: dir/clients/NAME.toml, mode 0600, created with keys.WriteSecretFile,
// so an existing client of that name is never overwritten (the error wraps
// fs.ErrExist). It checks c first exactly as [Load] would check the file.
func WriteClient(dir string, c Client) error {
	if err := CheckClientName(c.Name); err != nil {
		return fmt.Errorf("client: %w", err)
	}
	if c.Key.IsZero() {
		return fmt.Errorf("client %q: no key", c.Name)
	}
	file := ClientFile(dir, c.Name)
	data := renderClient(c, time.Now())
	defer clear(data)
	if _, probs := parseClient(file, data); len(probs) > 0 {
		return fmt.Errorf("not writing %s: %w", file, probs)
	}
	if err := keys.WriteSecretFile(file, data); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("client %q already exists (%s): %w", c.Name, file, fs.ErrExist)
		}
		return fmt.Errorf("writing client %q: %w", c.Name, err)
	}
	return keys.SyncDir(filepath.Dir(file))
}

// RevokeClient marks the client name in the configuration directory dir as
// revoked at the time at, truncated to the second: it appends a "revoked"
// key to the client file, keeping everything else, and replaces the file
// atomically (a temporary file of mode 0600 in the same directory, flushed,
// then renamed over it). The client stays on record but is never accepted
// again. Revoking a client twice is an error.
func RevokeClient(dir, name string, at time.Time) error {
	if err := CheckClientName(name); err != nil {
		return fmt.Errorf("client: %w", err)
	}
	file := ClientFile(dir, name)
	data, err := keys.ReadSecretFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no client %q (%s): %w", name, file, fs.ErrNotExist)
	}
	if err != nil {
		return fmt.Errorf("revoking client %q: %w", name, err)
	}
	defer clear(data)
	c, probs := parseClient(file, data)
	if len(probs) > 0 {
		return fmt.Errorf("not revoking client %q, its file has problems: %w", name, probs)
	}
	if !c.Revoked.IsZero() {
		return fmt.Errorf("client %q was already revoked on %s", name, tomlfile.FormatTime(c.Revoked))
	}
	var buf bytes.Buffer
	buf.Write(data)
	if len(data) > 0 && data[len(data)-1] != '\n' {
		buf.WriteByte('\n')
	}
	buf.WriteString(revokedLine(at.Truncate(time.Second)))
	out := buf.Bytes()
	defer clear(out)
	if _, probs := parseClient(file, out); len(probs) > 0 {
		return fmt.Errorf("not revoking client %q: %w", name, probs)
	}
	return keys.ReplaceSecretFile(file, out)
}
