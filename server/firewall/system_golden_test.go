package firewall_test

import (
	"os"
	"strings"
	"testing"

	"github.com/spa-project/spa/server/firewall"
	"github.com/spa-project/spa/server/firewall/internal/netnstest"
	"github.com/spa-project/spa/spa"
)

// The table the nftables backend builds, as nft prints it
// (testdata/ruleset.nft, compared ignoring layout): the netlink messages
// mean what the package documentation says they mean.
func TestNftablesRuleset(t *testing.T) {
	netnstest.Require(t, "nft")
	want, err := os.ReadFile("testdata/ruleset.nft")
	if err != nil {
		t.Fatal(err)
	}
	ns := netnstest.New(t)
	cfg := sysConfig(t, firewall.BackendNftables, ns)
	cfg.Table = "spadgold"
	cfg.Protect = []spa.Port{ssh, {Proto: spa.UDP, Port: 53}}
	cfg.Forward = true
	cfg.Mark = 0x10000
	open(t, cfg)
	got := ns.MustExec(t, "nft", "-s", "list", "table", "inet", "spadgold")
	if strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(string(want)), " ") {
		t.Fatalf("nft list table:\n%s\nwant (testdata/ruleset.nft):\n%s", got, want)
	}
}
