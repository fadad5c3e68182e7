package spa

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// This file and its neighbours implement the knock-port transport (SPEC.md
// §11): a sealed packet cut into n fragments, each sent as one UDP datagram
// to a one-time port derived from k_knock and a counter, each carrying an
// 8-byte tag under k_frag. The pieces, in the order a packet meets them:
//
//	client: Key.SealKnock, Key.KnockPorts, Key.Fragments (or Key.Knock for all three)
//	server: KnockTable.Match (K1-K3), Reassembler.Add (K4), HintTable.OpenKnock (K5)
//
// Counters come from HOTPWindow (per-client state on both sides) or
// TOTPWindow (time steps). None of it authenticates anything: the grant
// still rests on the reassembled packet's MAC, freshness and nonce.

// Knock-port transport parameters (SPEC.md §11).
const (
	MinFragments     = 2  // fewest fragments in a knock
	MaxFragments     = 8  // most fragments in a knock
	DefaultFragments = 4  // n when the configuration names none
	FragmentTagSize  = 8  // the truncated HMAC after each chunk
	MaxPortAttempts  = 64 // rerolls per fragment before a counter is unusable
	MinKnockRange    = 64 // fewest ports in a knock range

	// DefaultKnockLo and DefaultKnockHi bound the default knock range.
	DefaultKnockLo = 20000
	DefaultKnockHi = 32767

	// DefaultLookAhead is the HOTP look-ahead window s (RFC 4226 §7.4).
	DefaultLookAhead = 10
	// MaxLookAhead is the largest s a configuration may set.
	MaxLookAhead = 1000

	// MaxKnockCounter is the largest usable knock counter: 2^64-1 is never
	// one, so that c+1 never overflows.
	MaxKnockCounter = math.MaxUint64 - 1
)

// Labels of the knock inputs (SPEC.md §11.4, §11.5). They sit beside the
// code that uses them because derive.go belongs to the base protocol.
const (
	labelPortInput = "port"
	labelFragInput = "frag"
)

// knockInputLen is the length of "port" || u64(c) || u8(n) || u8(i) || u8(j)
// and of the fixed head "frag" || u64(c) || u8(n) || u8(i) of a tag input.
const (
	knockInputLen = len(labelPortInput) + 8 + 3
	fragHeadLen   = len(labelFragInput) + 8 + 2
)

// ErrCounterUnusable reports that no knock ports can be derived for a
// counter (SPEC.md §11.2): every attempt hit an excluded port or an earlier
// fragment's port, or the counter is 2^64-1. A client skips such a counter;
// a server leaves it out of its table. With a configuration that passes
// [CheckKnockConfig] it does not happen in practice.
const ErrCounterUnusable = constError("spa: no knock ports for this counter")

// constError is an error that can be a constant (package spa keeps no
// variables but err… sentinels).
type constError string

func (e constError) Error() string { return string(e) }

// PortRange is an inclusive range of UDP ports for knocks.
type PortRange struct {
	Lo, Hi uint16
}

// DefaultKnockRange returns 20000-32767, below Linux's ephemeral ports
// (32768-60999), so replies to the server's own outgoing traffic never land
// in it.
func DefaultKnockRange() PortRange { return PortRange{DefaultKnockLo, DefaultKnockHi} }

// Size returns the number of ports in r, 0 if r is empty.
func (r PortRange) Size() int {
	if r.Lo > r.Hi {
		return 0
	}
	return int(r.Hi) - int(r.Lo) + 1
}

// Contains reports whether p lies in r.
func (r PortRange) Contains(p uint16) bool { return r.Lo <= p && p <= r.Hi }

// String returns the range as "lo-hi", the form of the knock_range setting.
func (r PortRange) String() string {
	return strconv.Itoa(int(r.Lo)) + "-" + strconv.Itoa(int(r.Hi))
}

var errRangeSyntax = errors.New(`want LO-HI such as "20000-32767"`)

// ParsePortRange parses "lo-hi", as in the knock_range setting. It checks
// only the syntax and lo <= hi; [CheckKnockConfig] checks the rest.
func ParsePortRange(s string) (PortRange, error) {
	lo, hi, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return PortRange{}, fmt.Errorf("port range %q: %w", s, errRangeSyntax)
	}
	l, err1 := strconv.ParseUint(lo, 10, 16)
	h, err2 := strconv.ParseUint(hi, 10, 16)
	if err1 != nil || err2 != nil || l == 0 || l > h {
		return PortRange{}, fmt.Errorf("port range %q: ports 1 to 65535 with lo <= hi: %w", s, errRangeSyntax)
	}
	return PortRange{uint16(l), uint16(h)}, nil
}

// ExcludePorts returns the excluded-set test for the ports given: the SPA
// port and the knock_exclude ports (SPEC.md §11.1).
func ExcludePorts(ports ...uint16) func(uint16) bool {
	var set [65536 / 64]uint64
	for _, p := range ports {
		set[p/64] |= 1 << (p % 64)
	}
	return func(p uint16) bool { return set[p/64]&(1<<(p%64)) != 0 }
}

// CheckKnockConfig reports whether n fragments over the range r with the
// excluded set form a valid knock configuration (SPEC.md §11.1 rules 1 to 3,
// without the look-ahead). Clients and servers must check a configuration
// before using it; excluded may be nil.
func CheckKnockConfig(n int, r PortRange, excluded func(uint16) bool) error {
	if err := checkKnockShape(n, r); err != nil {
		return err
	}
	if excluded == nil {
		return nil
	}
	x := 0
	for p := int(r.Lo); p <= int(r.Hi); p++ {
		if excluded(uint16(p)) {
			x++
		}
	}
	if 4*x > r.Size() {
		return fmt.Errorf("spa: knock range %s: %d of its %d ports are excluded, at most a quarter may be", r, x, r.Size())
	}
	return nil
}

// checkKnockShape is the part of CheckKnockConfig that costs nothing.
func checkKnockShape(n int, r PortRange) error {
	if n < MinFragments || n > MaxFragments {
		return fmt.Errorf("spa: knock fragments %d: want %d to %d", n, MinFragments, MaxFragments)
	}
	if r.Lo == 0 || r.Size() < MinKnockRange {
		return fmt.Errorf("spa: knock range %s: want ports 1 to 65535 with at least %d in the range", r, MinKnockRange)
	}
	return nil
}

// KnockPorts derives the n knock ports for counter c (SPEC.md §11.4): port
// i is at index i. excluded reports the excluded set (the SPA port and the
// knock_exclude ports; nil for none); client and server must use the same.
// It returns [ErrCounterUnusable] if c has no ports, and another error if
// n or r is invalid.
func (k *Key) KnockPorts(c uint64, n int, r PortRange, excluded func(uint16) bool) ([]uint16, error) {
	return k.AppendKnockPorts(make([]uint16, 0, n), c, n, r, excluded)
}

// AppendKnockPorts is [Key.KnockPorts] appending to dst. On error dst is
// returned unchanged.
func (k *Key) AppendKnockPorts(dst []uint16, c uint64, n int, r PortRange, excluded func(uint16) bool) ([]uint16, error) {
	return k.appendKnockPorts(dst, c, n, r, excluded, nil)
}

// appendKnockPorts is AppendKnockPorts computing the HMACs with mac, or
// with shortMAC if mac is nil.
func (k *Key) appendKnockPorts(dst []uint16, c uint64, n int, r PortRange, excluded func(uint16) bool, mac *portMAC) ([]uint16, error) {
	if err := checkKnockShape(n, r); err != nil {
		return dst, err
	}
	if c > MaxKnockCounter {
		return dst, ErrCounterUnusable
	}
	start := len(dst)
	for i := range n {
		p, ok := k.knockPort(c, n, i, r, excluded, dst[start:], mac)
		if !ok {
			return dst[:start], ErrCounterUnusable
		}
		dst = append(dst, p)
	}
	return dst, nil
}

// knockPort derives port i, rerolling past excluded ports and the ports
// taken by earlier fragments.
func (k *Key) knockPort(c uint64, n, i int, r PortRange, excluded func(uint16) bool, taken []uint16, mac *portMAC) (uint16, bool) {
	for j := range MaxPortAttempts {
		p := k.knockCandidate(c, n, i, j, r, mac)
		if (excluded == nil || !excluded(p)) && !containsPort(taken, p) {
			return p, true
		}
	}
	return 0, false
}

// knockCandidate is attempt j for fragment i: lo + DT(h) mod (hi-lo+1)
// with h = HMAC(k_knock, "port" || u64(c) || u8(n) || u8(i) || u8(j)).
func (k *Key) knockCandidate(c uint64, n, i, j int, r PortRange, mac *portMAC) uint16 {
	var h [sha256.Size]byte
	if mac != nil {
		h = mac.sum(c, n, i, j)
	} else {
		var in [knockInputLen]byte
		putKnockInput(&in, c, n, i, j)
		h = shortMAC(&k.k.knock, in[:], nil)
	}
	return r.Lo + uint16(DynamicTruncate(h[:])%uint32(r.Size()))
}

func putKnockInput(in *[knockInputLen]byte, c uint64, n, i, j int) {
	copy(in[:], labelPortInput)
	binary.BigEndian.PutUint64(in[len(labelPortInput):], c)
	in[knockInputLen-3] = byte(n)
	in[knockInputLen-2] = byte(i)
	in[knockInputLen-1] = byte(j)
}

func containsPort(ports []uint16, p uint16) bool {
	for _, q := range ports {
		if q == p {
			return true
		}
	}
	return false
}
