package capture

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// defaultReceiveBuffer is the packet socket's receive buffer when
// Config.BufferSize is 0.
const defaultReceiveBuffer = 4 << 20

// setReceiveBuffer sets fd's receive buffer to size bytes (the default
// when 0). The kernel doubles the value for its bookkeeping and charges
// each queued frame its whole allocation, so it holds about size/512
// small datagrams. SO_RCVBUFFORCE (CAP_NET_ADMIN, which spad has for the
// firewall) may exceed net.core.rmem_max; without the capability, the
// size is capped by it.
func setReceiveBuffer(fd, size int) error {
	if size == 0 {
		size = defaultReceiveBuffer
	}
	err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, size)
	if errors.Is(err, unix.EPERM) {
		err = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, size)
	}
	if err != nil {
		return fmt.Errorf("capture: receive buffer of %d bytes: %w", size, err)
	}
	return nil
}
