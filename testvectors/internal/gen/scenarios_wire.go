package main

import "fmt"

// wireScenarios are rejected before decryption: steps 1-3 of SPEC.md §7.
func wireScenarios() []scenario {
	truncate := func(n int) func([]byte) []byte { return func(p []byte) []byte { return p[:n] } }
	flip := func(off int, bit byte) func([]byte) []byte {
		return func(p []byte) []byte {
			i := off
			if i < 0 {
				i += len(p)
			}
			p[i] ^= bit
			return p
		}
	}
	return []scenario{
		// Step 1: length.
		sc("malformed_empty", "malformed", "an empty datagram", func(s *scenario) { s.wire = truncate(0) }, "length"),
		sc("malformed_one_byte", "malformed", "the first byte of a valid packet", func(s *scenario) { s.wire = truncate(1) }, "length"),
		sc("malformed_truncated", "malformed", "a valid small packet without its last byte (156 bytes)", func(s *scenario) { s.wire = truncate(156) }, "length"),
		sc("malformed_extra_byte", "malformed", "a valid small packet followed by one zero byte (158 bytes)", func(s *scenario) {
			s.wire = func(p []byte) []byte { return append(p, 0) }
		}, "length"),
		sc("malformed_large_truncated", "malformed", "a valid large packet without its last byte (284 bytes)", func(s *scenario) {
			s.m.size = largeBody
			s.wire = truncate(284)
		}, "length", "large-bucket"),
		sc("malformed_1500_bytes", "malformed", "a valid small packet followed by 1343 pseudo-random bytes (1500 bytes)", func(s *scenario) {
			s.wire = func(p []byte) []byte { return append(p, filler("spa test vectors: filler", 1500-len(p))...) }
		}, "length"),

		// Step 3: header. The tag is valid over the bytes as sent.
		sc("malformed_version2", "malformed", "unmasked header 0x21 (version 2, suite 1), masked with the right mask and covered by a valid tag", func(s *scenario) {
			s.hdr = 0x21
		}, "header"),
		sc("malformed_suite3", "malformed", "unmasked header 0x13 (version 1, suite 3), masked with the right mask and covered by a valid tag", func(s *scenario) {
			s.hdr = 0x13
		}, "header"),
		sc("malformed_header_not_masked", "malformed", "hdr sent as 0x11 without the mask (the mask of this epoch is not 0), covered by a valid tag", func(s *scenario) {
			_, mask := hintFor(senderKeys(s.secret, s.server).hint, epoch(s.m.ts))
			s.hdr = hdrV1Suite1 ^ mask
		}, "header"),

		// Step 2: hint.
		sc("unknown_key_other_secret", "unknown_key", "sealed with client secret A, but the verifier holds the K_cs of another secret for this client (verifier_key)", func(s *scenario) {
			s.verifierKey = clientServerKey(secretB, serverID(s.server))
		}, "key"),
		sc("unknown_key_other_server", "unknown_key", "sealed for bastion-a, verified by bastion-b, which derives its own K_cs from the same client secret: the hints differ", func(s *scenario) {
			s.verifier = serverB
		}, "key", "server-id"),
		sc("unknown_key_epoch_past", "unknown_key", "ts two epochs before now: its hint is outside the table epoch(now - W) .. epoch(now + W), so the lookup fails before freshness is checked", func(s *scenario) {
			s.m.ts = s.now - 2*epochMs
		}, "epoch"),
		sc("unknown_key_epoch_future", "unknown_key", "ts three epochs after now: its hint is outside the table", func(s *scenario) {
			s.m.ts = s.now + 3*epochMs
		}, "epoch"),

		// Step 3: MAC.
		sc("auth_tag_last_byte_flipped", "auth", "the last tag byte XOR 0x01", func(s *scenario) { s.wire = flip(-1, 0x01) }, "tag"),
		sc("auth_tag_first_byte_flipped", "auth", "the first tag byte XOR 0x80", func(s *scenario) { s.wire = flip(-tagLen, 0x80) }, "tag"),
		sc("auth_tag_large_flipped", "auth", "large bucket, the last tag byte XOR 0x01", func(s *scenario) {
			s.m.size = largeBody
			s.wire = flip(-1, 0x01)
		}, "tag", "large-bucket"),
		sc("auth_ciphertext_bit_flipped", "auth", "one ciphertext bit flipped (byte 29 + 9, inside ts)", func(s *scenario) {
			s.wire = flip(headLen+9, 0x04)
		}, "ciphertext"),
		sc("auth_nonce_bit_flipped", "auth", "one nonce bit flipped (the last nonce byte XOR 0x01); the nonce field holds the nonce used for sealing", func(s *scenario) {
			s.wire = flip(headLen-1, 0x01)
		}, "nonce"),
		sc("auth_other_server_same_key", "auth", "sealed for bastion-a, verified by bastion-b holding the same K_cs: hint and mask match, but server_id is in the MAC input", func(s *scenario) {
			s.verifier = serverB
			s.verifierKey = clientServerKey(s.secret, serverID(s.server))
		}, "server-id"),
	}
}

// filler is n deterministic pseudo-random bytes, the concatenation of
// SHA-256(label + " " + decimal i) for i = 0, 1, ...
func filler(label string, n int) []byte {
	var out []byte
	for i := 0; len(out) < n; i++ {
		out = append(out, digest(fmt.Sprintf("%s %d", label, i))...)
	}
	return out[:n]
}
