package firewall_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/spa-project/spa/server/firewall"
	"github.com/spa-project/spa/server/firewall/internal/netnstest"
)

// The privileged suite every kernel backend passes, each case in fresh
// namespaces. They need root; see netnstest.Require.

func TestNftablesSystem(t *testing.T) {
	netnstest.Require(t, "nft")
	runSuite(t, firewall.BackendNftables)
}

func TestIptablesSystem(t *testing.T) {
	netnstest.Require(t, "iptables", "ip6tables")
	runSuite(t, firewall.BackendIptables)
}

func runSuite(t *testing.T, backend string) {
	t.Run("reach", func(t *testing.T) { testReach(t, backend) })
	t.Run("expiry", func(t *testing.T) { testExpiry(t, backend) })
	t.Run("extend", func(t *testing.T) { testExtend(t, backend) })
	t.Run("setup-idempotent", func(t *testing.T) { testSetupTwice(t, backend) })
	t.Run("close", func(t *testing.T) { testClose(t, backend) })
	t.Run("kill9", func(t *testing.T) { testKill9(t, backend) })
	t.Run("cycles", func(t *testing.T) { testCycles(t, backend) })
	t.Run("silent", func(t *testing.T) { testSilent(t, backend) })
}

// ruleset is the namespace's whole rule set, without counters.
func ruleset(t *testing.T, ns *netnstest.NS, backend string) string {
	t.Helper()
	if backend == firewall.BackendNftables {
		return ns.MustExec(t, "nft", "-s", "list", "ruleset")
	}
	return ns.MustExec(t, "iptables", "-S") + ns.MustExec(t, "ip6tables", "-S")
}

// Before a grant the port is closed to everyone but loopback; a grant
// opens it for its address and family only.
func testReach(t *testing.T, backend string) {
	tp := newTopo(t)
	m := open(t, sysConfig(t, backend, tp.srv))
	ctx := context.Background()
	for _, v6 := range []bool{false, true} {
		if tp.cliReaches(t, v6) || tp.otherReaches(t, v6) {
			t.Fatalf("v6=%v: port reachable before any grant", v6)
		}
	}
	if !tp.srv.Reachable(t, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), 22), time.Second) {
		t.Fatal("loopback cannot reach the protected port")
	}
	if err := m.Allow(ctx, rule(cli4, ssh), time.Minute); err != nil {
		t.Fatal(err)
	}
	if !tp.cliReaches(t, false) {
		t.Fatal("granted client cannot reach the port over IPv4")
	}
	if tp.cliReaches(t, true) {
		t.Fatal("an IPv4 grant opened IPv6")
	}
	if tp.otherReaches(t, false) || tp.otherReaches(t, true) {
		t.Fatal("a third address reaches the port")
	}
	if err := m.Allow(ctx, rule(cli6, ssh), time.Minute); err != nil {
		t.Fatal(err)
	}
	if !tp.cliReaches(t, true) {
		t.Fatal("granted client cannot reach the port over IPv6")
	}
	if tp.otherReaches(t, true) {
		t.Fatal("a third address reaches the port over IPv6")
	}
	live := liveRules(t, m)
	if len(live) != 2 || live[rule(cli4, ssh)] <= 50*time.Second || live[rule(cli6, ssh)] <= 50*time.Second {
		t.Fatalf("Live = %v, want both grants with about a minute left", live)
	}
}

// A grant ends on time; a connection made under it survives; an early
// revoke closes at once and is idempotent.
func testExpiry(t *testing.T, backend string) {
	tp := newTopo(t)
	m := open(t, sysConfig(t, backend, tp.srv))
	ctx := context.Background()
	const ttl = time.Second
	start := time.Now()
	if err := m.Allow(ctx, rule(cli4, ssh), ttl); err != nil {
		t.Fatal(err)
	}
	conn, err := tp.cli.Dial(ap(srvCli4, 22), time.Second)
	if err != nil {
		t.Fatalf("dial under a grant: %v", err)
	}
	defer conn.Close()
	if err := netnstest.Echo(conn, "before", time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(start.Add(ttl - 400*time.Millisecond)))
	if !tp.cliReaches(t, false) {
		t.Fatalf("unreachable %v into a %v grant", time.Since(start), ttl)
	}
	time.Sleep(time.Until(start.Add(ttl + 300*time.Millisecond)))
	if tp.cliReaches(t, false) {
		t.Fatalf("still reachable %v after a %v grant", time.Since(start), ttl)
	}
	if err := netnstest.Echo(conn, "after expiry", time.Second); err != nil {
		t.Fatalf("established connection broken by expiry: %v", err)
	}
	if live := liveRules(t, m); len(live) != 0 {
		t.Fatalf("Live after expiry = %v", live)
	}

	if err := m.Allow(ctx, rule(cli6, ssh), time.Minute); err != nil {
		t.Fatal(err)
	}
	if !tp.cliReaches(t, true) {
		t.Fatal("IPv6 grant does not open")
	}
	for range 2 {
		if err := m.Revoke(ctx, rule(cli6, ssh)); err != nil {
			t.Fatal(err)
		}
	}
	if tp.cliReaches(t, true) {
		t.Fatal("reachable after revoke")
	}
}

// A re-knock moves the expiry and never adds a second rule.
func testExtend(t *testing.T, backend string) {
	tp := newTopo(t)
	cfg := sysConfig(t, backend, tp.srv)
	m := open(t, cfg)
	ctx := context.Background()
	start := time.Now()
	r := rule(cli4, ssh)
	if err := m.Allow(ctx, r, time.Second); err != nil {
		t.Fatal(err)
	}
	before := ruleset(t, tp.srv, backend)
	if err := m.Allow(ctx, r, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	after := ruleset(t, tp.srv, backend)
	if nb, na := strings.Count(before, "spad-expires"), strings.Count(after, "spad-expires"); nb != na {
		t.Fatalf("re-knock changed the number of grant rules from %d to %d", nb, na)
	}
	live := liveRules(t, m)
	if len(live) != 1 || live[r] < 2*time.Second || live[r] > 4*time.Second {
		t.Fatalf("Live after extension = %v, want one grant with about 3s left", live)
	}
	time.Sleep(time.Until(start.Add(1500 * time.Millisecond)))
	if !tp.cliReaches(t, false) {
		t.Fatal("extended grant expired at its old time")
	}
	time.Sleep(time.Until(start.Add(3300 * time.Millisecond)))
	if tp.cliReaches(t, false) {
		t.Fatal("extended grant did not expire")
	}
}

// Setup is idempotent: running it again changes nothing and keeps grants.
func testSetupTwice(t *testing.T, backend string) {
	tp := newTopo(t)
	m := open(t, sysConfig(t, backend, tp.srv))
	ctx := context.Background()
	if err := m.Allow(ctx, rule(cli4, ssh), time.Minute); err != nil {
		t.Fatal(err)
	}
	before := ruleset(t, tp.srv, backend)
	if err := m.Setup(ctx); err != nil {
		t.Fatal(err)
	}
	after := ruleset(t, tp.srv, backend)
	if stripExpires(before) != stripExpires(after) {
		t.Fatalf("second Setup changed the rule set:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if !tp.cliReaches(t, false) {
		t.Fatal("grant lost by a second Setup")
	}
}

// stripExpires drops nft's "expires ..." countdowns, which change by the
// second.
func stripExpires(s string) string {
	var b strings.Builder
	for _, f := range strings.Fields(s) {
		b.WriteString(f)
		b.WriteByte(' ')
	}
	out := b.String()
	for {
		i := strings.Index(out, "expires ")
		if i < 0 {
			return out
		}
		j := strings.IndexAny(out[i+8:], " ,}")
		out = out[:i] + out[i+8+j:]
	}
}
