package server

import (
	"crypto/rand"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/spa-project/spa/server/state"
	"github.com/spa-project/spa/spa"
)

// Per-packet cost of the whole pipeline, by outcome. Run with
//
//	go test -run '^$' -bench Pipeline -benchmem -cpu 1 ./server/

// memReplay is a replay store without durability, to separate the
// pipeline's cost from the disk's.
type memReplay struct {
	mu   sync.Mutex
	seen map[[spa.NonceSize]byte]bool
}

func (m *memReplay) CheckAndInsert(_ string, n [spa.NonceSize]byte, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen[n] {
		return state.ErrReplay
	}
	m.seen[n] = true
	return nil
}

func (m *memReplay) MaxAccepted(string) (time.Time, bool) { return time.Time{}, false }

func benchVerifier(b *testing.B, replay ReplayStore) (*Verifier, *spa.Key) {
	clients := make([]Client, 0, 100)
	var key *spa.Key
	for i := range 100 {
		c, k := testClient(string(rune('a'+i%26))+string(rune('a'+i/26)), "strict")
		c.Rate, c.Burst = 1e9, 1<<30
		clients = append(clients, c)
		if i == 0 {
			key = k
		}
	}
	return NewVerifier(Options{Window: testWindow, Clock: newFakeClock(t0), Replay: replay, LogRate: 10}, clients), key
}

func benchHandle(b *testing.B, v *Verifier, pkt []byte, wantErr bool) {
	src := netip.MustParseAddr("192.0.2.10")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Handle(pkt, src); (err != nil) != wantErr {
			b.Fatal(err)
		}
	}
}

func BenchmarkPipelineGarbage(b *testing.B) {
	v, _ := benchVerifier(b, &memReplay{seen: map[[spa.NonceSize]byte]bool{}})
	benchHandle(b, v, make([]byte, 200), true)
}

func BenchmarkPipelineUnknownHint(b *testing.B) {
	v, _ := benchVerifier(b, &memReplay{seen: map[[spa.NonceSize]byte]bool{}})
	pkt := make([]byte, spa.PacketLenSmall)
	rand.Read(pkt)
	benchHandle(b, v, pkt, true)
}

func BenchmarkPipelineBadMAC(b *testing.B) {
	v, k := benchVerifier(b, &memReplay{seen: map[[spa.NonceSize]byte]bool{}})
	pkt := sealOpen(b, k, t0, "192.0.2.10")
	pkt[80] ^= 1
	benchHandle(b, v, pkt, true)
}

func BenchmarkPipelineReplay(b *testing.B) {
	st, _, err := state.Open(b.TempDir()+"/spad.db", state.Options{Create: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	v, k := benchVerifier(b, st)
	pkt := sealOpen(b, k, time.Now(), "192.0.2.10")
	v.opts.Clock = newFakeClock(time.Now())
	if _, err := v.Handle(pkt, netip.MustParseAddr("192.0.2.10")); err != nil {
		b.Fatal(err)
	}
	benchHandle(b, v, pkt, true)
}

// BenchmarkPipelineValid is the in-memory cost of accepting a packet:
// everything but the durable write.
func BenchmarkPipelineValid(b *testing.B) {
	v, k := benchVerifier(b, &memReplay{seen: map[[spa.NonceSize]byte]bool{}})
	pkts := make([][]byte, 4096)
	for i := range pkts {
		pkts[i] = sealOpen(b, k, t0, "192.0.2.10")
	}
	src := netip.MustParseAddr("192.0.2.10")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == len(pkts) {
			b.StopTimer()
			v.opts.Replay = &memReplay{seen: map[[spa.NonceSize]byte]bool{}}
			i = 0
			b.StartTimer()
		}
		if _, err := v.Handle(pkts[i], src); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkPipelineValidDurable includes the fsync'd replay insert (one
// packet at a time, as a lone knock sees it).
func BenchmarkPipelineValidDurable(b *testing.B) {
	st, _, err := state.Open(b.TempDir()+"/spad.db", state.Options{Create: true, BatchDelay: -1, PerClientQuota: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	v, k := benchVerifier(b, st)
	now := time.Now()
	v.opts.Clock = newFakeClock(now)
	src := netip.MustParseAddr("192.0.2.10")
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		pkt := sealOpen(b, k, now, "192.0.2.10")
		b.StartTimer()
		if _, err := v.Handle(pkt, src); err != nil {
			b.Fatal(err)
		}
	}
}
