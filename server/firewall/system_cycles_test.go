package firewall_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spa-project/spa/server/firewall"
	"github.com/spa-project/spa/server/firewall/internal/netnstest"
	"github.com/spa-project/spa/spa"
)

// cycleCount is how many grant/expire cycles a backend runs: 10,000 for
// nftables; iptables runs a command per change (milliseconds each), so it
// runs 300 unless SPA_LONG=1.
func cycleCount(backend string) int {
	if backend == firewall.BackendNftables || os.Getenv("SPA_LONG") == "1" {
		return 10000
	}
	return 300
}

// Many short grants, re-knocks and early closes over a pool of addresses
// and ports, both families, leave no rule or set element behind.
func testCycles(t *testing.T, backend string) {
	tp := newTopo(t)
	cfg := sysConfig(t, backend, tp.srv)
	m := open(t, cfg)
	ctx := context.Background()
	base := ruleset(t, tp.srv, backend)
	ports := []spa.Port{ssh, {Proto: spa.TCP, Port: 443}, {Proto: spa.UDP, Port: 53}}
	n := cycleCount(backend)
	unit := 50 * time.Millisecond
	if backend != firewall.BackendNftables {
		unit = 20 * time.Millisecond
	}
	budget := 50 * time.Second
	if backend != firewall.BackendNftables && n > 300 {
		budget = 20 * time.Minute // SPA_LONG=1: about 15ms per cycle
	}
	start := time.Now()
	maxLive := 0
	for i := range n {
		r := firewall.Rule{Addr: cycleAddr(i), Port: ports[i%len(ports)]}
		if err := m.Allow(ctx, r, unit*time.Duration(1+i%4)); err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
		if i%10 == 9 {
			if err := m.Revoke(ctx, r); err != nil {
				t.Fatalf("cycle %d: %v", i, err)
			}
		}
		if i%(n/10) == n/20 {
			maxLive = max(maxLive, len(liveRules(t, m)))
		}
		if time.Since(start) > budget {
			t.Fatalf("only %d of %d cycles in %v", i, n, budget)
		}
	}
	elapsed := time.Since(start)
	eventually(t, 4*unit+2*time.Second, "all grants expired", func() bool { return len(liveRules(t, m)) == 0 })
	t.Logf("%d cycles in %v (%v each), at most %d live at a sample", n, elapsed, elapsed/time.Duration(n), maxLive)
	if got := ruleset(t, tp.srv, backend); stripExpires(got) != stripExpires(base) {
		t.Fatalf("rule set changed by the cycles:\nbefore:\n%s\nafter:\n%s", base, got)
	}
	if left := grantsLeft(t, tp.srv, backend, cfg.Table); left != "" {
		t.Fatalf("grants left behind:\n%s", left)
	}
}

// cycleAddr spreads cycles over 200 IPv4 and 200 IPv6 documentation
// addresses, so a rule recurs (a re-knock) while still live.
func cycleAddr(i int) netip.Addr {
	if i%2 == 0 {
		return netip.MustParseAddr(fmt.Sprintf("203.0.113.%d", 1+i/2%200))
	}
	return netip.MustParseAddr(fmt.Sprintf("2001:db8:3::%x", 1+i/2%200))
}

// grantsLeft returns what the kernel still holds of grants, "" if nothing:
// set elements for nftables, spad-expires rules for iptables.
func grantsLeft(t *testing.T, ns *netnstest.NS, backend, table string) string {
	t.Helper()
	var out string
	if backend == firewall.BackendNftables {
		for _, set := range []string{"grants4", "grants6"} {
			if s := ns.MustExec(t, "nft", "list", "set", "inet", table, set); strings.Contains(s, "elements") {
				out += s
			}
		}
		return out
	}
	for _, line := range strings.Split(ruleset(t, ns, backend), "\n") {
		if strings.Contains(line, "spad-expires") {
			out += line + "\n"
		}
	}
	return out
}
