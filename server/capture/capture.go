package capture

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// Packet is one UDP datagram addressed to a captured port.
type Packet struct {
	// Payload is the UDP payload. It aliases a buffer of the Source and
	// stays valid until the next Read on the same Source (or its Close).
	Payload []byte
	// Src and Dst are the IP header's addresses, IPv4 ones unmapped. In
	// AF_PACKET mode Dst is what the header says: on a host that routes,
	// it need not be one of the host's addresses.
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
}

// Stats are a Source's counters since it was opened.
type Stats struct {
	// Received counts the packets returned by Read.
	Received uint64
	// KernelDrops counts the datagrams that matched but that the kernel
	// dropped because the ring (AF_PACKET) or the socket buffer (UDP) was
	// full.
	KernelDrops uint64
	// Filtered counts the frames that reached userspace but were not
	// returned: not matching (should be ~0 thanks to the BPF filter),
	// malformed, or truncated (in AF_PACKET mode, an IP packet longer
	// than 944 bytes does not fit a ring frame).
	Filtered uint64
}

// Source delivers captured datagrams.
type Source interface {
	// Read blocks until a datagram arrives. After Close it returns an
	// error wrapping net.ErrClosed. Concurrent calls are serialized.
	Read() (Packet, error)
	// Stats returns the counters; it may be called at any time, also
	// concurrently with Read and after Close.
	Stats() Stats
	// Close releases the source and makes a pending Read return
	// promptly. Closing twice is a no-op.
	Close() error
}

// Config selects what a Source captures.
type Config struct {
	// Interfaces lists the interfaces to capture on (AF_PACKET only);
	// empty means all of them.
	Interfaces []string
	// PortLo and PortHi are the destination port range, inclusive;
	// PortLo == PortHi for just the SPA port.
	PortLo, PortHi uint16
	// More are further destination port ranges, such as the knock ports.
	More []PortRange
	// BufferSize is, in AF_PACKET mode, the ring size in bytes: frames
	// of 1 KiB in blocks of 128 KiB, at least 4 blocks, 8 MiB (8192
	// frames) when 0. In UDP mode it is each socket's SO_RCVBUF (capped
	// by net.core.rmem_max), the system's default when 0.
	BufferSize int
}

// PortRange is an inclusive range of UDP destination ports.
type PortRange struct{ Lo, Hi uint16 }

// ranges returns every configured port range, the primary one first.
func (c Config) ranges() []PortRange {
	return append([]PortRange{{c.PortLo, c.PortHi}}, c.More...)
}

// maxRanges bounds the port ranges (the BPF program checks each in turn).
const maxRanges = 16

const (
	// maxBufferSize bounds BufferSize (1 GiB).
	maxBufferSize = 1 << 30
	// maxInterfaces bounds Config.Interfaces (the BPF program checks each
	// index in turn).
	maxInterfaces = 64
	// maxUDPPorts bounds the port range in UDP mode: one socket per port.
	maxUDPPorts = 4096
)

// errClosed is returned by Read after Close.
var errClosed = fmt.Errorf("capture: source closed: %w", net.ErrClosed)

func (c Config) validate() error {
	if len(c.More) >= maxRanges {
		return fmt.Errorf("capture: %d port ranges, at most %d", len(c.More)+1, maxRanges)
	}
	for _, r := range c.ranges() {
		if r.Lo == 0 || r.Hi < r.Lo {
			return fmt.Errorf("capture: invalid port range %d-%d", r.Lo, r.Hi)
		}
	}
	if c.BufferSize < 0 || c.BufferSize > maxBufferSize {
		return fmt.Errorf("capture: buffer size %d out of range 0-%d", c.BufferSize, maxBufferSize)
	}
	if len(c.Interfaces) > maxInterfaces {
		return fmt.Errorf("capture: %d interfaces, at most %d", len(c.Interfaces), maxInterfaces)
	}
	for _, name := range c.Interfaces {
		if name == "" {
			return errors.New("capture: empty interface name")
		}
	}
	return nil
}
