package server

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"log/slog"
	"net/netip"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/spa-project/spa/keys"
	"github.com/spa-project/spa/server/config"
	"github.com/spa-project/spa/server/state"
	"github.com/spa-project/spa/spa"
)

const testWindow = 60 * time.Second

// fakeClock is a wall clock and a monotonic clock that tests move.
type fakeClock struct {
	mu   sync.Mutex
	wall time.Time
	mono time.Duration
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{wall: t, mono: time.Hour} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wall
}

func (c *fakeClock) Mono() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mono
}

// Advance moves both clocks, as time passing does.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.wall, c.mono = c.wall.Add(d), c.mono+d
	c.mu.Unlock()
}

// Step moves only the wall clock, as an administrator or NTP does.
func (c *fakeClock) Step(d time.Duration) {
	c.mu.Lock()
	c.wall = c.wall.Add(d)
	c.mu.Unlock()
}

// rig is a verifier with a real bbolt replay store in a temp dir.
type rig struct {
	t      testing.TB
	clock  *fakeClock
	dir    string
	store  *state.Store
	v      *Verifier
	opts   state.Options
	client []Client
	logs   *bytes.Buffer
}

func newRig(t testing.TB, now time.Time, clients ...Client) *rig {
	t.Helper()
	r := &rig{t: t, clock: newFakeClock(now), dir: t.TempDir(), logs: &bytes.Buffer{}, client: clients}
	r.opts = state.Options{TTL: 2 * testWindow, Clock: r.clock, Create: true, BatchDelay: time.Millisecond}
	r.open()
	return r
}

func (r *rig) open() {
	r.t.Helper()
	st, _, err := state.Open(filepath.Join(r.dir, "spad.db"), r.opts)
	if err != nil {
		r.t.Fatal(err)
	}
	r.store = st
	r.t.Cleanup(func() { st.Close() })
	logger := slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r.v = NewVerifier(Options{Window: testWindow, Clock: r.clock, Replay: st, Logger: logger, LogRate: 10,
		Knock: &KnockOptions{Range: spa.DefaultKnockRange(), Excluded: spa.ExcludePorts(62201), Lookahead: 10, Timeout: 5 * time.Second, Counters: st},
	}, r.client)
}

// restart closes the store and opens it again, as a daemon restart does.
func (r *rig) restart() {
	r.t.Helper()
	if err := r.store.Close(); err != nil {
		r.t.Fatal(err)
	}
	r.open()
}

func (r *rig) handle(pkt []byte, src string) (Decision, error) {
	return r.v.Handle(pkt, netip.MustParseAddr(src))
}

func (r *rig) wantReason(pkt []byte, src string, want spa.Reason) {
	r.t.Helper()
	_, err := r.handle(pkt, src)
	if got, ok := spa.ReasonOf(err); !ok || got != want {
		r.t.Fatalf("got %v, want %v", err, want)
	}
}

var testServer = mustServerID("bastion-a.example")

func mustServerID(name string) keys.ServerID {
	id, err := keys.NewServerID(name)
	if err != nil {
		panic(err)
	}
	return id
}

// testClient is an enrolled client with its sender key.
func testClient(name string, policy string) (Client, *spa.Key) {
	secret := sha256.Sum256([]byte("secret of " + name))
	cs := spa.DeriveClientServerKey(&secret, testServer.SPA())
	ap, err := config.ParseAddressPolicy(policy)
	if err != nil {
		panic(err)
	}
	c := Client{
		Name: name, Key: spa.NewKey(name, cs, testServer.SPA()),
		Allow: []spa.Port{{Proto: spa.TCP, Port: 22}}, MaxDuration: 5 * time.Minute, DefaultDuration: 30 * time.Second,
		Address: ap, Rate: 1000, Burst: 1000,
	}
	return c, spa.NewKey(name, cs, testServer.SPA())
}

func sealOpen(t testing.TB, k *spa.Key, ts time.Time, ip string) []byte {
	t.Helper()
	b := spa.Body{Type: spa.MsgOpen, UnixMilli: uint64(ts.UnixMilli()), ClientIP: netip.MustParseAddr(ip), Duration: 60}
	b.SetPorts([]spa.Port{{Proto: spa.TCP, Port: 22}})
	pkt, err := k.SealRandom(nil, &b, rand.Reader, spa.Small)
	if err != nil {
		t.Fatal(err)
	}
	return pkt
}
