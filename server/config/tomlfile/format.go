package tomlfile

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spa-project/spa/spa"
)

// FormatTime formats t as a TOML offset date-time (RFC 3339) in UTC.
func FormatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

// FormatDuration formats d for time.ParseDuration, like Duration.String
// without the zero units: "5m" rather than "5m0s", "1h30m", "90s" → "1m30s".
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// FormatFloat formats f as a TOML float, always with a decimal point or an
// exponent ("1.0", not "1").
func FormatFloat(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEn") { // n: inf, nan
		s += ".0"
	}
	return s
}

// PortList formats ports as a TOML array of strings: ["tcp/22", "udp/53"].
func PortList(ps []spa.Port) string {
	ss := make([]string, len(ps))
	for i, p := range ps {
		ss[i] = p.String()
	}
	return QuoteList(ss)
}

// QuoteList formats ss as a TOML array of strings.
func QuoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// Quote formats s as a TOML basic string, escaping quotes, backslashes and
// control characters. s should be valid UTF-8 (TOML documents are).
func Quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
