package state

import (
	"encoding/binary"
	"io"

	bolt "go.etcd.io/bbolt"
)

// bbolt trusts the pages it reads: a damaged page pointer can send a cursor
// into an endless descent (a cycle, eating all memory) or outside the file
// (a fault). Before the state file is read through bbolt, checkPages walks
// its tree of pages the way a read transaction would and verifies that every
// page is reached at most once, lies below the high-water mark, and has
// every element inside its bounds. The layout is bbolt's on-disk format (in
// the machine's byte order, as bbolt writes it):
//
//	page header  id u64 | flags u16 | count u16 | overflow u32   (16 bytes)
//	branch elem  pos u32 | ksize u32 | pgid u64                   (16 bytes)
//	leaf elem    flags u32 | pos u32 | ksize u32 | vsize u32      (16 bytes)
//	bucket value root pgid u64 | sequence u64 [| inline leaf page if root = 0]
//
// pos is relative to the element's own offset.
const (
	pageHeaderLen  = 16
	pageElemLen    = 16
	bucketHdrLen   = 16
	branchFlag     = 0x01
	leafFlag       = 0x02
	bucketLeafFlag = 0x01
	maxTreeDepth   = 64
)

var native = binary.NativeEndian

type pageWalker struct {
	r        io.ReaderAt
	pageSize uint64
	hwm      uint64 // first page id past the end of the data
	seen     map[uint64]bool
}

// checkPages verifies the page tree seen by tx, reading the file through r.
func checkPages(tx *bolt.Tx, r io.ReaderAt) error {
	w := &pageWalker{
		r:        r,
		pageSize: uint64(tx.DB().Info().PageSize),
		seen:     make(map[uint64]bool),
	}
	w.hwm = uint64(tx.Size()) / w.pageSize
	return w.walk(uint64(tx.Cursor().Bucket().Root()), 0)
}

func (w *pageWalker) walk(id uint64, depth int) error {
	if depth > maxTreeDepth {
		return corruptf("page tree deeper than %d at page %d", maxTreeDepth, id)
	}
	if id < 2 || id >= w.hwm {
		return corruptf("page id %d out of range [2, %d)", id, w.hwm)
	}
	var hdr [pageHeaderLen]byte
	if _, err := w.r.ReadAt(hdr[:], int64(id*w.pageSize)); err != nil {
		return corruptf("reading page %d: %v", id, err)
	}
	overflow := uint64(native.Uint32(hdr[12:]))
	if native.Uint64(hdr[0:]) != id || id+overflow >= w.hwm {
		return corruptf("page %d: bad header", id)
	}
	for i := id; i <= id+overflow; i++ {
		if w.seen[i] {
			return corruptf("page %d reached twice", i)
		}
		w.seen[i] = true
	}
	p := make([]byte, (overflow+1)*w.pageSize)
	if _, err := w.r.ReadAt(p, int64(id*w.pageSize)); err != nil {
		return corruptf("reading page %d: %v", id, err)
	}
	return w.page(p, id, depth)
}

// page checks one page (or an inline bucket's page) held in p.
func (w *pageWalker) page(p []byte, id uint64, depth int) error {
	flags, count := native.Uint16(p[8:]), int(native.Uint16(p[10:]))
	if pageHeaderLen+count*pageElemLen > len(p) {
		return corruptf("page %d: %d elements overflow the page", id, count)
	}
	switch flags {
	case branchFlag:
		if count == 0 {
			return corruptf("page %d: empty branch", id)
		}
		for i := range count {
			off := pageHeaderLen + i*pageElemLen
			e := p[off:]
			if !inPage(p, off, native.Uint32(e[0:]), native.Uint32(e[4:]), 0) {
				return corruptf("page %d: branch key %d out of bounds", id, i)
			}
			if err := w.walk(native.Uint64(e[8:]), depth+1); err != nil {
				return err
			}
		}
	case leafFlag:
		for i := range count {
			off := pageHeaderLen + i*pageElemLen
			e := p[off:]
			pos, ksize, vsize := native.Uint32(e[4:]), native.Uint32(e[8:]), native.Uint32(e[12:])
			if !inPage(p, off, pos, ksize, vsize) {
				return corruptf("page %d: leaf element %d out of bounds", id, i)
			}
			if native.Uint32(e[0:])&bucketLeafFlag == 0 {
				continue
			}
			start := off + int(pos) + int(ksize)
			if err := w.bucket(p[start:start+int(vsize)], id, depth); err != nil {
				return err
			}
		}
	default:
		return corruptf("page %d: unexpected flags %#x", id, flags)
	}
	return nil
}

// bucket checks a bucket value found on page id.
func (w *pageWalker) bucket(v []byte, id uint64, depth int) error {
	if len(v) < bucketHdrLen {
		return corruptf("page %d: bucket value of %d bytes", id, len(v))
	}
	if root := native.Uint64(v); root != 0 {
		return w.walk(root, depth+1)
	}
	inline := v[bucketHdrLen:]
	if len(inline) < pageHeaderLen || native.Uint16(inline[8:]) != leafFlag || depth > maxTreeDepth {
		return corruptf("page %d: bad inline bucket", id)
	}
	return w.page(inline, id, depth+1)
}

// inPage says whether an element at off with key and value at off+pos lies
// inside p.
func inPage(p []byte, off int, pos, ksize, vsize uint32) bool {
	end := uint64(off) + uint64(pos) + uint64(ksize) + uint64(vsize)
	return end <= uint64(len(p))
}
