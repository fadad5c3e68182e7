package spa

import "time"

// HOTPWindow returns the HOTP live set of a client whose next expected
// counter is next: next, next+1, ..., next+s-1, leaving out 2^64-1 and
// anything past it (SPEC.md §11.2).
func HOTPWindow(next uint64, s int) []uint64 {
	out := make([]uint64, 0, max(s, 0))
	for d := range uint64(max(s, 0)) {
		c := next + d
		if c < next || c > MaxKnockCounter {
			break
		}
		out = append(out, c)
	}
	return out
}

// TOTPWindow returns the TOTP live set at now: the previous, current and
// next time step (SPEC.md §11.2).
func TOTPWindow(now time.Time) []uint64 {
	c := TOTPCounter(now)
	if c == 0 {
		return []uint64{0, 1}
	}
	return []uint64{c - 1, c, c + 1}
}
