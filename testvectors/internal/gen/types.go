package main

import (
	"encoding/hex"
	"encoding/json"
)

// The output types mirror testvectors/vectors.go field for field (same JSON
// names, same order) so the loader, which rejects unknown fields, reads every
// file. They are copied rather than imported to keep the generator
// independent of the package it feeds.

// hexBytes is a byte string written as lower-case hex.
type hexBytes []byte

// MarshalJSON encodes h as lower-case hex.
func (h hexBytes) MarshalJSON() ([]byte, error) { return json.Marshal(hex.EncodeToString(h)) }

type derivedJSON struct {
	ServerID hexBytes `json:"server_id"`
	KCS      hexBytes `json:"k_cs"`
	KMAC     hexBytes `json:"k_mac"`
	KEnc     hexBytes `json:"k_enc"`
	KHint    hexBytes `json:"k_hint"`
	KKnock   hexBytes `json:"k_knock"`
	KFrag    hexBytes `json:"k_frag"`
	Hint     hexBytes `json:"hint"`
	Mask     hexBytes `json:"mask"`
}

type bodyJSON struct {
	Type      string   `json:"type"`
	UseSource bool     `json:"use_source"`
	TsMs      uint64   `json:"ts_ms"`
	Counter   uint64   `json:"counter"`
	ClientIP  string   `json:"client_ip"`
	DurationS uint16   `json:"duration_s"`
	Action    uint16   `json:"action"`
	Ports     []string `json:"ports"`
	Bucket    string   `json:"bucket"`
}

// policyJSON is the verifier's policy for the client. Address is the string
// "strict" or "source", or a []string of CIDR prefixes.
type policyJSON struct {
	Allow            []string `json:"allow"`
	Actions          []uint16 `json:"actions"`
	MaxDurationS     uint32   `json:"max_duration_s"`
	DefaultDurationS uint32   `json:"default_duration_s"`
	Address          any      `json:"address"`
	KnockPorts       string   `json:"knock_ports,omitempty"`
}

type grantJSON struct {
	Address   string   `json:"address"`
	Ports     []string `json:"ports"`
	DurationS uint32   `json:"duration_s"`
}

type packetJSON struct {
	Comment            string      `json:"comment"`
	Flags              []string    `json:"flags"`
	ClientSecret       hexBytes    `json:"client_secret"`
	ServerName         string      `json:"server_name"`
	VerifierServerName string      `json:"verifier_server_name,omitempty"`
	VerifierKey        hexBytes    `json:"verifier_key,omitempty"`
	Derived            derivedJSON `json:"derived"`
	NowMs              uint64      `json:"now_ms"`
	WindowMs           uint64      `json:"window_ms"`
	Nonce              hexBytes    `json:"nonce"`
	Plaintext          hexBytes    `json:"plaintext"`
	Body               *bodyJSON   `json:"body,omitempty"`
	Packet             hexBytes    `json:"packet"`
	Source             string      `json:"source"`
	Policy             policyJSON  `json:"policy"`
	Presentations      int         `json:"presentations,omitempty"`
	Expect             string      `json:"expect"`
	Grant              *grantJSON  `json:"grant,omitempty"`
}

type hotpJSON struct {
	Comment   string   `json:"comment"`
	Secret    hexBytes `json:"secret"`
	Counter   uint64   `json:"counter"`
	HMACSHA1  hexBytes `json:"hmac_sha1"`
	Truncated uint32   `json:"truncated"`
	Digits    int      `json:"digits"`
	OTP       string   `json:"otp"`
}

type hkdfJSON struct {
	Comment string   `json:"comment"`
	IKM     hexBytes `json:"ikm"`
	Salt    hexBytes `json:"salt"`
	Info    hexBytes `json:"info"`
	Length  int      `json:"length"`
	PRK     hexBytes `json:"prk"`
	OKM     hexBytes `json:"okm"`
}

type totpJSON struct {
	Comment   string   `json:"comment"`
	Time      uint64   `json:"time"`
	Mode      string   `json:"mode"`
	Seed      hexBytes `json:"seed"`
	T0        uint64   `json:"t0"`
	Step      uint64   `json:"step"`
	Counter   uint64   `json:"counter"`
	HMAC      hexBytes `json:"hmac"`
	Truncated uint32   `json:"truncated"`
	Digits    int      `json:"digits"`
	OTP       string   `json:"otp"`
}

// knockDerivedJSON is the knock vector's `derived` object: only the two
// knock keys (SPEC.md §12.3).
type knockDerivedJSON struct {
	KKnock hexBytes `json:"k_knock"`
	KFrag  hexBytes `json:"k_frag"`
}

type rangeJSON struct {
	Lo uint16 `json:"lo"`
	Hi uint16 `json:"hi"`
}

// knockBodyJSON is a §12.1 body object plus `fragmented`, written only when
// false (its default is true).
type knockBodyJSON struct {
	bodyJSON
	Fragmented *bool `json:"fragmented,omitempty"`
}

type knockJSON struct {
	Comment      string           `json:"comment"`
	Flags        []string         `json:"flags"`
	ClientSecret hexBytes         `json:"client_secret"`
	ServerName   string           `json:"server_name"`
	Derived      knockDerivedJSON `json:"derived"`
	Fragments    int              `json:"fragments"`
	Range        rangeJSON        `json:"range"`
	Excluded     []uint16         `json:"excluded"`
	Counter      uint64           `json:"counter"`
	Packet       hexBytes         `json:"packet"`
	Ports        []uint16         `json:"ports"`
	Attempts     []int            `json:"attempts"`
	Payloads     []hexBytes       `json:"payloads"`
	Nonce        hexBytes         `json:"nonce,omitempty"`
	Body         *knockBodyJSON   `json:"body,omitempty"`
	NowMs        uint64           `json:"now_ms,omitempty"`
	WindowMs     uint64           `json:"window_ms,omitempty"`
	Expect       string           `json:"expect,omitempty"`
}
