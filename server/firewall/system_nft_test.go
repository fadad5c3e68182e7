package firewall_test

import (
	"context"
	"testing"
	"time"

	"github.com/spa-project/spa/server/firewall"
	"github.com/spa-project/spa/server/firewall/internal/netnstest"
)

// "auto" picks nftables where nf_tables answers over netlink.
func TestAutoPicksNftables(t *testing.T) {
	netnstest.Require(t)
	ns := netnstest.New(t)
	cfg := sysConfig(t, firewall.BackendAuto, ns)
	b, err := firewall.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(context.Background())
	if b.Name() != firewall.BackendNftables {
		t.Fatalf("auto chose %s", b.Name())
	}
}

// If someone flushes the whole rule set, the next change sets the table up
// again instead of failing.
func TestNftablesRecreatesFlushedTable(t *testing.T) {
	netnstest.Require(t, "nft")
	tp := newTopo(t)
	m := open(t, sysConfig(t, firewall.BackendNftables, tp.srv))
	tp.srv.MustExec(t, "nft", "flush", "ruleset")
	if !tp.cliReaches(t, false) {
		t.Fatal("deny still there after flush ruleset")
	}
	must(t, m.Allow(context.Background(), rule(cli4, ssh), time.Minute))
	if !tp.cliReaches(t, false) || tp.otherReaches(t, false) {
		t.Fatal("table not set up again by the next grant")
	}
}
