package spa

// Packet layout and sizes (SPEC.md §4).
const (
	// Header is hdr (1), hint (4) and nonce (24).
	HeaderLen = 29
	HintLen   = 4
	NonceSize = 24
	TagSize   = 16

	BodyLenSmall = 112
	BodyLenLarge = 240

	PacketLenSmall = HeaderLen + BodyLenSmall + TagSize // 157
	PacketLenLarge = HeaderLen + BodyLenLarge + TagSize // 285

	// hdrV1Suite1 is the unmasked header byte: version 1, suite 1.
	hdrV1Suite1 = 0x11

	offHint  = 1
	offNonce = 5

	// EpochMillis is the length of a key-hint epoch (SPEC.md §3.1).
	EpochMillis = 300_000
)

// Bucket selects a packet size.
type Bucket uint8

// The two size buckets.
const (
	Small Bucket = iota // 157-byte packets; the default
	Large               // 285-byte packets
)

func (b Bucket) bodyLen() int {
	if b == Large {
		return BodyLenLarge
	}
	return BodyLenSmall
}

// bodyLenOf returns the body length of a packet of n bytes, or 0 if n is not
// a valid packet length.
func bodyLenOf(n int) int {
	switch n {
	case PacketLenSmall:
		return BodyLenSmall
	case PacketLenLarge:
		return BodyLenLarge
	}
	return 0
}

// Epoch returns the key-hint epoch of a time in Unix milliseconds.
func Epoch(unixMilli uint64) uint64 { return unixMilli / EpochMillis }
