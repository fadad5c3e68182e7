package tomlfile

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	toml "github.com/pelletier/go-toml/v2"
)

// Checker checks one TOML file and collects its problems. Use it in three
// steps: [NewChecker], [Checker.Decode] into a struct whose leaves are of type
// any, then one getter per key ([Checker.Str], [Checker.Int]...), which
// checks the type and records problems on the key's line. Finally
// [Checker.Problems] returns everything found.
type Checker struct {
	file      string
	data      []byte
	secretKey string // the key whose value is secret, "" if none
	pos       positions
	probs     Problems
}

// NewChecker returns a Checker for the document data read from file. If
// secretKey is not "", the value of that key is secret: a syntax error on its
// line is reported without details. Messages never quote values that look
// like an encoded secret in any case (see [Redact]).
func NewChecker(file string, data []byte, secretKey string) *Checker {
	return &Checker{file: file, data: data, secretKey: secretKey, pos: indexPositions(data)}
}

// AddAt records a problem about key on line (0: unknown), wrapping err (may
// be nil). The message is format and args as for fmt.Sprintf.
func (c *Checker) AddAt(line int, key string, err error, format string, args ...any) {
	c.probs = append(c.probs, Problem{
		File: c.file,
		Line: line,
		Key:  Redact(key),
		Msg:  Redact(fmt.Sprintf(format, args...)),
		Err:  err,
	})
}

// Add records a problem about key, on the key's line.
func (c *Checker) Add(key, format string, args ...any) {
	c.AddAt(c.pos.line(key), key, nil, format, args...)
}

// AddElem records a problem about element i (0-based) of the array at key, on
// the element's line.
func (c *Checker) AddElem(key string, i int, format string, args ...any) {
	c.AddAt(c.pos.elemLine(key, i), key, nil, format, args...)
}

// Decode decodes the document strictly into raw, a pointer to a struct whose
// leaves are of type any (nested tables are structs of their own), so that a
// value of the wrong type is not a decoding error but a problem the getters
// report, together with the others. Decoding then fails only for TOML syntax
// errors, repeated keys and a non-table where a table belongs; it records
// that one problem and returns false. Unknown keys are recorded as problems
// too, but decoding goes on and Decode returns true: raw holds the document.
func (c *Checker) Decode(raw any) bool {
	err := toml.NewDecoder(bytes.NewReader(c.data)).DisallowUnknownFields().Decode(raw)
	var strict *toml.StrictMissingError
	var de *toml.DecodeError
	switch {
	case err == nil:
		return true
	case errors.As(err, &strict):
		for i := range strict.Errors {
			e := &strict.Errors[i]
			line, _ := e.Position()
			what := "unknown key"
			if strings.HasSuffix(e.Error(), "missing table") {
				what = "unknown table"
			}
			c.AddAt(line, strings.Join(e.Key(), "."), nil, "%s", what)
		}
		return true
	case errors.As(err, &de):
		line, col := de.Position()
		key := strings.Join(de.Key(), ".")
		if key == "" {
			key = c.keyOnLine(line)
		}
		c.AddAt(line, key, nil, "%s", c.decodeMessage(de, line, col))
		return false
	default:
		c.AddAt(0, "", err, "%v", err)
		return false
	}
}

// decodeMessage returns the message of a decoding error without go-toml's
// prefix and Go type names, and without the details if the line it is about
// holds a secret.
func (c *Checker) decodeMessage(de *toml.DecodeError, line, col int) string {
	msg := strings.TrimPrefix(de.Error(), "toml: ")
	if rest, ok := strings.CutPrefix(msg, "cannot decode TOML "); ok {
		kind, _, _ := strings.Cut(rest, " into ")
		return "must be a table, not " + tomlKindArticle(kind)
	}
	if c.lineHoldsSecret(line) {
		return fmt.Sprintf("invalid TOML at column %d (details hidden: the line holds a secret)", col)
	}
	return msg
}

// Line returns the line of the dotted key ("limits.rate"), 0 if it is not in
// the document.
func (c *Checker) Line(key string) int { return c.pos.line(key) }

// Problems returns the problems recorded so far, in the order found.
func (c *Checker) Problems() Problems { return c.probs }

// lineHoldsSecret reports whether line (1-based) of the document may hold a
// secret: it contains the start of an encoded secret, or it is the secret
// key's line.
func (c *Checker) lineHoldsSecret(line int) bool {
	lines := bytes.Split(c.data, []byte("\n"))
	if line < 1 || line > len(lines) {
		return c.secretKey != "" // unknown: be careful
	}
	l := string(lines[line-1])
	if Redact(l) != l {
		return true
	}
	return c.secretKey != "" && strings.HasPrefix(strings.TrimSpace(l), c.secretKey)
}

// tomlKindArticle returns "an integer", "a string"... for a TOML kind name.
func tomlKindArticle(kind string) string {
	if kind != "" && strings.ContainsRune("aeiou", rune(kind[0])) {
		return "an " + kind
	}
	return "a " + kind
}

// keyOnLine guesses the dotted key of a key-value line that did not parse:
// the bare key before '=', inside the last table header above it. It returns
// "" if the line does not start with a bare key.
func (c *Checker) keyOnLine(line int) string {
	lines := strings.Split(string(c.data), "\n")
	if line < 1 || line > len(lines) {
		return ""
	}
	k, _, ok := strings.Cut(lines[line-1], "=")
	k = strings.TrimSpace(k)
	if !ok || k == "" || strings.ContainsFunc(k, func(r rune) bool { return !isBareKeyRune(r) }) {
		return ""
	}
	for i := line - 2; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if strings.HasPrefix(l, "[") {
			table, _, _ := strings.Cut(strings.Trim(l, "[]"), "]")
			return strings.TrimSpace(table) + "." + k
		}
	}
	return k
}

// isBareKeyRune reports whether r may appear in a dotted bare key.
func isBareKeyRune(r rune) bool {
	return r < 0x80 && (isAlnum(byte(r)) || r == '_' || r == '-' || r == '.')
}
