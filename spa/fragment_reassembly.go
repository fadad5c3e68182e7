package spa

import (
	"crypto/subtle"
	"net/netip"
	"time"
)

// Reassembly defaults (SPEC.md §11.7 K4).
const (
	DefaultReassemblyTimeout = 5 * time.Second
	DefaultAssembliesPerKey  = 4
	DefaultAssemblies        = 1024
)

// ReassemblyLimits bound a [Reassembler]. A zero field takes its default.
type ReassemblyLimits struct {
	// Timeout is how long an assembly lives after its first fragment
	// (T, default 5 s, 1 to 30 s by SPEC.md).
	Timeout time.Duration
	// PerKey is the most assemblies one client may have (B_c, default 4).
	PerKey int
	// Total is the most assemblies in all (B_g, default 1024).
	Total int
}

// ReassemblyStats count what a Reassembler did since it was made.
type ReassemblyStats struct {
	Stored     uint64 // fragments stored in an empty slot
	Duplicates uint64 // fragments for a filled slot, or repeats of a completed knock
	Completed  uint64 // packets handed out
	Expired    uint64 // incomplete assemblies expired: reason partial_timeout
	Evicted    uint64 // incomplete assemblies evicted: reason partial_evicted
}

// Reassembler collects knock fragments into packets (SPEC.md §11.7 K4). It
// is pure: the caller passes the time in, and calls [Reassembler.Expire]
// now and then (say once a second) to drop old state.
//
// A Reassembler is not safe for concurrent use; the caller serialises
// calls.
type Reassembler struct {
	lim        ReassemblyLimits
	byID       map[assemblyID]*assembly
	perKey     map[*Key]int
	head, tail *assembly // every assembly, oldest first
	partial    int
	stats      ReassemblyStats
}

// assemblyID identifies an assembly: client, counter, source address and
// packet length.
type assemblyID struct {
	key     *Key
	counter uint64
	src     netip.Addr
	pktLen  int
}

// assembly is one knock being reassembled, or, once done, the tags of a
// completed knock kept to recognise its duplicates. A done assembly's pkt
// is never written again.
type assembly struct {
	id         assemblyID
	n          int
	filled     uint8 // bit i: slot i is filled
	done       bool
	expires    time.Time
	prev, next *assembly
	tags       [MaxFragments][FragmentTagSize]byte
	pkt        [PacketLenLarge]byte
}

// NewReassembler returns an empty Reassembler with the limits l.
func NewReassembler(l ReassemblyLimits) *Reassembler {
	if l.Timeout <= 0 {
		l.Timeout = DefaultReassemblyTimeout
	}
	if l.PerKey <= 0 {
		l.PerKey = DefaultAssembliesPerKey
	}
	if l.Total <= 0 {
		l.Total = DefaultAssemblies
	}
	return &Reassembler{lim: l, byID: make(map[assemblyID]*assembly), perKey: make(map[*Key]int)}
}

// Add stores a fragment that [KnockTable.Match] attributed to cand, with
// payload the whole datagram payload (chunk and tag) and src its source
// address. When the fragment completes its knock, Add returns the
// reassembled packet and done = true; the caller then verifies it with
// [HintTable.OpenKnock]. The packet is the caller's: the Reassembler never
// writes to it again.
//
// Duplicates are ignored (the first valid fragment for a slot wins) and
// are not errors. The only error is [ReasonMalformed] for a payload whose
// length fits no fragment cand can be, which Match has already excluded.
// Add does not check the tag: cand must come from Match for this payload.
// Creating an assembly may evict the oldest one of the client or of the
// whole Reassembler (counted in [ReassemblyStats] Evicted if incomplete).
func (r *Reassembler) Add(now time.Time, cand Candidate, src netip.Addr, payload []byte) (pkt []byte, done bool, err error) {
	n, i := int(cand.Fragments), int(cand.Index)
	if cand.Key == nil || !validFragment(n, i) {
		panic("spa: Reassembler.Add with an invalid candidate")
	}
	pktLen := fragmentPacketLen(len(payload), n, i)
	if pktLen == 0 {
		return nil, false, ReasonMalformed
	}
	id := assemblyID{key: cand.Key, counter: cand.Counter, src: src.Unmap(), pktLen: pktLen}
	chunk, tag := payload[:len(payload)-FragmentTagSize], payload[len(payload)-FragmentTagSize:]

	a := r.byID[id]
	if a != nil && !now.Before(a.expires) {
		r.drop(a, &r.stats.Expired)
		a = nil
	}
	if a != nil && a.done {
		if a.filled&(1<<i) != 0 && subtle.ConstantTimeCompare(a.tags[i][:], tag) == 1 {
			r.stats.Duplicates++
			return nil, false, nil
		}
		r.drop(a, nil) // a new knock with the same identity
		a = nil
	}
	if a == nil {
		a = r.create(now, id, n)
	}
	if a.filled&(1<<i) != 0 {
		r.stats.Duplicates++
		return nil, false, nil
	}
	off, _ := chunkSpan(pktLen, n, i)
	copy(a.pkt[off:], chunk)
	copy(a.tags[i][:], tag)
	a.filled |= 1 << i
	r.stats.Stored++
	if a.filled != 1<<n-1 {
		return nil, false, nil
	}
	a.done = true
	r.partial--
	r.stats.Completed++
	return a.pkt[:pktLen:pktLen], true, nil
}

// create makes room within the bounds and adds a new, empty assembly.
func (r *Reassembler) create(now time.Time, id assemblyID, n int) *assembly {
	if r.perKey[id.key] >= r.lim.PerKey {
		r.evictOldest(id.key)
	}
	if len(r.byID) >= r.lim.Total {
		r.evictOldest(nil)
	}
	a := &assembly{id: id, n: n, expires: now.Add(r.lim.Timeout), prev: r.tail}
	if r.tail != nil {
		r.tail.next = a
	} else {
		r.head = a
	}
	r.tail = a
	r.byID[id] = a
	r.perKey[id.key]++
	r.partial++
	return a
}

// evictOldest drops the oldest assembly of key (of all keys if key is
// nil), preferring a completed one, which costs nothing.
func (r *Reassembler) evictOldest(key *Key) {
	var oldest *assembly
	for a := r.head; a != nil; a = a.next {
		if key != nil && a.id.key != key {
			continue
		}
		if a.done {
			r.drop(a, nil)
			return
		}
		if oldest == nil {
			oldest = a
		}
	}
	if oldest != nil {
		r.drop(oldest, &r.stats.Evicted)
	}
}

// drop removes a; if a was incomplete and count is not nil, it counts it.
func (r *Reassembler) drop(a *assembly, count *uint64) {
	if !a.done {
		r.partial--
		if count != nil {
			*count++
		}
	}
	if a.prev != nil {
		a.prev.next = a.next
	} else {
		r.head = a.next
	}
	if a.next != nil {
		a.next.prev = a.prev
	} else {
		r.tail = a.prev
	}
	a.prev, a.next = nil, nil
	delete(r.byID, a.id)
	if r.perKey[a.id.key]--; r.perKey[a.id.key] == 0 {
		delete(r.perKey, a.id.key)
	}
}

// Expire drops every assembly whose time is up at now and returns how many
// of them were incomplete: the partial_timeout count. (They are also
// counted in [ReassemblyStats] Expired, with the ones Add found expired;
// count from one place or the other.)
func (r *Reassembler) Expire(now time.Time) int {
	before := r.stats.Expired
	for a := r.head; a != nil; {
		next := a.next
		if !now.Before(a.expires) {
			r.drop(a, &r.stats.Expired)
		}
		a = next
	}
	return int(r.stats.Expired - before)
}

// Forget drops k's assemblies for counters below below, uncounted: in HOTP
// mode, once a counter is spent its partial knocks can never complete. Use
// below = [MaxKnockCounter]+1 to drop all of k's state when a client is
// removed.
func (r *Reassembler) Forget(k *Key, below uint64) {
	for a := r.head; a != nil; {
		next := a.next
		if a.id.key == k && a.id.counter < below {
			r.drop(a, nil)
		}
		a = next
	}
}

// Len returns the number of incomplete assemblies.
func (r *Reassembler) Len() int { return r.partial }

// Stats returns the counts since the Reassembler was made.
func (r *Reassembler) Stats() ReassemblyStats { return r.stats }
