package server

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/spa-project/spa/client/profile"
	"github.com/spa-project/spa/server/config"
	"github.com/spa-project/spa/spa"
)

// chanSource is a Source fed by the test.
type chanSource struct {
	ch     chan []byte
	src    netip.Addr
	closed chan struct{}
	once   sync.Once
}

func newChanSource(src string) *chanSource {
	return &chanSource{ch: make(chan []byte), src: netip.MustParseAddr(src), closed: make(chan struct{})}
}

func (s *chanSource) Next() ([]byte, netip.Addr, uint16, error) {
	select {
	case p := <-s.ch:
		return p, s.src, 62201, nil
	case <-s.closed:
		return nil, netip.Addr{}, 0, net.ErrClosed
	}
}

func (s *chanSource) KernelDrops() uint64 { return 0 }
func (s *chanSource) Close() error        { s.once.Do(func() { close(s.closed) }); return nil }

// recorder is a Granter that records decisions.
type recorder struct {
	mu   sync.Mutex
	got  []Decision
	done chan struct{}
}

func (r *recorder) Apply(_ context.Context, d Decision) error {
	r.mu.Lock()
	r.got = append(r.got, d)
	r.mu.Unlock()
	r.done <- struct{}{}
	return nil
}

func (r *recorder) Close(context.Context) error { return nil }

type daemonRig struct {
	t    *testing.T
	dir  string
	prof *profile.Profile
	src  *chanSource
	fw   *recorder
	d    *Daemon
	stop func()
}

func newDaemonRig(t *testing.T) *daemonRig {
	dir := t.TempDir()
	s := config.DefaultServer()
	s.Name, s.StateDir, s.Protect = "bastion-a.example", filepath.Join(dir, "state"), []spa.Port{{Proto: spa.TCP, Port: 22}}
	if err := Init(filepath.Join(dir, "etc"), s); err != nil {
		t.Fatal(err)
	}
	r := &daemonRig{t: t, dir: filepath.Join(dir, "etc")}
	var err error
	r.prof, err = Enroll(r.dir, Enrollment{Name: "alice", Allow: []spa.Port{{Proto: spa.TCP, Port: 22}}}, rand.Reader,
		func(*profile.Profile) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	r.start()
	return r
}

func (r *daemonRig) start() {
	r.src, r.fw = newChanSource("192.0.2.10"), &recorder{done: make(chan struct{}, 16)}
	d, err := NewDaemon(r.dir, DaemonOptions{
		LogOutput:    io.Discard,
		OpenSource:   func(*config.Config) (Source, error) { return r.src, nil },
		OpenFirewall: func(*config.Config, *slog.Logger) (Granter, error) { return r.fw, nil },
	})
	if err != nil {
		r.t.Fatal(err)
	}
	r.d = d
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- d.Run(ctx) }()
	r.stop = func() {
		cancel()
		if err := <-errc; err != nil {
			r.t.Errorf("Run: %v", err)
		}
	}
	r.t.Cleanup(func() { cancel() })
	// Wait until the control socket answers.
	for i := 0; i < 100; i++ {
		if _, err := Query(r.stateDir(), "status"); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.t.Fatal("daemon did not come up")
}

func (r *daemonRig) stateDir() string { return r.d.config().Server.StateDir }

func (r *daemonRig) knock() []byte {
	key := spa.NewKey("alice", r.prof.Secret.ForServer(r.prof.ServerID).Bytes(), r.prof.ServerID.SPA())
	b := spa.Body{Type: spa.MsgOpen, UnixMilli: uint64(time.Now().UnixMilli()), ClientIP: netip.MustParseAddr("192.0.2.10"), Duration: 30}
	b.SetPorts(r.prof.Ports)
	pkt, err := key.SealRandom(nil, &b, rand.Reader, spa.Small)
	if err != nil {
		r.t.Fatal(err)
	}
	return pkt
}

// send delivers a datagram and waits until the daemon has counted it.
func (r *daemonRig) send(pkt []byte) {
	before := r.d.Verifier().Counters().Total()
	r.src.ch <- pkt
	for i := 0; i < 250 && r.d.Verifier().Counters().Total() == before; i++ {
		time.Sleep(4 * time.Millisecond)
	}
}

func (r *daemonRig) counter(name string) uint64 { return r.d.Verifier().Counters().Snapshot()[name] }

// The "done when": init, client add, run; a valid packet yields a
// grant; replayed, altered and revoked ones are refused with the right
// counter, also across a restart.
func TestDaemonEndToEnd(t *testing.T) {
	r := newDaemonRig(t)
	pkt := r.knock()
	r.send(pkt)
	select {
	case <-r.fw.done:
	case <-time.After(5 * time.Second):
		t.Fatal("no grant")
	}
	if g := r.fw.got[0]; g.Client != "alice" || g.Addr != netip.MustParseAddr("192.0.2.10") || g.Duration != 30*time.Second {
		t.Fatalf("grant %+v", g)
	}
	r.send(pkt)
	bad := append([]byte(nil), r.knock()...)
	bad[100] ^= 4
	r.send(bad)
	if r.counter("replay") != 1 || r.counter("auth") != 1 || r.counter("accepted") != 1 {
		t.Fatalf("counters %v", r.d.Verifier().Counters().Snapshot())
	}

	// The grant is recorded just after the firewall change: poll for it.
	var st Status
	var reply []byte
	for i := 0; i < 100; i++ {
		var err error
		if reply, err = Query(r.stateDir(), "status"); err != nil {
			t.Fatal(err)
		}
		st = Status{}
		if err := json.Unmarshal(reply, &st); err != nil {
			t.Fatal(err)
		}
		if len(st.Grants) > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(st.Grants) != 1 || st.Grants[0].Port != "tcp/22" || st.Grants[0].RemainingS < 25 || st.Counters["replay"] != 1 {
		t.Fatalf("status %s", reply)
	}

	r.stop()
	r.start()
	r.send(pkt)
	if r.counter("replay") != 1 {
		t.Fatalf("after restart: %v", r.d.Verifier().Counters().Snapshot())
	}

	if err := config.RevokeClient(r.dir, "alice", time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := Query(r.stateDir(), "reload"); err != nil {
		t.Fatal(err)
	}
	r.send(r.knock())
	if r.counter("unknown_key") != 1 {
		t.Fatalf("revoked client: %v", r.d.Verifier().Counters().Snapshot())
	}
	r.stop()
}

func TestEnrollRefusesExistingName(t *testing.T) {
	r := newDaemonRig(t)
	delivered := false
	_, err := Enroll(r.dir, Enrollment{Name: "alice", Allow: []spa.Port{{Proto: spa.TCP, Port: 22}}}, rand.Reader,
		func(*profile.Profile) error { delivered = true; return nil })
	if err == nil || delivered {
		t.Fatalf("second alice: err %v, profile delivered %v", err, delivered)
	}
	_, err = Enroll(r.dir, Enrollment{Name: "bob", Allow: []spa.Port{{Proto: spa.TCP, Port: 22}}}, rand.Reader,
		func(*profile.Profile) error { return fmt.Errorf("disk full") })
	if err == nil {
		t.Fatal("enrolled although the profile could not be delivered")
	}
	if _, err := config.Load(r.dir); err != nil {
		t.Fatal(err)
	}
	cfg, _ := config.Load(r.dir)
	if len(cfg.Clients) != 1 {
		t.Fatalf("%d clients, want only alice", len(cfg.Clients))
	}
	r.stop()
}
