package state

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"net/netip"
	"time"
)

// schemaVersion is the layout described in the package documentation. A file
// with a higher number was written by a newer spad and is refused.
const schemaVersion uint32 = 1

// MaxClientName is the longest client name, in bytes, the store accepts.
const MaxClientName = 255

const (
	nonceLen    = 24
	grantKeyLen = 16 + 1 + 2
	i64Len      = 8
	crcLen      = 4
)

var (
	bucketMeta     = []byte("meta")
	bucketReplay   = []byte("replay")
	bucketMaxTS    = []byte("maxts")
	bucketGrants   = []byte("grants")
	bucketCounters = []byte("counters")
	keySchema      = []byte("schema")
)

// allBuckets lists every top-level bucket of schema 1. A file holding any
// other top-level bucket is treated as corrupt.
var allBuckets = [][]byte{bucketMeta, bucketReplay, bucketMaxTS, bucketGrants, bucketCounters}

// castagnoli is the CRC-32C table; read-only after initialisation.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func checkClient(client string) error {
	if len(client) == 0 || len(client) > MaxClientName {
		return fmt.Errorf("state: client name must be 1 to %d bytes, got %d", MaxClientName, len(client))
	}
	return nil
}

// seal appends CRC-32C(bucket || key || val) to val. Every record value but
// the schema version ends with this checksum, so damaged bytes, or a record
// moved to another key or bucket, are detected on load.
func seal(bucket, key, val []byte) []byte {
	c := crc32.Update(crc32.Update(crc32.Checksum(bucket, castagnoli), castagnoli, key), castagnoli, val)
	return binary.BigEndian.AppendUint32(val, c)
}

// unseal checks and strips the checksum of a record value.
func unseal(bucket, key, v []byte) ([]byte, error) {
	if len(v) < crcLen {
		return nil, corruptf("%s record of %d bytes", bucket, len(v))
	}
	val := v[:len(v)-crcLen]
	c := crc32.Update(crc32.Update(crc32.Checksum(bucket, castagnoli), castagnoli, key), castagnoli, val)
	if binary.BigEndian.Uint32(v[len(val):]) != c {
		return nil, corruptf("%s record %x: checksum mismatch", bucket, key)
	}
	return val, nil
}

// replayKeyBytes encodes a replay key: client name || nonce.
func replayKeyBytes(client string, nonce *[nonceLen]byte) []byte {
	k := make([]byte, 0, len(client)+nonceLen)
	k = append(k, client...)
	return append(k, nonce[:]...)
}

// decodeReplayKey splits a replay key into client name and nonce.
func decodeReplayKey(k []byte) (string, [nonceLen]byte, error) {
	var nonce [nonceLen]byte
	n := len(k) - nonceLen
	if n < 1 || n > MaxClientName {
		return "", nonce, corruptf("replay key of %d bytes", len(k))
	}
	copy(nonce[:], k[n:])
	return string(k[:n]), nonce, nil
}

// sealedU64 encodes an 8-byte value with its checksum.
func sealedU64(bucket, key []byte, v uint64) []byte {
	return seal(bucket, key, binary.BigEndian.AppendUint64(make([]byte, 0, i64Len+crcLen), v))
}

// getU64 decodes a value written by sealedU64.
func getU64(bucket, key, v []byte) (uint64, error) {
	val, err := unseal(bucket, key, v)
	if err != nil {
		return 0, err
	}
	if len(val) != i64Len {
		return 0, corruptf("%s value of %d bytes, want %d", bucket, len(val), i64Len)
	}
	return binary.BigEndian.Uint64(val), nil
}

func getI64(bucket, key, v []byte) (int64, error) {
	u, err := getU64(bucket, key, v)
	return int64(u), err
}

// grantKeyBytes encodes a grant key: address as 16 bytes || proto || port.
// IPv4 addresses are stored IPv4-mapped and come back unmapped.
func grantKeyBytes(k grantKey) []byte {
	a := k.addr.As16()
	b := make([]byte, 0, grantKeyLen)
	b = append(b, a[:]...)
	b = append(b, k.proto)
	return binary.BigEndian.AppendUint16(b, k.port)
}

// grantValueBytes encodes a grant value: i64 expiry (unix ms) || client name
// || checksum.
func grantValueBytes(key []byte, g Grant) []byte {
	b := make([]byte, 0, i64Len+len(g.Client)+crcLen)
	b = binary.BigEndian.AppendUint64(b, uint64(g.Expires.UnixMilli()))
	return seal(bucketGrants, key, append(b, g.Client...))
}

func decodeGrant(k, v []byte) (Grant, error) {
	if len(k) != grantKeyLen {
		return Grant{}, corruptf("grant key of %d bytes, want %d", len(k), grantKeyLen)
	}
	val, err := unseal(bucketGrants, k, v)
	if err != nil {
		return Grant{}, err
	}
	n := len(val) - i64Len
	if n < 1 || n > MaxClientName {
		return Grant{}, corruptf("grant value of %d bytes", len(v))
	}
	return Grant{
		Client:  string(val[i64Len:]),
		Addr:    netip.AddrFrom16([16]byte(k[:16])).Unmap(),
		Proto:   k[16],
		Port:    binary.BigEndian.Uint16(k[17:]),
		Expires: time.UnixMilli(int64(binary.BigEndian.Uint64(val))),
	}, nil
}
