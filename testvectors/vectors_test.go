package testvectors

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"math"
	"net/netip"
	"slices"
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

// rfc6238OTPs are RFC 6238 Appendix B's 8-digit TOTP values, by time and
// then sha1, sha256, sha512, as the RFC's table lists them.
var rfc6238OTPs = map[uint64][3]string{
	59:          {"94287082", "46119246", "90693936"},
	1111111109:  {"07081804", "68084774", "25091201"},
	1111111111:  {"14050471", "67062674", "99943326"},
	1234567890:  {"89005924", "91819424", "93441116"},
	2000000000:  {"69279037", "90698825", "38618901"},
	20000000000: {"65353130", "77737706", "47863826"},
}

// totpHashes maps a mode to its hash, its column in rfc6238OTPs and its seed
// length (RFC 6238 erratum 2866).
var totpHashes = map[string]struct {
	h       func() hash.Hash
	col     int
	seedLen int
}{
	"sha1": {sha1.New, 0, 20}, "sha256": {sha256.New, 1, 32}, "sha512": {sha512.New, 2, 64},
}

func TestTOTPKnownAnswers(t *testing.T) {
	ts, err := TOTPs()
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 18 {
		t.Fatalf("%d TOTP vectors, want 18", len(ts))
	}
	seen := map[string]bool{}
	for _, v := range ts {
		mode, ok := totpHashes[v.Mode]
		rfc, okTime := rfc6238OTPs[v.Time]
		if !ok || !okTime {
			t.Errorf("%s: time %d, mode %q not in RFC 6238 Appendix B", v.Name, v.Time, v.Mode)
			continue
		}
		key := fmt.Sprint(v.Time, v.Mode)
		if seen[key] {
			t.Errorf("%s: time %d, mode %s appears twice", v.Name, v.Time, v.Mode)
		}
		seen[key] = true
		wantSeed := bytes.Repeat([]byte("1234567890"), 7)[:mode.seedLen]
		if !bytes.Equal(v.Seed, wantSeed) || v.T0 != 0 || v.Step != 30 || v.Digits != 8 || v.Comment == "" {
			t.Errorf("%s: seed %q, t0 %d, step %d, digits %d", v.Name, v.Seed, v.T0, v.Step, v.Digits)
			continue
		}
		counter := (v.Time - v.T0) / v.Step
		m := hmac.New(mode.h, v.Seed)
		m.Write(binary.BigEndian.AppendUint64(nil, counter))
		sum := m.Sum(nil)
		off := sum[len(sum)-1] & 0x0f
		trunc := binary.BigEndian.Uint32(sum[off:]) & 0x7fffffff
		otp := fmt.Sprintf("%08d", trunc%100000000)
		if v.Counter != counter || !bytes.Equal(sum, v.HMAC) || trunc != v.Truncated || otp != v.OTP {
			t.Errorf("%s: file has %d %x %d %s, computed %d %x %d %s", v.Name,
				v.Counter, []byte(v.HMAC), v.Truncated, v.OTP, counter, sum, trunc, otp)
		}
		if v.OTP != rfc[mode.col] {
			t.Errorf("%s: otp %s, RFC 6238 says %s", v.Name, v.OTP, rfc[mode.col])
		}
	}
}

// k5Reasons are the outcomes §11.7 K5 (steps 1-6 of §7) can give.
var k5Reasons = map[string]bool{"ok": true, "malformed": true, "unknown_key": true, "auth": true, "bad_body": true, "stale": true}

// TestKnockVectorsLoad checks every knock vector's shape (SPEC.md §12.3) and
// that the set covers what §12.3 says it SHOULD.
func TestKnockVectorsLoad(t *testing.T) {
	ks, err := Knocks()
	if err != nil {
		t.Fatal(err)
	}
	if len(ks) < 30 {
		t.Errorf("%d knock vectors, want at least 30", len(ks))
	}
	nBucket := map[string]bool{}
	var counter0, counterBig, notFragmented, counterMismatch, resync, bare bool
	for _, k := range ks {
		checkKnockShape(t, &k)
		nBucket[fmt.Sprint(k.Fragments, len(k.Packet))] = true
		counter0 = counter0 || k.Counter == 0
		counterBig = counterBig || k.Counter > 1<<32
		if k.Body == nil {
			bare = true
			continue
		}
		switch {
		case !k.Body.IsFragmented():
			notFragmented = notFragmented || k.Expect == "bad_body"
		case k.Body.Counter != k.Counter:
			counterMismatch = counterMismatch || k.Expect == "bad_body"
		case k.Body.Type == "resync":
			resync = resync || k.Expect == "bad_body"
		}
	}
	for n := 2; n <= 8; n++ {
		for _, l := range []int{157, 285} {
			if !nBucket[fmt.Sprint(n, l)] {
				t.Errorf("no knock vector with n = %d and a %d-byte packet", n, l)
			}
		}
	}
	for what, ok := range map[string]bool{
		"counter 0": counter0, "a counter above 2^32": counterBig, "FRAGMENTED clear (bad_body)": notFragmented,
		"body counter != counter (bad_body)": counterMismatch, "type resync (bad_body)": resync, "no body": bare,
	} {
		if !ok {
			t.Errorf("no knock vector with %s", what)
		}
	}
}

// checkKnockShape checks the field sizes and rules of SPEC.md §11.1, §11.4,
// §11.5 and §12.3 that a knock vector must satisfy.
func checkKnockShape(t *testing.T, k *Knock) {
	t.Helper()
	if len(k.ClientSecret) != 32 || len(k.Derived.KKnock) != 32 || len(k.Derived.KFrag) != 32 {
		t.Errorf("%s: client_secret, k_knock or k_frag is not 32 bytes", k.Name)
	}
	if k.Comment == "" || k.ServerName == "" || k.Flags == nil || k.Excluded == nil {
		t.Errorf("%s: comment, server_name, flags or excluded missing", k.Name)
	}
	n, lo, hi := k.Fragments, int(k.Range.Lo), int(k.Range.Hi)
	inside := 0
	for i, p := range k.Excluded {
		if i > 0 && p <= k.Excluded[i-1] {
			t.Errorf("%s: excluded %v is not strictly ascending", k.Name, k.Excluded)
		}
		if int(p) >= lo && int(p) <= hi {
			inside++
		}
	}
	if n < 2 || n > 8 || lo < 1 || hi-lo+1 < 64 || 4*inside > hi-lo+1 {
		t.Errorf("%s: invalid configuration n %d, range %d-%d, %d excluded inside", k.Name, n, lo, hi, inside)
		return
	}
	if k.Counter == math.MaxUint64 {
		t.Errorf("%s: counter 2^64-1 is never a knock counter", k.Name)
	}
	if len(k.Ports) != n || len(k.Attempts) != n || len(k.Payloads) != n {
		t.Errorf("%s: %d ports, %d attempts, %d payloads for n = %d", k.Name, len(k.Ports), len(k.Attempts), len(k.Payloads), n)
		return
	}
	for i, p := range k.Ports {
		if int(p) < lo || int(p) > hi || slices.Contains(k.Excluded, p) || slices.Index(k.Ports, p) != i {
			t.Errorf("%s: port %d = %d is outside the range, excluded or repeated", k.Name, i, p)
		}
		if k.Attempts[i] < 0 || k.Attempts[i] > 63 {
			t.Errorf("%s: attempt %d = %d", k.Name, i, k.Attempts[i])
		}
	}
	l := len(k.Packet)
	if l != 157 && l != 285 {
		t.Errorf("%s: packet has %d bytes", k.Name, l)
		return
	}
	var chunks []byte
	for i, p := range k.Payloads {
		want := l / n
		if i < l%n {
			want++
		}
		if len(p) != want+8 {
			t.Errorf("%s: payload %d has %d bytes, want %d", k.Name, i, len(p), want+8)
			return
		}
		chunks = append(chunks, p[:len(p)-8]...)
	}
	if !bytes.Equal(chunks, k.Packet) {
		t.Errorf("%s: the chunks do not concatenate to the packet", k.Name)
	}
	withBody := k.Body != nil
	if (k.Nonce != nil) != withBody || (k.NowMs != 0) != withBody || (k.WindowMs != 0) != withBody || (k.Expect != "") != withBody {
		t.Errorf("%s: nonce, now_ms, window_ms and expect must be present exactly with body", k.Name)
	}
	if !withBody {
		return
	}
	if !k5Reasons[k.Expect] {
		t.Errorf("%s: expect %q is not a K5 outcome", k.Name, k.Expect)
	}
	if len(k.Nonce) != 24 || !bytes.Equal(k.Packet[5:29], k.Nonce) {
		t.Errorf("%s: nonce %x is not the packet's", k.Name, []byte(k.Nonce))
	}
	if want := map[string]int{"small": 157, "large": 285}[k.Body.Bucket]; want != l {
		t.Errorf("%s: %s bucket but a %d-byte packet", k.Name, k.Body.Bucket, l)
	}
	if k.Body.Fragmented != nil && *k.Body.Fragmented {
		t.Errorf("%s: fragmented is written only when false", k.Name)
	}
	if k.Expect == "ok" && (!k.Body.IsFragmented() || k.Body.Counter != k.Counter || k.Body.Type == "resync") {
		t.Errorf("%s: accepted knock whose body is not bound to it", k.Name)
	}
}

// TestKnockVectorsRecompute derives every knock vector's keys, ports,
// attempts and payloads again with the standard library (SPEC.md §3, §11.4,
// §11.5), and requires the small-range reroll case SPEC.md §12.3 recommends.
func TestKnockVectorsRecompute(t *testing.T) {
	ks, err := Knocks()
	if err != nil {
		t.Fatal(err)
	}
	var rerollExcluded, rerollCollision bool
	for _, k := range ks {
		sid := sha256.Sum256(append([]byte("spa1 server id"), k.ServerName...))
		kcs, err := hkdf.Key(sha256.New, k.ClientSecret, []byte("spa1/client-server"), string(sid[:]), 32)
		if err != nil {
			t.Fatal(err)
		}
		prk, err := hkdf.Extract(sha256.New, kcs, []byte("spa1"))
		if err != nil {
			t.Fatal(err)
		}
		kKnock, err := hkdf.Expand(sha256.New, prk, "spa1 knock ports", 32)
		if err != nil {
			t.Fatal(err)
		}
		kFrag, err := hkdf.Expand(sha256.New, prk, "spa1 fragment tag", 32)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(kKnock, k.Derived.KKnock) || !bytes.Equal(kFrag, k.Derived.KFrag) {
			t.Errorf("%s: derived keys differ from the recomputed ones", k.Name)
			continue
		}

		n := k.Fragments
		size := uint32(k.Range.Hi) - uint32(k.Range.Lo) + 1
		var ports []uint16
		var attempts []int
		var excludedHit, collision bool
		for i := range n {
			for j := range 64 {
				m := hmac.New(sha256.New, kKnock)
				m.Write([]byte("port"))
				m.Write(binary.BigEndian.AppendUint64(nil, k.Counter))
				m.Write([]byte{byte(n), byte(i), byte(j)})
				h := m.Sum(nil)
				off := h[31] & 0x0f
				p := uint16(uint32(k.Range.Lo) + (binary.BigEndian.Uint32(h[off:])&0x7fffffff)%size)
				if slices.Contains(k.Excluded, p) {
					excludedHit = true
					continue
				}
				if slices.Contains(ports, p) {
					collision = true
					continue
				}
				ports, attempts = append(ports, p), append(attempts, j)
				break
			}
		}
		if !slices.Equal(ports, k.Ports) || !slices.Equal(attempts, k.Attempts) {
			t.Errorf("%s: ports %v attempts %v, recomputed %v %v", k.Name, k.Ports, k.Attempts, ports, attempts)
		}
		if size == 64 && n == 8 && excludedHit && collision {
			rerollExcluded, rerollCollision = true, true
		}

		off := 0
		for i, p := range k.Payloads {
			chunk := p[:len(p)-8]
			if !bytes.Equal(chunk, k.Packet[off:off+len(chunk)]) {
				t.Errorf("%s: chunk %d is not the packet at offset %d", k.Name, i, off)
			}
			off += len(chunk)
			m := hmac.New(sha256.New, kFrag)
			m.Write([]byte("frag"))
			m.Write(binary.BigEndian.AppendUint64(nil, k.Counter))
			m.Write([]byte{byte(n), byte(i)})
			m.Write(chunk)
			if tag := m.Sum(nil)[:8]; !bytes.Equal(tag, p[len(p)-8:]) {
				t.Errorf("%s: payload %d tag %x, recomputed %x", k.Name, i, []byte(p[len(p)-8:]), tag)
			}
		}
	}
	if !rerollExcluded || !rerollCollision {
		t.Errorf("no 64-port, n = 8 knock vector rerolls for both an excluded port and a collision")
	}
}
