package spa

import (
	"encoding/binary"
	"time"
)

// HintTable finds the key that sealed a packet from the packet's key hint
// with one map lookup (SPEC.md §7 step 2), and opens packets. It covers the
// hint epochs of the freshness window around the time it was built for;
// rebuild it when [HintTable.Covers] reports false or the set of keys
// changes. A HintTable is immutable and safe for concurrent use.
type HintTable struct {
	cands  map[uint32][]candidate
	lo, hi uint64 // covered epochs, inclusive
	window time.Duration

	// Test hooks, counting MAC computations and decryptions.
	onMAC, onDecrypt func()
}

type candidate struct {
	key   *Key
	epoch uint64
	mask  byte
}

// NewHintTable builds the table of every key's hints for each epoch that a
// packet fresh at now within window can carry.
func NewHintTable(keys []*Key, now time.Time, window time.Duration) *HintTable {
	lo, hi := epochRange(now, window)
	t := &HintTable{
		cands:  make(map[uint32][]candidate, len(keys)*int(hi-lo+1)),
		lo:     lo,
		hi:     hi,
		window: window,
	}
	for _, k := range keys {
		for e := lo; e <= hi; e++ {
			hint, mask := k.Hint(e)
			h := binary.BigEndian.Uint32(hint[:])
			t.cands[h] = append(t.cands[h], candidate{key: k, epoch: e, mask: mask})
		}
	}
	return t
}

// Covers reports whether the table holds every epoch needed at now.
func (t *HintTable) Covers(now time.Time) bool {
	lo, hi := epochRange(now, t.window)
	return lo == t.lo && hi == t.hi
}

// Window returns the freshness window the table was built for.
func (t *HintTable) Window() time.Duration { return t.window }

// epochRange returns the first and last epoch of [now-window, now+window].
func epochRange(now time.Time, window time.Duration) (lo, hi uint64) {
	ms, w := now.UnixMilli(), window.Milliseconds()
	lo = Epoch(uint64(max(ms-w, 0)))
	hi = Epoch(uint64(max(ms+w, 0)))
	return lo, hi
}
