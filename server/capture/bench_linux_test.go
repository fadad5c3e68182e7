package capture

import (
	"net"
	"sync"
	"testing"
	"time"
)

// benchFlood measures how many datagrams per second src reads while a
// sender in the peer namespace floods 157-byte garbage to the SPA port.
// The sender stops when the benchmark has read b.N packets (or after
// 10 s); drops are the kernel's.
func benchFlood(b *testing.B, n testNet, src Source) {
	conn := udpIn(b, n.peer, "192.0.2.2:0")
	dst := &net.UDPAddr{IP: net.IPv4(192, 0, 2, 1), Port: testLo}
	stop := make(chan struct{})
	var sent uint64
	var sendTime time.Duration
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sent, sendTime = sendFlood(conn, dst, 1<<40, 10*time.Second, stop)
	}()
	guard := time.AfterFunc(15*time.Second, func() { src.Close() })
	defer guard.Stop()

	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, err := src.Read(); err != nil {
			b.Fatalf("Read: %v", err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	close(stop)
	wg.Wait()
	st := src.Stats()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "pkts/s")
	b.ReportMetric(float64(sent)/sendTime.Seconds(), "sent/s")
	b.ReportMetric(float64(st.KernelDrops), "kernel-drops")
	b.ReportMetric(float64(st.Filtered), "filtered")
}

func BenchmarkAFPacketFlood(b *testing.B) {
	n := newTestNet(b)
	benchFlood(b, n, openAFPacketIn(b, n.local, Config{PortLo: testLo, PortHi: testLo}))
}

func BenchmarkUDPFlood(b *testing.B) {
	n := newTestNet(b)
	benchFlood(b, n, openUDPIn(b, n.local, Config{PortLo: testLo, PortHi: testLo, BufferSize: 4 << 20}))
}

// BenchmarkAFPacketDrain measures the reader alone: datagrams are queued
// in the ring first (the timer stopped), then read, so sender and
// softirq work do not compete for the two cores.
func BenchmarkAFPacketDrain(b *testing.B) {
	const chunk = 50_000 // fits the 64 MiB ring (65536 frames)
	n := newTestNet(b)
	src := openAFPacketIn(b, n.local, Config{PortLo: testLo, PortHi: testLo, BufferSize: 64 << 20})
	conn := udpIn(b, n.peer, "192.0.2.2:0")
	dst := &net.UDPAddr{IP: net.IPv4(192, 0, 2, 1), Port: testLo}
	guard := time.AfterFunc(60*time.Second, func() { src.Close() })
	defer guard.Stop()
	b.ReportAllocs()
	b.ResetTimer()
	for left := b.N; left > 0; {
		b.StopTimer()
		k := min(left, chunk)
		if sent, _ := sendFlood(conn, dst, uint64(k), 10*time.Second, nil); sent != uint64(k) {
			b.Fatalf("sent %d of %d", sent, k)
		}
		time.Sleep(20 * time.Millisecond) // the last frames land
		b.StartTimer()
		for range k {
			if _, err := src.Read(); err != nil {
				b.Fatalf("Read: %v", err)
			}
		}
		left -= k
	}
	b.StopTimer()
	if st := src.Stats(); st.KernelDrops != 0 || st.Filtered != 0 {
		b.Fatalf("stats %+v", st)
	}
}
