package firewall_test

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spa-project/spa/server/firewall"
	"github.com/spa-project/spa/spa"
)

// TestMain turns the test binary into a stand-in daemon when
// SPAFW_HELPER is set: testKill9 starts it, lets it install grants and
// kills it with SIGKILL.
//
// Run as "BINARY argv-recorder FILE ARGS...", it appends ARGS as one JSON
// line to FILE: the exec backend's tests use it as their command.
func TestMain(m *testing.M) {
	if os.Getenv("SPAFW_HELPER") == "grant" {
		os.Exit(helperDaemon())
	}
	if len(os.Args) > 2 && os.Args[1] == "argv-recorder" {
		// syscall.Exit skips the race detector's one-second exit delay.
		syscall.Exit(recordArgv(os.Args[2], os.Args[3:]))
	}
	os.Exit(m.Run())
}

// helperDaemon installs the grants of SPAFW_GRANTS ("addr proto/port
// unix-ms;...") and waits to be killed.
func helperDaemon() int {
	cfg := firewall.Config{Backend: os.Getenv("SPAFW_BACKEND"), Protect: []spa.Port{ssh}, ManageDeny: true,
		Table: os.Getenv("SPAFW_TABLE"), NetNS: os.Getenv("SPAFW_NETNS")}
	b, err := firewall.New(cfg)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	m := firewall.NewManager(b, firewall.ManagerOptions{})
	ctx := context.Background()
	if err := m.Setup(ctx); err != nil {
		fmt.Println(err)
		return 1
	}
	for _, g := range strings.Split(os.Getenv("SPAFW_GRANTS"), ";") {
		f := strings.Fields(g)
		ms, _ := strconv.ParseInt(f[2], 10, 64)
		port, _ := spa.ParsePort(f[1])
		r := firewall.Rule{Addr: netip.MustParseAddr(f[0]), Port: port}
		if err := m.Allow(ctx, r, time.Until(time.UnixMilli(ms))); err != nil {
			fmt.Println(err)
			return 1
		}
	}
	fmt.Println("ready")
	time.Sleep(time.Minute) // killed long before
	return 1
}

// A daemon killed with SIGKILL leaves grants behind. After a restart and
// Reconcile against the recorded grants nothing stale is left (the expired
// grant and the one the state does not know are gone) and nothing live is
// lost.
func testKill9(t *testing.T, backend string) {
	tp := newTopo(t)
	cfg := sysConfig(t, backend, tp.srv)
	now := time.Now()
	expired := firewall.GrantRecord{Rule: rule(cli6, ssh), Expires: now.Add(time.Second)}
	live := firewall.GrantRecord{Rule: rule(cli4, ssh), Expires: now.Add(30 * time.Second)}
	unknown := firewall.GrantRecord{Rule: rule(other4, ssh), Expires: now.Add(30 * time.Second)}
	var spec []string
	for _, g := range []firewall.GrantRecord{expired, live, unknown} {
		spec = append(spec, fmt.Sprintf("%s %s %d", g.Addr, g.Port, g.Expires.UnixMilli()))
	}
	runAndKill(t, []string{"SPAFW_HELPER=grant", "SPAFW_BACKEND=" + backend, "SPAFW_TABLE=" + cfg.Table,
		"SPAFW_NETNS=" + cfg.NetNS, "SPAFW_GRANTS=" + strings.Join(spec, ";")})

	time.Sleep(time.Until(expired.Expires.Add(300 * time.Millisecond)))
	// Without spad: nftables expired the grant in the kernel, iptables did not.
	if got, want := tp.cliReaches(t, true), backend != firewall.BackendNftables; got != want {
		t.Fatalf("with spad dead, the expired grant is open=%v, want %v", got, want)
	}
	if !tp.cliReaches(t, false) || !tp.otherReaches(t, false) {
		t.Fatal("live grants lost when spad died")
	}

	m := open(t, cfg) // the restart
	if err := m.Reconcile(context.Background(), []firewall.GrantRecord{expired, live}); err != nil {
		t.Fatal(err)
	}
	got := liveRules(t, m)
	if len(got) != 1 || got[live.Rule] < 25*time.Second {
		t.Fatalf("after restart Live = %v, want only %v with about 30s left", got, live.Rule)
	}
	if !tp.cliReaches(t, false) {
		t.Fatal("live grant lost across kill -9 and restart")
	}
	if tp.cliReaches(t, true) || tp.otherReaches(t, false) {
		t.Fatal("stale grant left after kill -9 and restart")
	}
}

// runAndKill starts this test binary as a helper daemon with env, waits
// for it to say "ready" and kills it with SIGKILL.
func runAndKill(t *testing.T, env []string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Wait() }()
	defer func() { _ = cmd.Process.Kill() }()
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		if strings.TrimSpace(s) != "ready" {
			t.Fatalf("helper daemon: %s", s)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("helper daemon not ready after 20s")
	}
	if err := cmd.Process.Signal(os.Kill); err != nil {
		t.Fatal(err)
	}
}
