package tomlfile

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"unicode"
)

// CheckName checks a name that is also a file name (a client, a profile, an
// action): 1 to max characters of A-Z a-z 0-9 . _ -, not starting with '.'.
func CheckName(name string, max int) error {
	if name == "" || len(name) > max {
		return fmt.Errorf("name %q must be 1 to %d characters", name, max)
	}
	if name[0] == '.' {
		return fmt.Errorf("name %q must not start with '.'", name)
	}
	for _, c := range []byte(name) {
		if !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return fmt.Errorf("name %q may only contain A-Z, a-z, 0-9, '.', '_' and '-'", name)
		}
	}
	return nil
}

// CheckHost checks a host name or IP address that clients send packets to:
// not empty, no spaces, slashes or control characters, no brackets, and, if
// it contains a colon, an IPv6 address (the port is configured separately).
func CheckHost(h string) error {
	switch {
	case h == "":
		return errors.New("host must not be empty")
	case strings.ContainsFunc(h, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) || r == '/' }):
		return fmt.Errorf("host %q must not contain '/', spaces or control characters", h)
	case strings.HasPrefix(h, "["):
		return fmt.Errorf("host %q: write an IPv6 address without brackets", h)
	case strings.Contains(h, ":"):
		if a, err := netip.ParseAddr(h); err != nil || !a.Is6() {
			return fmt.Errorf("host %q is not a host name or IP address (the port is set separately)", h)
		}
	}
	return nil
}

// OneOf records a problem unless the string v at key is one of allowed.
func OneOf[T ~string](c *Checker, key, v string, allowed ...T) {
	for _, a := range allowed {
		if v == string(a) {
			return
		}
	}
	quoted := make([]string, len(allowed))
	for i, a := range allowed {
		quoted[i] = `"` + string(a) + `"`
	}
	c.Add(key, "%q is not one of %s", v, strings.Join(quoted, ", "))
}
