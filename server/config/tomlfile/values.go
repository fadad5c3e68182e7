package tomlfile

import (
	"math"
	"strconv"
	"time"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/spa-project/spa/spa"
)

// The getters below convert the decoded value v of one key (nil when the key
// is absent) and check its type and range. They return ok = false when the
// key is absent or a problem was recorded; the caller then keeps its default.

// KindOf names the TOML type of a decoded value with an article ("an
// integer"), for messages.
func KindOf(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case time.Time:
		return "a date-time"
	case toml.LocalDateTime:
		return "a local date-time"
	case toml.LocalDate:
		return "a local date"
	case toml.LocalTime:
		return "a local time"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return "an unsupported value"
}

// Str returns the string at key.
func (c *Checker) Str(key string, v any) (string, bool) {
	if v == nil {
		return "", false
	}
	s, ok := v.(string)
	if !ok {
		c.Add(key, "must be a string, not %s", KindOf(v))
	}
	return s, ok
}

// Int returns the integer at key, which must lie in [lo, hi].
func (c *Checker) Int(key string, v any, lo, hi int64) (int64, bool) {
	if v == nil {
		return 0, false
	}
	n, ok := v.(int64)
	if !ok {
		c.Add(key, "must be an integer, not %s", KindOf(v))
		return 0, false
	}
	if n < lo || n > hi {
		c.Add(key, "%d is out of range: must be %d to %d", n, lo, hi)
		return 0, false
	}
	return n, true
}

// Number returns the number (float or integer) at key, which must lie in
// (0, hi].
func (c *Checker) Number(key string, v any, hi float64) (float64, bool) {
	if v == nil {
		return 0, false
	}
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case int64:
		f = float64(x)
	default:
		c.Add(key, "must be a number, not %s", KindOf(v))
		return 0, false
	}
	if math.IsNaN(f) || f <= 0 || f > hi {
		c.Add(key, "%s is out of range: must be more than 0 and at most %s",
			strconv.FormatFloat(f, 'g', -1, 64), strconv.FormatFloat(hi, 'g', -1, 64))
		return 0, false
	}
	return f, true
}

// Bool returns the boolean at key.
func (c *Checker) Bool(key string, v any) (bool, bool) {
	if v == nil {
		return false, false
	}
	b, ok := v.(bool)
	if !ok {
		c.Add(key, "must be true or false, not %s", KindOf(v))
	}
	return b, ok
}

// Strings returns the array of strings at key. An element of another type is a
// problem on its line; the result then leaves it out and ok is false.
func (c *Checker) Strings(key string, v any) ([]string, bool) {
	if v == nil {
		return nil, false
	}
	arr, ok := v.([]any)
	if !ok {
		c.Add(key, "must be an array of strings, not %s", KindOf(v))
		return nil, false
	}
	out := make([]string, 0, len(arr))
	for i, e := range arr {
		s, isStr := e.(string)
		if !isStr {
			c.AddElem(key, i, "element %d must be a string, not %s", i+1, KindOf(e))
			ok = false
			continue
		}
		out = append(out, s)
	}
	return out, ok
}

// Ints returns the array of integers at key, each in [lo, hi], refusing
// duplicates.
func (c *Checker) Ints(key string, v any, lo, hi int64) ([]int64, bool) {
	if v == nil {
		return nil, false
	}
	arr, ok := v.([]any)
	if !ok {
		c.Add(key, "must be an array of integers, not %s", KindOf(v))
		return nil, false
	}
	out := make([]int64, 0, len(arr))
	seen := map[int64]bool{}
	for i, e := range arr {
		n, isInt := e.(int64)
		switch {
		case !isInt:
			c.AddElem(key, i, "element %d must be an integer, not %s", i+1, KindOf(e))
		case n < lo || n > hi:
			c.AddElem(key, i, "element %d (%d) is out of range: must be %d to %d", i+1, n, lo, hi)
		case seen[n]:
			c.AddElem(key, i, "%d listed twice", n)
		default:
			seen[n] = true
			out = append(out, n)
			continue
		}
		ok = false
	}
	return out, ok
}

// Ports returns the array of ports ("tcp/22", parsed with spa.ParsePort) at
// key, refusing duplicates. An empty array is not a problem here.
func (c *Checker) Ports(key string, v any) ([]spa.Port, bool) {
	ss, ok := c.Strings(key, v)
	if ss == nil {
		return nil, false
	}
	out := make([]spa.Port, 0, len(ss))
	for i, s := range ss {
		p, err := spa.ParsePort(s)
		if err != nil {
			c.AddElem(key, i, "%v", err)
			ok = false
			continue
		}
		if containsPort(out, p) {
			c.AddElem(key, i, "port %q listed twice", p)
			ok = false
			continue
		}
		out = append(out, p)
	}
	return out, ok
}

// containsPort reports whether ps contains p.
func containsPort(ps []spa.Port, p spa.Port) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// Duration returns the duration string ("30s", "5m") at key, which must lie
// in [lo, hi] and, if whole, be a whole number of seconds.
func (c *Checker) Duration(key string, v any, lo, hi time.Duration, whole bool) (time.Duration, bool) {
	if v == nil {
		return 0, false
	}
	s, ok := v.(string)
	if !ok {
		c.Add(key, `must be a duration string such as "30s" or "5m", not %s`, KindOf(v))
		return 0, false
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		c.Add(key, `bad duration %q: want a number and a unit, such as "30s", "5m" or "1h30m"`, s)
		return 0, false
	}
	if d < lo || d > hi {
		c.Add(key, "duration %q is out of range: must be %s to %s", s, FormatDuration(lo), FormatDuration(hi))
		return 0, false
	}
	if whole && d%time.Second != 0 {
		c.Add(key, "duration %q must be a whole number of seconds", s)
		return 0, false
	}
	return d, true
}

// Time returns the date-time at key: a TOML offset date-time or a string
// in RFC 3339 format.
func (c *Checker) Time(key string, v any) (time.Time, bool) {
	switch x := v.(type) {
	case nil:
		return time.Time{}, false
	case time.Time:
		return x, true
	case string:
		t, err := time.Parse(time.RFC3339, x)
		if err != nil {
			c.Add(key, "bad time %q: want RFC 3339, such as 2030-01-02T03:04:05Z", x)
			return time.Time{}, false
		}
		return t, true
	case toml.LocalDateTime, toml.LocalDate:
		c.Add(key, "must have a time zone offset, such as 2030-01-02T03:04:05Z")
		return time.Time{}, false
	}
	c.Add(key, "must be a date-time, not %s", KindOf(v))
	return time.Time{}, false
}
