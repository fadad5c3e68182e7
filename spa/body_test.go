package spa

import (
	"net/netip"
	"strings"
	"testing"
)

func TestBodyValidateRules(t *testing.T) {
	ts := uint64(testNow.UnixMilli())
	v4 := netip.MustParseAddr("192.0.2.10")
	ssh := [MaxPorts]Port{{TCP, 22}}
	for _, tc := range []struct {
		name string
		b    Body
		want string // substring of the error; "" = valid
	}{
		{"open", Body{Type: MsgOpen, UnixMilli: ts, ClientIP: v4, NumPorts: 1, Ports: ssh}, ""},
		{"close", Body{Type: MsgClose, UnixMilli: ts, ClientIP: v4, NumPorts: 1, Ports: ssh}, ""},
		{"action", Body{Type: MsgAction, UnixMilli: ts, ClientIP: v4, Action: 7}, ""},
		{"resync", Body{Type: MsgResync, UnixMilli: ts, ClientIP: v4, Counter: 9}, ""},
		{"type 0", Body{Type: 0, ClientIP: v4}, "unknown message type"},
		{"type 5", Body{Type: 5, ClientIP: v4}, "unknown message type"},
		{"reserved flag", Body{Type: MsgOpen, Flags: 0x02, ClientIP: v4, NumPorts: 1, Ports: ssh}, "reserved flag"},
		{"no address", Body{Type: MsgOpen, NumPorts: 1, Ports: ssh}, "no client address"},
		{"unspecified v6", Body{Type: MsgOpen, ClientIP: netip.IPv6Unspecified(), NumPorts: 1, Ports: ssh}, "cannot be opened"},
		{"unspecified v4", Body{Type: MsgOpen, ClientIP: netip.IPv4Unspecified(), NumPorts: 1, Ports: ssh}, "cannot be opened"},
		{"multicast", Body{Type: MsgOpen, ClientIP: netip.MustParseAddr("ff02::1"), NumPorts: 1, Ports: ssh}, "cannot be opened"},
		{"multicast v4", Body{Type: MsgOpen, ClientIP: netip.MustParseAddr("224.0.0.1"), NumPorts: 1, Ports: ssh}, "cannot be opened"},
		{"broadcast", Body{Type: MsgOpen, ClientIP: netip.MustParseAddr("255.255.255.255"), NumPorts: 1, Ports: ssh}, "cannot be opened"},
		{"zone", Body{Type: MsgOpen, ClientIP: netip.MustParseAddr("fe80::1%eth0"), NumPorts: 1, Ports: ssh}, "zone"},
		{"source with ip", Body{Type: MsgOpen, Flags: FlagUseSource, ClientIP: v4, NumPorts: 1, Ports: ssh}, "use-source"},
		{"open no ports", Body{Type: MsgOpen, ClientIP: v4}, "at least one port"},
		{"open with action", Body{Type: MsgOpen, ClientIP: v4, Action: 1, NumPorts: 1, Ports: ssh}, "no action"},
		{"close duration", Body{Type: MsgClose, ClientIP: v4, Duration: 5, NumPorts: 1, Ports: ssh}, "no duration"},
		{"action ports", Body{Type: MsgAction, ClientIP: v4, Action: 1, NumPorts: 1, Ports: ssh}, "no ports"},
		{"action zero", Body{Type: MsgAction, ClientIP: v4}, "action number"},
		{"resync ports", Body{Type: MsgResync, ClientIP: v4, NumPorts: 1, Ports: ssh}, "no ports"},
		{"nine ports", Body{Type: MsgOpen, ClientIP: v4, NumPorts: 9}, "at most 8"},
		{"proto 1", Body{Type: MsgOpen, ClientIP: v4, NumPorts: 1, Ports: [8]Port{{1, 22}}}, "not a TCP or UDP"},
		{"port 0", Body{Type: MsgOpen, ClientIP: v4, NumPorts: 1, Ports: [8]Port{{TCP, 0}}}, "not a TCP or UDP"},
		{"duplicate", Body{Type: MsgOpen, ClientIP: v4, NumPorts: 2, Ports: [8]Port{{TCP, 22}, {TCP, 22}}}, "repeats"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.b.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Validate: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestParseBodyRoundTripAndStrictness(t *testing.T) {
	b := *openBody(testNow, "2001:db8::1", Port{TCP, 22}, Port{UDP, 53}, Port{TCP, 8443})
	b.Counter = 77
	for _, n := range []int{BodyLenSmall, BodyLenLarge} {
		buf := make([]byte, n)
		b.encode(buf)
		got, err := ParseBody(buf)
		if err != nil || got != b {
			t.Fatalf("round trip: %+v, %v", got, err)
		}
		// Any non-zero padding byte is refused.
		for i := offPorts + 3*3; i < n; i++ {
			bad := append([]byte(nil), buf...)
			bad[i] = 1
			if _, err := ParseBody(bad); err == nil {
				t.Fatalf("padding byte %d set: accepted", i)
			} else {
				wantReason(t, err, ReasonBadBody)
			}
		}
	}
	if _, err := ParseBody(make([]byte, 100)); err == nil {
		t.Fatal("100-byte body accepted")
	}
}

func TestSealRefusesNonCanonicalBody(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	var nonce [NonceSize]byte
	_, err := k.Seal(nil, &Body{Type: MsgOpen, ClientIP: netip.MustParseAddr("192.0.2.1")}, &nonce, Small)
	if err == nil {
		t.Fatal("sealed an open with no ports")
	}
}

func TestParsePort(t *testing.T) {
	for in, want := range map[string]Port{"tcp/22": {TCP, 22}, "UDP/53": {UDP, 53}, " tcp/65535 ": {TCP, 65535}} {
		if got, err := ParsePort(in); err != nil || got != want {
			t.Errorf("ParsePort(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "tcp", "tcp/0", "tcp/65536", "icmp/1", "tcp/-1", "tcp/22x", "22"} {
		if _, err := ParsePort(in); err == nil || !strings.Contains(err.Error(), "tcp/22") {
			t.Errorf("ParsePort(%q) = %v, want an error with an example", in, err)
		}
	}
	if _, err := ParsePorts("tcp/22,tcp/22"); err == nil {
		t.Error("duplicate accepted")
	}
}

func TestReasonsAreAClosedSetOfLabels(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Reasons() {
		l := r.String()
		if seen[l] || l == "unknown_reason" || strings.ToLower(l) != l {
			t.Fatalf("bad or duplicate label %q", l)
		}
		seen[l] = true
		if p, ok := ParseReason(l); !ok || p != r {
			t.Fatalf("ParseReason(%q) = %v, %v", l, p, ok)
		}
		if !strings.HasPrefix(r.Error(), "spa: ") {
			t.Fatalf("%v: error text %q lacks the package prefix", r, r.Error())
		}
	}
	if len(seen) != 13 {
		t.Fatalf("%d reasons, want 13", len(seen))
	}
}
