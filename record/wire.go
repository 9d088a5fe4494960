package record

import (
	"encoding/binary"
	"errors"
	"math"
)

// errCorrupt is what every decoder returns for bytes that do not decode:
// the block (or header) is counted as damaged and skipped, never a panic.
var errCorrupt = errors.New("corrupt data")

// enc appends the primitive encodings of the format to a byte slice.
type enc struct{ b []byte }

func (e *enc) byte1(v byte) { e.b = append(e.b, v) }

// uvarint, varint and str are kept out of line: inlined at each of their
// hundred call sites they added some 40 KB to the binary for no
// measurable speed.
//
//go:noinline
func (e *enc) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }

//go:noinline
func (e *enc) varint(v int64) { e.b = binary.AppendVarint(e.b, v) }

// delta appends cur-prev (wrapping) as a zigzag varint: counters near 2^64
// and quantized negative values round-trip exactly.
func (e *enc) delta(cur, prev uint64) { e.varint(int64(cur - prev)) }

//go:noinline
func (e *enc) str(s string) {
	e.uvarint(uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *enc) boolean(v bool) {
	if v {
		e.byte1(1)
	} else {
		e.byte1(0)
	}
}

func (e *enc) f32(v float64) {
	e.b = binary.LittleEndian.AppendUint32(e.b, math.Float32bits(float32(v)))
}

// dec reads what enc wrote. The first error sticks: callers check err
// once after a group of reads, and every read after an error returns zero
// values without touching the input, so a short or hostile input can
// never index out of range.
type dec struct {
	b   []byte
	err error
}

func (d *dec) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.b = nil
}

func (d *dec) byte1() byte {
	if len(d.b) < 1 {
		d.fail()
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *dec) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a length that announces at least min bytes per element, so
// a forged count can never allocate more than the input could hold.
func (d *dec) count(minBytes int) int {
	n := d.uvarint()
	if minBytes < 1 {
		minBytes = 1
	}
	if n > uint64(len(d.b)/minBytes) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *dec) bytesN(n int) []byte {
	if n < 0 || n > len(d.b) {
		d.fail()
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *dec) str() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return ""
	}
	return string(d.bytesN(int(n)))
}

func (d *dec) boolean() bool {
	switch d.byte1() {
	case 0:
		return false
	case 1:
		return true
	}
	d.fail()
	return false
}

func (d *dec) f32() float64 {
	b := d.bytesN(4)
	if len(b) < 4 {
		return 0
	}
	return float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
}

// Quantization (documented in doc.go): percentages, load, CPU seconds and
// per-second counts are kept to 0.01, byte rates to 1 B/s. Non-finite
// values become 0 (the collector never produces them).

const maxQ = 1 << 62

func quant(v float64, scale float64) uint64 {
	x := math.Round(v * scale)
	switch {
	case x != x: // NaN
		return 0
	case x > maxQ:
		x = maxQ
	case x < -maxQ:
		x = -maxQ
	}
	return uint64(int64(x))
}

func unquant(q uint64, scale float64) float64 { return float64(int64(q)) / scale }

// The quantizers of doc.go's table, and their inverses.
func q100(v float64) uint64       { return quant(v, 100) }
func uq100(q uint64) float64      { return unquant(q, 100) }
func q1(v float64) uint64         { return quant(v, 1) }
func uq1(q uint64) float64        { return unquant(q, 1) }
func i64(v int64) uint64          { return uint64(v) }
func asI64(q uint64) int64        { return int64(q) }
func clampInt(v int64) int        { return int(max(min(v, math.MaxInt32), math.MinInt32)) }
func clampInt32(v int64) int32    { return int32(max(min(v, math.MaxInt32), math.MinInt32)) }
func clampUint32(v uint64) uint32 { return uint32(min(v, math.MaxUint32)) }
