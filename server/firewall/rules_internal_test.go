package firewall

import (
	"bytes"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spa-project/spa/spa"
)

var tcp22 = spa.Port{Proto: spa.TCP, Port: 22}

func TestRuleNormalize(t *testing.T) {
	r, err := Rule{Addr: netip.MustParseAddr("::ffff:192.0.2.1"), Port: tcp22}.normalize()
	if err != nil || r.Addr != netip.MustParseAddr("192.0.2.1") {
		t.Fatalf("normalize = %v, %v", r, err)
	}
	for _, bad := range []Rule{
		{Port: tcp22},
		{Addr: netip.MustParseAddr("fe80::1%eth0"), Port: tcp22},
		{Addr: netip.IPv6Unspecified(), Port: tcp22},
		{Addr: netip.MustParseAddr("192.0.2.1"), Port: spa.Port{Proto: 1, Port: 22}},
		{Addr: netip.MustParseAddr("192.0.2.1"), Port: spa.Port{Proto: spa.UDP}},
	} {
		if _, err := bad.normalize(); err == nil {
			t.Errorf("normalize(%v) accepted", bad)
		}
	}
	for _, ttl := range []time.Duration{0, -time.Second, time.Microsecond, MaxTTL + 1} {
		if checkTTL(Rule{}, ttl) == nil {
			t.Errorf("ttl %v accepted", ttl)
		}
	}
}

func TestConfigDefaultsAndChecks(t *testing.T) {
	cfg, err := Config{}.withDefaults()
	if err != nil || cfg.Backend != BackendAuto || cfg.Table != DefaultTable || cfg.Logger == nil || cfg.Exec.Timeout != DefaultExecTimeout {
		t.Fatalf("defaults: %+v, %v", cfg, err)
	}
	for _, bad := range []Config{
		{Table: "1abc"},
		{Table: "spad table"},
		{Table: "a23456789012345678901"},
		{Table: "spad;x"},
		{Protect: []spa.Port{tcp22, tcp22}},
		{Protect: []spa.Port{{Proto: spa.TCP}}},
		{Exec: ExecConfig{Timeout: -1}},
	} {
		if _, err := bad.withDefaults(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if _, err := New(Config{Backend: "pf"}); err == nil || !strings.Contains(err.Error(), `unknown backend "pf"`) {
		t.Errorf("unknown backend: %v", err)
	}
	if _, err := New(Config{Backend: BackendExec, Exec: ExecConfig{Open: []string{"/bin/true"}}}); err == nil {
		t.Error("exec backend without a close command accepted")
	}
	if _, err := New(Config{Backend: BackendExec, Exec: ExecConfig{Open: []string{"true"}, Close: []string{"/bin/true"}}}); err == nil {
		t.Error("exec backend with a relative program accepted")
	}
}

func TestGrantKeys(t *testing.T) {
	for _, r := range []Rule{
		{Addr: netip.MustParseAddr("192.0.2.1"), Port: tcp22},
		{Addr: netip.MustParseAddr("2001:db8::1"), Port: spa.Port{Proto: spa.UDP, Port: 65535}},
	} {
		k := grantKey(r)
		got, err := parseGrantKey(k)
		if err != nil || got != r {
			t.Errorf("round trip of %v via %x: %v, %v", r, k, got, err)
		}
	}
	want := []byte{192, 0, 2, 1, 6, 0, 0, 0, 0, 22, 0, 0}
	if k := grantKey(Rule{Addr: netip.MustParseAddr("192.0.2.1"), Port: tcp22}); !bytes.Equal(k, want) {
		t.Errorf("key %x, want %x", k, want)
	}
	if k := protectKey(tcp22); !bytes.Equal(k, want[4:]) {
		t.Errorf("protect key %x", k)
	}
	if _, err := parseGrantKey(make([]byte, 13)); err == nil {
		t.Error("13-byte key accepted")
	}
	if _, err := parseGrantKey(append(want[:11:11], 1)); err == nil {
		t.Error("non-zero padding accepted")
	}
}

func TestIptRules(t *testing.T) {
	exp := time.Date(2026, 5, 1, 10, 0, 0, 1, time.UTC)
	c := expiryComment(exp)
	if c != "spad-expires=2026-05-01T10:00:01Z" {
		t.Fatalf("comment %q (expiry rounds up)", c)
	}
	r := Rule{Addr: netip.MustParseAddr("2001:db8::7"), Port: tcp22}
	spec := grantSpec(r, c, false)
	want := []string{"-s", "2001:db8::7/128", "-p", "tcp", "-m", "tcp", "--dport", "22", "-m", "comment", "--comment", c, "-j", "ACCEPT"}
	if !slices.Equal(spec, want) {
		t.Fatalf("spec %q", spec)
	}
	for _, forward := range []bool{false, true} {
		spec := grantSpec(r, c, forward)
		// iptables -S prints the spec back with the comment quoted.
		line := "-A spad-grants " + strings.Replace(strings.Join(spec, " "), c, `"`+c+`"`, 1)
		g, ok, err := parseGrantLine(line)
		if err != nil || !ok || g.Rule != r || g.comment != c || !g.expires.Equal(time.Date(2026, 5, 1, 10, 0, 1, 0, time.UTC)) {
			t.Fatalf("parse %q: %+v %v %v", line, g, ok, err)
		}
	}
	if _, ok, err := parseGrantLine("-A spad-input -j spad-grants"); ok || err != nil {
		t.Fatalf("jump parsed as a grant: %v %v", ok, err)
	}
	if _, _, err := parseGrantLine(`-A x -s 192.0.2.0/24 -p tcp --dport 22 -m comment --comment "spad-expires=2026-05-01T10:00:01Z"`); err == nil {
		t.Fatal("a grant for a network accepted")
	}
	f, err := splitRule(`-A x -m comment --comment "a \"b\" c\\d" -j ACCEPT`)
	if err != nil || !slices.Equal(f, []string{"-A", "x", "-m", "comment", "--comment", `a "b" c\d`, "-j", "ACCEPT"}) {
		t.Fatalf("splitRule = %q, %v", f, err)
	}
	if _, err := splitRule(`-A x "open`); err == nil {
		t.Fatal("unterminated quote accepted")
	}
}
