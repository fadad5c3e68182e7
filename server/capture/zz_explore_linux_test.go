package capture

import (
	"os"
	"strconv"
	"testing"
	"time"
)

func TestZZExplore(t *testing.T) {
	k, _ := strconv.Atoi(os.Getenv("KNOCKS"))
	if k == 0 {
		t.Skip()
	}
	pause, _ := time.ParseDuration(os.Getenv("PAUSE"))
	n := newTestNet(t)
	var src Source
	if os.Getenv("MODE") == "udp" {
		src = openUDPIn(t, n.local, Config{PortLo: testLo, PortHi: testLo})
	} else {
		src = openAFPacketIn(t, n.local, Config{PortLo: testLo, PortHi: testLo})
	}
	lat := loneKnocks(t, src, udpIn(t, n.peer, "192.0.2.2:0"), k, pause)
	t.Logf("%s: %v p25 %v p75 %v", os.Getenv("MODE"), lat, lat.quantile(0.25), lat.quantile(0.75))
}
