package main

import "net/netip"

// okScenarios are packets every verifier must accept.
func okScenarios() []scenario {
	return []scenario{
		sc("ok_ipv4_tcp22", "ok", "open tcp/22 for 60 s for an IPv4 client, sent at the verifier's time", nil, "ipv4", "open"),
		sc("ok_ipv6_tcp22", "ok", "open tcp/22 for an IPv6 client", func(s *scenario) {
			s.m.ip = clientV6
			s.source = clientV6.String()
		}, "ipv6", "open"),
		sc("ok_eight_ports", "ok", "open the maximum of 8 ports, TCP and UDP mixed; tcp/53 and udp/53 are different entries", func(s *scenario) {
			s.m.ports = []portEntry{tcp(22), udp(53), tcp(53), tcp(443), udp(443), tcp(8443), udp(51820), tcp(3389)}
			s.policy.Allow = []string{"tcp/22", "tcp/53", "udp/53", "tcp/443", "udp/443", "tcp/3389", "tcp/8443", "udp/51820"}
		}, "ports", "open"),
		sc("ok_large_bucket", "ok", "the same kind of open in the large bucket (240-byte body, 285-byte packet)", func(s *scenario) {
			s.m.size = largeBody
		}, "large-bucket", "open"),
		sc("ok_ts_now_minus_w", "ok", "ts = now - W exactly: the window's lower bound is inclusive", func(s *scenario) {
			s.m.ts = s.now - s.window
		}, "freshness", "open"),
		sc("ok_ts_now_plus_w", "ok", "ts = now + W exactly: the window's upper bound is inclusive", func(s *scenario) {
			s.m.ts = s.now + s.window
		}, "freshness", "open"),
		sc("ok_use_source", "ok", "USE_SOURCE with an all-zero client_ip under the \"source\" address policy: the grant is for the datagram's source", func(s *scenario) {
			s.m.flags = flagUseSource
			s.m.ip = netip.Addr{}
			s.source = "203.0.113.7"
			s.policy.Address = "source"
		}, "use-source", "open"),
		sc("ok_close", "ok", "close tcp/22 (duration 0); no grant", func(s *scenario) {
			s.m.typ = typeClose
			s.m.duration = 0
		}, "close"),
		sc("ok_action", "ok", "action 2, which the policy's allowlist [1, 2] contains; no ports, duration 0", func(s *scenario) {
			s.m.typ = typeAction
			s.m.action = 2
			s.m.duration = 0
			s.m.ports = nil
			s.policy.Actions = []uint16{1, 2}
		}, "action"),
		sc("ok_resync", "ok", "resync with counter 0x0001020304050607 (checks the u64 byte order; below 2^53 so JSON readers that use doubles keep it exact)", func(s *scenario) {
			s.m.typ = typeResync
			s.m.counter = 0x0001020304050607
			s.m.duration = 0
			s.m.ports = nil
			s.policy.KnockPorts = "hotp"
		}, "resync"),
		sc("ok_ts_prev_epoch", "ok", "now is 20 s into an epoch and ts 15 s before its start: the hint is of the previous epoch, which the table holds because epoch(now - W) is that epoch", func(s *scenario) {
			s.now = t0 + 20000
			s.m.ts = t0 - 15000
		}, "epoch-boundary", "open"),
		sc("ok_ts_next_epoch", "ok", "now is 20 s before an epoch ends and ts 15 s after: the hint is of the next epoch, which the table holds because epoch(now + W) is that epoch", func(s *scenario) {
			s.now = t0 + epochMs - 20000
			s.m.ts = t0 + epochMs + 15000
		}, "epoch-boundary", "open"),
		sc("ok_duration_default", "ok", "duration 0 asks for the policy's default: granted 30 s", func(s *scenario) {
			s.m.duration = 0
		}, "duration", "open"),
		sc("ok_duration_clamped", "ok", "duration 3600 exceeds the policy's maximum: granted 300 s", func(s *scenario) {
			s.m.duration = 3600
		}, "duration", "open"),
		sc("ok_cidr_inside", "ok", "CIDR address policy: client_ip differs from the source but lies in 198.51.100.0/24; the grant is for client_ip", func(s *scenario) {
			s.source = "203.0.113.99"
			s.policy.Address = []string{"2001:db8:1::/48", "198.51.100.0/24"}
		}, "cidr", "open"),
	}
}
