package tomlfile

import (
	"strconv"
	"strings"
)

// Problem is one thing wrong with a file.
type Problem struct {
	File string // path of the file; "" if the problem is not about one file
	Line int    // 1-based line number; 0 if unknown or not about one line
	Key  string // dotted TOML key, such as "limits.rate"; "" if none
	Msg  string // what is wrong, never containing a secret
	// Err is the underlying error, if any, so that errors.Is works through
	// [Problems] (for example with fs.ErrNotExist). Its text is already in
	// Msg.
	Err error
}

// String formats the problem as "file:line: key: msg", leaving out the parts
// that are empty.
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			b.WriteString(":")
			b.WriteString(strconv.Itoa(p.Line))
		}
		b.WriteString(": ")
	}
	if p.Key != "" {
		b.WriteString(p.Key)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is the error type of the functions that check files: every
// problem found, in the order found.
type Problems []Problem

// Error lists the problems, one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the underlying errors of the problems that have one.
func (ps Problems) Unwrap() []error {
	var errs []error
	for _, p := range ps {
		if p.Err != nil {
			errs = append(errs, p.Err)
		}
	}
	return errs
}

// Err returns ps as an error, or nil if there are no problems.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

// The prefixes of the text forms of the secret key types (see package keys).
const (
	secretPrefix = "spa-client-secret-"
	keyPrefix    = "spa-client-key-"
)

// Redact replaces anything in s that looks like an encoded secret
// ("spa-client-secret-" or "spa-client-key-" followed by letters or digits,
// in any case) with a placeholder. Messages are built so that they never
// contain a secret; Redact is a second line of defence against a message that
// quotes a document.
func Redact(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		prefix := ""
		switch {
		case hasPrefixFold(s[i:], secretPrefix):
			prefix = secretPrefix
		case hasPrefixFold(s[i:], keyPrefix):
			prefix = keyPrefix
		}
		if prefix == "" {
			b.WriteByte(s[i])
			i++
			continue
		}
		i += len(prefix)
		j := i
		for j < len(s) && isAlnum(s[j]) {
			j++
		}
		b.WriteString(prefix)
		if j > i {
			b.WriteString("(redacted)")
		}
		i = j
	}
	return b.String()
}

// hasPrefixFold reports whether s starts with the lower-case ASCII prefix,
// ignoring ASCII case.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := range len(prefix) {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// isAlnum reports whether c is an ASCII letter or digit, a superset of the
// characters of the base32 part of a key's text form.
func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
