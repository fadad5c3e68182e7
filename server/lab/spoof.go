//go:build linux

package lab

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// SendSpoofedUDP4 sends each payload as one IPv4 UDP datagram from inside
// ns whose source address and port are src, whatever the namespace's own
// address: a raw socket with a header written here (IP_HDRINCL, implied
// by IPPROTO_RAW).
func (ns *NS) SendSpoofedUDP4(src, dst netip.AddrPort, payloads ...[]byte) error {
	if !src.Addr().Is4() || !dst.Addr().Is4() {
		return fmt.Errorf("spoofed udp: %v > %v: IPv4 only", src, dst)
	}
	return ns.Do(func() error {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
		if err != nil {
			return fmt.Errorf("raw socket: %w", err)
		}
		defer unix.Close(fd)
		to := &unix.SockaddrInet4{Addr: dst.Addr().As4()}
		for i, p := range payloads {
			if i > 0 {
				time.Sleep(sendGap)
			}
			if err := unix.Sendto(fd, udp4Packet(src, dst, p), 0, to); err != nil {
				return fmt.Errorf("spoofed udp %v > %v: %w", src, dst, err)
			}
		}
		return nil
	})
}

// udp4Packet builds an IPv4 header, a UDP header and the payload. The
// kernel fills in the IP checksum and identification of IP_HDRINCL
// packets; the UDP checksum is computed here.
func udp4Packet(src, dst netip.AddrPort, payload []byte) []byte {
	const ipLen, udpLen = 20, 8
	b := make([]byte, ipLen+udpLen+len(payload))
	b[0] = 0x45 // version 4, 5 words of header
	binary.BigEndian.PutUint16(b[2:4], uint16(len(b)))
	b[6] = 0x40 // don't fragment
	b[8] = 64   // TTL
	b[9] = ProtoUDP
	s, d := src.Addr().As4(), dst.Addr().As4()
	copy(b[12:16], s[:])
	copy(b[16:20], d[:])
	u := b[ipLen:]
	binary.BigEndian.PutUint16(u[0:2], src.Port())
	binary.BigEndian.PutUint16(u[2:4], dst.Port())
	binary.BigEndian.PutUint16(u[4:6], uint16(udpLen+len(payload)))
	copy(u[udpLen:], payload)
	// Checksum over the pseudo-header (addresses, protocol, UDP length)
	// and the UDP header and data.
	pseudo := make([]byte, 0, 12+len(u))
	pseudo = append(pseudo, s[:]...)
	pseudo = append(pseudo, d[:]...)
	pseudo = append(pseudo, 0, ProtoUDP, u[4], u[5])
	pseudo = append(pseudo, u...)
	sum := checksum(pseudo)
	if sum == 0 {
		sum = 0xffff // zero means "no checksum" in UDP over IPv4
	}
	binary.BigEndian.PutUint16(u[6:8], sum)
	return b
}

// checksum is the Internet checksum (RFC 1071).
func checksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
