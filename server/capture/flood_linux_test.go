package capture

import (
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/ipv4"
)

type floodResult struct {
	sent, read         uint64
	sendTime, readTime time.Duration
}

// flood sends garbage datagrams of 157 bytes from namespace ns, bound to
// from, to the address to, in batches (sendmmsg), until max datagrams or
// the duration d, while reading src. Once the sender is done, src gets
// up to 1 s to read or drop what is in flight, then flood closes it.
func flood(t testing.TB, src Source, ns, from, to string, max uint64, d time.Duration) floodResult {
	t.Helper()
	conn := udpIn(t, ns, from)
	dst, err := net.ResolveUDPAddr("udp", to)
	if err != nil {
		t.Fatal(err)
	}
	var r floodResult
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer src.Close()
		r.sent, r.sendTime = sendFlood(conn, dst, max, d, nil)
		for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			if st := src.Stats(); st.Received+st.KernelDrops >= r.sent {
				return
			}
		}
	}()
	start := time.Now()
	for {
		if _, err := src.Read(); err != nil {
			break
		}
		r.read++
	}
	r.readTime = time.Since(start)
	wg.Wait()
	return r
}

// sendFlood sends 157-byte garbage datagrams to dst in batches of 64
// (sendmmsg) until it has sent max, d has passed or stop is closed.
func sendFlood(conn *net.UDPConn, dst *net.UDPAddr, max uint64, d time.Duration, stop <-chan struct{}) (uint64, time.Duration) {
	pc := ipv4.NewPacketConn(conn)
	msgs := make([]ipv4.Message, 64)
	for i := range msgs {
		msgs[i] = ipv4.Message{Buffers: [][]byte{testPayload(157)}, Addr: dst}
	}
	var sent uint64
	start := time.Now()
	for sent < max && time.Since(start) < d {
		select {
		case <-stop:
			return sent, time.Since(start)
		default:
		}
		n, err := pc.WriteBatch(msgs[:min(uint64(len(msgs)), max-sent)], 0)
		if err != nil {
			continue // ENOBUFS and the like: retry until the deadline
		}
		sent += uint64(n)
	}
	return sent, time.Since(start)
}
