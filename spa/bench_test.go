package spa

import (
	"testing"
)

// The budget (protocol.md §6.3, issue 2): rejecting garbage ≤ 1 µs/op with 0
// allocations, opening a valid packet ≤ 2 µs/op. Run with
//
//	go test -run '^$' -bench . -benchmem -cpu 1 ./spa/

func benchTable(b *testing.B, keys int) (*HintTable, *Key) {
	all := make([]*Key, keys)
	for i := range all {
		all[i] = testKey(b, "client"+string(rune('a'+i%26))+string(rune('0'+i/26)), "bastion-a.example")
	}
	return NewHintTable(all, testNow, testWindow), all[0]
}

func benchOpen(b *testing.B, pkt []byte, tab *HintTable, wantErr bool) {
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		_, _, err := tab.Open(pkt, testNow)
		if (err != nil) != wantErr {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenValid(b *testing.B) {
	tab, k := benchTable(b, 100)
	benchOpen(b, seal(b, k, openBody(testNow, "192.0.2.10"), Small), tab, false)
}

func BenchmarkOpenValidLarge(b *testing.B) {
	tab, k := benchTable(b, 100)
	benchOpen(b, seal(b, k, openBody(testNow, "192.0.2.10"), Large), tab, false)
}

func BenchmarkRejectBadMAC(b *testing.B) {
	tab, k := benchTable(b, 100)
	pkt := seal(b, k, openBody(testNow, "192.0.2.10"), Small)
	pkt[HeaderLen+3] ^= 0x40 // garbage with a valid hint
	benchOpen(b, pkt, tab, true)
}

func BenchmarkRejectUnknownHint(b *testing.B) {
	tab, _ := benchTable(b, 100)
	pkt := make([]byte, PacketLenSmall)
	for i := range pkt {
		pkt[i] = byte(i * 31)
	}
	benchOpen(b, pkt, tab, true)
}

func BenchmarkRejectWrongLength(b *testing.B) {
	tab, _ := benchTable(b, 100)
	benchOpen(b, make([]byte, 200), tab, true)
}

func BenchmarkSeal(b *testing.B) {
	k := testKey(b, "alice", "bastion-a.example")
	body := openBody(testNow, "192.0.2.10")
	var nonce [NonceSize]byte
	buf := make([]byte, 0, PacketLenLarge)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = k.Seal(buf[:0], body, &nonce, Small); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewHintTable1000Keys(b *testing.B) {
	keys := make([]*Key, 1000)
	for i := range keys {
		keys[i] = testKey(b, string(rune(i)), "bastion-a.example")
	}
	b.ReportAllocs()
	for b.Loop() {
		NewHintTable(keys, testNow, testWindow)
	}
}
