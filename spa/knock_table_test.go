package spa

import (
	"maps"
	mrand "math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// tablePorts returns every (port, candidate) of k in t.
func tableEntries(t *KnockTable, k *Key) map[Candidate]uint16 {
	out := map[Candidate]uint16{}
	t.mu.RLock()
	defer t.mu.RUnlock()
	for p, cs := range t.ports {
		for _, c := range cs {
			if c.Key == k {
				out[c] = p
			}
		}
	}
	return out
}

func TestKnockTableSetWindow(t *testing.T) {
	a := testKey(t, "alice", "bastion-a.example")
	b := testKey(t, "bob", "bastion-a.example")
	r, excl := DefaultKnockRange(), ExcludePorts(testSPAPort)
	tab := NewKnockTable()
	if err := tab.SetWindow(a, HOTPWindow(0, 10), 4, r, excl); err != nil {
		t.Fatal(err)
	}
	if err := tab.SetWindow(b, HOTPWindow(100, 10), 3, r, excl); err != nil {
		t.Fatal(err)
	}
	check := func(k *Key, counters []uint64, n int) {
		t.Helper()
		got := tableEntries(tab, k)
		if len(got) != len(counters)*n {
			t.Fatalf("%s: %d entries, want %d", k.Name(), len(got), len(counters)*n)
		}
		for _, c := range counters {
			ports, _ := k.KnockPorts(c, n, r, excl)
			for i, p := range ports {
				cand := Candidate{Key: k, Counter: c, Fragments: uint8(n), Index: uint8(i)}
				if got[cand] != p || !slices.Contains(tab.Lookup(p), cand) {
					t.Fatalf("%+v not at port %d", cand, p)
				}
			}
		}
	}
	check(a, HOTPWindow(0, 10), 4)
	check(b, HOTPWindow(100, 10), 3)

	// Incremental update: a's window moves; b is untouched; a slice handed
	// out before stays as it was.
	p0, _ := a.KnockPorts(0, 4, r, excl)
	held := tab.Lookup(p0[0])
	heldCopy := slices.Clone(held)
	if err := tab.SetWindow(a, HOTPWindow(1, 10), 4, r, excl); err != nil {
		t.Fatal(err)
	}
	check(a, HOTPWindow(1, 10), 4)
	check(b, HOTPWindow(100, 10), 3)
	if !slices.Equal(held, heldCopy) {
		t.Fatal("an update wrote to a slice a reader holds")
	}
	for _, c := range tab.Lookup(p0[0]) {
		if c.Key == a && c.Counter == 0 {
			t.Fatal("dead counter 0 still in the table")
		}
	}

	// An invalid configuration leaves the table as it was.
	if err := tab.SetWindow(a, HOTPWindow(5, 10), 9, r, excl); err == nil {
		t.Fatal("n = 9 accepted")
	}
	check(a, HOTPWindow(1, 10), 4)

	tab.Remove(a)
	if len(tableEntries(tab, a)) != 0 {
		t.Fatal("Remove left entries")
	}
	check(b, HOTPWindow(100, 10), 3)
	if err := tab.SetWindow(b, nil, 3, r, excl); err != nil {
		t.Fatal(err)
	}
	if tab.Len() != 0 {
		t.Fatalf("empty window left %d ports", tab.Len())
	}
	tab.Remove(b)
	if len(tab.keys) != 0 {
		t.Fatal("Remove left the key")
	}
}

// SetCounters gives exactly the table a full SetWindow gives, for windows
// that move, jump, shrink and overlap, with several keys sharing a small
// range.
func TestKnockTableSetCountersMatchesRebuild(t *testing.T) {
	keys := []*Key{testKey(t, "a", "s.example"), testKey(t, "b", "s.example"), testKey(t, "c", "s.example")}
	r, excl := PortRange{30000, 30127}, ExcludePorts(30000, 30001)
	inc, full := NewKnockTable(), NewKnockTable()
	for _, k := range keys {
		if err := inc.SetWindow(k, HOTPWindow(0, 10), 5, r, excl); err != nil {
			t.Fatal(err)
		}
	}
	if err := inc.SetCounters(testKey(t, "d", "s.example"), []uint64{1}); err == nil {
		t.Fatal("SetCounters without SetWindow accepted")
	}
	rng := mrand.New(mrand.NewPCG(3, 4))
	for step := range 200 {
		k := keys[rng.IntN(len(keys))]
		var counters []uint64
		switch rng.IntN(4) {
		case 0:
			counters = HOTPWindow(uint64(step), 10)
		case 1:
			counters = HOTPWindow(uint64(rng.IntN(50)), rng.IntN(12))
		case 2:
			counters = TOTPWindow(time.Unix(int64(rng.IntN(200)), 0))
		default:
			counters = []uint64{3, 3, MaxKnockCounter + 1, 7}
		}
		if err := inc.SetCounters(k, counters); err != nil {
			t.Fatal(err)
		}
		for _, kk := range keys {
			var live []uint64
			for c := range inc.keys[kk].live {
				live = append(live, c)
			}
			if err := full.SetWindow(kk, live, 5, r, excl); err != nil {
				t.Fatal(err)
			}
		}
		for p := range uint16(128) {
			a, b := candSet(inc.Lookup(r.Lo+p)), candSet(full.Lookup(r.Lo+p))
			if !maps.Equal(a, b) {
				t.Fatalf("step %d port %d: incremental %v, rebuilt %v", step, r.Lo+p, a, b)
			}
		}
		if inc.Len() != full.Len() {
			t.Fatalf("step %d: %d ports vs %d", step, inc.Len(), full.Len())
		}
	}
}

func candSet(cs []Candidate) map[Candidate]bool {
	m := map[Candidate]bool{}
	for _, c := range cs {
		m[c] = true
	}
	return m
}

// Unusable counters are left out, not errors.
func TestKnockTableSkipsUnusableCounters(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	tab := NewKnockTable()
	if err := tab.SetWindow(k, []uint64{MaxKnockCounter + 1, 3}, 4, DefaultKnockRange(), nil); err != nil {
		t.Fatal(err)
	}
	if got := len(tableEntries(tab, k)); got != 4 {
		t.Fatalf("%d entries, want 4", got)
	}
}

// Readers and a writer at once (run with -race).
func TestKnockTableConcurrent(t *testing.T) {
	k := testKey(t, "alice", "bastion-a.example")
	tab := NewKnockTable()
	r := DefaultKnockRange()
	if err := tab.SetWindow(k, HOTPWindow(0, 10), 4, r, nil); err != nil {
		t.Fatal(err)
	}
	frags := k.Fragments(nil, sealKnock(t, k, 50, Small), 50, 4)
	ports, _ := k.KnockPorts(50, 4, r, nil)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for range 200 {
				i := w % 4
				if cand, err := tab.Match(ports[i], frags[i]); err == nil && cand.Counter != 50 {
					t.Errorf("matched %+v", cand)
				}
			}
		})
	}
	for c := range uint64(60) {
		if err := tab.SetWindow(k, HOTPWindow(c, 10), 4, r, nil); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	for i := range 4 {
		if _, err := tab.Match(ports[i], frags[i]); err == nil {
			t.Fatal("counter 50 still live at c_s = 59")
		}
	}
}
