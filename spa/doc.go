// Package spa implements the spa single-packet-authorization wire protocol,
// version 1, as specified in SPEC.md beside this file: key derivation, the
// body codec, sealing, and the packet-only verification steps 1 to 6
// (length, key hint, MAC, decryption, strict parsing, freshness).
//
// A packet is one UDP payload of 157 (small bucket) or 285 (large bucket)
// bytes, all integers big-endian:
//
//	offset  length  field
//	0       1       hdr         0x11 XOR mask (version 1, suite 1)
//	1       4       hint        HMAC(k_hint, "hint" || u64(epoch))[0:4]
//	5       24      nonce       random; the replay identifier
//	29      L       ciphertext  body XOR XChaCha20(k_enc, nonce), L = 112 or 240
//	29+L    16      tag         HMAC(k_mac, "spa1" || server_id || packet[0:29] || ciphertext)[0:16]
//
// The construction is encrypt-then-MAC: the tag is compared in constant time
// before any decryption, and every MAC failure is the same opaque
// [ReasonAuth].
//
// The package is pure: it does no I/O, keeps no package-level state, and
// never reads the clock or a random source on its own. Callers pass the time
// and the randomness in, which is what makes the test vectors reproducible.
// Rejections are [Reason] values, a closed set that is also the set of
// metric labels; they are errors, and [ReasonOf] extracts them from wrapped
// errors.
package spa
