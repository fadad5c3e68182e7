//go:build linux

package systest

import (
	"testing"
	"time"

	"github.com/spa-project/spa/server/lab"
)

// expectSilence captures everything the server namespace sends on its
// interface while attack runs, and fails t if it sent any IP packet other
// than neighbour discovery: the server must not answer anything a client
// or an attacker sends (SPEC.md §7), not even with the ICMP port
// unreachable the kernel sends for a UDP port nobody listens on (spad
// captures without a socket; its firewall drops datagrams to the SPA port
// so that the kernel never gets to answer).
func expectSilence(t *testing.T, l *lab.Lab, attack func()) {
	t.Helper()
	for _, f := range serverAnswers(t, l, attack) {
		t.Errorf("the server sent a packet: %v", f)
	}
}

// serverAnswers returns the IP packets, other than neighbour discovery,
// that the server namespace sent while fn ran (and up to 200 ms later).
func serverAnswers(t *testing.T, l *lab.Lab, fn func()) []lab.Frame {
	t.Helper()
	sn, err := l.Server.Sniff(lab.Iface, false)
	if err != nil {
		t.Fatal(err)
	}
	defer sn.Close()
	sn.Drain()
	stop := make(chan struct{})
	framesc := make(chan []lab.Frame, 1)
	go func() {
		framesc <- sn.Collect(stop, func(f lab.Frame) bool { return f.Out && f.IsIP() && !f.IsNeighbourDiscovery() })
	}()
	collected := false
	defer func() {
		// After a t.Fatal inside fn, still stop the collector before the
		// capture is closed under it.
		if !collected {
			close(stop)
			<-framesc
		}
	}()
	fn()
	time.Sleep(200 * time.Millisecond) // let late answers arrive
	close(stop)
	frames := <-framesc
	collected = true
	return frames
}
