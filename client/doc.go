// Package client builds and sends spa packets for the spa command: it turns
// a [Request] (a profile, the ports to open, the address to open them for)
// into one sealed datagram (spa/SPEC.md §6) and sends it, probes a TCP port
// until the server has opened it ([Wait]), and connects standard input and
// output to that port ([Connect]) for ssh's ProxyCommand.
//
// Everything that touches the outside world comes in through [Deps]: the
// clock, the random source for nonces, and the [Network] (name resolution,
// UDP sending and TCP dialing). Production code leaves Deps zero and gets
// time.Now, crypto/rand and the system network; tests pin the clock and the
// nonce to reproduce the test vectors byte for byte, and fake the network.
//
// Errors never contain the client's secret. Errors the user can fix carry a
// suggestion, returned by [Hint].
package client
