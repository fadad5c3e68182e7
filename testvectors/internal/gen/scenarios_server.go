package main

import "net/netip"

// serverScenarios are authentic, canonical packets rejected by freshness
// (step 6) or by the server's own checks (steps 7-9).
func serverScenarios() []scenario {
	return []scenario{
		// Step 6: freshness. ts stays in the table's only epoch.
		sc("stale_ts_before_window", "stale", "ts = now - W - 1 ms, still in the epoch of now", func(s *scenario) {
			s.m.ts = s.now - s.window - 1
		}, "freshness"),
		sc("stale_ts_after_window", "stale", "ts = now + W + 1 ms, still in the epoch of now", func(s *scenario) {
			s.m.ts = s.now + s.window + 1
		}, "freshness"),
		sc("stale_short_window", "stale", "W = 10 s and ts = now - 30 s: fresh under the default W, stale under this one", func(s *scenario) {
			s.window = 10000
			s.m.ts = s.now - 30000
		}, "freshness", "window"),

		// Step 7: address.
		sc("address_strict_mismatch", "address", "strict policy, client_ip 198.51.100.23 but source 203.0.113.50", func(s *scenario) {
			s.source = "203.0.113.50"
		}, "strict"),
		sc("address_strict_use_source", "address", "strict policy, but the packet sets USE_SOURCE", func(s *scenario) {
			s.m.flags = flagUseSource
			s.m.ip = netip.Addr{}
		}, "strict", "use-source"),
		sc("address_cidr_outside", "address", "CIDR policy [203.0.113.0/24, 2001:db8:1::/48], client_ip 198.51.100.23 (= source) is in neither", func(s *scenario) {
			s.policy.Address = []string{"203.0.113.0/24", "2001:db8:1::/48"}
		}, "cidr"),
		sc("address_cidr_use_source", "address", "CIDR policy [203.0.113.0/24], the packet sets USE_SOURCE and comes from 203.0.113.9 inside the prefix", func(s *scenario) {
			s.m.flags = flagUseSource
			s.m.ip = netip.Addr{}
			s.source = "203.0.113.9"
			s.policy.Address = []string{"203.0.113.0/24"}
		}, "cidr", "use-source"),
		sc("address_source_without_flag", "address", "\"source\" policy, but USE_SOURCE is not set (client_ip equals the source)", func(s *scenario) {
			s.policy.Address = "source"
		}, "use-source"),

		// Step 8: policy.
		sc("policy_port_not_allowed", "policy", "open tcp/23, the policy allows only tcp/22", func(s *scenario) {
			s.m.ports = []portEntry{tcp(23)}
		}, "ports"),
		sc("policy_udp_not_tcp", "policy", "open udp/22, the policy allows only tcp/22", func(s *scenario) {
			s.m.ports = []portEntry{udp(22)}
		}, "ports"),
		sc("policy_one_port_not_allowed", "policy", "open tcp/22 and tcp/443, the policy allows only tcp/22", func(s *scenario) {
			s.m.ports = []portEntry{tcp(22), tcp(443)}
		}, "ports"),
		sc("policy_action_not_allowed", "policy", "action 7, the policy allows actions [1, 2]", func(s *scenario) {
			s.m.typ = typeAction
			s.m.action = 7
			s.m.duration = 0
			s.m.ports = nil
			s.policy.Actions = []uint16{1, 2}
		}, "action"),

		// Step 9: replay.
		sc("replay_second_delivery", "replay", "ok_ipv4_tcp22's kind of packet delivered twice: the first is accepted, the second is a replay", func(s *scenario) {
			s.presentations = 2
		}, "replay"),
		sc("policy_resync_not_hotp", "policy", "a valid resync from a client whose knock mode is not hotp (here off) is refused by policy (SPEC.md §11.8)", func(s *scenario) {
			s.m.typ = typeResync
			s.m.counter = 7
			s.m.duration = 0
			s.m.ports = nil
		}, "resync"),
	}
}
