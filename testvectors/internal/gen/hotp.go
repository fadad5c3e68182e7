package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

// rfc4226 is RFC 4226 Appendix D as published: Table 1 (HMAC-SHA-1 values),
// Table 2 (truncated values, decimal) and the 6-digit HOTP values, for
// counters 0-9 with the secret "12345678901234567890".
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

// hotpVectors computes HOTP for counters 0-9 and fails unless every value
// equals the RFC's.
func hotpVectors() (map[string]any, error) {
	secret := []byte("12345678901234567890")
	out := map[string]any{}
	for c, want := range rfc4226 {
		m := hmac.New(sha1.New, secret)
		m.Write(binary.BigEndian.AppendUint64(nil, uint64(c)))
		sum := m.Sum(nil)
		off := sum[len(sum)-1] & 0x0f
		trunc := binary.BigEndian.Uint32(sum[off:]) & 0x7fffffff
		otp := fmt.Sprintf("%06d", trunc%1000000)
		wantHMAC, err := hex.DecodeString(want.hmac)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(sum, wantHMAC) || trunc != want.truncated || otp != want.otp {
			return nil, fmt.Errorf("hotp counter %d: computed %x %d %s, rfc 4226 says %s %d %s",
				c, sum, trunc, otp, want.hmac, want.truncated, want.otp)
		}
		out[fmt.Sprintf("rfc4226_d_counter%d", c)] = &hotpJSON{
			Comment:   fmt.Sprintf("RFC 4226 Appendix D, count %d", c),
			Secret:    secret,
			Counter:   uint64(c),
			HMACSHA1:  sum,
			Truncated: trunc,
			Digits:    6,
			OTP:       otp,
		}
	}
	return out, nil
}
