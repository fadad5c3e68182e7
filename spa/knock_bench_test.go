package spa

import (
	"net/netip"
	"strconv"
	"testing"
)

// Run with
//
//	go test -run '^$' -bench 'Knock|Fragment|Reassembl' -benchmem -cpu 1 ./spa/

func BenchmarkKnockPorts(b *testing.B) {
	k := testKey(b, "alice", "bastion-a.example")
	excl := ExcludePorts(testSPAPort)
	dst := make([]uint16, 0, 4)
	b.ReportAllocs()
	c := uint64(0)
	for b.Loop() {
		var err error
		if dst, err = k.AppendKnockPorts(dst[:0], c, 4, DefaultKnockRange(), excl); err != nil {
			b.Fatal(err)
		}
		c++
	}
}

func BenchmarkFragments(b *testing.B) {
	k := testKey(b, "alice", "bastion-a.example")
	pkt := sealKnock(b, k, 1, Small)
	dst := make([][]byte, 0, 4)
	b.ReportAllocs()
	for b.Loop() {
		dst = k.Fragments(dst[:0], pkt, 1, 4)
	}
}

func BenchmarkCheckFragment(b *testing.B) {
	k := testKey(b, "alice", "bastion-a.example")
	f := k.Fragments(nil, sealKnock(b, k, 1, Small), 1, 4)[0]
	b.ReportAllocs()
	b.SetBytes(int64(len(f)))
	for b.Loop() {
		if _, ok := k.CheckFragment(1, 4, 0, f); !ok {
			b.Fatal("refused")
		}
	}
}

func BenchmarkCheckFragmentReject(b *testing.B) {
	k := testKey(b, "alice", "bastion-a.example")
	f := k.Fragments(nil, sealKnock(b, k, 1, Small), 1, 4)[0]
	f[3] ^= 1
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := k.CheckFragment(1, 4, 0, f); ok {
			b.Fatal("accepted")
		}
	}
}

// Match on a port without candidates: the cost of most garbage.
func BenchmarkKnockMatchUnknownPort(b *testing.B) {
	tab, _ := benchKnockTable(b, 100)
	var p uint16 = 20000
	for tab.Lookup(p) != nil {
		p++
	}
	payload := make([]byte, 48)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tab.Match(p, payload); err != ReasonUnknownKey {
			b.Fatal(err)
		}
	}
}

// Match of garbage of the right length at a live port: one tag per
// candidate.
func BenchmarkKnockMatchBadTag(b *testing.B) {
	tab, k := benchKnockTable(b, 100)
	ports, _ := k.KnockPorts(0, 4, DefaultKnockRange(), nil)
	payload := make([]byte, 48)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tab.Match(ports[0], payload); err != ReasonFragmentAuth {
			b.Fatal(err)
		}
	}
}

func benchKnockTable(b *testing.B, keys int) (*KnockTable, *Key) {
	tab := NewKnockTable()
	var first *Key
	for i := range keys {
		k := testKey(b, "client"+strconv.Itoa(i), "bastion-a.example")
		if first == nil {
			first = k
		}
		if err := tab.SetWindow(k, HOTPWindow(0, DefaultLookAhead), 4, DefaultKnockRange(), nil); err != nil {
			b.Fatal(err)
		}
	}
	return tab, first
}

// A full rebuild: 1000 keys × 10 counters × 4 fragments = 40,000 ports.
func BenchmarkKnockTableBuild1000Keys(b *testing.B) {
	keys := make([]*Key, 1000)
	for i := range keys {
		keys[i] = testKey(b, "client"+strconv.Itoa(i), "bastion-a.example")
	}
	win := HOTPWindow(0, DefaultLookAhead)
	b.ReportAllocs()
	for b.Loop() {
		tab := NewKnockTable()
		for _, k := range keys {
			if err := tab.SetWindow(k, win, 4, DefaultKnockRange(), nil); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// One key's window moves by one counter in a table of 1000 keys: what a
// successful HOTP knock costs the table.
func BenchmarkKnockTableAdvanceOneKey(b *testing.B) {
	tab, k := benchKnockTable(b, 1000)
	b.ReportAllocs()
	c := uint64(1)
	for b.Loop() {
		if err := tab.SetCounters(k, HOTPWindow(c, DefaultLookAhead)); err != nil {
			b.Fatal(err)
		}
		c++
	}
}

// The same with a full SetWindow: every port of the key derived again.
func BenchmarkKnockTableSetWindowOneKey(b *testing.B) {
	tab, k := benchKnockTable(b, 1000)
	b.ReportAllocs()
	c := uint64(1)
	for b.Loop() {
		if err := tab.SetWindow(k, HOTPWindow(c, DefaultLookAhead), 4, DefaultKnockRange(), nil); err != nil {
			b.Fatal(err)
		}
		c++
	}
}

// A whole knock through the reassembler.
func BenchmarkReassemble4(b *testing.B) {
	k := testKey(b, "alice", "bastion-a.example")
	frags := k.Fragments(nil, sealKnock(b, k, 1, Small), 1, 4)
	r := NewReassembler(ReassemblyLimits{})
	src := netip.MustParseAddr("192.0.2.10")
	b.ReportAllocs()
	c := uint64(0)
	for b.Loop() {
		c++ // a fresh assembly each time; the tags are not checked here
		for i := range 4 {
			r.Add(testNow, Candidate{Key: k, Counter: c, Fragments: 4, Index: uint8(i)}, src, frags[i])
		}
		r.Forget(k, c)
	}
}
