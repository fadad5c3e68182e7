package firewall_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spa-project/spa/server/firewall"
	"github.com/spa-project/spa/server/firewall/internal/netnstest"
	"github.com/spa-project/spa/spa"
)

// The system tests' network, documentation addresses only:
//
//	client 192.0.2.2, 2001:db8:1::2 ── server 192.0.2.1, 2001:db8:1::1
//	other 198.51.100.2, 2001:db8:2::2 ── server 198.51.100.1, 2001:db8:2::1
//
// The server namespace runs the backend and an echo service on tcp/22.
var (
	ssh = spa.Port{Proto: spa.TCP, Port: 22}

	srvCli4   = netip.MustParsePrefix("192.0.2.1/24")
	cli4      = netip.MustParsePrefix("192.0.2.2/24")
	srvCli6   = netip.MustParsePrefix("2001:db8:1::1/64")
	cli6      = netip.MustParsePrefix("2001:db8:1::2/64")
	srvOther4 = netip.MustParsePrefix("198.51.100.1/24")
	other4    = netip.MustParsePrefix("198.51.100.2/24")
	srvOther6 = netip.MustParsePrefix("2001:db8:2::1/64")
	other6    = netip.MustParsePrefix("2001:db8:2::2/64")
)

// dialTimeout decides "unreachable": the deny drops the SYN, so a dial
// that has not connected by then never will.
const dialTimeout = 300 * time.Millisecond

type topo struct {
	srv, cli, other *netnstest.NS
}

// newTopo builds the three namespaces and starts the echo service.
func newTopo(t *testing.T) *topo {
	t.Helper()
	tp := &topo{srv: netnstest.New(t), cli: netnstest.New(t), other: netnstest.New(t)}
	netnstest.Connect(t, netnstest.End{NS: tp.srv, IP4: srvCli4, IP6: srvCli6}, netnstest.End{NS: tp.cli, IP4: cli4, IP6: cli6})
	netnstest.Connect(t, netnstest.End{NS: tp.srv, IP4: srvOther4, IP6: srvOther6}, netnstest.End{NS: tp.other, IP4: other4, IP6: other6})
	tp.srv.Listen(t, ":22")
	return tp
}

func ap(p netip.Prefix, port uint16) netip.AddrPort { return netip.AddrPortFrom(p.Addr(), port) }

// reach reports whether the client (v6: over IPv6) reaches the service.
func (tp *topo) cliReaches(t *testing.T, v6 bool) bool {
	t.Helper()
	if v6 {
		return tp.cli.Reachable(t, ap(srvCli6, 22), dialTimeout)
	}
	return tp.cli.Reachable(t, ap(srvCli4, 22), dialTimeout)
}

func (tp *topo) otherReaches(t *testing.T, v6 bool) bool {
	t.Helper()
	if v6 {
		return tp.other.Reachable(t, ap(srvOther6, 22), dialTimeout)
	}
	return tp.other.Reachable(t, ap(srvOther4, 22), dialTimeout)
}

func rule(p netip.Prefix, port spa.Port) firewall.Rule {
	return firewall.Rule{Addr: p.Addr(), Port: port}
}

var tableSeq atomic.Int64

// uniqueTable names a test's table or chain prefix.
func uniqueTable() string { return fmt.Sprintf("spat%d", tableSeq.Add(1)) }

// sysConfig is a backend config for the server namespace: protect tcp/22,
// manage the deny, tear down at the end.
func sysConfig(t *testing.T, backend string, ns *netnstest.NS) firewall.Config {
	return firewall.Config{
		Backend:    backend,
		Protect:    []spa.Port{ssh},
		ManageDeny: true,
		Table:      uniqueTable(),
		Teardown:   true,
		NetNS:      ns.Path(),
		Logger:     testLogger(t),
	}
}

// open creates, sets up and wraps a backend in a Manager, closed at the
// end of the test.
func open(t *testing.T, cfg firewall.Config) *firewall.Manager {
	t.Helper()
	b, err := firewall.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := firewall.NewManager(b, firewall.ManagerOptions{Logger: cfg.Logger})
	t.Cleanup(func() {
		if err := m.Close(context.Background()); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	if err := m.Setup(context.Background()); err != nil {
		t.Fatal(err)
	}
	return m
}

// eventually polls cond every 20ms until it holds or within passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true after %v", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func liveRules(t *testing.T, b firewall.Backend) map[firewall.Rule]time.Duration {
	t.Helper()
	live, err := b.Live(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[firewall.Rule]time.Duration{}
	for _, l := range live {
		if _, dup := out[l.Rule]; dup {
			t.Fatalf("Live lists %v twice", l.Rule)
		}
		out[l.Rule] = l.Remaining
	}
	return out
}

// testLogger logs to t at info level and stops when the test ends.
func testLogger(t testing.TB) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(w.stop)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testWriter) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = true
}
