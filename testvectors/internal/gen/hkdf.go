package main

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// rfc5869 is RFC 5869 Appendix A test cases 1-3 (SHA-256) as published.
var rfc5869 = []struct {
	name, comment   string
	ikm, salt, info string
	length          int
	prk, okm        string
}{
	{
		"rfc5869_a1", "RFC 5869 A.1: basic test case with SHA-256",
		"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "000102030405060708090a0b0c", "f0f1f2f3f4f5f6f7f8f9", 42,
		"077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
		"3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
	},
	{
		"rfc5869_a2", "RFC 5869 A.2: SHA-256 with longer inputs and outputs",
		seq(0x00, 80), seq(0x60, 80), seq(0xb0, 80), 82,
		"06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
		"b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c" +
			"59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71" +
			"cc30c58179ec3e87c14c01d5c1f3434f1d87",
	},
	{
		"rfc5869_a3", "RFC 5869 A.3: SHA-256 with zero-length salt and info",
		"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "", 42,
		"19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
		"8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
	},
}

// seq is the hex of n consecutive byte values starting at first.
func seq(first byte, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = first + byte(i)
	}
	return hex.EncodeToString(b)
}

// hkdfVectors computes each case with crypto/hkdf and fails unless PRK and
// OKM equal the RFC's.
func hkdfVectors() (map[string]any, error) {
	out := map[string]any{}
	for _, c := range rfc5869 {
		ikm, salt, info := unhex(c.ikm), unhex(c.salt), unhex(c.info)
		prk, err := hkdf.Extract(sha256.New, ikm, salt)
		if err != nil {
			return nil, err
		}
		okm, err := hkdf.Expand(sha256.New, prk, string(info), c.length)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(prk, unhex(c.prk)) || !bytes.Equal(okm, unhex(c.okm)) {
			return nil, fmt.Errorf("%s: computed prk %x okm %x, rfc 5869 says prk %s okm %s", c.name, prk, okm, c.prk, c.okm)
		}
		out[c.name] = &hkdfJSON{Comment: c.comment, IKM: ikm, Salt: salt, Info: info, Length: c.length, PRK: prk, OKM: okm}
	}
	return out, nil
}

// unhex decodes a hex literal of this file.
func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	must(err)
	return b
}
