package firewall_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/spa-project/spa/server/firewall"
)

// Close with Teardown removes everything; without, nftables keeps its
// table and grants (the kernel still expires them) and iptables keeps the
// deny but drops the grants, which the next start's Reconcile restores.
func testClose(t *testing.T, backend string) {
	tp := newTopo(t)
	ctx := context.Background()
	cfg := sysConfig(t, backend, tp.srv)
	r := rule(cli4, ssh)

	cfg.Teardown = false
	m := openUnmanaged(t, cfg)
	if err := m.Allow(ctx, r, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	set := ruleset(t, tp.srv, backend)
	if !strings.Contains(set, cfg.Table) {
		t.Fatalf("Close without teardown removed the table or chains:\n%s", set)
	}
	if tp.otherReaches(t, false) {
		t.Fatal("deny gone after Close without teardown")
	}
	wantOpen := backend == firewall.BackendNftables
	if got := tp.cliReaches(t, false); got != wantOpen {
		t.Fatalf("after Close without teardown the grant is open=%v, want %v", got, wantOpen)
	}

	// A restart: Setup, then Reconcile from the recorded grant.
	cfg.Teardown = true
	m = openUnmanaged(t, cfg)
	if err := m.Reconcile(ctx, []firewall.GrantRecord{{Rule: r, Expires: time.Now().Add(time.Minute)}}); err != nil {
		t.Fatal(err)
	}
	if !tp.cliReaches(t, false) {
		t.Fatal("grant not restored by Reconcile")
	}
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if set := ruleset(t, tp.srv, backend); strings.Contains(set, cfg.Table) {
		t.Fatalf("teardown left something behind:\n%s", set)
	}
	if !tp.otherReaches(t, false) {
		t.Fatal("port still closed after teardown")
	}
}

// openUnmanaged is open without the automatic Close at the end of the test.
func openUnmanaged(t *testing.T, cfg firewall.Config) *firewall.Manager {
	t.Helper()
	b, err := firewall.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := firewall.NewManager(b, firewall.ManagerOptions{Logger: cfg.Logger})
	if err := m.Setup(context.Background()); err != nil {
		t.Fatal(err)
	}
	return m
}
