package client

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"

	"github.com/spa-project/spa/client/profile"
)

// Selection is the profile chosen for a command and the host to send to.
type Selection struct {
	Profile *profile.Profile
	// Host replaces the profile's server address when not "" (see
	// [Request.Host]).
	Host string
}

// SelectProfile picks the profile for a command from the --profile flag
// (flag), the SPA_PROFILE variable (env) and the HOST argument (host, "" if
// none), with suggestions on every error:
//
//   - With --profile or SPA_PROFILE, [profile.Store.Resolve] picks the
//     profile, and HOST, unless it is the profile's name, replaces its
//     server address.
//   - Otherwise HOST picks the stored profile of that name, or the only
//     stored profile whose server or server_name is HOST. Failing that,
//     the store's only profile is used, with HOST as its server address.
func SelectProfile(s *profile.Store, flag, env, host string) (Selection, error) {
	env = strings.TrimSpace(env)
	if flag != "" || env != "" || host == "" {
		p, err := s.Resolve(flag, env)
		if err != nil {
			return Selection{}, resolveHint(s, flag, env, err)
		}
		if host == p.Name {
			host = "" // "spa knock --profile bastion bastion" names the profile twice
		}
		return Selection{Profile: p, Host: host}, nil
	}
	if p, err := byHost(s, host); p != nil || err != nil {
		return Selection{Profile: p}, err
	}
	p, err := s.Resolve("", "")
	if err != nil {
		return Selection{}, resolveHint(s, "", "", fmt.Errorf("no profile for host %q: %w", host, err))
	}
	return Selection{Profile: p, Host: host}, nil
}

// byHost returns the stored profile named host, or the only one whose
// server or server name is host; nil if there is none.
func byHost(s *profile.Store, host string) (*profile.Profile, error) {
	names, err := s.List()
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if n == host {
			p, err := s.Load(n)
			return p, resolveHint(s, n, "", err)
		}
	}
	var found []*profile.Profile
	for _, n := range names {
		p, err := s.Load(n)
		if err == nil && (p.Server == host || p.ServerName == host) {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 0:
		return nil, nil
	case 1:
		return found[0], nil
	}
	ns := make([]string, len(found))
	for i, p := range found {
		ns[i] = p.Name
	}
	return nil, withHint(fmt.Errorf("%d profiles are for host %q (%s)", len(found), host, strings.Join(ns, ", ")),
		"choose one with --profile NAME")
}

// resolveHint attaches a suggestion to an error of choosing a profile.
func resolveHint(s *profile.Store, flag, env string, err error) error {
	if err == nil || Hint(err) != "" {
		return err
	}
	if path := profilePath(s, flag, env); path != "" && notPrivate(path) {
		return withHint(err, fmt.Sprintf("a profile holds the client's secret, so only its owner may read it: chmod 600 %s", path))
	}
	switch {
	case flag == "" && strings.HasPrefix(env, profile.TokenPrefix):
		return withHint(err, fmt.Sprintf(`%s must hold the whole token printed by "spad client add --token", on one line; copy it again`, profile.EnvVar))
	case errors.Is(err, fs.ErrNotExist) && flag != "" && !isPath(flag):
		return withHint(err, `list the profiles with "spa profile list", or import one with "spa profile import FILE"`)
	case errors.Is(err, fs.ErrNotExist):
		return withHint(err, "check the path, or use a stored profile with --profile NAME (spa profile list)")
	}
	return err
}

// profilePath returns the file a profile was read from, "" if none.
func profilePath(s *profile.Store, flag, env string) string {
	switch {
	case flag != "" && isPath(flag):
		return flag
	case flag != "":
		if profile.CheckName(flag) != nil {
			return ""
		}
		return s.Path(flag)
	case env != "" && !strings.HasPrefix(env, profile.TokenPrefix):
		return env
	}
	return ""
}

// isPath reports whether a --profile value names a file, as
// [profile.Store.Resolve] decides.
func isPath(s string) bool {
	return strings.ContainsRune(s, '/') || strings.ContainsRune(s, os.PathSeparator) || strings.HasSuffix(s, ".toml")
}

// notPrivate reports whether others may read the file path. Windows has no
// such mode bits (see keys.ReadSecretFile).
func notPrivate(path string) bool {
	if runtime.GOOS == "windows" {
		return false
	}
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().Perm()&0o077 != 0
}
