package record

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Segment file names are the UTC time of their first moment, to the
// nanosecond, so that they sort by time: 20260102T031205.000000000Z.vtr.
const (
	segExt     = ".vtr"
	segLayout  = "20060102T150405.000000000Z"
	lockName   = "writer.lock"
	segNameLen = len(segLayout) + len(segExt)
)

func segName(ns int64) string {
	return time.Unix(0, ns).UTC().Format(segLayout) + segExt
}

// segTime parses a segment file name; ok is false for any other file.
func segTime(name string) (int64, bool) {
	if len(name) != segNameLen || !strings.HasSuffix(name, segExt) {
		return 0, false
	}
	t, err := time.Parse(segLayout, name[:len(segLayout)])
	if err != nil {
		return 0, false
	}
	return t.UnixNano(), true
}

type segFile struct {
	name  string
	path  string
	start int64 // from the name
}

// listSegments returns the segments of dir, oldest first.
func listSegments(dir string) ([]segFile, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if _, ok := segTime(e.Name()); ok && e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	segs := make([]segFile, len(names))
	for i, n := range names {
		t, _ := segTime(n)
		segs[i] = segFile{name: n, path: filepath.Join(dir, n), start: t}
	}
	return segs, nil
}

// blockRef is one valid block header and where its payload is.
type blockRef struct {
	blockHeader
	off int64 // of the header
	gap bool  // damaged bytes were skipped before it: a delta block after them cannot be decoded
}

func (b *blockRef) end() int64 { return b.off + blockHeaderSize + int64(b.plen) }

// scanResult is what a walk over a segment's block headers found.
type scanResult struct {
	bad     int   // damaged regions skipped (each counts as one skipped block)
	tornAt  int64 // where a torn tail starts (an incomplete block or garbage up to the end); -1 if none
	endGood int64 // the end of the last valid block
}

// scanBlocks walks the block headers of a segment from off to size,
// calling fn with each valid one (fn returns false to stop). Payloads are
// not read. A damaged header is skipped by searching forward for the next
// valid one; damage with no valid block after it is a torn tail, as is a
// block whose payload runs past size (being written, or torn).
func scanBlocks(r io.ReaderAt, off, size int64, fn func(b blockRef) bool) scanResult {
	res := scanResult{tornAt: -1, endGood: off}
	var hb [blockHeaderSize]byte
	gap := false
	for off < size {
		if size-off < blockHeaderSize {
			res.tornAt = off
			return res
		}
		if _, err := r.ReadAt(hb[:], off); err != nil {
			res.tornAt = off
			return res
		}
		h, err := parseBlockHeader(hb[:])
		if err != nil {
			next := resync(r, off+1, size)
			if next < 0 {
				res.tornAt = off
				return res
			}
			res.bad++
			off = next
			gap = true
			continue
		}
		b := blockRef{blockHeader: h, off: off, gap: gap}
		gap = false
		if b.end() > size {
			res.tornAt = off
			return res
		}
		res.endGood = b.end()
		if !fn(b) {
			return res
		}
		off = b.end()
	}
	return res
}

// resync finds the next offset at or after off where a valid block header
// starts, or -1.
func resync(r io.ReaderAt, off, size int64) int64 {
	const chunk = 64 << 10
	buf := make([]byte, chunk+blockHeaderSize)
	for off < size {
		n, _ := r.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		if n < blockHeaderSize {
			return -1
		}
		b := buf[:n]
		for i := 0; i+blockHeaderSize <= len(b); {
			j := bytes.Index(b[i:], blkMagic[:])
			if j < 0 || i+j+blockHeaderSize > len(b) {
				break
			}
			i += j
			if h, err := parseBlockHeader(b[i : i+blockHeaderSize]); err == nil && off+int64(i)+blockHeaderSize+int64(h.plen) <= size {
				return off + int64(i)
			}
			i++
		}
		if int64(n) < int64(len(buf)) {
			return -1
		}
		off += chunk
	}
	return -1
}

func readSegHeader(r io.ReaderAt, size int64) (segInfo, int, error) {
	buf := make([]byte, min(size, 512))
	n, _ := r.ReadAt(buf, 0)
	info, hlen, err := parseSegHeader(buf[:n])
	if errors.Is(err, errShort) && size > int64(n) {
		// A header longer than 512 bytes (long host fields).
		need := min(size, segFixed+maxSegInfo+4)
		buf = make([]byte, need)
		n, _ = r.ReadAt(buf, 0)
		info, hlen, err = parseSegHeader(buf[:n])
	}
	return info, hlen, err
}
