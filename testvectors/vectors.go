// Package testvectors holds the spa protocol's test vectors (spa/SPEC.md §12)
// and loads them for tests.
//
// The JSON files are written by an independent generator
// (testvectors/internal/gen) that builds every packet from the primitives
// (SHA-256, HMAC, HKDF, XChaCha20) and never calls package spa, so the vectors
// check the implementation instead of freezing its bugs. Regenerate them with
// "go generate ./testvectors/..."; a test fails if the committed files differ
// from what the generator writes.
package testvectors

import (
	"bytes"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:generate go run ./internal/gen -out .

//go:embed packet/*.json knock/*.json hotp/*.json totp/*.json hkdf/*.json
var files embed.FS

// FS returns the vector files: packet/*.json, knock/*.json, hotp/*.json,
// totp/*.json and hkdf/*.json.
func FS() fs.FS { return files }

// Hex is a byte string written as lower-case hex in JSON.
type Hex []byte

// UnmarshalJSON decodes a hex string.
func (h *Hex) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	d, err := hex.DecodeString(s)
	if err != nil {
		return fmt.Errorf("bad hex %q: %w", s, err)
	}
	*h = d
	return nil
}

// MarshalJSON encodes h as lower-case hex.
func (h Hex) MarshalJSON() ([]byte, error) { return json.Marshal(hex.EncodeToString(h)) }

// Derived holds the sender's intermediate values, for debugging.
type Derived struct {
	ServerID Hex `json:"server_id"`
	KCS      Hex `json:"k_cs"`
	KMAC     Hex `json:"k_mac"`
	KEnc     Hex `json:"k_enc"`
	KHint    Hex `json:"k_hint"`
	KKnock   Hex `json:"k_knock"`
	KFrag    Hex `json:"k_frag"`
	Hint     Hex `json:"hint"`
	Mask     Hex `json:"mask"`
}

// Body is the decoded form of a canonical plaintext (SPEC.md §12.1).
type Body struct {
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

// Policy is the verifying server's policy for the client.
type Policy struct {
	Allow            []string        `json:"allow"`
	Actions          []uint16        `json:"actions"`
	MaxDurationS     uint32          `json:"max_duration_s"`
	DefaultDurationS uint32          `json:"default_duration_s"`
	Address          json.RawMessage `json:"address"` // "strict", "source" or ["cidr", ...]
	KnockPorts       string          `json:"knock_ports,omitempty"`
}

// Grant is the access an accepted open message yields.
type Grant struct {
	Address   string   `json:"address"`
	Ports     []string `json:"ports"`
	DurationS uint32   `json:"duration_s"`
}

// Packet is one packet vector (SPEC.md §12.1).
type Packet struct {
	Name               string   `json:"-"` // file name without ".json"
	Comment            string   `json:"comment"`
	Flags              []string `json:"flags"`
	ClientSecret       Hex      `json:"client_secret"`
	ServerName         string   `json:"server_name"`
	VerifierServerName string   `json:"verifier_server_name,omitempty"`
	VerifierKey        Hex      `json:"verifier_key,omitempty"`
	Derived            Derived  `json:"derived"`
	NowMs              uint64   `json:"now_ms"`
	WindowMs           uint64   `json:"window_ms"`
	Nonce              Hex      `json:"nonce"`
	Plaintext          Hex      `json:"plaintext"`
	Body               *Body    `json:"body,omitempty"`
	Packet             Hex      `json:"packet"`
	Source             string   `json:"source"`
	Policy             Policy   `json:"policy"`
	Presentations      int      `json:"presentations,omitempty"`
	Expect             string   `json:"expect"`
	Grant              *Grant   `json:"grant,omitempty"`
}

// Verifier returns the name of the server that verifies the packet.
func (p *Packet) Verifier() string {
	if p.VerifierServerName != "" {
		return p.VerifierServerName
	}
	return p.ServerName
}

// HOTP is one RFC 4226 Appendix D known answer.
type HOTP struct {
	Name      string `json:"-"`
	Comment   string `json:"comment"`
	Secret    Hex    `json:"secret"`
	Counter   uint64 `json:"counter"`
	HMACSHA1  Hex    `json:"hmac_sha1"`
	Truncated uint32 `json:"truncated"`
	Digits    int    `json:"digits"`
	OTP       string `json:"otp"`
}

// TOTP is one RFC 6238 Appendix B known answer (SPEC.md §12.2).
type TOTP struct {
	Name      string `json:"-"`
	Comment   string `json:"comment"`
	Time      uint64 `json:"time"` // Unix seconds
	Mode      string `json:"mode"` // "sha1", "sha256" or "sha512"
	Seed      Hex    `json:"seed"`
	T0        uint64 `json:"t0"`
	Step      uint64 `json:"step"`
	Counter   uint64 `json:"counter"` // floor((time - t0) / step)
	HMAC      Hex    `json:"hmac"`    // HMAC of u64(counter) under seed with the mode's hash
	Truncated uint32 `json:"truncated"`
	Digits    int    `json:"digits"`
	OTP       string `json:"otp"`
}

// KnockDerived holds a knock vector's knock keys, for debugging.
type KnockDerived struct {
	KKnock Hex `json:"k_knock"`
	KFrag  Hex `json:"k_frag"`
}

// Range is an inclusive knock port range.
type Range struct {
	Lo uint16 `json:"lo"`
	Hi uint16 `json:"hi"`
}

// KnockBody is a knock vector's body (SPEC.md §12.3): a §12.1 body object
// plus fragmented, whether the sealed body has FRAGMENTED set.
type KnockBody struct {
	Body
	Fragmented *bool `json:"fragmented,omitempty"` // absent means true
}

// IsFragmented reports whether the sealed body has FRAGMENTED set; an absent
// field means true.
func (b *KnockBody) IsFragmented() bool { return b.Fragmented == nil || *b.Fragmented }

// Knock is one knock vector (SPEC.md §12.3): the ports and fragment payloads
// of one knock, and optionally the verification of its reassembled packet.
type Knock struct {
	Name         string       `json:"-"`
	Comment      string       `json:"comment"`
	Flags        []string     `json:"flags"`
	ClientSecret Hex          `json:"client_secret"`
	ServerName   string       `json:"server_name"`
	Derived      KnockDerived `json:"derived"`
	Fragments    int          `json:"fragments"`
	Range        Range        `json:"range"`
	Excluded     []uint16     `json:"excluded"`
	Counter      uint64       `json:"counter"`
	Packet       Hex          `json:"packet"`
	Ports        []uint16     `json:"ports"`
	Attempts     []int        `json:"attempts"`
	Payloads     []Hex        `json:"payloads"`
	Nonce        Hex          `json:"nonce,omitempty"`
	Body         *KnockBody   `json:"body,omitempty"`
	NowMs        uint64       `json:"now_ms,omitempty"`
	WindowMs     uint64       `json:"window_ms,omitempty"`
	Expect       string       `json:"expect,omitempty"`
}

// HKDF is one RFC 5869 Appendix A (SHA-256) known answer.
type HKDF struct {
	Name    string `json:"-"`
	Comment string `json:"comment"`
	IKM     Hex    `json:"ikm"`
	Salt    Hex    `json:"salt"`
	Info    Hex    `json:"info"`
	Length  int    `json:"length"`
	PRK     Hex    `json:"prk"`
	OKM     Hex    `json:"okm"`
}

// Packets returns every packet vector, sorted by name.
func Packets() ([]Packet, error) {
	return load("packet", func(name string, v *Packet) { v.Name = name })
}

// HOTPs returns the HOTP known answers, sorted by name.
func HOTPs() ([]HOTP, error) { return load("hotp", func(name string, v *HOTP) { v.Name = name }) }

// Knocks returns every knock vector, sorted by name.
func Knocks() ([]Knock, error) { return load("knock", func(name string, v *Knock) { v.Name = name }) }

// TOTPs returns the TOTP known answers, sorted by name.
func TOTPs() ([]TOTP, error) { return load("totp", func(name string, v *TOTP) { v.Name = name }) }

// HKDFs returns the HKDF known answers, sorted by name.
func HKDFs() ([]HKDF, error) { return load("hkdf", func(name string, v *HKDF) { v.Name = name }) }

// load decodes every dir/*.json file strictly: an unknown field is an error,
// so a vector can never carry an input that the tests silently ignore.
func load[T any](dir string, setName func(string, *T)) ([]T, error) {
	names, err := fs.Glob(files, dir+"/*.json")
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("testvectors: no vectors in %s/", dir)
	}
	sort.Strings(names)
	out := make([]T, 0, len(names))
	for _, name := range names {
		data, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		var v T
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("testvectors: %s: %w", name, err)
		}
		setName(strings.TrimSuffix(path.Base(name), ".json"), &v)
		out = append(out, v)
	}
	return out, nil
}
