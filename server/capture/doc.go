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
//     to a destination port in one of the configured ranges, optionally
//     only from the configured interfaces. Frames arrive through a
//     TPACKET_V2 memory-mapped ring (see below) and are decoded with a
//     gopacket DecodingLayerParser over reused layers, without
//     allocating. The socket sees datagrams before netfilter, so the
//     port stays closed to everybody else: the firewall may drop them,
//     nobody listens on it, and the kernel answers like for any closed
//     port.
//   - [OpenUDP] is the fallback for containers without CAP_NET_RAW: plain
//     UDP sockets bound to the port(s). It only sees what the firewall lets
//     through, and the port is open.
//
// # The ring
//
// The kernel copies each matching frame into the next 1 KiB slot of a
// TPACKET_V2 ring, hands the slot over at once and wakes the reader, so a
// lone datagram reaches Read as soon as the reader's CPU wakes up (median
// ~0.13 ms on a two-core VM, the same as a plain UDP socket). An IP packet
// of up to 944 bytes fits a slot; a longer one arrives truncated and is
// counted as filtered, which spa's datagrams (at most 285 bytes of payload)
// never are. Read takes frame after frame from the ring without a system
// call; once the ring is empty it pauses for 250 µs and looks again, and
// only sleeps in poll if the ring is still empty. Without the pause, a
// flood wakes the reader for nearly every frame: on that VM it cost the
// sender a third of its rate and the reader twice the CPU. With it, a
// flood costs as much CPU as before, and a datagram that follows another
// within the pause waits for the rest of it.
//
// Alternatives measured on that VM (Linux 6.18, HZ=250):
//
//   - TPACKET_V3, used before, hands over whole blocks: when full, or when
//     the block timeout has passed (1 ms at least; in jiffies on older
//     kernels, a 4 ms tick at HZ=250). A lone datagram waited 0.75 ms
//     (median), most of spad's 1 ms knock-to-open budget.
//   - recvmmsg(2) on the socket without a ring also wakes the reader per
//     datagram and takes datagrams of any size, but the reader pays ~1.1
//     µs in the kernel per datagram, against ~0.3 µs to read one from the
//     ring: CPU a daemon needs under a flood.
//
// A socket belongs to the network namespace of the thread that opens it,
// so a caller that runs inside another namespace opens the source on a
// thread that has entered it (see the tests).
//
// Everything here is pure Go (no cgo): the sockets are opened with
// golang.org/x/sys/unix, the filter is assembled with golang.org/x/net/bpf.
package capture
