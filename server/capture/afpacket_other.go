//go:build !linux

package capture

import "errors"

// errNeedsLinux is returned on other systems.
var errNeedsLinux = errors.New("packet capture needs Linux")

// OpenAFPacket needs Linux: spad is Linux-only.
func OpenAFPacket(cfg Config) (Source, error) {
	return nil, errNeedsLinux
}
