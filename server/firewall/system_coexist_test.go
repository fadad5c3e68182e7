package firewall_test

import (
	"context"
	"testing"
	"time"

	"github.com/spa-project/spa/server/firewall"
	"github.com/spa-project/spa/server/firewall/internal/netnstest"
)

// How spad's nftables table coexists with an admin's rule set (the package
// documentation describes these setups).
func TestNftablesCoexistence(t *testing.T) {
	netnstest.Require(t, "nft")

	// An input policy of drop must accept the protected ports itself;
	// spad's table then decides who gets in.
	t.Run("admin-policy-drop-accepts-protected", func(t *testing.T) {
		tp := newTopo(t)
		adminRules(t, tp.srv, adminPolicyDrop(`tcp dport 22 accept`))
		m := open(t, sysConfig(t, firewall.BackendNftables, tp.srv))
		checkGrantOpens(t, tp, m, true)
	})

	// Without that accept, the admin's drop wins over spad's grant: an
	// accept in one table does not undo a drop in another.
	t.Run("admin-policy-drop-without-accept", func(t *testing.T) {
		tp := newTopo(t)
		adminRules(t, tp.srv, adminPolicyDrop(``))
		m := open(t, sysConfig(t, firewall.BackendNftables, tp.srv))
		checkGrantOpens(t, tp, m, false)
	})

	// manage_deny = false: the admin keeps a deny of their own that lets
	// packets carrying spad's mark through.
	t.Run("own-deny-with-mark", func(t *testing.T) {
		tp := newTopo(t)
		adminRules(t, tp.srv, `
table inet admin {
	chain input {
		type filter hook input priority filter; policy accept;
		ct state established,related accept
		tcp dport 22 meta mark & 0x00010000 == 0 drop
	}
}`)
		cfg := sysConfig(t, firewall.BackendNftables, tp.srv)
		cfg.ManageDeny = false
		cfg.Mark = 0x10000
		m := open(t, cfg)
		checkGrantOpens(t, tp, m, true)
	})

	// The same with the admin's deny written with iptables.
	t.Run("own-iptables-deny-with-mark", func(t *testing.T) {
		netnstest.Require(t, "iptables", "ip6tables")
		tp := newTopo(t)
		for _, cmd := range []string{"iptables", "ip6tables"} {
			tp.srv.MustExec(t, cmd, "-A", "INPUT", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT")
			tp.srv.MustExec(t, cmd, "-A", "INPUT", "-p", "tcp", "--dport", "22", "-m", "mark", "!", "--mark", "0x10000/0x10000", "-j", "DROP")
		}
		cfg := sysConfig(t, firewall.BackendNftables, tp.srv)
		cfg.ManageDeny = false
		cfg.Mark = 0x10000
		m := open(t, cfg)
		checkGrantOpens(t, tp, m, true)
	})
}

// With iptables, spad's jump sits first in INPUT and a grant ACCEPTs, so
// an admin's own later DROP (manage_deny = false) or DROP policy does not
// stop granted clients.
func TestIptablesCoexistence(t *testing.T) {
	netnstest.Require(t, "iptables", "ip6tables")
	t.Run("own-deny", func(t *testing.T) {
		tp := newTopo(t)
		for _, cmd := range []string{"iptables", "ip6tables"} {
			tp.srv.MustExec(t, cmd, "-A", "INPUT", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT")
			tp.srv.MustExec(t, cmd, "-A", "INPUT", "-p", "tcp", "--dport", "22", "-j", "DROP")
		}
		cfg := sysConfig(t, firewall.BackendIptables, tp.srv)
		cfg.ManageDeny = false
		m := open(t, cfg)
		checkGrantOpens(t, tp, m, true)
	})
	t.Run("policy-drop", func(t *testing.T) {
		tp := newTopo(t)
		for _, cmd := range []string{"iptables", "ip6tables"} {
			tp.srv.MustExec(t, cmd, "-A", "INPUT", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT")
			tp.srv.MustExec(t, cmd, "-A", "INPUT", "-i", "lo", "-j", "ACCEPT")
			tp.srv.MustExec(t, cmd, "-P", "INPUT", "DROP")
		}
		// ICMPv6 neighbour discovery must still pass for IPv6 to work.
		tp.srv.MustExec(t, "ip6tables", "-A", "INPUT", "-p", "ipv6-icmp", "-j", "ACCEPT")
		m := open(t, sysConfig(t, firewall.BackendIptables, tp.srv))
		checkGrantOpens(t, tp, m, true)
	})
}

// adminPolicyDrop is a typical default-drop input chain with extra rules.
func adminPolicyDrop(extra string) string {
	return `
table inet admin {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		iif "lo" accept
		meta l4proto ipv6-icmp accept
		` + extra + `
	}
}`
}

// checkGrantOpens: closed before a grant; after one, open for the client
// (IPv4 and IPv6) if want, never for the third address; a connection made
// under a grant survives its expiry.
func checkGrantOpens(t *testing.T, tp *topo, m *firewall.Manager, want bool) {
	t.Helper()
	ctx := context.Background()
	if tp.cliReaches(t, false) || tp.cliReaches(t, true) {
		t.Fatal("reachable before a grant")
	}
	start := time.Now()
	must(t, m.Allow(ctx, rule(cli4, ssh), time.Second))
	must(t, m.Allow(ctx, rule(cli6, ssh), time.Second))
	if got := tp.cliReaches(t, false) && tp.cliReaches(t, true); got != want {
		t.Fatalf("granted client reaches the port: %v, want %v", got, want)
	}
	if tp.otherReaches(t, false) || tp.otherReaches(t, true) {
		t.Fatal("third address reaches the port")
	}
	if !want {
		return
	}
	conn, err := tp.cli.Dial(ap(srvCli4, 22), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	time.Sleep(time.Until(start.Add(1300 * time.Millisecond)))
	if tp.cliReaches(t, false) {
		t.Fatal("grant did not expire")
	}
	if err := netnstest.Echo(conn, "still here", time.Second); err != nil {
		t.Fatalf("established connection broken by expiry: %v", err)
	}
}
