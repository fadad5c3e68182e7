package profile

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// EnvVar is the environment variable that may hold a profile: a token or the
// path of a profile file.
const EnvVar = "SPA_PROFILE"

// Resolve returns the profile to use, from the value of the --profile flag
// (nameOrPath, "" if not given) and of the SPA_PROFILE variable (env, "" if
// unset). The first of these that applies wins:
//
//  1. The flag: a file if it contains a path separator or ends in ".toml"
//     (write ./NAME for a file in the current directory), else the name of a
//     stored profile. The flag never takes a token: command lines are visible
//     to other users.
//  2. SPA_PROFILE: a token if it starts with [TokenPrefix], else the path of a
//     profile file.
//  3. The only stored profile, if the store holds exactly one.
//
// Otherwise the error says what to do.
func (s *Store) Resolve(nameOrPath, env string) (*Profile, error) {
	if nameOrPath != "" {
		switch {
		case strings.HasPrefix(strings.TrimSpace(nameOrPath), TokenPrefix):
			return nil, fmt.Errorf("--profile takes a profile name or file, not a token (a command line is visible to other users); put the token in %s instead", EnvVar)
		case looksLikePath(nameOrPath):
			return LoadFile(nameOrPath)
		default:
			return s.Load(nameOrPath)
		}
	}
	if env = strings.TrimSpace(env); env != "" {
		if strings.HasPrefix(env, TokenPrefix) {
			p, err := ParseToken(env)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", EnvVar, err)
			}
			return p, nil
		}
		p, err := LoadFile(env)
		if err != nil {
			err = fmt.Errorf("%s (a token or the path of a profile file): %w", EnvVar, err)
			if !looksLikePath(env) && CheckName(env) == nil {
				err = fmt.Errorf("%w; for the stored profile %q use --profile %s", err, env, env)
			}
			return nil, err
		}
		return p, nil
	}
	names, err := s.List()
	if err != nil {
		return nil, err
	}
	switch len(names) {
	case 0:
		return nil, errors.New(`no profile: pass --profile NAME, set ` + EnvVar + `, or import one with "spa profile import FILE"`)
	case 1:
		return s.Load(names[0])
	}
	return nil, fmt.Errorf("%d profiles (%s): choose one with --profile NAME or %s", len(names), strings.Join(names, ", "), EnvVar)
}

// looksLikePath reports whether a --profile value is a file rather than a
// profile name.
func looksLikePath(s string) bool {
	return strings.ContainsRune(s, '/') || strings.ContainsRune(s, os.PathSeparator) || strings.HasSuffix(s, fileExt)
}
