package server

import (
	"bytes"
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spa-project/spa/server/config"
	"github.com/spa-project/spa/server/firewall"
	"github.com/spa-project/spa/server/firewall/firewalltest"
	"github.com/spa-project/spa/spa"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newTestGranter(t *testing.T, acts []config.Action) (*firewallGranter, *firewalltest.Fake, *lockedBuffer) {
	fake := firewalltest.New(firewall.Features{})
	m := firewall.NewManager(fake, firewall.ManagerOptions{})
	if err := m.Setup(context.Background()); err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	return newFirewallGranter(m, acts, slog.New(slog.NewTextHandler(logs, nil))), fake, logs
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 400; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// An accepted action message runs the configured argv, never a shell, with
// the client's name substituted, and its output reaches the log; a second
// request while it runs does not start it again; Close stops it.
func TestGranterRunsActions(t *testing.T) {
	g, _, logs := newTestGranter(t, []config.Action{
		{ID: 1, Name: "greet", Argv: []string{"/bin/echo", "hello", "{client}", "$(id)"}, Timeout: 5 * time.Second},
		{ID: 2, Name: "long", Argv: []string{"/bin/sleep", "30"}, Timeout: time.Minute},
	})
	ctx := context.Background()
	addr := netip.MustParseAddr("192.0.2.10")
	g.Apply(ctx, Decision{Client: "alice", Type: spa.MsgAction, Addr: addr, Action: 1})
	waitFor(t, "the action's log line", func() bool { return strings.Contains(logs.String(), "action done") })
	if !strings.Contains(logs.String(), `output="hello alice $(id)\n"`) {
		t.Fatalf("log: %s", logs)
	}

	g.Apply(ctx, Decision{Client: "alice", Type: spa.MsgAction, Addr: addr, Action: 2})
	g.Apply(ctx, Decision{Client: "alice", Type: spa.MsgAction, Addr: addr, Action: 2})
	waitFor(t, "the refusal", func() bool { return strings.Contains(logs.String(), "already running") })
	start := time.Now()
	if err := g.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Close took %v with a 30 s action running", d)
	}
	if !strings.Contains(logs.String(), "action failed") {
		t.Fatalf("the stopped action was not reported: %s", logs)
	}
}

// Open and close decisions reach the firewall, one rule per port.
func TestGranterOpensAndCloses(t *testing.T) {
	g, fake, _ := newTestGranter(t, nil)
	ctx := context.Background()
	addr := netip.MustParseAddr("2001:db8::7")
	ports := []spa.Port{{Proto: spa.TCP, Port: 22}, {Proto: spa.UDP, Port: 53}}
	if err := g.Apply(ctx, Decision{Client: "a", Type: spa.MsgOpen, Addr: addr, Ports: ports, Duration: time.Minute}); err != nil {
		t.Fatal(err)
	}
	live, _ := fake.Live(ctx)
	if len(live) != 2 {
		t.Fatalf("live %v", live)
	}
	if err := g.Apply(ctx, Decision{Client: "a", Type: spa.MsgClose, Addr: addr, Ports: ports[:1]}); err != nil {
		t.Fatal(err)
	}
	live, _ = fake.Live(ctx)
	if len(live) != 1 || live[0].Rule.Port != ports[1] {
		t.Fatalf("after close: %v", live)
	}
	g.Close(ctx)
}

// The knock range is dropped silently except the host's own UDP services.
func TestSilentKnockRanges(t *testing.T) {
	s := config.DefaultServer()
	s.Port = 62201
	s.Knock.Range = spa.PortRange{Lo: 20000, Hi: 20099}
	s.Knock.Exclude = []uint16{20000, 20050, 20051, 20099}
	got := silentKnockRanges(&s)
	want := []firewall.PortRange{{Proto: spa.UDP, Lo: 20001, Hi: 20049}, {Proto: spa.UDP, Lo: 20052, Hi: 20098}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got %v, want %v", got, want)
	}
	s.Knock.Exclude = nil
	if got := silentKnockRanges(&s); len(got) != 1 || got[0].Lo != 20000 || got[0].Hi != 20099 {
		t.Fatalf("no exclusions: %v", got)
	}
}
