package firewall_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/spa-project/spa/server/firewall"
	"github.com/spa-project/spa/server/firewall/internal/netnstest"
	"github.com/spa-project/spa/spa"
)

// A service published by a container: the server namespace forwards
// port 2222 with DNAT to port 22 of a "container" namespace behind it, as
// Docker does. The input-path deny cannot see that traffic; Forward puts
// deny and grants in the forward path, matching the published port.
func TestNftablesForward(t *testing.T) {
	netnstest.Require(t, "nft")
	testForward(t, firewall.BackendNftables, func(t *testing.T, srv *netnstest.NS) {
		adminRules(t, srv, `
table ip nat {
	chain prerouting { type nat hook prerouting priority dstnat; tcp dport 2222 dnat to 203.0.113.2:22; }
}
table ip6 nat {
	chain prerouting { type nat hook prerouting priority dstnat; tcp dport 2222 dnat to [2001:db8:4::2]:22; }
}`)
	})
}

func TestIptablesForward(t *testing.T) {
	netnstest.Require(t, "iptables", "ip6tables")
	testForward(t, firewall.BackendIptables, func(t *testing.T, srv *netnstest.NS) {
		srv.MustExec(t, "iptables", "-t", "nat", "-A", "PREROUTING", "-p", "tcp", "--dport", "2222",
			"-j", "DNAT", "--to-destination", "203.0.113.2:22")
		srv.MustExec(t, "ip6tables", "-t", "nat", "-A", "PREROUTING", "-p", "tcp", "--dport", "2222",
			"-j", "DNAT", "--to-destination", "[2001:db8:4::2]:22")
	})
}

func testForward(t *testing.T, backend string, publish func(*testing.T, *netnstest.NS)) {
	tp := newTopo(t)
	ctr := netnstest.New(t)
	netnstest.Connect(t,
		netnstest.End{NS: tp.srv, IP4: netip.MustParsePrefix("203.0.113.1/24"), IP6: netip.MustParsePrefix("2001:db8:4::1/64")},
		netnstest.End{NS: ctr, IP4: netip.MustParsePrefix("203.0.113.2/24"), IP6: netip.MustParsePrefix("2001:db8:4::2/64")})
	ctr.DefaultRoute(t, netip.MustParseAddr("203.0.113.1"), netip.MustParseAddr("2001:db8:4::1"))
	ctr.Listen(t, ":22")
	tp.srv.Sysctl(t, "net/ipv4/ip_forward", "1")
	tp.srv.Sysctl(t, "net/ipv6/conf/all/forwarding", "1")
	publish(t, tp.srv)

	published := spa.Port{Proto: spa.TCP, Port: 2222}
	reach := func(ns *netnstest.NS, p netip.Prefix) bool { return ns.Reachable(t, ap(p, 2222), dialTimeout) }

	cfg := sysConfig(t, backend, tp.srv)
	cfg.Protect = []spa.Port{published}
	cfg.Forward = false
	open(t, cfg)
	if !reach(tp.cli, srvCli4) {
		t.Fatal("published port unreachable without any deny")
	}
	t.Log("without Forward the input-path deny does not see the published port, as expected")

	cfg.Forward = true
	cfg.Teardown = true
	m := open(t, cfg)
	ctx := context.Background()
	if reach(tp.cli, srvCli4) || reach(tp.cli, srvCli6) || reach(tp.other, srvOther4) {
		t.Fatal("published port reachable before a grant")
	}
	start := time.Now()
	must(t, m.Allow(ctx, rule(cli4, published), time.Second))
	must(t, m.Allow(ctx, rule(cli6, published), time.Minute))
	if !reach(tp.cli, srvCli4) || !reach(tp.cli, srvCli6) {
		t.Fatal("grant does not open the published port")
	}
	if reach(tp.other, srvOther4) || reach(tp.other, srvOther6) {
		t.Fatal("third address reaches the published port")
	}
	conn, err := tp.cli.Dial(ap(srvCli4, 2222), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	time.Sleep(time.Until(start.Add(1300 * time.Millisecond)))
	if reach(tp.cli, srvCli4) {
		t.Fatal("forward grant did not expire")
	}
	if err := netnstest.Echo(conn, "through the forward path", time.Second); err != nil {
		t.Fatalf("established forwarded connection broken by expiry: %v", err)
	}
}
