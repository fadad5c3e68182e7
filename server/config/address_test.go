package config

import (
	"net/netip"
	"strings"
	"testing"
)

func mustPolicy(t *testing.T, s string) AddressPolicy {
	t.Helper()
	p, err := ParseAddressPolicy(s)
	if err != nil {
		t.Fatalf("ParseAddressPolicy(%q): %v", s, err)
	}
	return p
}

func TestAllows(t *testing.T) {
	a := netip.MustParseAddr
	var none netip.Addr
	cidr := "198.51.100.0/24, 2001:db8::/32"
	tests := []struct {
		name      string
		policy    string
		named     netip.Addr
		source    netip.Addr
		useSource bool
		want      netip.Addr // invalid: refused
	}{
		// strict: no USE_SOURCE, named == source after unmapping.
		{"strict v4 equal", "strict", a("192.0.2.7"), a("192.0.2.7"), false, a("192.0.2.7")},
		{"strict mapped named", "strict", a("::ffff:192.0.2.7"), a("192.0.2.7"), false, a("192.0.2.7")},
		{"strict mapped source", "strict", a("192.0.2.7"), a("::ffff:192.0.2.7"), false, a("192.0.2.7")},
		{"strict v6 equal", "strict", a("2001:db8::1"), a("2001:db8::1"), false, a("2001:db8::1")},
		{"strict source zone ignored", "strict", a("fe80::1"), a("fe80::1%eth0"), false, a("fe80::1")},
		{"strict differs", "strict", a("192.0.2.7"), a("192.0.2.8"), false, none},
		{"strict v4 vs v6", "strict", a("192.0.2.7"), a("2001:db8::1"), false, none},
		{"strict use source", "strict", a("192.0.2.7"), a("192.0.2.7"), true, none},
		{"strict no named", "strict", none, a("192.0.2.7"), false, none},
		{"strict nothing", "strict", none, none, false, none},
		// source: USE_SOURCE required, grant for the source.
		{"source", "source", none, a("203.0.113.9"), true, a("203.0.113.9")},
		{"source mapped", "source", none, a("::ffff:203.0.113.9"), true, a("203.0.113.9")},
		{"source ignores named", "source", a("192.0.2.1"), a("203.0.113.9"), true, a("203.0.113.9")},
		{"source without flag", "source", a("203.0.113.9"), a("203.0.113.9"), false, none},
		{"source no source", "source", none, none, true, none},
		// cidr: no USE_SOURCE, named inside a prefix; source irrelevant.
		{"cidr v4 inside", cidr, a("198.51.100.200"), a("192.0.2.1"), false, a("198.51.100.200")},
		{"cidr mapped inside", cidr, a("::ffff:198.51.100.1"), a("198.51.100.1"), false, a("198.51.100.1")},
		{"cidr v6 inside", cidr, a("2001:db8:ffff::1"), a("2001:db8::5"), false, a("2001:db8:ffff::1")},
		{"cidr v4 outside", cidr, a("198.51.101.1"), a("198.51.101.1"), false, none},
		{"cidr v6 outside", cidr, a("2001:db9::1"), a("2001:db9::1"), false, none},
		{"cidr use source", cidr, none, a("198.51.100.1"), true, none},
		{"cidr use source named inside", cidr, a("198.51.100.1"), a("198.51.100.1"), true, none},
		{"cidr no named", cidr, none, a("198.51.100.1"), false, none},
		{"cidr mapped prefix", "::ffff:198.51.100.0/120", a("198.51.100.3"), none, false, a("198.51.100.3")},
		{"cidr single address", "192.0.2.7", a("192.0.2.7"), none, false, a("192.0.2.7")},
		{"cidr single address other", "192.0.2.7", a("192.0.2.8"), none, false, none},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPolicy(t, tt.policy)
			got, ok := p.Allows(tt.named, tt.source, tt.useSource)
			if ok != tt.want.IsValid() || got != tt.want {
				t.Errorf("Allows(%v, %v, %v) = %v, %v; want %v, %v",
					tt.named, tt.source, tt.useSource, got, ok, tt.want, tt.want.IsValid())
			}
		})
	}
}

func TestZeroPolicyIsStrict(t *testing.T) {
	var p AddressPolicy
	if p.Mode != AddressStrict || p.String() != "strict" {
		t.Fatalf("zero policy = %v %q", p.Mode, p.String())
	}
	src := netip.MustParseAddr("192.0.2.1")
	if _, ok := p.Allows(netip.Addr{}, src, true); ok {
		t.Fatal("zero policy allowed USE_SOURCE")
	}
}

func TestParseAddressPolicy(t *testing.T) {
	good := map[string]string{
		"strict":                             "strict",
		" source ":                           "source",
		"198.51.100.0/24, 2001:db8::/32":     "198.51.100.0/24, 2001:db8::/32",
		"198.51.100.0/24,2001:db8::/32":      "198.51.100.0/24, 2001:db8::/32",
		"192.0.2.7":                          "192.0.2.7/32",
		"2001:db8::7":                        "2001:db8::7/128",
		"::ffff:192.0.2.0/120":               "192.0.2.0/24",
		"0.0.0.0/0":                          "0.0.0.0/0",
		"10.0.0.0/8, 172.16.0.0/12, ::1/128": "10.0.0.0/8, 172.16.0.0/12, ::1/128",
	}
	for in, want := range good {
		p := mustPolicy(t, in)
		if p.String() != want {
			t.Errorf("ParseAddressPolicy(%q).String() = %q, want %q", in, p.String(), want)
		}
		if q := mustPolicy(t, p.String()); q.String() != want {
			t.Errorf("round trip of %q gave %q", want, q.String())
		}
	}
	bad := map[string]string{
		"":                                 "empty address policy",
		"Strict":                           `bad prefix "Strict"`,
		"192.0.2.1/24":                     `prefix "192.0.2.1/24" has host bits set; did you mean "192.0.2.0/24"?`,
		"2001:db8::1/32":                   `prefix "2001:db8::1/32" has host bits set; did you mean "2001:db8::/32"?`,
		"198.51.100.0/33":                  `bad prefix "198.51.100.0/33"`,
		"198.51.100.0/24,":                 "empty prefix in list",
		"198.51.100.0/24, 198.51.100.0/24": `prefix "198.51.100.0/24" listed twice`,
		"fe80::1%eth0":                     `bad prefix "fe80::1%eth0"`,
		"example.com":                      `bad prefix "example.com"`,
	}
	for in, want := range bad {
		_, err := ParseAddressPolicy(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseAddressPolicy(%q) = %v, want error containing %q", in, err, want)
		}
	}
}
