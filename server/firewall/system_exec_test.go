package firewall_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/spa-project/spa/server/firewall"
	"github.com/spa-project/spa/server/firewall/internal/netnstest"
)

// The exec backend end to end: its commands (nft, run directly) fill the
// admin's allow sets inside the server namespace, and the Manager's timer
// runs the close command on time.
func TestExecSystem(t *testing.T) {
	netnstest.Require(t, "nft")
	nft, err := exec.LookPath("nft")
	if err != nil {
		t.Fatal(err)
	}
	tp := newTopo(t)
	adminRules(t, tp.srv, `
table inet admin {
	set allow_ipv4 { type ipv4_addr . inet_proto . inet_service; }
	set allow_ipv6 { type ipv6_addr . inet_proto . inet_service; }
	chain input {
		type filter hook input priority filter; policy accept;
		ct state established,related accept
		ip saddr . meta l4proto . th dport @allow_ipv4 accept
		ip6 saddr . meta l4proto . th dport @allow_ipv6 accept
		tcp dport 22 drop
	}
}`)
	elem := "{ {ip} . {proto} . {port} }"
	cfg := firewall.Config{
		Backend: firewall.BackendExec,
		NetNS:   tp.srv.Path(),
		Exec: firewall.ExecConfig{
			Open:  []string{nft, "add", "element", "inet", "admin", "allow_{family}", elem},
			Close: []string{nft, "delete", "element", "inet", "admin", "allow_{family}", elem},
		},
		Logger: testLogger(t),
	}
	m := open(t, cfg)
	ctx := context.Background()
	if tp.cliReaches(t, false) || tp.cliReaches(t, true) {
		t.Fatal("reachable before a grant")
	}
	start := time.Now()
	must(t, m.Allow(ctx, rule(cli4, ssh), time.Second))
	must(t, m.Allow(ctx, rule(cli6, ssh), time.Minute))
	if !tp.cliReaches(t, false) || !tp.cliReaches(t, true) {
		t.Fatal("grant does not open")
	}
	if tp.otherReaches(t, false) {
		t.Fatal("third address reaches the port")
	}
	time.Sleep(time.Until(start.Add(1300 * time.Millisecond)))
	if tp.cliReaches(t, false) {
		t.Fatal("exec grant did not expire")
	}
	must(t, m.Revoke(ctx, rule(cli6, ssh)))
	if tp.cliReaches(t, true) {
		t.Fatal("reachable after revoke")
	}
}

// adminRules loads an nft script into ns, as an admin's own rule set.
func adminRules(t *testing.T, ns *netnstest.NS, script string) {
	t.Helper()
	if out, err := ns.ExecInput(strings.NewReader(script), "nft", "-f", "-"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
}
