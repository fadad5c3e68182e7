// Package keys holds the long-lived key material of spa and stores it as text
// and in files.
//
// # Roles
//
// There are three kinds of value (SPEC.md §2–§3):
//
//   - A [ClientSecret] S is 32 random bytes, one per client. It is secret and
//     never leaves the client (and the enrolment tool that created it).
//   - A [ServerID] is the public identity of a server, derived from its name.
//   - A [ClientServerKey] K_cs is what a server holds for one enrolled client,
//     derived from S and the server's identity with [ClientSecret.ForServer].
//     It is secret, but it is only good for that one server.
//
// The secret types never print themselves: String, GoString, Format and
// LogValue all give a redacted placeholder, and they implement no marshalling
// interface, so fmt, log/slog and encoding/json cannot leak them by accident.
// The only way to get a secret as text is its Encode method; the only way to
// get a client-server key's raw bytes is [ClientServerKey.Bytes].
//
// # Text encoding
//
// Each value has a text form, which is a file format other programs rely on:
//
//	text     = prefix || lower-case base32(value || checksum)
//	checksum = SHA-256(prefix || value)[0:4]
//
// where value is the 32-byte key, base32 is RFC 4648 with the standard alphabet
// and no padding (58 characters), and prefix is "spa-client-secret-",
// "spa-client-key-" or "spa-server-id-". The prefix names the role, so a key
// cannot be used in the wrong place by mistake, and the checksum catches typos.
// Parsing trims surrounding white space, requires the prefix exactly, accepts
// the base32 part in either case, and rejects an all-zero value. Errors about
// secrets never contain any part of the text that was parsed.
//
// # Files
//
// Secret files are created with mode 0600 and never overwritten
// ([WriteSecretFile]). On Unix, [ReadSecretFile] refuses a file that its group
// or others may access, and any file that is not a regular file or is larger
// than 1 MiB. (Windows has no such mode bits; see [ReadSecretFile].)
//
// A client secret file ([WriteClientSecretFile], [ReadClientSecretFile]) is
// UTF-8 text in the style of age identity files: lines whose first non-blank
// character is '#' are comments, blank lines are ignored, and exactly one line
// holds the encoded client secret:
//
//	# created: 2025-01-02T03:04:05Z
//	# laptop
//	spa-client-secret-...
package keys
