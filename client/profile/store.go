package profile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spa-project/spa/keys"
)

// fileExt is the extension of profile files in a store.
const fileExt = ".toml"

// Store is a directory of profiles, one file NAME.toml per profile, each of
// mode 0600 in a directory of mode 0700.
type Store struct {
	dir string
}

// NewStore returns the store in the directory dir (see [DefaultDir]). The
// directory is created when the first profile is imported.
func NewStore(dir string) *Store { return &Store{dir: dir} }

// DefaultDir returns the default store directory: $XDG_CONFIG_HOME/spa/profiles
// if XDG_CONFIG_HOME is set to an absolute path, else spa/profiles in
// os.UserConfigDir (~/.config on Linux, ~/Library/Application Support on
// macOS, %AppData% on Windows).
func DefaultDir() (string, error) {
	base := os.Getenv("XDG_CONFIG_HOME")
	if !filepath.IsAbs(base) {
		var err error
		base, err = os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("finding the profile directory: %w", err)
		}
	}
	return filepath.Join(base, "spa", "profiles"), nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// Path returns the file of the profile name.
func (s *Store) Path(name string) string { return filepath.Join(s.dir, name+fileExt) }

// Import stores p under name, or under p.Name if name is "", and returns the
// file written. The stored profile's Name is that name. It checks p first
// ([Profile.Validate]), creates the directory (0700) if needed and writes the
// file with mode 0600. It refuses to replace an existing profile (the error
// wraps fs.ErrExist) unless force is set; a forced import replaces the file
// atomically.
func (s *Store) Import(p *Profile, name string, force bool) (string, error) {
	if name == "" {
		name = p.Name
	}
	if name == "" {
		return "", errors.New("the profile has no name: choose one")
	}
	if err := CheckName(name); err != nil {
		return "", fmt.Errorf("profile %w", err)
	}
	q := *p
	q.Name = name
	if err := q.Validate(); err != nil {
		return "", fmt.Errorf("not importing profile %q: %w", name, err)
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return "", fmt.Errorf("creating the profile directory: %w", err)
	}
	path := s.Path(name)
	data := q.Marshal()
	defer clear(data)
	if force {
		if err := keys.ReplaceSecretFile(path, data); err != nil {
			return "", err
		}
		return path, nil
	}
	if err := keys.WriteSecretFile(path, data); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("profile %q already exists (%s); replace it with --force: %w", name, path, fs.ErrExist)
		}
		return "", fmt.Errorf("importing profile %q: %w", name, err)
	}
	return path, nil
}

// Load returns the stored profile name, whose Name is name. The file is read
// with keys.ReadSecretFile, which refuses a file that others may read (with
// the chmod command to fix it). An unknown name gives an error that lists the
// known profiles and wraps fs.ErrNotExist.
func (s *Store) Load(name string) (*Profile, error) {
	if err := CheckName(name); err != nil {
		return nil, fmt.Errorf("profile %w", err)
	}
	path := s.Path(name)
	data, err := keys.ReadSecretFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, s.unknown(name)
	}
	if err != nil {
		return nil, fmt.Errorf("profile %q: %w", name, fileError{err})
	}
	defer clear(data)
	p, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	p.Name = name
	return p, nil
}

// unknown returns the error for an unknown profile name.
func (s *Store) unknown(name string) error {
	names, _ := s.List()
	known := "none"
	if len(names) > 0 {
		known = strings.Join(names, ", ")
	}
	return fmt.Errorf("unknown profile %q; known: %s: %w", name, known, fs.ErrNotExist)
}

// List returns the names of the stored profiles, sorted. A store whose
// directory does not exist is empty.
func (s *Store) List() ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing profiles: %w", err)
	}
	var names []string
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), fileExt)
		if ok && !e.IsDir() && CheckName(name) == nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names, nil
}

// LoadFile reads the profile file path, with keys.ReadSecretFile (see
// [Store.Load]). If the file names no profile, Name is taken from the file's
// base name when that is a valid name.
func LoadFile(path string) (*Profile, error) {
	data, err := keys.ReadSecretFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading profile: %w", fileError{err})
	}
	defer clear(data)
	p, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	if p.Name == "" {
		p.Name = nameFromPath(path)
	}
	return p, nil
}

// fileError is an error of keys.ReadSecretFile without its "keys: " prefix,
// for messages about profiles.
type fileError struct{ err error }

// Error returns the error's message without "keys: ".
// Error returns the error's message without "keys: ".
func (e fileError) Error() string { return strings.TrimPrefix(e.err.Error(), "keys: ") }

// Unwrap returns the error of keys.ReadSecretFile.
func (e fileError) Unwrap() error { return e.err }
