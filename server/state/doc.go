// Package state is the durable state of spad: the replay cache (SPEC §9), the
// newest accepted timestamp per client (SPEC §8), the active firewall grants
// and the per-client knock counters, kept in one bbolt file (normally
// STATEDIR/spad.db) and mirrored in memory.
//
// # Replay cache
//
// [Store.CheckAndInsert] is SPEC §7 step 9: one atomic check-and-insert of
// (client, nonce) in a map under a mutex, then a durable write (bbolt Batch:
// concurrent inserts share one commit and fsync) before it returns nil. The
// slot is reserved in memory before the write, so concurrent copies get
// ErrReplay; a failed write releases it. Entries are bounded per client and
// globally; a full bound refuses new packets (ErrQuota) and never evicts a
// live entry.
//
// Expiry uses two clocks ([Clock]). An entry expires when its monotonic
// deadline (TTL after acceptance, from Clock.Mono) and its wall deadline
// (wall time at acceptance + TTL, the value recorded in the file) have both
// passed; see [Store.Sweep]. A forward wall-clock step therefore expires
// nothing early, and a backward step never shortens a life. On [Open] a
// record whose wall deadline has passed is dropped; any other gets the
// monotonic life min(deadline − now, TTL) and keeps its wall deadline.
//
// In memory an entry costs a 32-byte map slot and a 28-byte key in its
// one-second expiry bucket: about 80–87 bytes in all (TestMemoryPerEntry).
//
// # Concurrency
//
// Every method is safe for concurrent use. CheckAndInsert holds the store's
// mutex only for the in-memory check and reservation, never during file I/O,
// so the replay fast path (an existing entry) is a map lookup that does not
// allocate. Grant and counter writes are serialised among themselves, and
// readers see them only once committed. Read methods (MaxAccepted, Grants,
// ExpiredGrants, Counter, Stats) answer from memory, also after Close. The
// package has no package-level mutable state.
//
// # Files
//
// path.lock is flocked by the owning process for as long as the store is
// open; a second Open fails after about a second. Open reads path
// read-only, copies its live records into path.new, syncs it and renames it
// over path, so the daemon only ever writes to a file bbolt itself built.
// A corrupt path is renamed to path.corrupt-<unix seconds> and never deleted.
//
// # File layout (schema version 1)
//
// All integers are big-endian; i64 is two's complement; times are Unix
// milliseconds. Client names are 1 to [MaxClientName] bytes. crc is
// CRC-32C (Castagnoli) of bucket name || key || the value before it.
//
//	bucket    key                                      value
//	meta      "schema"                                 u32 schema version (1)
//	replay    client name || nonce (24 bytes)          i64 wall deadline || crc
//	maxts     client name                              i64 newest accepted ts || crc
//	grants    address (16 bytes, IPv4 mapped to IPv6)  i64 expiry || client name || crc
//	          || u8 proto || u16 port
//	counters  client name                              u64 knock counter || crc
//
// Any other bucket or meta key, a nested bucket, a record of the wrong size
// or with a bad crc, keys out of order, a damaged bbolt page tree or a schema
// version below 1 makes the file corrupt: Open moves it aside, starts a new
// one and reports [Recovery].Lost. A schema version above 1 is an error and
// the file is left alone.
package state
