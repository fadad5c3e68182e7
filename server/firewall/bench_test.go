package firewall_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/spa-project/spa/server/firewall"
	"github.com/spa-project/spa/server/firewall/internal/netnstest"
	"github.com/spa-project/spa/spa"
)

// BenchmarkAllow measures installing one new grant with each kernel
// backend, in an empty table and with 10,000 grants already live. Run as
// root: go test -run '^$' -bench . ./server/firewall/
func BenchmarkAllow(b *testing.B) { benchOp(b, false) }

// BenchmarkRevoke measures removing one grant early (a close message).
func BenchmarkRevoke(b *testing.B) { benchOp(b, true) }

func benchOp(b *testing.B, revoke bool) {
	for _, backend := range []string{firewall.BackendNftables, firewall.BackendIptables} {
		for _, live := range []int{0, 10000} {
			b.Run(fmt.Sprintf("%s/live=%d", backend, live), func(b *testing.B) {
				netnstest.Require(b, map[string]string{"nftables": "nft", "iptables": "iptables-restore"}[backend])
				benchBackend(b, backend, live, revoke)
			})
		}
	}
}

func benchBackend(b *testing.B, backend string, live int, revoke bool) {
	ns := netnstest.New(b)
	cfg := firewall.Config{Backend: backend, Protect: []spa.Port{ssh}, ManageDeny: true,
		Table: uniqueTable(), Teardown: true, NetNS: ns.Path()}
	fw, err := firewall.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer fw.Close(context.Background())
	ctx := context.Background()
	if err := fw.Setup(ctx); err != nil {
		b.Fatal(err)
	}
	prefill(b, fw, ns, cfg.Table, live)
	rule := func(i int) firewall.Rule {
		return firewall.Rule{Addr: benchAddr(i), Port: spa.Port{Proto: spa.TCP, Port: 22}}
	}
	if revoke {
		for i := range b.N {
			if err := fw.Allow(ctx, rule(i), time.Hour); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ResetTimer()
	for i := range b.N {
		var err error
		if revoke {
			err = fw.Revoke(ctx, rule(i))
		} else {
			err = fw.Allow(ctx, rule(i), time.Hour)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

// benchAddr is the i-th of 2^24 addresses in 10.0.0.0/8 (the benchmark's
// namespace has no network, so no documentation prefix is big enough).
func benchAddr(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
}

// prefill installs n grants on ports other than the benchmark's: through
// the backend for nftables, with one iptables-restore for iptables.
func prefill(b *testing.B, fw firewall.Backend, ns *netnstest.NS, table string, n int) {
	if n == 0 {
		return
	}
	port := spa.Port{Proto: spa.TCP, Port: 23}
	if fw.Name() == firewall.BackendNftables {
		for i := range n {
			if err := fw.Allow(context.Background(), firewall.Rule{Addr: benchAddr(i), Port: port}, time.Hour); err != nil {
				b.Fatal(err)
			}
		}
		return
	}
	var sb strings.Builder
	sb.WriteString("*filter\n")
	exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	for i := range n {
		fmt.Fprintf(&sb, "-A %s-grants -s %s/32 -p tcp -m tcp --dport 23 -m comment --comment \"spad-expires=%s\" -j ACCEPT\n", table, benchAddr(i), exp)
	}
	sb.WriteString("COMMIT\n")
	if out, err := ns.ExecInput(strings.NewReader(sb.String()), "iptables-restore", "--noflush"); err != nil {
		b.Fatalf("%v: %s", err, out)
	}
	if _, err := fw.Live(context.Background()); err != nil { // the backend reads them back
		b.Fatal(err)
	}
}
