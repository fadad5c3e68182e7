//go:build !linux

package capture

import (
	"errors"
	"net/netip"
)

// OpenUDP needs Linux: spad is Linux-only.
func OpenUDP(cfg Config, addrs []netip.Addr) (Source, error) {
	return nil, errors.New("udp capture needs Linux")
}
