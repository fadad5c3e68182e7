// Package systest holds spa's system tests and its benchmark harness: the
// real spad and spa binaries, real OpenSSH, and the peers fwknopd and
// knockd, run through real kernels and sockets in the network lab of
// package [github.com/spa-project/spa/server/lab].
//
// The package has no code of its own outside its tests. As root (and
// always under CI=true, where a skip is a failure) "go test" runs:
//
//   - adversarial tests against spad with its nftables backend: an attacker
//     that overhears the client's datagram on the wire and replays it from
//     its own address and with the client's forged address, every
//     single-bit flip of a captured datagram, stale packets, packets for
//     another server, ports outside the client's policy, a port scan, and
//     a capture of everything the server sends meanwhile;
//   - "spa connect" carrying a real OpenSSH session through ProxyCommand;
//   - the benchmark harness in its short profile, asserting only what is
//     robust on a busy two-core machine.
//
// The benchmark prints one table (knock-to-open latency, valid knocks
// opened under junk floods, daemon CPU and peak memory) for spa, fwknopd
// and knockd measured in the same run:
//
//	sudo SPA_LAB_PROFILE=full go test -run '^$' -bench Lab -benchtime 1x -timeout 30m ./server/systest/
package systest
