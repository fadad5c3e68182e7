//go:build linux

package systest

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/spa-project/spa/server/lab"
)

// eavesdropper is the attacker listening on its own interface while the
// bridge floods every frame to every host: an observer on the path.
type eavesdropper struct {
	sn *lab.Sniffer
}

// overhear turns the lab's bridge into a hub and starts capturing on the
// attacker's interface.
func overhear(t testing.TB, l *lab.Lab) *eavesdropper {
	t.Helper()
	l.Hub(t, true)
	sn, err := l.Attacker.Sniff(lab.Iface, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sn.Close() })
	return &eavesdropper{sn: sn}
}

// next returns the next SPA datagram the client sent to the server, as the
// attacker saw it on the wire, and its source address and port.
func (e *eavesdropper) next(t testing.TB, timeout time.Duration) ([]byte, netip.AddrPort) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		f, err := e.sn.Next(time.Until(deadline))
		if errors.Is(err, lab.ErrTimeout) {
			t.Fatalf("the attacker overheard no SPA datagram from the client within %v", timeout)
		}
		if err != nil {
			t.Fatal(err)
		}
		if !f.Out && f.Proto == lab.ProtoUDP && f.Dst == lab.ServerIP4 && f.DstPort == spaPort && f.Src == lab.ClientIP4 {
			return append([]byte(nil), f.Payload...), netip.AddrPortFrom(f.Src, f.SrcPort)
		}
	}
}
