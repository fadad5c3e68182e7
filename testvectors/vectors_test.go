package testvectors

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"testing"
)

var reasons = map[string]bool{
	"ok": true, "malformed": true, "unknown_key": true, "auth": true, "bad_body": true, "stale": true,
	"address": true, "policy": true, "rate_limited": true, "replay": true, "quota": true,
}

func TestPacketVectorsLoad(t *testing.T) {
	ps, err := Packets()
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) < 30 {
		t.Errorf("%d packet vectors, want at least 30", len(ps))
	}
	seen := map[string]int{}
	for _, p := range ps {
		if !reasons[p.Expect] {
			t.Errorf("%s: unknown expect %q", p.Name, p.Expect)
		}
		seen[p.Expect]++
		checkPacketShape(t, &p)
	}
	for _, r := range []string{"ok", "malformed", "unknown_key", "auth", "bad_body", "stale", "address", "policy", "replay"} {
		if seen[r] == 0 {
			t.Errorf("no packet vector expects %s", r)
		}
	}
}

// checkPacketShape checks the field sizes and the optional fields' rules of
// SPEC.md §12.1.
func checkPacketShape(t *testing.T, p *Packet) {
	t.Helper()
	sizes := map[string]struct {
		b Hex
		n int
	}{
		"client_secret": {p.ClientSecret, 32}, "nonce": {p.Nonce, 24},
		"server_id": {p.Derived.ServerID, 32}, "k_cs": {p.Derived.KCS, 32}, "k_mac": {p.Derived.KMAC, 32},
		"k_enc": {p.Derived.KEnc, 32}, "k_hint": {p.Derived.KHint, 32}, "k_knock": {p.Derived.KKnock, 32},
		"k_frag": {p.Derived.KFrag, 32}, "hint": {p.Derived.Hint, 4}, "mask": {p.Derived.Mask, 1},
	}
	for field, s := range sizes {
		if len(s.b) != s.n {
			t.Errorf("%s: %s has %d bytes, want %d", p.Name, field, len(s.b), s.n)
		}
	}
	if p.VerifierKey != nil && len(p.VerifierKey) != 32 {
		t.Errorf("%s: verifier_key has %d bytes", p.Name, len(p.VerifierKey))
	}
	if n := len(p.Plaintext); n != 112 && n != 240 {
		t.Errorf("%s: plaintext has %d bytes", p.Name, n)
	}
	if p.ServerName == "" || p.Comment == "" || p.WindowMs == 0 || p.NowMs == 0 {
		t.Errorf("%s: server_name, comment, window_ms or now_ms missing", p.Name)
	}
	if _, err := netip.ParseAddr(p.Source); err != nil {
		t.Errorf("%s: source: %v", p.Name, err)
	}
	if err := checkAddressPolicy(p.Policy.Address); err != nil {
		t.Errorf("%s: policy address: %v", p.Name, err)
	}
	if p.Presentations < 0 || (p.Presentations > 1) != (p.Expect == "replay") {
		t.Errorf("%s: presentations %d with expect %s", p.Name, p.Presentations, p.Expect)
	}
	if p.Body != nil {
		want := map[string]int{"small": 157, "large": 285}[p.Body.Bucket]
		if len(p.Packet) != want || len(p.Plaintext) != want-45 {
			t.Errorf("%s: %s bucket but a %d-byte packet", p.Name, p.Body.Bucket, len(p.Packet))
		}
	}
	wantGrant := p.Expect == "ok" && p.Body != nil && p.Body.Type == "open"
	if (p.Grant != nil) != wantGrant {
		t.Errorf("%s: grant present %v, want %v", p.Name, p.Grant != nil, wantGrant)
	}
	if p.Expect == "ok" && p.Body == nil {
		t.Errorf("%s: accepted packet without body", p.Name)
	}
}

// checkAddressPolicy accepts "strict", "source" or a list of CIDR prefixes.
func checkAddressPolicy(raw json.RawMessage) error {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s != "strict" && s != "source" {
			return fmt.Errorf("unknown policy %q", s)
		}
		return nil
	}
	var cidrs []string
	if err := json.Unmarshal(raw, &cidrs); err != nil {
		return err
	}
	if len(cidrs) == 0 {
		return fmt.Errorf("empty prefix list")
	}
	for _, c := range cidrs {
		if _, err := netip.ParsePrefix(c); err != nil {
			return err
		}
	}
	return nil
}

// TestPacketDerived recomputes each vector's derived values from its client
// secret and server name with the standard library (SPEC.md §2, §3).
func TestPacketDerived(t *testing.T) {
	ps, err := Packets()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if len(p.Plaintext) < 10 {
			t.Errorf("%s: plaintext too short for ts", p.Name)
			continue
		}
		sid := sha256.Sum256(append([]byte("spa1 server id"), p.ServerName...))
		kcs, err := hkdf.Key(sha256.New, p.ClientSecret, []byte("spa1/client-server"), string(sid[:]), 32)
		if err != nil {
			t.Fatal(err)
		}
		prk, err := hkdf.Extract(sha256.New, kcs, []byte("spa1"))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]byte{"server_id": sid[:], "k_cs": kcs}
		for field, label := range map[string]string{
			"k_mac": "spa1 mac hmac-sha256", "k_enc": "spa1 enc xchacha20", "k_hint": "spa1 key hint",
			"k_knock": "spa1 knock ports", "k_frag": "spa1 fragment tag",
		} {
			if got[field], err = hkdf.Expand(sha256.New, prk, label, 32); err != nil {
				t.Fatal(err)
			}
		}
		ts := binary.BigEndian.Uint64(p.Plaintext[2:10])
		m := hmac.New(sha256.New, got["k_hint"])
		m.Write([]byte("hint"))
		m.Write(binary.BigEndian.AppendUint64(nil, ts/300000))
		h := m.Sum(nil)
		got["hint"], got["mask"] = h[:4], h[4:5]

		d := p.Derived
		want := map[string]Hex{"server_id": d.ServerID, "k_cs": d.KCS, "k_mac": d.KMAC, "k_enc": d.KEnc,
			"k_hint": d.KHint, "k_knock": d.KKnock, "k_frag": d.KFrag, "hint": d.Hint, "mask": d.Mask}
		for field, w := range want {
			if !bytes.Equal(got[field], w) {
				t.Errorf("%s: derived.%s = %x, recomputed %x", p.Name, field, []byte(w), got[field])
			}
		}
	}
}

// rfc4226OTPs are the HOTP values of RFC 4226 Appendix D, counters 0-9.
var rfc4226OTPs = []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}

func TestHOTPKnownAnswers(t *testing.T) {
	hs, err := HOTPs()
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 10 {
		t.Fatalf("%d HOTP vectors, want 10", len(hs))
	}
	seen := map[uint64]bool{}
	for _, h := range hs {
		if string(h.Secret) != "12345678901234567890" || h.Digits != 6 || h.Counter > 9 || seen[h.Counter] {
			t.Errorf("%s: secret %q, digits %d, counter %d", h.Name, h.Secret, h.Digits, h.Counter)
			continue
		}
		seen[h.Counter] = true
		m := hmac.New(sha1.New, h.Secret)
		m.Write(binary.BigEndian.AppendUint64(nil, h.Counter))
		sum := m.Sum(nil)
		off := sum[19] & 0x0f
		trunc := binary.BigEndian.Uint32(sum[off:]) & 0x7fffffff
		otp := fmt.Sprintf("%06d", trunc%1000000)
		if !bytes.Equal(sum, h.HMACSHA1) || trunc != h.Truncated || otp != h.OTP {
			t.Errorf("%s: file has %x %d %s, computed %x %d %s", h.Name, []byte(h.HMACSHA1), h.Truncated, h.OTP, sum, trunc, otp)
		}
		if h.OTP != rfc4226OTPs[h.Counter] {
			t.Errorf("%s: otp %s, RFC 4226 says %s", h.Name, h.OTP, rfc4226OTPs[h.Counter])
		}
	}
}

// rfc5869OKMs are the OKMs of RFC 5869 Appendix A test cases 1-3.
var rfc5869OKMs = map[string]string{
	"rfc5869_a1": "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
	"rfc5869_a2": "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c" +
		"59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87",
	"rfc5869_a3": "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
}

func TestHKDFKnownAnswers(t *testing.T) {
	hs, err := HKDFs()
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 3 {
		t.Fatalf("%d HKDF vectors, want 3", len(hs))
	}
	for _, h := range hs {
		prk, err := hkdf.Extract(sha256.New, h.IKM, h.Salt)
		if err != nil {
			t.Fatal(err)
		}
		okm, err := hkdf.Expand(sha256.New, prk, string(h.Info), h.Length)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(prk, h.PRK) || !bytes.Equal(okm, h.OKM) {
			t.Errorf("%s: file has prk %x okm %x, computed %x %x", h.Name, []byte(h.PRK), []byte(h.OKM), prk, okm)
		}
		if hex.EncodeToString(h.OKM) != rfc5869OKMs[h.Name] {
			t.Errorf("%s: okm %x is not RFC 5869's", h.Name, []byte(h.OKM))
		}
	}
}
