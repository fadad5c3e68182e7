package spa

import (
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"net/netip"
	"testing"
	"time"
)

const testWindow = 60 * time.Second

var testNow = time.UnixMilli(1_767_225_612_345)

func testKey(t testing.TB, client, server string) *Key {
	t.Helper()
	id, err := NewServerID(server)
	if err != nil {
		t.Fatal(err)
	}
	secret := sha256.Sum256([]byte("test client secret " + client))
	return NewKey(client, DeriveClientServerKey(&secret, id), id)
}

func openBody(ts time.Time, ip string, ports ...Port) *Body {
	b := &Body{Type: MsgOpen, UnixMilli: uint64(ts.UnixMilli()), ClientIP: netip.MustParseAddr(ip), Duration: 30}
	if len(ports) == 0 {
		ports = []Port{{TCP, 22}}
	}
	if err := b.SetPorts(ports); err != nil {
		panic(err)
	}
	return b
}

func seal(t testing.TB, k *Key, b *Body, size Bucket) []byte {
	t.Helper()
	var nonce [NonceSize]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		t.Fatal(err)
	}
	pkt, err := k.Seal(nil, b, &nonce, size)
	if err != nil {
		t.Fatal(err)
	}
	return pkt
}

// countingTable returns a table for keys with MAC and decryption counters.
func countingTable(keys []*Key, now time.Time) (*HintTable, *int, *int) {
	tab := NewHintTable(keys, now, testWindow)
	var macs, decrypts int
	tab.onMAC = func() { macs++ }
	tab.onDecrypt = func() { decrypts++ }
	return tab, &macs, &decrypts
}

func wantReason(t *testing.T, err error, want Reason) {
	t.Helper()
	got, ok := ReasonOf(err)
	if !ok || got != want {
		t.Fatalf("got error %v (reason %v), want reason %v", err, got, want)
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	tab := NewHintTable([]*Key{k}, testNow, testWindow)
	for _, tc := range []struct {
		name string
		body *Body
		size Bucket
		n    int
	}{
		{"ipv4", openBody(testNow, "192.0.2.10"), Small, PacketLenSmall},
		{"ipv6", openBody(testNow, "2001:db8::10", Port{UDP, 53}, Port{TCP, 443}), Small, PacketLenSmall},
		{"large", openBody(testNow, "198.51.100.7"), Large, PacketLenLarge},
		{"use-source", &Body{Type: MsgOpen, Flags: FlagUseSource, UnixMilli: uint64(testNow.UnixMilli()), NumPorts: 1, Ports: [8]Port{{TCP, 22}}}, Small, PacketLenSmall},
		{"resync", &Body{Type: MsgResync, UnixMilli: uint64(testNow.UnixMilli()), Counter: 1 << 40, ClientIP: netip.MustParseAddr("203.0.113.5")}, Small, PacketLenSmall},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pkt := seal(t, k, tc.body, tc.size)
			if len(pkt) != tc.n {
				t.Fatalf("packet is %d bytes, want %d", len(pkt), tc.n)
			}
			got, b, err := tab.Open(pkt, testNow)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if got != k || b != *tc.body {
				t.Fatalf("Open returned key %v body %+v, want %+v", got.Name(), b, *tc.body)
			}
		})
	}
}

// AT-06, AT-07: every single-bit flip is rejected before decryption.
func TestEveryBitFlipRejectedBeforeDecrypt(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	for _, size := range []Bucket{Small, Large} {
		pkt := seal(t, k, openBody(testNow, "192.0.2.10"), size)
		tab, _, decrypts := countingTable([]*Key{k}, testNow)
		for i := range len(pkt) * 8 {
			bad := append([]byte(nil), pkt...)
			bad[i/8] ^= 1 << (i % 8)
			_, _, err := tab.Open(bad, testNow)
			r, _ := ReasonOf(err)
			if r != ReasonAuth && r != ReasonUnknownKey && r != ReasonMalformed {
				t.Fatalf("bit %d flipped: got %v, want auth, unknown_key or malformed", i, err)
			}
		}
		if *decrypts != 0 {
			t.Fatalf("%d decryptions of altered packets; want none", *decrypts)
		}
	}
}

// AT-08: wrong lengths are malformed, and no MAC is computed.
func TestWrongLengthsNoCrypto(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	pkt := seal(t, k, openBody(testNow, "192.0.2.10"), Small)
	tab, macs, decrypts := countingTable([]*Key{k}, testNow)
	for _, n := range []int{0, 1, len(pkt) - 1, len(pkt) + 1, PacketLenLarge - 1, PacketLenLarge + 1, 1500, 65507} {
		buf := make([]byte, n)
		copy(buf, pkt)
		_, _, err := tab.Open(buf, testNow)
		wantReason(t, err, ReasonMalformed)
	}
	if *macs != 0 || *decrypts != 0 {
		t.Fatalf("%d MACs and %d decryptions for wrong lengths; want none", *macs, *decrypts)
	}
}

// AT-09: an unknown version or suite, or an unknown hint, is refused before
// any MAC is computed.
func TestUnknownVersionAndHintBeforeMAC(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	tab, macs, _ := countingTable([]*Key{k}, testNow)
	for _, hdr := range []byte{0x21, 0x12, 0x13, 0x01, 0x10, 0xff} {
		pkt := seal(t, k, openBody(testNow, "192.0.2.10"), Small)
		_, mask := k.Hint(Epoch(uint64(testNow.UnixMilli())))
		pkt[0] = hdr ^ mask
		k.putTag(pkt) // a correct tag over the wrong header
		_, _, err := tab.Open(pkt, testNow)
		wantReason(t, err, ReasonMalformed)
	}
	other := testKey(t, "mallory", "bastion-a.example")
	_, _, err := tab.Open(seal(t, other, openBody(testNow, "192.0.2.66"), Small), testNow)
	wantReason(t, err, ReasonUnknownKey)
	if *macs != 0 {
		t.Fatalf("%d MACs computed; want none", *macs)
	}
}

// AT-13: a packet for server A fails at server B, whether B derived its own
// key from the same client secret or was given A's client-server key.
func TestOtherServerRejects(t *testing.T) {
	secret := sha256.Sum256([]byte("shared client"))
	idA, _ := NewServerID("bastion-a.example")
	idB, _ := NewServerID("bastion-b.example")
	atA := NewKey("c", DeriveClientServerKey(&secret, idA), idA)
	pkt := seal(t, atA, openBody(testNow, "192.0.2.10"), Small)

	derivedAtB := NewKey("c", DeriveClientServerKey(&secret, idB), idB)
	_, _, err := NewHintTable([]*Key{derivedAtB}, testNow, testWindow).Open(pkt, testNow)
	wantReason(t, err, ReasonUnknownKey)

	copiedToB := NewKey("c", DeriveClientServerKey(&secret, idA), idB)
	_, _, err = NewHintTable([]*Key{copiedToB}, testNow, testWindow).Open(pkt, testNow)
	wantReason(t, err, ReasonAuth)
}

// AT-14: the window bounds are inclusive, one millisecond beyond is stale.
func TestFreshnessBoundaries(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	tab := NewHintTable([]*Key{k}, testNow, testWindow)
	for _, tc := range []struct {
		offset time.Duration
		ok     bool
	}{
		{-testWindow, true}, {testWindow, true}, {0, true},
		{-testWindow - time.Millisecond, false}, {testWindow + time.Millisecond, false},
	} {
		pkt := seal(t, k, openBody(testNow.Add(tc.offset), "192.0.2.10"), Small)
		key, _, err := tab.Open(pkt, testNow)
		if tc.ok && err != nil {
			t.Errorf("offset %v: %v, want accepted", tc.offset, err)
		}
		if !tc.ok {
			if r, _ := ReasonOf(err); r != ReasonStale || key != k {
				t.Errorf("offset %v: got %v (key %v), want stale attributed to the key", tc.offset, err, key)
			}
		}
	}
}

// Two keys that share a hint are both tried; the right one wins.
func TestHintCollisionTriesEveryCandidate(t *testing.T) {
	a := testKey(t, "alice", "bastion-a.example")
	b := testKey(t, "bob", "bastion-a.example")
	tab := NewHintTable([]*Key{a, b}, testNow, testWindow)
	// Put bob in front of alice under every one of alice's hints.
	for h, cands := range tab.cands {
		if cands[0].key == a {
			tab.cands[h] = append([]candidate{{key: b, epoch: cands[0].epoch, mask: cands[0].mask}}, cands...)
		}
	}
	key, _, err := tab.Open(seal(t, a, openBody(testNow, "192.0.2.10"), Small), testNow)
	if err != nil || key != a {
		t.Fatalf("got key %v, err %v; want alice", key, err)
	}
}

func TestHintRotatesPerEpoch(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	seen := map[[HintLen]byte]bool{}
	for e := uint64(0); e < 1000; e++ {
		h, _ := k.Hint(e)
		if seen[h] {
			t.Fatalf("hint repeated at epoch %d", e)
		}
		seen[h] = true
	}
}

func TestTableCoversWindowEpochs(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	// An epoch boundary 10 s from now: the window spans two epochs.
	now := time.UnixMilli(EpochMillis*5_900_000 + 10_000)
	tab := NewHintTable([]*Key{k}, now, testWindow)
	if !tab.Covers(now) || tab.Covers(now.Add(EpochMillis*time.Millisecond)) {
		t.Fatal("Covers is wrong")
	}
	for _, ts := range []time.Time{now.Add(-testWindow), now.Add(testWindow)} {
		if _, _, err := tab.Open(seal(t, k, openBody(ts, "192.0.2.1"), Small), now); err != nil {
			t.Errorf("ts %v: %v", ts, err)
		}
	}
}

// AT-37: sealing many packets never repeats a nonce or a packet.
func TestNoncesNeverRepeat(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	k := testKey(t, "alice", "bastion-a.example")
	body := openBody(testNow, "192.0.2.10")
	nonces := make(map[[NonceSize]byte]struct{}, n)
	packets := make(map[[sha256.Size]byte]struct{}, n)
	var buf []byte
	for range n {
		var err error
		buf, err = k.SealRandom(buf[:0], body, rand.Reader, Small)
		if err != nil {
			t.Fatal(err)
		}
		nonces[[NonceSize]byte(buf[offNonce:HeaderLen])] = struct{}{}
		packets[sha256.Sum256(buf)] = struct{}{}
	}
	if len(nonces) != n || len(packets) != n {
		t.Fatalf("%d distinct nonces and %d distinct packets of %d", len(nonces), len(packets), n)
	}
}

func TestSealRandomShortReader(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	_, err := k.SealRandom(nil, openBody(testNow, "192.0.2.10"), shortReader{}, Small)
	if err == nil {
		t.Fatal("SealRandom succeeded with a failing random source")
	}
}

type shortReader struct{}

func (shortReader) Read(p []byte) (int, error) { return 0, errors.New("no entropy") }

// The reject paths before authentication allocate nothing.
func TestRejectPathDoesNotAllocate(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	tab := NewHintTable([]*Key{k}, testNow, testWindow)
	good := seal(t, k, openBody(testNow, "192.0.2.10"), Small)
	badTag := append([]byte(nil), good...)
	badTag[len(badTag)-1] ^= 1
	unknown := append([]byte(nil), good...)
	unknown[offHint] ^= 0xff
	for name, pkt := range map[string][]byte{"bad tag": badTag, "unknown hint": unknown, "short": good[:40]} {
		if a := testing.AllocsPerRun(200, func() { tab.Open(pkt, testNow) }); a != 0 {
			t.Errorf("%s: %.1f allocations per rejected packet, want 0", name, a)
		}
	}
}
