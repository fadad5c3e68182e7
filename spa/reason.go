package spa

import "errors"

// Reason is why a packet was refused. The set is closed (SPEC.md §10); each
// reason's String is its metric label. A Reason is itself an error, so the
// reject path returns it without allocating.
type Reason uint8

// The rejection reasons, in verification order. Steps 1 to 6 belong to this
// package; the rest are decided by the server. The knock-layer reasons
// (SPEC.md §11.7) follow; knock datagrams also use ReasonUnknownKey (no
// candidate at the port) and ReasonMalformed (a length no candidate fits).
const (
	ReasonMalformed      Reason = iota + 1 // wrong length, or unknown version or suite
	ReasonUnknownKey                       // no enrolled key has this hint now
	ReasonAuth                             // the MAC does not match
	ReasonBadBody                          // authenticated, but the body is not canonical
	ReasonStale                            // the timestamp is outside the window
	ReasonAddress                          // the address to open is not allowed
	ReasonPolicy                           // port, action or message type not allowed
	ReasonRateLimited                      // the client exceeded its request rate
	ReasonReplay                           // this nonce was already accepted
	ReasonQuota                            // the replay cache is full
	ReasonFragmentAuth                     // a knock fragment's tag matches no candidate
	ReasonPartialTimeout                   // an incomplete knock reassembly expired
	ReasonPartialEvicted                   // an incomplete knock reassembly was evicted by a bound
	numReasons
)

// Reasons returns every reason, in verification order.
func Reasons() []Reason {
	out := make([]Reason, 0, numReasons-1)
	for r := ReasonMalformed; r < numReasons; r++ {
		out = append(out, r)
	}
	return out
}

// String returns the reason's metric label, such as "bad_body".
func (r Reason) String() string {
	switch r {
	case ReasonMalformed:
		return "malformed"
	case ReasonUnknownKey:
		return "unknown_key"
	case ReasonAuth:
		return "auth"
	case ReasonBadBody:
		return "bad_body"
	case ReasonStale:
		return "stale"
	case ReasonAddress:
		return "address"
	case ReasonPolicy:
		return "policy"
	case ReasonRateLimited:
		return "rate_limited"
	case ReasonReplay:
		return "replay"
	case ReasonQuota:
		return "quota"
	case ReasonFragmentAuth:
		return "fragment_auth"
	case ReasonPartialTimeout:
		return "partial_timeout"
	case ReasonPartialEvicted:
		return "partial_evicted"
	}
	return "unknown_reason"
}

// Error describes the reason. Every MAC failure has the same text.
func (r Reason) Error() string {
	switch r {
	case ReasonMalformed:
		return "spa: malformed packet"
	case ReasonUnknownKey:
		return "spa: no key for this packet"
	case ReasonAuth:
		return "spa: message authentication failed"
	case ReasonBadBody:
		return "spa: invalid body"
	case ReasonStale:
		return "spa: timestamp outside the window"
	case ReasonAddress:
		return "spa: address not allowed"
	case ReasonPolicy:
		return "spa: request not allowed by policy"
	case ReasonRateLimited:
		return "spa: rate limited"
	case ReasonReplay:
		return "spa: replayed packet"
	case ReasonQuota:
		return "spa: replay cache full"
	case ReasonFragmentAuth:
		return "spa: knock fragment authentication failed"
	case ReasonPartialTimeout:
		return "spa: incomplete knock expired"
	case ReasonPartialEvicted:
		return "spa: incomplete knock evicted"
	}
	return "spa: unknown reason"
}

// ParseReason returns the reason whose label is s.
func ParseReason(s string) (Reason, bool) {
	for r := ReasonMalformed; r < numReasons; r++ {
		if r.String() == s {
			return r, true
		}
	}
	return 0, false
}

// ReasonOf returns the Reason in err's chain, if any.
func ReasonOf(err error) (Reason, bool) {
	// The reject path returns bare Reasons; asserting first keeps it free of
	// the allocation errors.As makes for its target.
	if r, ok := err.(Reason); ok {
		return r, true
	}
	var r Reason
	if errors.As(err, &r) {
		return r, true
	}
	return 0, false
}
