package capture

import (
	"net"
	"slices"
	"testing"
	"time"
)

// latencies are the send-to-Read times of lone datagrams, sorted.
type latencies []time.Duration

// quantile returns the q-quantile (0 ≤ q ≤ 1), nearest rank.
func (l latencies) quantile(q float64) time.Duration {
	return l[min(len(l)-1, int(q*float64(len(l))))]
}

func (l latencies) String() string {
	return "median " + l.quantile(0.5).String() + ", p90 " + l.quantile(0.9).String() +
		", p99 " + l.quantile(0.99).String() + ", max " + l[len(l)-1].String()
}

// loneKnocks sends knocks datagrams from conn to the SPA port, each after
// pause (so that each is alone in the kernel), and times each from just
// before the send until a reader goroutine's Read of src returns it.
func loneKnocks(t testing.TB, src Source, conn *net.UDPConn, knocks int, pause time.Duration) latencies {
	t.Helper()
	read := make(chan time.Time, 1)
	done := make(chan error, 1)
	go func() {
		for {
			if _, err := src.Read(); err != nil {
				done <- err
				return
			}
			read <- time.Now()
		}
	}()
	t.Cleanup(func() { src.Close(); <-done })
	payload := testPayload(157)
	to := &net.UDPAddr{IP: net.IPv4(192, 0, 2, 1), Port: testLo}
	out := make(latencies, 0, knocks)
	for range knocks {
		time.Sleep(pause)
		start := time.Now()
		if _, err := conn.WriteToUDP(payload, to); err != nil {
			t.Fatalf("send: %v", err)
		}
		select {
		case at := <-read:
			out = append(out, at.Sub(start))
		case err := <-done:
			t.Fatalf("Read: %v", err)
		case <-time.After(5 * time.Second):
			t.Fatal("no knock within 5 s")
		}
	}
	slices.Sort(out)
	return out
}
