package capture

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestAFPacketReadAllocs sends datagrams ahead and reads them: the whole
// Read path (ring, decode, copy) does not allocate.
func TestAFPacketReadAllocs(t *testing.T) {
	n := newTestNet(t)
	src := openAFPacketIn(t, n.local, Config{PortLo: testLo, PortHi: testLo})
	peer := udpIn(t, n.peer, "192.0.2.2:0")
	const runs = 500
	for range runs + 50 {
		send(t, peer, "192.0.2.1:62201", testPayload(157))
	}
	time.Sleep(50 * time.Millisecond)
	guard := time.AfterFunc(10*time.Second, func() { src.Close() })
	defer guard.Stop()
	var readErr error
	allocs := testing.AllocsPerRun(runs, func() {
		if _, err := src.Read(); err != nil && readErr == nil {
			readErr = err
		}
	})
	if readErr != nil {
		t.Fatalf("Read: %v", readErr)
	}
	if allocs != 0 {
		t.Fatalf("%v allocations per Read", allocs)
	}
}

// TestAFPacketReadAllocsPaced reads datagrams that come 1 ms apart, so
// that each Read also pauses and then sleeps in poll: those paths do not
// allocate either. The sender does not allocate: a raw sendto(2) to a
// prepared address.
func TestAFPacketReadAllocsPaced(t *testing.T) {
	n := newTestNet(t)
	src := openAFPacketIn(t, n.local, Config{PortLo: testLo, PortHi: testLo})
	var fd int
	err := inNetns(n.peer, func() (err error) {
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	dst := &unix.SockaddrInet4{Port: testLo, Addr: [4]byte{192, 0, 2, 1}}
	payload := testPayload(157)
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-stop:
				return
			default:
			}
			_ = unix.Sendto(fd, payload, 0, dst)
			time.Sleep(time.Millisecond)
		}
	}()
	defer func() { close(stop); <-stopped }()
	guard := time.AfterFunc(10*time.Second, func() { src.Close() })
	defer guard.Stop()
	var readErr error
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := src.Read(); err != nil && readErr == nil {
			readErr = err
		}
	})
	if readErr != nil {
		t.Fatalf("Read: %v", readErr)
	}
	if allocs != 0 {
		t.Fatalf("%v allocations per Read", allocs)
	}
}
