package main

import "net/netip"

// badBodyScenarios carry a valid tag over a plaintext that breaks exactly one
// rule of SPEC.md §5.1 (step 5). Everything else is as in ok_ipv4_tcp22.
func badBodyScenarios() []scenario {
	setIP := func(ip string) func(*scenario) {
		return func(s *scenario) { s.m.ip = netip.MustParseAddr(ip) }
	}
	return []scenario{
		// Rule 1: type.
		sc("bad_body_type_0", "bad_body", "type 0, otherwise an open", func(s *scenario) { s.m.typ = 0 }, "rule-1"),
		sc("bad_body_type_5", "bad_body", "type 5, otherwise an open", func(s *scenario) { s.m.typ = 5 }, "rule-1"),

		// Rule 2: flags.
		sc("bad_body_flag_knock", "bad_body", "flag bit 1 (0x02), reserved for the knock-port transport", func(s *scenario) { s.m.flags = 0x02 }, "rule-2"),
		sc("bad_body_flag_bit2", "bad_body", "reserved flag bit 2 (0x04)", func(s *scenario) { s.m.flags = 0x04 }, "rule-2"),
		sc("bad_body_flag_bit7", "bad_body", "reserved flag bit 7 (0x80)", func(s *scenario) { s.m.flags = 0x80 }, "rule-2"),

		// Rule 3: client_ip.
		sc("bad_body_use_source_with_ip", "bad_body", "USE_SOURCE set but client_ip is not all zero", func(s *scenario) {
			s.m.flags = flagUseSource
			s.policy.Address = "source"
		}, "rule-3", "use-source"),
		sc("bad_body_ip_unspecified_v6", "bad_body", "client_ip :: without USE_SOURCE", func(s *scenario) {
			s.m.ip = netip.IPv6Unspecified()
		}, "rule-3"),
		sc("bad_body_ip_unspecified_v4", "bad_body", "client_ip ::ffff:0.0.0.0 without USE_SOURCE", setIP("::ffff:0.0.0.0"), "rule-3"),
		sc("bad_body_ip_multicast_v6", "bad_body", "client_ip ff0e::db8:0:1 (IPv6 multicast, RFC 6676 documentation range)", setIP("ff0e::db8:0:1"), "rule-3"),
		sc("bad_body_ip_multicast_v4", "bad_body", "client_ip ::ffff:233.252.0.1 (IPv4-mapped multicast, RFC 5771 documentation range)", setIP("::ffff:233.252.0.1"), "rule-3"),
		sc("bad_body_ip_broadcast", "bad_body", "client_ip ::ffff:255.255.255.255 (IPv4 limited broadcast)", setIP("::ffff:255.255.255.255"), "rule-3"),

		// Rule 4: port entries.
		sc("bad_body_nine_ports", "bad_body", "open with n = 9 distinct valid entries", func(s *scenario) {
			s.m.ports = []portEntry{tcp(22), tcp(80), tcp(443), tcp(8080), tcp(8443), udp(53), udp(123), udp(443), udp(51820)}
		}, "rule-4"),
		sc("bad_body_proto_1", "bad_body", "a port entry with proto 1 (ICMP)", func(s *scenario) {
			s.m.ports = []portEntry{{1, 22}}
		}, "rule-4"),
		sc("bad_body_port_0", "bad_body", "the entry tcp/0", func(s *scenario) {
			s.m.ports = []portEntry{tcp(22), tcp(0)}
		}, "rule-4"),
		sc("bad_body_duplicate_port", "bad_body", "tcp/22 twice", func(s *scenario) {
			s.m.ports = []portEntry{tcp(22), udp(22), tcp(22)}
		}, "rule-4"),

		// Rule 5: per type.
		sc("bad_body_open_no_ports", "bad_body", "open with n = 0", func(s *scenario) { s.m.ports = nil }, "rule-5"),
		sc("bad_body_open_with_action", "bad_body", "open with action 1 (allowed by the policy)", func(s *scenario) {
			s.m.action = 1
			s.policy.Actions = []uint16{1}
		}, "rule-5"),
		sc("bad_body_close_duration", "bad_body", "close with duration 60", func(s *scenario) { s.m.typ = typeClose }, "rule-5", "close"),
		sc("bad_body_action_with_ports", "bad_body", "action 1 with n = 1 (tcp/22)", func(s *scenario) {
			s.m.typ = typeAction
			s.m.action = 1
			s.m.duration = 0
			s.policy.Actions = []uint16{1}
		}, "rule-5", "action"),
		sc("bad_body_action_zero", "bad_body", "action message with action 0", func(s *scenario) {
			s.m.typ = typeAction
			s.m.duration = 0
			s.m.ports = nil
		}, "rule-5", "action"),
		sc("bad_body_action_duration", "bad_body", "action 1 with duration 60", func(s *scenario) {
			s.m.typ = typeAction
			s.m.action = 1
			s.m.ports = nil
			s.policy.Actions = []uint16{1}
		}, "rule-5", "action"),
		sc("bad_body_resync_with_ports", "bad_body", "resync with n = 1 (tcp/22)", func(s *scenario) {
			s.m.typ = typeResync
			s.m.duration = 0
		}, "rule-5", "resync"),

		// Rule 6: padding.
		sc("bad_body_padding_first", "bad_body", "the first padding byte (offset 42) is 0x01", func(s *scenario) {
			s.plain = func(b []byte) { b[portsOff+3] = 0x01 }
		}, "rule-6"),
		sc("bad_body_padding_last_large", "bad_body", "large bucket, the last padding byte (offset 239) is 0x80", func(s *scenario) {
			s.m.size = largeBody
			s.plain = func(b []byte) { b[largeBody-1] = 0x80 }
		}, "rule-6", "large-bucket"),

		// Rule 7: epoch(ts) must be the epoch of the hint.
		sc("bad_body_hint_epoch_mismatch", "bad_body", "now and ts 20 s into an epoch; hint and mask are of the previous epoch, which is in the table (epoch(now - W)); derived.hint and derived.mask are those of epoch(ts), not the packet's", func(s *scenario) {
			s.now = t0 + 20000
			s.m.ts = s.now
			s.hintEpoch = epoch0 - 1
		}, "rule-7", "epoch-boundary"),
	}
}
