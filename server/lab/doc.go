// Package lab builds a small, throw-away network for system tests and
// benchmarks that need real kernels, real sockets and real peers: a server,
// a client and an attacker, each in its own network namespace, joined by a
// bridge in a fourth "wire" namespace.
//
//	            wire namespace: bridge br0
//	        ┌──────────┼──────────┐
//	      eth0       eth0       eth0
//	     server     client    attacker
//	  192.0.2.1   192.0.2.2   192.0.2.3
//	2001:db8:1::1  ...::2      ...::3
//
// Every host has one interface, eth0, with an IPv4 and an IPv6 address from
// the documentation ranges (RFC 5737, RFC 3849) and no route beyond the
// link, so nothing can leave for an outside address. The bridge normally
// learns addresses like a switch; [Lab.Hub] turns learning off, so that
// every frame reaches every host and the attacker sees the client's packets
// on its own interface, as an observer on the path would.
//
// Around the network the package offers what tests need to exercise a
// daemon through the wire: processes started inside a namespace with their
// CPU time and peak memory ([Start], [Proc.Usage]), packet capture with
// kernel timestamps ([NS.Sniff]), a connect race that finds the moment a
// firewalled port opens ([NS.StartRace]), port-state probes as a scanner
// sees them ([NS.TCPState], [NS.UDPState]), IPv4 datagrams with a forged
// source address ([NS.SendSpoofedUDP4]), a real OpenSSH server ([StartSSHD])
// and a junk-flood sender (the labflood command in this directory tree).
//
// Nothing here touches the namespace the test runs in, apart from the
// /run/netns entries of its own namespaces; the host's firewall is never
// read or changed. Every namespace is named after the test process
// ("spalab-PID-N-role"), and t.Cleanup removes namespaces, processes and
// files even when a test fails. Tests call [Require] first: it skips them
// without root (and fails them when CI=true, where a skip would hide a
// missing test).
package lab
