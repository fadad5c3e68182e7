package actions

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/spa-project/spa/spa"
)

// Vars are the values a template's tokens expand to.
type Vars struct {
	IP       netip.Addr    // {ip} and {family}
	Port     spa.Port      // {proto} and {port}
	Duration time.Duration // {duration}, whole seconds rounded up
	Client   string        // {client}
}

// tokens are the names a template may use between braces.
var tokens = []string{"ip", "family", "proto", "port", "duration", "client"}

func knownToken(name string) bool {
	for _, t := range tokens {
		if t == name {
			return true
		}
	}
	return false
}

// nextToken finds the next "{word}" of lower-case letters in s at or after
// i. It returns the start and end (exclusive) of the braces and the word,
// or start -1.
func nextToken(s string, i int) (start, end int, word string) {
	for {
		open := strings.IndexByte(s[i:], '{')
		if open < 0 {
			return -1, 0, ""
		}
		open += i
		j := open + 1
		for j < len(s) && s[j] >= 'a' && s[j] <= 'z' {
			j++
		}
		if j > open+1 && j < len(s) && s[j] == '}' {
			return open, j + 1, s[open+1 : j]
		}
		i = open + 1
	}
}

// CheckArgv reports whether argv is a usable template: at least the
// program, given as an absolute path without tokens, no NUL bytes, and no
// unknown "{word}" tokens.
func CheckArgv(argv []string) error {
	if err := checkCommand(argv); err != nil {
		return err
	}
	if s, _, _ := nextToken(argv[0], 0); s >= 0 {
		return fmt.Errorf("program %q: must not contain tokens", argv[0])
	}
	for i, a := range argv {
		for s, e, w := nextToken(a, 0); s >= 0; s, e, w = nextToken(a, e) {
			if !knownToken(w) {
				return fmt.Errorf("argument %d %q: unknown token {%s} (known: {%s})", i, a, w, strings.Join(tokens, "}, {"))
			}
		}
	}
	return nil
}

// Expand checks argv and returns a new argv with every token replaced by
// its value from v. A token whose value is missing (no address, no port,
// no client name) is an error, and so is a client name that begins with
// '-' or holds a NUL byte.
func Expand(argv []string, v Vars) ([]string, error) {
	if err := CheckArgv(argv); err != nil {
		return nil, err
	}
	out := make([]string, len(argv))
	for i, a := range argv {
		var b strings.Builder
		last := 0
		for s, e, w := nextToken(a, 0); s >= 0; s, e, w = nextToken(a, e) {
			val, err := v.value(w)
			if err != nil {
				return nil, fmt.Errorf("argument %d %q: %w", i, a, err)
			}
			b.WriteString(a[last:s])
			b.WriteString(val)
			last = e
		}
		b.WriteString(a[last:])
		out[i] = b.String()
	}
	return out, nil
}

// value returns the text of one token.
func (v Vars) value(token string) (string, error) {
	switch token {
	case "ip", "family":
		if !v.IP.IsValid() {
			return "", fmt.Errorf("{%s}: no address", token)
		}
		ip := v.IP.Unmap()
		if token == "ip" {
			return ip.String(), nil
		}
		if ip.Is4() {
			return "ipv4", nil
		}
		return "ipv6", nil
	case "proto":
		if v.Port.Proto != spa.TCP && v.Port.Proto != spa.UDP {
			return "", fmt.Errorf("{proto}: protocol %d is not tcp or udp", v.Port.Proto)
		}
		return v.Port.Proto.String(), nil
	case "port":
		if v.Port.Port == 0 {
			return "", errors.New("{port}: no port")
		}
		return strconv.Itoa(int(v.Port.Port)), nil
	case "duration":
		if v.Duration < 0 {
			return "", fmt.Errorf("{duration}: %v is negative", v.Duration)
		}
		return strconv.FormatInt(int64((v.Duration+time.Second-1)/time.Second), 10), nil
	case "client":
		return clientValue(v.Client)
	}
	return "", fmt.Errorf("unknown token {%s}", token)
}

func clientValue(name string) (string, error) {
	switch {
	case name == "":
		return "", errors.New("{client}: no client name")
	case strings.HasPrefix(name, "-"):
		return "", fmt.Errorf("{client}: name %q begins with '-' and could be read as an option", name)
	case strings.IndexByte(name, 0) >= 0:
		return "", fmt.Errorf("{client}: name %q contains a NUL byte", name)
	}
	return name, nil
}
