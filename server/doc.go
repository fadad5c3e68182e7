// Package server is the spad daemon's verification pipeline: it takes a
// datagram and its source address, runs the spa protocol checks (package
// spa, SPEC.md §7 steps 1 to 6), then the server's own steps — clock-step
// guard, address policy, client policy, durable replay insertion and rate
// limit — and returns a [Decision] for the firewall. Every refusal is
// counted under its [spa.Reason] and nothing is ever sent back.
package server
