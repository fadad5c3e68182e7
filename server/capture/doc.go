// Package capture delivers the UDP datagrams that reach spad's SPA port
// (and knock-port range) to the daemon.
//
// Two sources implement [Source]:
//
//   - [OpenAFPacket] (the default) sniffs with a Linux AF_PACKET socket in
//     cooked mode (SOCK_DGRAM, so every frame starts at the IP header on any
//     link type: Ethernet, loopback, veth, tunnels). A classic BPF program
//     attached to the socket passes only unicast frames addressed to this
//     host (PACKET_HOST) that are unfragmented IPv4 or IPv6 UDP datagrams
//     to a destination port in [Config.PortLo, Config.PortHi], optionally
//     only from the configured interfaces. Frames arrive through a
//     TPACKET_V3 memory-mapped ring (a lone datagram waits at most the
//     ring's block timeout, 4 ms rounded up to the kernel's tick) and
//     are decoded with a gopacket DecodingLayerParser over reused
//     layers, without allocating. The
//     socket sees datagrams before netfilter, so the port stays closed to
//     everybody else: the firewall may drop them, nobody listens on it,
//     and the kernel answers like for any closed port.
//   - [OpenUDP] is the fallback for containers without CAP_NET_RAW: plain
//     UDP sockets bound to the port(s). It only sees what the firewall lets
//     through, and the port is open.
//
// A socket belongs to the network namespace of the thread that opens it,
// so a caller that runs inside another namespace opens the source on a
// thread that has entered it (see the tests).
//
// Everything here is pure Go (no cgo): the sockets are opened with
// golang.org/x/sys/unix, the filter is assembled with golang.org/x/net/bpf.
package capture
