package server

import (
	"crypto/rand"
	"errors"
	mrand "math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/spa-project/spa/server/config"
	"github.com/spa-project/spa/spa"
)

// knockClient is a knock-enabled client and its sender key.
func knockClient(name, mode string) (Client, *spa.Key) {
	c, k := testClient(name, "strict")
	c.Knock, c.KnockFragments = mode, 4
	return c, k
}

// makeKnock builds a knock for an open of tcp/22 from ip with counter cnt.
func makeKnock(t *testing.T, k *spa.Key, ts time.Time, ip string, cnt uint64) ([]uint16, [][]byte) {
	t.Helper()
	b := spa.Body{Type: spa.MsgOpen, UnixMilli: uint64(ts.UnixMilli()), ClientIP: netip.MustParseAddr(ip), Duration: 60}
	b.SetPorts([]spa.Port{{Proto: spa.TCP, Port: 22}})
	var nonce [spa.NonceSize]byte
	rand.Read(nonce[:])
	ports, payloads, err := k.Knock(&b, cnt, 4, spa.DefaultKnockRange(), spa.ExcludePorts(62201), &nonce, spa.Small)
	if err != nil {
		t.Fatal(err)
	}
	return ports, payloads
}

// deliver hands the knock's datagrams to the verifier in a random order and
// returns the outcome of the last one and how many were pending.
func (r *rig) deliver(ports []uint16, payloads [][]byte, src string) (Decision, int, error) {
	order := mrand.Perm(len(ports))
	var d Decision
	var err error
	pending := 0
	for _, i := range order {
		d, err = r.v.HandleKnock(payloads[i], netip.MustParseAddr(src), ports[i])
		if errors.Is(err, errPending) {
			pending++
		}
	}
	return d, pending, err
}

// A HOTP knock opens; its counter is spent at once; replaying every
// captured fragment afterwards opens nothing (the ports are dead).
func TestHOTPKnockAndReplay(t *testing.T) {
	c, k := knockClient("alice", config.KnockHOTP)
	r := newRig(t, t0, c)
	ports, payloads := makeKnock(t, k, t0, "192.0.2.10", 0)
	d, pending, err := r.deliver(ports, payloads, "192.0.2.10")
	if err != nil || pending != 3 || d.Addr != netip.MustParseAddr("192.0.2.10") {
		t.Fatalf("knock: %+v, %v, %d pending", d, err, pending)
	}
	if got := r.store.Counter("alice"); got != 1 {
		t.Fatalf("counter %d after knocking with 0, want 1", got)
	}
	for i := range ports {
		if _, err := r.v.HandleKnock(payloads[i], netip.MustParseAddr("203.0.113.9"), ports[i]); err == nil || errors.Is(err, errPending) {
			t.Fatalf("replayed fragment %d: %v, want a drop", i, err)
		}
	}
	// The next counter works, counters further than the look-ahead do not.
	ports, payloads = makeKnock(t, k, t0, "192.0.2.10", 1)
	if _, _, err := r.deliver(ports, payloads, "192.0.2.10"); err != nil {
		t.Fatalf("counter 1: %v", err)
	}
	ports, payloads = makeKnock(t, k, t0, "192.0.2.10", 2+10)
	if _, _, err := r.deliver(ports, payloads, "192.0.2.10"); err == nil {
		t.Fatal("a counter beyond the look-ahead was accepted")
	}
	if r.store.Counter("alice") != 2 {
		t.Fatalf("counter moved by an unknown knock: %d", r.store.Counter("alice"))
	}
}

// A client that ran ahead resyncs with a single packet, then knocks.
func TestHOTPResync(t *testing.T) {
	c, k := knockClient("alice", config.KnockHOTP)
	r := newRig(t, t0, c)
	ports, payloads := makeKnock(t, k, t0, "192.0.2.10", 40)
	if _, _, err := r.deliver(ports, payloads, "192.0.2.10"); err == nil {
		t.Fatal("counter 40 accepted before a resync")
	}
	b := spa.Body{Type: spa.MsgResync, UnixMilli: uint64(t0.UnixMilli()), ClientIP: netip.MustParseAddr("192.0.2.10"), Counter: 40}
	pkt, _ := k.SealRandom(nil, &b, rand.Reader, spa.Small)
	if _, err := r.handle(pkt, "192.0.2.10"); err != nil {
		t.Fatalf("resync: %v", err)
	}
	if r.store.Counter("alice") != 40 {
		t.Fatalf("counter after resync %d, want 40", r.store.Counter("alice"))
	}
	ports, payloads = makeKnock(t, k, t0, "192.0.2.10", 40)
	if _, _, err := r.deliver(ports, payloads, "192.0.2.10"); err != nil {
		t.Fatalf("knock after resync: %v", err)
	}
	// An older resync never moves the counter back.
	b.Counter, b.UnixMilli = 5, b.UnixMilli+1
	pkt, _ = k.SealRandom(nil, &b, rand.Reader, spa.Small)
	r.handle(pkt, "192.0.2.10")
	if r.store.Counter("alice") != 41 {
		t.Fatalf("counter %d after an old resync, want 41", r.store.Counter("alice"))
	}
}

// TOTP: steps -1, 0, +1 open, +2 does not; a replay of all fragments of a
// completed knock opens nothing.
func TestTOTPKnock(t *testing.T) {
	c, k := knockClient("ci", config.KnockTOTP)
	r := newRig(t, t0, c)
	step := spa.TOTPCounter(t0)
	for _, tc := range []struct {
		c  uint64
		ok bool
	}{{step - 1, true}, {step, true}, {step + 1, true}, {step + 2, false}} {
		ports, payloads := makeKnock(t, k, t0, "192.0.2.10", tc.c)
		_, _, err := r.deliver(ports, payloads, "192.0.2.10")
		if (err == nil) != tc.ok {
			t.Errorf("step %+d: %v", int64(tc.c)-int64(step), err)
		}
	}
	ports, payloads := makeKnock(t, k, t0, "192.0.2.10", step)
	r.deliver(ports, payloads, "192.0.2.10")
	before := r.v.Counters().Accepted()
	r.deliver(ports, payloads, "198.51.100.7") // the captured knock, from the attacker
	r.deliver(ports, payloads, "192.0.2.10")   // and with the client's source
	if r.v.Counters().Accepted() != before {
		t.Fatal("a replayed knock was accepted")
	}
}

// knock_required refuses single packets but accepts knocks; an incomplete
// knock expires and is counted; a sweep of the whole range opens nothing.
func TestKnockRequiredExpiryAndSweep(t *testing.T) {
	c, k := knockClient("alice", config.KnockHOTP)
	c.KnockRequired = true
	r := newRig(t, t0, c)
	r.wantReason(sealOpen(t, k, t0, "192.0.2.10"), "192.0.2.10", spa.ReasonPolicy)

	ports, payloads := makeKnock(t, k, t0, "192.0.2.10", 0)
	for i := range 3 {
		r.v.HandleKnock(payloads[i], netip.MustParseAddr("192.0.2.10"), ports[i])
	}
	r.clock.Advance(6 * time.Second)
	r.v.Tick(r.clock.Now())
	if r.v.Counters().Drops(spa.ReasonPartialTimeout) != 1 {
		t.Fatalf("partial_timeout %d, want 1", r.v.Counters().Drops(spa.ReasonPartialTimeout))
	}
	if _, err := r.v.HandleKnock(payloads[3], netip.MustParseAddr("192.0.2.10"), ports[3]); err == nil {
		t.Fatal("the last fragment completed an expired knock")
	}

	sweep := spa.DefaultKnockRange()
	junk := make([]byte, 47)
	for p := int(sweep.Lo); p <= int(sweep.Hi); p++ {
		rand.Read(junk)
		if _, err := r.v.HandleKnock(junk, netip.MustParseAddr("198.51.100.7"), uint16(p)); err == nil || errors.Is(err, errPending) {
			t.Fatalf("port %d: junk was taken: %v", p, err)
		}
	}
	ports, payloads = makeKnock(t, k, r.clock.Now(), "192.0.2.10", 1)
	if _, _, err := r.deliver(ports, payloads, "192.0.2.10"); err != nil {
		t.Fatalf("the client's next knock after the sweep: %v", err)
	}
}
