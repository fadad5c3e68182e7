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

//go:embed packet/*.json hotp/*.json hkdf/*.json
var files embed.FS

// FS returns the vector files: packet/*.json, hotp/*.json and hkdf/*.json.
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
