package spa

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"testing"
	"time"
)

// rfc4226Secret is the RFC 4226 Appendix D secret, ASCII "12345678901234567890".
const rfc4226Secret = "12345678901234567890"

// RFC 4226 Appendix D, Tables 1 and 2: HMAC-SHA-1 values, their dynamic
// truncations and the 6-digit HOTP values for counters 0 to 9.
var rfc4226 = []struct {
	hmac      string
	truncated uint32
	otp       string
}{
	{"cc93cf18508d94934c64b65d8ba7667fb7cde4b0", 1284755224, "755224"},
	{"75a48a19d4cbe100644e8ac1397eea747a2d33ab", 1094287082, "287082"},
	{"0bacb7fa082fef30782211938bc1c5e70416ff44", 137359152, "359152"},
	{"66c28227d03a2d5529262ff016a1e6ef76557ece", 1726969429, "969429"},
	{"a904c900a64b35909874b33e61c5938a8e15ed1c", 1640338314, "338314"},
	{"a37e783d7b7233c083d4f62926c7a25f238d0316", 868254676, "254676"},
	{"bc9cd28561042c83f219324d3c607256c03272ae", 1918287922, "287922"},
	{"a4fb960c0bc06e1eabb804e5b397cdc4b45596fa", 82162583, "162583"},
	{"1b3c89f65e6c9e883012052823443f048b4332db", 673399871, "399871"},
	{"1637409809a679dc698207310c8c7fc07290d9e5", 645520489, "520489"},
}

func TestHOTPRFC4226AppendixD(t *testing.T) {
	for c, want := range rfc4226 {
		var msg [8]byte
		binary.BigEndian.PutUint64(msg[:], uint64(c))
		m := hmac.New(sha1.New, []byte(rfc4226Secret))
		m.Write(msg[:])
		h := m.Sum(nil)
		if hex.EncodeToString(h) != want.hmac {
			t.Fatalf("counter %d: HMAC %x, want %s", c, h, want.hmac)
		}
		if got := DynamicTruncate(h); got != want.truncated {
			t.Errorf("counter %d: DT %d, want %d", c, got, want.truncated)
		}
		if got := FormatOTP(HOTP([]byte(rfc4226Secret), uint64(c), 6), 6); got != want.otp {
			t.Errorf("counter %d: HOTP %s, want %s", c, got, want.otp)
		}
		// 7 and 8 digits are the same truncation, reduced less.
		if got := HOTP([]byte(rfc4226Secret), uint64(c), 8); got != want.truncated%100_000_000 {
			t.Errorf("counter %d: 8-digit HOTP %d", c, got)
		}
	}
}

// RFC 6238 Appendix B: T0 = 0, X = 30, 8 digits, with the per-hash seeds of
// the reference code (erratum 2866).
var rfc6238 = []struct {
	unix                 int64
	step                 uint64
	sha1, sha256, sha512 string
}{
	{59, 0x1, "94287082", "46119246", "90693936"},
	{1111111109, 0x23523EC, "07081804", "68084774", "25091201"},
	{1111111111, 0x23523ED, "14050471", "67062674", "99943326"},
	{1234567890, 0x273EF07, "89005924", "91819424", "93441116"},
	{2000000000, 0x3F940AA, "69279037", "90698825", "38618901"},
	{20000000000, 0x27BC86AA, "65353130", "77737706", "47863826"},
}

func rfc6238Seed(h OTPHash) []byte {
	n := map[OTPHash]int{OTPSHA1: 20, OTPSHA256: 32, OTPSHA512: 64}[h]
	return bytes.Repeat([]byte("1234567890"), 7)[:n]
}

func TestTOTPRFC6238AppendixB(t *testing.T) {
	rows := 0
	for _, v := range rfc6238 {
		at := time.Unix(v.unix, 0)
		if got := TOTPCounter(at); got != v.step {
			t.Errorf("time %d: step %#x, want %#x", v.unix, got, v.step)
		}
		for h, want := range map[OTPHash]string{OTPSHA1: v.sha1, OTPSHA256: v.sha256, OTPSHA512: v.sha512} {
			if got := FormatOTP(TOTP(h, rfc6238Seed(h), at, 8), 8); got != want {
				t.Errorf("time %d %v: TOTP %s, want %s", v.unix, h, got, want)
			}
			rows++
		}
	}
	if rows != 18 {
		t.Fatalf("%d rows checked, want 18", rows)
	}
}

func TestTOTPCounterEdges(t *testing.T) {
	for unix, want := range map[int64]uint64{-1: 0, 0: 0, 29: 0, 30: 1, 59: 1, 60: 2} {
		if got := TOTPCounter(time.Unix(unix, 999_999_999)); got != want {
			t.Errorf("TOTPCounter(%d.999s) = %d, want %d", unix, got, want)
		}
	}
}

// DT takes its offset from the last byte, whatever the hash length.
func TestDynamicTruncateOffsetFromLastByte(t *testing.T) {
	h := make([]byte, 32)
	for i := range h {
		h[i] = byte(i)
	}
	for o := range 16 {
		h[31] = 0xf0 | byte(o)
		want := binary.BigEndian.Uint32(h[o:]) & 0x7fffffff
		if got := DynamicTruncate(h); got != want {
			t.Fatalf("offset %d: %#x, want %#x", o, got, want)
		}
	}
	h[0] = 0xff
	h[31] = 0
	if DynamicTruncate(h)>>31 != 0 {
		t.Fatal("top bit not cleared")
	}
}

func TestOTPHashNames(t *testing.T) {
	for _, h := range []OTPHash{OTPSHA1, OTPSHA256, OTPSHA512} {
		if p, ok := ParseOTPHash(h.String()); !ok || p != h {
			t.Errorf("ParseOTPHash(%q) = %v, %v", h, p, ok)
		}
	}
	if _, ok := ParseOTPHash("md5"); ok {
		t.Error("md5 accepted")
	}
}

func TestOTPDigitsOutOfRangePanics(t *testing.T) {
	for _, d := range []int{0, 5, 9, 10} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%d digits did not panic", d)
				}
			}()
			HOTP([]byte(rfc4226Secret), 0, d)
		}()
	}
}
