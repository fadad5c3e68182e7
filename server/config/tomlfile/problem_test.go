package tomlfile

import (
	"errors"
	"io/fs"
	"testing"
	"time"
)

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{File: "/etc/spa/spad.toml", Line: 7, Key: "protect", Msg: "bad"}, "/etc/spa/spad.toml:7: protect: bad"},
		{Problem{File: "/etc/spa/spad.toml", Key: "name", Msg: "missing"}, "/etc/spa/spad.toml: name: missing"},
		{Problem{File: "f", Line: 3, Msg: "syntax"}, "f:3: syntax"},
		{Problem{Msg: "alone"}, "alone"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.p, got, tt.want)
		}
	}
	ps := Problems{tests[0].p, {File: "g", Msg: "gone", Err: fs.ErrNotExist}}
	if got, want := ps.Error(), "/etc/spa/spad.toml:7: protect: bad\ng: gone"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(ps, fs.ErrNotExist) {
		t.Error("Problems does not unwrap")
	}
}

func TestRedact(t *testing.T) {
	tests := map[string]string{
		"no secret here":                        "no secret here",
		"x spa-client-key-abc234 y":             "x spa-client-key-(redacted) y",
		"SPA-CLIENT-SECRET-ABC,spa-client-key-": "spa-client-secret-(redacted),spa-client-key-",
		"(spa-client-key-...)":                  "(spa-client-key-...)",
		"ünïcode spa-client-secret-q":           "ünïcode spa-client-secret-(redacted)",
	}
	for in, want := range tests {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		60 * time.Second:           "1m",
		30 * time.Second:           "30s",
		90 * time.Second:           "1m30s",
		time.Hour:                  "1h",
		time.Hour + 30*time.Minute: "1h30m",
		time.Hour + 30*time.Second: "1h0m30s",
		1500 * time.Millisecond:    "1.5s",
		24 * time.Hour:             "24h",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
		if back, err := time.ParseDuration(FormatDuration(d)); err != nil || back != d {
			t.Errorf("ParseDuration(%q) = %v, %v", FormatDuration(d), back, err)
		}
	}
}
