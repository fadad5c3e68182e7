package spa

import (
	"bytes"
	"net/netip"
	"testing"
	"time"
)

// sealRaw seals an arbitrary plaintext body, canonical or not, bypassing
// every check: the way a buggy or hostile enrolled client could.
func sealRaw(k *Key, plain []byte, nonce byte) []byte {
	pkt := make([]byte, HeaderLen+len(plain)+TagSize)
	hint, mask := k.Hint(Epoch(uint64(testNow.UnixMilli())))
	pkt[0] = hdrV1Suite1 ^ mask
	copy(pkt[offHint:], hint[:])
	pkt[offNonce] = nonce
	k.xorBody(pkt[HeaderLen:HeaderLen+len(plain)], plain, pkt[offNonce:HeaderLen])
	k.putTag(pkt)
	return pkt
}

func encodeBody(b *Body, fragmented bool) []byte {
	plain := make([]byte, BodyLenSmall)
	b.encode(plain)
	if fragmented {
		plain[offFlags] |= byte(FlagFragmented)
	}
	return plain
}

// A knock packet sent as a single datagram is refused (SPEC.md §5.1 rule 2).
func TestFragmentedSingleDatagramRejected(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	tab := NewHintTable([]*Key{k}, testNow, testWindow)
	for _, size := range []Bucket{Small, Large} {
		pkt := sealKnock(t, k, 5, size)
		key, _, err := tab.Open(pkt, testNow)
		wantReason(t, err, ReasonBadBody)
		if key != k {
			t.Fatal("the MAC matched but no key was returned")
		}
	}
}

func TestSealKnockOpenKnockRoundTrip(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	tab := NewHintTable([]*Key{k}, testNow, testWindow)
	in := knockBody()
	in.Counter = 999 // replaced by the knock counter
	in.Flags = FlagFragmented
	orig := *in
	var nonce [NonceSize]byte
	pkt, err := k.SealKnock(nil, in, 42, &nonce, Large)
	if err != nil {
		t.Fatal(err)
	}
	if *in != orig {
		t.Fatal("SealKnock modified its body")
	}
	key, b, err := tab.OpenKnock(pkt, testNow, Candidate{Key: k, Counter: 42, Fragments: 4})
	if err != nil || key != k {
		t.Fatalf("OpenKnock: %v", err)
	}
	want := *knockBody()
	want.Flags, want.Counter = FlagFragmented, 42
	if b != want {
		t.Fatalf("body %+v, want %+v", b, want)
	}
	// The same body sealed by Seal (no FRAGMENTED) differs only in the body.
	plain, _ := k.Seal(nil, knockBody(), &nonce, Large)
	if bytes.Equal(plain[HeaderLen:], pkt[HeaderLen:]) || !bytes.Equal(plain[:HeaderLen], pkt[:HeaderLen]) {
		t.Fatal("flag and counter do not show in the ciphertext only")
	}
}

func TestSealKnockRefuses(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	var nonce [NonceSize]byte
	resync := &Body{Type: MsgResync, UnixMilli: uint64(testNow.UnixMilli()), ClientIP: netip.MustParseAddr("192.0.2.1")}
	for name, b := range map[string]*Body{
		"resync":    resync,
		"no ports":  {Type: MsgOpen, ClientIP: netip.MustParseAddr("192.0.2.1")},
		"flag bit2": {Type: MsgOpen, Flags: 0x04, ClientIP: netip.MustParseAddr("192.0.2.1"), NumPorts: 1, Ports: [8]Port{{TCP, 22}}},
	} {
		if out, err := k.SealKnock([]byte("x"), b, 1, &nonce, Small); err == nil || string(out) != "x" {
			t.Errorf("%s: sealed (%v)", name, err)
		}
	}
	if _, err := k.SealKnock(nil, knockBody(), MaxKnockCounter+1, &nonce, Small); err != ErrCounterUnusable {
		t.Errorf("counter 2^64-1: %v", err)
	}
}

// A reassembled packet must be bound to its knock: FRAGMENTED, the knock's
// counter, not a resync, and the knock's client.
func TestOpenKnockBinding(t *testing.T) {
	alice := testKey(t, "alice", "bastion-a.example")
	bob := testKey(t, "bob", "bastion-a.example")
	tab := NewHintTable([]*Key{alice, bob}, testNow, testWindow)
	cand := Candidate{Key: alice, Counter: 7, Fragments: 4}
	var nonce [NonceSize]byte
	single, _ := alice.Seal(nil, knockBody(), &nonce, Small)
	other, _ := alice.SealKnock(nil, knockBody(), 8, &nonce, Small)
	rs := &Body{Type: MsgResync, UnixMilli: uint64(testNow.UnixMilli()), Counter: 7, ClientIP: netip.MustParseAddr("192.0.2.1")}
	resync := sealRaw(alice, encodeBody(rs, true), 1)
	padded := encodeBody(func() *Body { b := knockBody(); b.Counter = 7; return b }(), true)
	padded[BodyLenSmall-1] = 1
	for name, tc := range map[string]struct {
		pkt  []byte
		cand Candidate
		want Reason
		auth bool
	}{
		"not fragmented":  {single, cand, ReasonBadBody, true},
		"counter + 1":     {other, cand, ReasonBadBody, true},
		"resync":          {resync, cand, ReasonBadBody, true},
		"bad padding":     {sealRaw(alice, padded, 2), cand, ReasonBadBody, true},
		"other client":    {sealKnock(t, alice, 7, Small), Candidate{Key: bob, Counter: 7, Fragments: 4}, ReasonUnknownKey, false},
		"wrong length":    {sealKnock(t, alice, 7, Small)[:100], cand, ReasonMalformed, false},
		"bad tag":         {flip(sealKnock(t, alice, 7, Small), PacketLenSmall-1), cand, ReasonAuth, false},
		"bad header mask": {flip(sealKnock(t, alice, 7, Small), 0), cand, ReasonMalformed, false},
	} {
		key, b, err := tab.OpenKnock(tc.pkt, testNow, tc.cand)
		if r, ok := ReasonOf(err); !ok || r != tc.want {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
		if (key != nil) != tc.auth || b != (Body{}) {
			t.Errorf("%s: key %v, body %+v", name, key, b)
		}
	}
	// The correct knock opens, and a stale one is stale.
	if _, _, err := tab.OpenKnock(sealKnock(t, alice, 7, Small), testNow, cand); err != nil {
		t.Fatal(err)
	}
	late := testNow.Add(testWindow + time.Millisecond)
	if _, _, err := NewHintTable([]*Key{alice}, late, testWindow).OpenKnock(sealKnock(t, alice, 7, Small), late, cand); err != ReasonStale {
		t.Fatalf("stale knock: %v", err)
	}
}

func flip(p []byte, i int) []byte {
	p[i] ^= 1
	return p
}

// OpenKnock decrypts nothing before the MAC matches, as Open.
func TestOpenKnockMACBeforeDecrypt(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	tab, macs, decrypts := countingTable([]*Key{k}, testNow)
	pkt := sealKnock(t, k, 7, Small)
	cand := Candidate{Key: k, Counter: 7, Fragments: 4}
	for i := range len(pkt) * 8 {
		bad := bytes.Clone(pkt)
		bad[i/8] ^= 1 << (i % 8)
		if _, _, err := tab.OpenKnock(bad, testNow, cand); err == nil {
			t.Fatalf("bit %d flipped and accepted", i)
		}
	}
	if *decrypts != 0 || *macs == 0 {
		t.Fatalf("%d decryptions, %d MACs", *decrypts, *macs)
	}
}
