package spa

import (
	"net/netip"
	"testing"
	"time"
)

func addr(i int) netip.Addr { return netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}) }

// knockFrags returns the candidates and payloads of a 4-fragment knock.
func knockFrags(t *testing.T, k *Key, c uint64) ([]Candidate, [][]byte) {
	frags := k.Fragments(nil, sealKnock(t, k, c, Small), c, 4)
	var cands []Candidate
	for i := range 4 {
		cands = append(cands, Candidate{Key: k, Counter: c, Fragments: 4, Index: uint8(i)})
	}
	return cands, frags
}

func TestReassemblerPerKeyBoundEvictsOldest(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	other := testKey(t, "bob", "bastion-a.example")
	r := NewReassembler(ReassemblyLimits{})
	now := testNow
	cands, frags := knockFrags(t, k, 1)
	for i := range DefaultAssembliesPerKey + 1 { // five sources: one too many
		r.Add(now, cands[0], addr(i), frags[0])
		now = now.Add(time.Millisecond)
	}
	ocands, ofrags := knockFrags(t, other, 1)
	r.Add(now, ocands[0], addr(0), ofrags[0])
	if r.Len() != 5 || r.Stats().Evicted != 1 || r.perKey[k] != 4 {
		t.Fatalf("%d partial, stats %+v", r.Len(), r.Stats())
	}
	// The oldest (source 0) went: completing it needs fragment 0 again.
	for i := 1; i < 4; i++ {
		if _, done, _ := r.Add(now, cands[i], addr(0), frags[i]); done {
			t.Fatal("the evicted assembly completed")
		}
	}
	// The newest (source 4) survived; its completion evicts nothing more.
	for i := 1; i < 4; i++ {
		if pkt, done, _ := r.Add(now, cands[i], addr(4), frags[i]); done != (i == 3) || (done && len(pkt) != PacketLenSmall) {
			t.Fatalf("fragment %d: done %v", i, done)
		}
	}
	// Bob was never touched.
	if r.perKey[other] != 1 {
		t.Fatal("another client's assembly was evicted")
	}
}

func TestReassemblerGlobalBoundPrefersCompleted(t *testing.T) {
	keys := []*Key{testKey(t, "a", "s.example"), testKey(t, "b", "s.example"), testKey(t, "c", "s.example")}
	r := NewReassembler(ReassemblyLimits{Total: 3})
	now := testNow
	// Key a's knock completes first: its tags are kept.
	ca, fa := knockFrags(t, keys[0], 1)
	for i := range 4 {
		r.Add(now, ca[i], addr(1), fa[i])
	}
	cb, fb := knockFrags(t, keys[1], 1)
	cc, fc := knockFrags(t, keys[2], 1)
	r.Add(now, cb[0], addr(1), fb[0])
	r.Add(now, cc[0], addr(1), fc[0])
	// A fourth assembly evicts the completed one, not a partial.
	r.Add(now, cc[0], addr(2), fc[0])
	if s := r.Stats(); s.Evicted != 0 || r.Len() != 3 || len(r.byID) != 3 {
		t.Fatalf("stats %+v, %d partial, %d total", s, r.Len(), len(r.byID))
	}
	// A fifth evicts the oldest partial (b's) and counts it.
	r.Add(now, cc[0], addr(3), fc[0])
	if s := r.Stats(); s.Evicted != 1 || r.perKey[keys[1]] != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// The kept tags of a completed knock: the same fragment again is a
// duplicate, a different valid one (a new knock) starts over.
func TestReassemblerCompletedKnock(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	r := NewReassembler(ReassemblyLimits{})
	cands, frags := knockFrags(t, k, 1)
	var first []byte
	for i := range 4 {
		first, _, _ = r.Add(testNow, cands[i], addr(1), frags[i])
	}
	keep := string(first)
	for i := range 4 {
		if _, done, _ := r.Add(testNow, cands[i], addr(1), frags[i]); done {
			t.Fatal("a duplicate knock completed")
		}
	}
	if r.Stats().Duplicates != 4 || r.Len() != 0 {
		t.Fatalf("stats %+v, %d partial", r.Stats(), r.Len())
	}
	// A second knock with the same counter (TOTP) from the same source.
	var nonce [NonceSize]byte
	nonce[0] = 0x99
	pkt2, _ := k.SealKnock(nil, knockBody(), 1, &nonce, Small)
	frags2 := k.Fragments(nil, pkt2, 1, 4)
	var got []byte
	for i := range 4 {
		got, _, _ = r.Add(testNow, cands[i], addr(1), frags2[i])
	}
	if string(got) != string(pkt2) || string(first) != keep {
		t.Fatal("second knock not reassembled, or the first packet changed")
	}
}

func TestReassemblerExpiryIsFromFirstFragment(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	r := NewReassembler(ReassemblyLimits{Timeout: 2 * time.Second})
	cands, frags := knockFrags(t, k, 1)
	r.Add(testNow, cands[0], addr(1), frags[0])
	r.Add(testNow.Add(1500*time.Millisecond), cands[1], addr(1), frags[1])
	// Later fragments do not extend it; Add notices the expiry by itself.
	if _, done, _ := r.Add(testNow.Add(2*time.Second), cands[2], addr(1), frags[2]); done {
		t.Fatal("done")
	}
	if s := r.Stats(); s.Expired != 1 || r.Len() != 1 {
		t.Fatalf("stats %+v, %d partial", s, r.Len())
	}
	if n := r.Expire(testNow.Add(4 * time.Second)); n != 1 || r.Len() != 0 || r.Stats().Expired != 2 {
		t.Fatalf("Expire = %d, stats %+v", n, r.Stats())
	}
}

func TestReassemblerForget(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	r := NewReassembler(ReassemblyLimits{})
	for c := range uint64(3) {
		cands, frags := knockFrags(t, k, c)
		r.Add(testNow, cands[0], addr(1), frags[0])
	}
	r.Forget(k, 2)
	if r.Len() != 1 || r.Stats().Expired+r.Stats().Evicted != 0 {
		t.Fatalf("%d partial, stats %+v", r.Len(), r.Stats())
	}
	r.Forget(k, MaxKnockCounter+1)
	if r.Len() != 0 || len(r.perKey) != 0 {
		t.Fatal("state left")
	}
}

func TestReassemblerRejectsBadLength(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	r := NewReassembler(ReassemblyLimits{})
	cands, _ := knockFrags(t, k, 1)
	if _, _, err := r.Add(testNow, cands[0], addr(1), make([]byte, 30)); err != ReasonMalformed {
		t.Fatalf("Add: %v", err)
	}
	if r.Len() != 0 {
		t.Fatal("state made")
	}
}

// The first valid fragment for a slot wins: a valid fragment of another
// knock with the same identity (TOTP, same step) cannot displace it.
func TestReassemblerFirstFragmentWins(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	r := NewReassembler(ReassemblyLimits{})
	cands, fa := knockFrags(t, k, 1)
	var nonce [NonceSize]byte
	nonce[0] = 0x77
	pb, _ := k.SealKnock(nil, knockBody(), 1, &nonce, Small)
	fb := k.Fragments(nil, pb, 1, 4)
	r.Add(testNow, cands[0], addr(1), fa[0])
	r.Add(testNow, cands[1], addr(1), fb[1])
	r.Add(testNow, cands[0], addr(1), fb[0]) // too late for slot 0
	r.Add(testNow, cands[1], addr(1), fa[1]) // too late for slot 1
	r.Add(testNow, cands[2], addr(1), fa[2])
	pkt, done, _ := r.Add(testNow, cands[3], addr(1), fa[3])
	if !done || r.Stats().Duplicates != 2 {
		t.Fatalf("done %v, stats %+v", done, r.Stats())
	}
	want := append(append(append(fa[0][:40:40], fb[1][:39]...), fa[2][:39]...), fa[3][:39]...)
	if string(pkt) != string(want) {
		t.Fatal("slots were overwritten")
	}
}
