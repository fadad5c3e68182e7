package spa

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
)

// The payload lengths of SPEC.md §11.5, n = 2..8, small then large bucket.
var specPayloadLens = map[int][2][]int{
	2: {{87, 86}, {151, 150}},
	3: {{61, 60, 60}, {103, 103, 103}},
	4: {{48, 47, 47, 47}, {80, 79, 79, 79}},
	5: {{40, 40, 39, 39, 39}, {65, 65, 65, 65, 65}},
	6: {{35, 34, 34, 34, 34, 34}, {56, 56, 56, 55, 55, 55}},
	7: {{31, 31, 31, 30, 30, 30, 30}, {49, 49, 49, 49, 49, 48, 48}},
	8: {{28, 28, 28, 28, 28, 27, 27, 27}, {44, 44, 44, 44, 44, 43, 43, 43}},
}

// refFragments is SPEC.md §11.5 from the text, with crypto/hmac.
func refFragments(kFrag []byte, pkt []byte, c uint64, n int) [][]byte {
	q, r := len(pkt)/n, len(pkt)%n
	var out [][]byte
	off := 0
	for i := range n {
		l := q
		if i < r {
			l++
		}
		chunk := pkt[off : off+l]
		off += l
		head := binary.BigEndian.AppendUint64([]byte("frag"), c)
		head = append(head, byte(n), byte(i))
		tag := refMAC(kFrag, head, chunk)[:8]
		out = append(out, append(append([]byte(nil), chunk...), tag...))
	}
	return out
}

func knockBody() *Body { return openBody(testNow, "192.0.2.10", Port{TCP, 22}) }

func sealKnock(t testing.TB, k *Key, c uint64, size Bucket) []byte {
	t.Helper()
	var nonce [NonceSize]byte
	binary.BigEndian.PutUint64(nonce[:], c^0x5a5a)
	copy(nonce[8:], k.Name())
	pkt, err := k.SealKnock(nil, knockBody(), c, &nonce, size)
	if err != nil {
		t.Fatal(err)
	}
	return pkt
}

func TestFragmentsMatchSpec(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	for n := MinFragments; n <= MaxFragments; n++ {
		for b, size := range []Bucket{Small, Large} {
			pkt := sealKnock(t, k, 12345, size)
			got := k.Fragments(nil, pkt, 12345, n)
			want := refFragments(k.k.frag[:], pkt, 12345, n)
			if len(got) != n {
				t.Fatalf("n=%d: %d payloads", n, len(got))
			}
			var joined []byte
			for i := range got {
				if !bytes.Equal(got[i], want[i]) {
					t.Fatalf("n=%d i=%d: payload\n%x\nspec gives\n%x", n, i, got[i], want[i])
				}
				if len(got[i]) != specPayloadLens[n][b][i] {
					t.Fatalf("n=%d bucket %d i=%d: length %d, spec table says %d", n, b, i, len(got[i]), specPayloadLens[n][b][i])
				}
				if fragmentPacketLen(len(got[i]), n, i) != len(pkt) {
					t.Fatalf("n=%d i=%d: length does not tell the bucket", n, i)
				}
				joined = append(joined, got[i][:len(got[i])-FragmentTagSize]...)
			}
			if !bytes.Equal(joined, pkt) {
				t.Fatalf("n=%d: chunks do not cover the packet", n)
			}
		}
	}
}

// Fragments appends to dst and the payloads do not overlap.
func TestFragmentsAppendsWithoutOverlap(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	pkt := sealKnock(t, k, 1, Small)
	dst := [][]byte{[]byte("x")}
	out := k.Fragments(dst, pkt, 1, 4)
	if len(out) != 5 || string(out[0]) != "x" {
		t.Fatalf("dst not kept: %q", out[0])
	}
	out[1] = append(out[1], 0xff) // must not run into out[2]
	if _, ok := k.CheckFragment(1, 4, 1, out[2]); !ok {
		t.Fatal("appending to one payload changed the next")
	}
}

func TestFragmentsPanicsOnCallerBugs(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	for _, tc := range []struct {
		pkt []byte
		n   int
	}{{make([]byte, 100), 4}, {make([]byte, PacketLenSmall), 1}, {make([]byte, PacketLenSmall), 9}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("len %d n %d: no panic", len(tc.pkt), tc.n)
				}
			}()
			k.Fragments(nil, tc.pkt, 0, tc.n)
		}()
	}
}

func TestCheckFragment(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	other := testKey(t, "bob", "bastion-a.example")
	const c, n = 77, 4
	pkt := sealKnock(t, k, c, Small)
	frags := k.Fragments(nil, pkt, c, n)
	for i, f := range frags {
		chunk, ok := k.CheckFragment(c, n, i, f)
		if !ok || !bytes.Equal(chunk, f[:len(f)-FragmentTagSize]) {
			t.Fatalf("fragment %d refused", i)
		}
		// Every single bit flip is refused.
		for bit := range len(f) * 8 {
			bad := bytes.Clone(f)
			bad[bit/8] ^= 1 << (bit % 8)
			if _, ok := k.CheckFragment(c, n, i, bad); ok {
				t.Fatalf("fragment %d with bit %d flipped accepted", i, bit)
			}
		}
		// Wrong counter, index, fragment count, key, or length.
		for name, ok := range map[string]bool{
			"counter+1": second(k.CheckFragment(c+1, n, i, f)),
			"index":     second(k.CheckFragment(c, n, (i+1)%n, f)),
			"n=5":       second(k.CheckFragment(c, 5, i, f)),
			"key":       second(other.CheckFragment(c, n, i, f)),
			"short":     second(k.CheckFragment(c, n, i, f[:len(f)-1])),
			"long":      second(k.CheckFragment(c, n, i, append(bytes.Clone(f), 0))),
			"empty":     second(k.CheckFragment(c, n, i, nil)),
			"i=n":       second(k.CheckFragment(c, n, n, f)),
			"i<0":       second(k.CheckFragment(c, n, -1, f)),
		} {
			if ok {
				t.Fatalf("fragment %d accepted with %s", i, name)
			}
		}
	}
}

func second(_ []byte, ok bool) bool { return ok }

// The fragment-tag reject path does not allocate: neither CheckFragment nor
// the table's Match, for a bad tag, a bad length or an unknown port.
func TestFragmentRejectDoesNotAllocate(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	tab := NewKnockTable()
	if err := tab.SetWindow(k, HOTPWindow(0, DefaultLookAhead), 4, DefaultKnockRange(), nil); err != nil {
		t.Fatal(err)
	}
	ports, _ := k.KnockPorts(3, 4, DefaultKnockRange(), nil)
	bad := k.Fragments(nil, sealKnock(t, k, 3, Small), 3, 4)[2]
	bad[0] ^= 1
	var unknown uint16 = 1
	for tab.Lookup(unknown) != nil {
		unknown++
	}
	for name, f := range map[string]func(){
		"CheckFragment": func() {
			if _, ok := k.CheckFragment(3, 4, 2, bad); ok {
				t.Fatal("accepted")
			}
		},
		"Match bad tag": func() {
			if _, err := tab.Match(ports[2], bad); err != ReasonFragmentAuth {
				t.Fatal(err)
			}
		},
		"Match bad length": func() {
			if _, err := tab.Match(ports[2], bad[:10]); err != ReasonMalformed {
				t.Fatal(err)
			}
		},
		"Match unknown port": func() {
			if _, err := tab.Match(unknown, bad); err != ReasonUnknownKey {
				t.Fatal(err)
			}
		},
	} {
		if a := testing.AllocsPerRun(200, f); a != 0 {
			t.Errorf("%s: %.1f allocations per run", name, a)
		}
	}
}

// A stored duplicate or a fragment of an existing assembly costs nothing
// either.
func TestReassemblerDuplicateDoesNotAllocate(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	frags := k.Fragments(nil, sealKnock(t, k, 3, Small), 3, 4)
	r := NewReassembler(ReassemblyLimits{})
	src := netip.MustParseAddr("192.0.2.10")
	cand := Candidate{Key: k, Counter: 3, Fragments: 4, Index: 0}
	r.Add(testNow, cand, src, frags[0])
	if a := testing.AllocsPerRun(200, func() { r.Add(testNow, cand, src, frags[0]) }); a != 0 {
		t.Errorf("duplicate: %.1f allocations per run", a)
	}
}
