package remotewrite

import (
	"encoding/binary"
	"math/bits"
)

// A snappy block (github.com/google/snappy, format_description.txt) is the
// uncompressed length as a uvarint, then elements, each a tag byte whose
// two low bits say what follows:
//
//	00 literal: length-1 in the tag's six high bits when below 60, else
//	   60..63 say it follows in 1..4 little-endian bytes; then the bytes
//	01 copy of 4..11 bytes from an offset below 2048: length-4 in bits
//	   2-4, the offset's high three bits in bits 5-7, its low byte next
//	10 copy of 1..64 bytes: length-1 in the six high bits, then a 2-byte
//	   little-endian offset
//	11 the same with a 4-byte offset (never needed here: see maxBlock)
//
// The encoder works on 64 KiB blocks, so offsets fit two bytes and a hash
// table of 16-bit positions will do. It finds matches as the format's
// reference encoder does: hash each 4-byte sequence to the last position
// it was seen at, and, the longer it goes without a match, the more
// positions it skips, so that incompressible data passes quickly.
const (
	maxBlock   = 1 << 16
	tableBits  = 14
	minCompact = 17 // shorter blocks are written as one literal
	// inputMargin keeps the match search's 4-byte loads, and the look
	// past a match, inside the block.
	inputMargin = 16 - 1
)

// AppendSnappy appends to dst src compressed in snappy's block format (what
// remote write's Content-Encoding: snappy means, not the framed stream
// format) and returns the extended slice. src must be shorter than 4 GiB,
// the format's limit.
func AppendSnappy(dst, src []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(src)))
	for len(src) > 0 {
		b := src
		if len(b) > maxBlock {
			b = b[:maxBlock]
		}
		src = src[len(b):]
		if len(b) < minCompact {
			dst = appendLiteral(dst, b)
		} else {
			dst = appendBlock(dst, b)
		}
	}
	return dst
}

func load32(b []byte, i int) uint32 { return binary.LittleEndian.Uint32(b[i:]) }

func hash4(u uint32) uint32 { return (u * 0x1e35a7bd) >> (32 - tableBits) }

// appendBlock compresses src, minCompact to maxBlock bytes long.
func appendBlock(dst, src []byte) []byte {
	var table [1 << tableBits]uint16 // hash -> last position seen
	limit := len(src) - inputMargin
	emitted := 0 // src[:emitted] is in dst
	s := 1
	next := hash4(load32(src, s))
	for {
		// Look for a 4-byte match at s, stepping further the longer
		// none is found (32 misses per extra byte of step).
		misses := 32
		var cand int
		for {
			step := misses >> 5
			misses++
			if s+step > limit {
				return appendLiteral(dst, src[emitted:])
			}
			cand = int(table[next])
			table[next] = uint16(s)
			cur := s
			s += step
			next = hash4(load32(src, s))
			if load32(src, cur) == load32(src, cand) {
				s = cur
				break
			}
		}
		dst = appendLiteral(dst, src[emitted:s])
		// Emit the match, then try for another one right after it
		// before going back to searching.
		for {
			start := s
			s += 4
			for s < len(src) && src[s] == src[s-start+cand] {
				s++
			}
			dst = appendCopy(dst, start-cand, s-start)
			emitted = s
			if s >= limit {
				return appendLiteral(dst, src[emitted:])
			}
			table[hash4(load32(src, s-1))] = uint16(s - 1)
			h := hash4(load32(src, s))
			cand = int(table[h])
			table[h] = uint16(s)
			if load32(src, s) != load32(src, cand) {
				s++
				next = hash4(load32(src, s))
				break
			}
		}
	}
}

// appendLiteral appends lit (possibly empty: then nothing) as literals.
func appendLiteral(dst, lit []byte) []byte {
	if len(lit) == 0 {
		return dst
	}
	n := uint32(len(lit) - 1)
	if n < 60 {
		dst = append(dst, byte(n)<<2)
	} else {
		size := (bits.Len32(n) + 7) / 8 // 1..4 bytes
		dst = append(dst, byte(59+size)<<2)
		for i := 0; i < size; i++ {
			dst = append(dst, byte(n>>(8*i)))
		}
	}
	return append(dst, lit...)
}

// appendCopy appends a copy of length bytes (4 or more) from offset back
// (1 to maxBlock-1).
func appendCopy(dst []byte, offset, length int) []byte {
	// Long matches go out as 64-byte copies, keeping the rest at 4 or
	// more (a 1-byte-offset copy cannot be shorter).
	for length >= 68 {
		dst = append(dst, 63<<2|2, byte(offset), byte(offset>>8))
		length -= 64
	}
	if length > 64 {
		dst = append(dst, 59<<2|2, byte(offset), byte(offset>>8))
		length -= 60
	}
	if length >= 12 || offset >= 2048 {
		return append(dst, byte(length-1)<<2|2, byte(offset), byte(offset>>8))
	}
	return append(dst, byte(offset>>8)<<5|byte(length-4)<<2|1, byte(offset))
}
