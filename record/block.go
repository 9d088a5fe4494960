package record

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// Version is the format version this package writes and the newest it
// reads. Version 2 added pressure, cgroup and sensor records and the
// processes' I/O rates and cgroups; version 1 recordings read as before,
// without them.
const Version = 2

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// segMagic starts every segment file: a high byte and CR LF, SUB, LF catch
// files mangled as text, as PNG's signature does.
var segMagic = [8]byte{0x89, 'V', 'T', 'R', '\r', '\n', 0x1a, '\n'}

// blkMagic starts every block header; a reader that meets a damaged header
// searches forward for it.
var blkMagic = [4]byte{'V', 'T', 'B', 0xb1}

const (
	blockHeaderSize = 44
	segFixed        = 14 // magic, version, info length
	maxSegInfo      = 64 << 10
	// maxRaw bounds a block's decoded size, so a forged header cannot make
	// a reader allocate without limit (a keyframe of 100,000 processes is
	// about 10 MiB).
	maxRaw = 64 << 20
)

// Block flags.
const (
	flagKeyframe = 1 << 0
	codecMask    = 0xf0
	codecStored  = 0 << 4
	codecFlate   = 1 << 4
)

// blockHeader is the fixed 44-byte header before every block's payload.
type blockHeader struct {
	flags   byte
	kinds   uint16
	samples uint32
	plen    uint32 // payload bytes on disk
	rlen    uint32 // payload bytes decoded
	first   int64  // unix ns of the block's first moment
	last    int64  // unix ns of its last moment
	pcrc    uint32 // CRC-32C of the payload
}

func (h *blockHeader) marshal(b []byte) {
	_ = b[blockHeaderSize-1]
	copy(b, blkMagic[:])
	b[4] = h.flags
	b[5] = 0
	binary.LittleEndian.PutUint16(b[6:], h.kinds)
	binary.LittleEndian.PutUint32(b[8:], h.samples)
	binary.LittleEndian.PutUint32(b[12:], h.plen)
	binary.LittleEndian.PutUint32(b[16:], h.rlen)
	binary.LittleEndian.PutUint64(b[20:], uint64(h.first))
	binary.LittleEndian.PutUint64(b[28:], uint64(h.last))
	binary.LittleEndian.PutUint32(b[36:], h.pcrc)
	binary.LittleEndian.PutUint32(b[40:], crc32.Checksum(b[:40], castagnoli))
}

// parseBlockHeader checks the magic and the header's own checksum: a
// header that passes can be trusted to skip its payload without reading
// it.
func parseBlockHeader(b []byte) (blockHeader, error) {
	if len(b) < blockHeaderSize || !bytes.Equal(b[:4], blkMagic[:]) {
		return blockHeader{}, errCorrupt
	}
	if crc32.Checksum(b[:40], castagnoli) != binary.LittleEndian.Uint32(b[40:]) {
		return blockHeader{}, errCorrupt
	}
	h := blockHeader{
		flags: b[4], kinds: binary.LittleEndian.Uint16(b[6:]), samples: binary.LittleEndian.Uint32(b[8:]),
		plen: binary.LittleEndian.Uint32(b[12:]), rlen: binary.LittleEndian.Uint32(b[16:]),
		first: int64(binary.LittleEndian.Uint64(b[20:])), last: int64(binary.LittleEndian.Uint64(b[28:])),
		pcrc: binary.LittleEndian.Uint32(b[36:]),
	}
	if b[5] != 0 || h.rlen > maxRaw || h.plen > maxRaw+maxRaw/8 {
		return blockHeader{}, errCorrupt
	}
	switch h.flags & codecMask {
	case codecStored:
		if h.plen != h.rlen {
			return blockHeader{}, errCorrupt
		}
	case codecFlate:
		// Deflate expands at most 1032:1: a bigger claim is a lie.
		if uint64(h.rlen) > uint64(h.plen)*1032+64 {
			return blockHeader{}, errCorrupt
		}
	default:
		return blockHeader{}, errCorrupt
	}
	return h, nil
}

// segInfo is what a segment header says about the recording.
type segInfo struct {
	version int
	created int64 // unix ns
	host    hostStatic
}

// VersionError says a recording was written in a format version newer
// than this program reads.
type VersionError struct {
	Path    string
	Version int // the file's version
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("record: %s is format version %d, this virgo-top reads versions up to %d: read it with a newer virgo-top",
		e.Path, e.Version, Version)
}

// ErrNewerVersion matches a *VersionError with errors.Is.
var ErrNewerVersion = errors.New("record: recording from a newer format version")

// Is makes errors.Is(err, ErrNewerVersion) true.
func (e *VersionError) Is(target error) bool { return target == ErrNewerVersion }

func marshalSegHeader(info *segInfo) []byte {
	var e enc
	e.varint(info.created)
	info.host.encode(&e)
	b := make([]byte, segFixed, segFixed+len(e.b)+4)
	copy(b, segMagic[:])
	binary.LittleEndian.PutUint16(b[8:], uint16(info.version))
	binary.LittleEndian.PutUint32(b[10:], uint32(len(e.b)))
	b = append(b, e.b...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// errNotSegment: the file does not start with a segment's magic.
var errNotSegment = errors.New("not a recording segment")

// errShort: fewer bytes than the header announces (a segment being
// created, or torn).
var errShort = errors.New("short segment header")

// parseSegHeader decodes a segment header from the start of b and returns
// its size. A newer version is refused before anything else is read: its
// header may have another shape.
func parseSegHeader(b []byte) (segInfo, int, error) {
	if len(b) < len(segMagic) || !bytes.Equal(b[:8], segMagic[:]) {
		if len(b) < len(segMagic) && bytes.HasPrefix(segMagic[:], b) {
			return segInfo{}, 0, errShort
		}
		return segInfo{}, 0, errNotSegment
	}
	if len(b) < segFixed {
		return segInfo{}, 0, errShort
	}
	info := segInfo{version: int(binary.LittleEndian.Uint16(b[8:]))}
	if info.version > Version {
		return info, 0, &VersionError{Version: info.version}
	}
	if info.version < 1 {
		return info, 0, errCorrupt
	}
	n := binary.LittleEndian.Uint32(b[10:])
	if n > maxSegInfo {
		return info, 0, errCorrupt
	}
	size := segFixed + int(n) + 4
	if len(b) < size {
		return info, 0, errShort
	}
	if crc32.Checksum(b[:size-4], castagnoli) != binary.LittleEndian.Uint32(b[size-4:]) {
		return info, 0, errCorrupt
	}
	d := &dec{b: b[segFixed : size-4]}
	info.created = d.varint()
	info.host.decode(d)
	if d.err != nil {
		return info, 0, errCorrupt
	}
	return info, size, nil
}

// compressor deflates block payloads with one reused flate.Writer.
type compressor struct {
	fw  *flate.Writer
	out bytes.Buffer
}

// flateLevel: 3 is the fastest level of flate's 788 KiB compressor
// (BestSpeed allocates 1,172 KiB and compresses less; levels 4 to 9 save
// under 0.6% more for more CPU). doc.go has the measured figures.
var flateLevel = 3

func newCompressor() *compressor {
	c := &compressor{}
	c.fw, _ = flate.NewWriter(&c.out, flateLevel) // only fails for a bad level
	return c
}

// block frames raw as one block (header and payload) appended to dst.
// The payload is stored uncompressed when deflate would not make it
// smaller.
func (c *compressor) block(dst []byte, h blockHeader, raw []byte) []byte {
	c.out.Reset()
	c.fw.Reset(&c.out)
	_, _ = c.fw.Write(raw) // a bytes.Buffer never fails
	_ = c.fw.Close()
	payload := c.out.Bytes()
	h.flags = h.flags&^codecMask | codecFlate
	if len(payload) >= len(raw) {
		payload = raw
		h.flags = h.flags&^codecMask | codecStored
	}
	h.plen, h.rlen = uint32(len(payload)), uint32(len(raw))
	h.pcrc = crc32.Checksum(payload, castagnoli)
	n := len(dst)
	dst = append(dst, make([]byte, blockHeaderSize)...)
	h.marshal(dst[n:])
	return append(dst, payload...)
}

// payloadOK checks a payload against its header's length and checksum.
func payloadOK(h *blockHeader, p []byte) bool {
	return uint32(len(p)) == h.plen && crc32.Checksum(p, castagnoli) == h.pcrc
}

// decompressor inflates payloads with one reused flate reader.
type decompressor struct {
	fr  io.ReadCloser
	src bytes.Reader
	out []byte
}

// payload checks a block's payload against its header and returns it
// decoded. The result is valid until the next call.
func (dc *decompressor) payload(h *blockHeader, p []byte) ([]byte, error) {
	if !payloadOK(h, p) {
		return nil, errCorrupt
	}
	if h.flags&codecMask == codecStored {
		return p, nil
	}
	dc.src.Reset(p)
	if dc.fr == nil {
		dc.fr = flate.NewReader(&dc.src)
	} else if err := dc.fr.(flate.Resetter).Reset(&dc.src, nil); err != nil {
		return nil, errCorrupt
	}
	if cap(dc.out) < int(h.rlen) {
		dc.out = make([]byte, h.rlen)
	}
	out := dc.out[:h.rlen]
	if _, err := io.ReadFull(dc.fr, out); err != nil {
		return nil, errCorrupt
	}
	var one [1]byte
	if n, err := dc.fr.Read(one[:]); n != 0 || err != io.EOF {
		return nil, errCorrupt
	}
	return out, nil
}
