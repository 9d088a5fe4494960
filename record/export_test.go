package record

import (
	"os"

	"github.com/virgo-top/virgo-top/collector"
	"sort"
	"time"
)

// Internals for the external tests and benchmarks (record_test), which
// use recordtest and so cannot live in this package.

// SetKeyframeEvery changes how often a block is a keyframe; it returns a
// func that restores it. Not for parallel tests.
func SetKeyframeEvery(d time.Duration) func() {
	old := keyframeEvery
	keyframeEvery = d
	return func() { keyframeEvery = old }
}

// SetQueue changes the writer queue's bounds (for writers opened after);
// it returns a func that restores them. Tests that push records faster
// than a writer drains them raise them so that nothing is dropped.
func SetQueue(items int, samples int32) func() {
	oldI, oldS := queueLen, maxQueuedSamples
	queueLen, maxQueuedSamples = items, samples
	return func() { queueLen, maxQueuedSamples = oldI, oldS }
}

// SetFlateLevel changes the compression level; it returns a func that
// restores it.
func SetFlateLevel(l int) func() {
	old := flateLevel
	flateLevel = l
	return func() { flateLevel = old }
}

// Block is a block's place in a segment file.
type Block struct {
	Off, End    int64 // header offset, end of payload
	Keyframe    bool
	Rollup      bool
	First, Last time.Time
	Samples     int
}

// Blocks lists the valid blocks of a segment file.
func Blocks(path string) ([]Block, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	_, hlen, err := readSegHeader(f, fi.Size())
	if err != nil {
		return nil, err
	}
	var out []Block
	scanBlocks(f, int64(hlen), fi.Size(), func(b blockRef) bool {
		out = append(out, Block{Off: b.off, End: b.end(), Keyframe: b.flags&flagKeyframe != 0, Rollup: b.kinds == bRollup,
			First: fromNS(b.first), Last: fromNS(b.last), Samples: int(b.samples)})
		return true
	})
	return out, nil
}

// Segments lists the segment files of dir, oldest first.
func Segments(dir string) ([]string, error) {
	segs, err := listSegments(dir)
	var out []string
	for _, s := range segs {
		out = append(out, s.path)
	}
	return out, err
}

// Breakdown sums, over a recording, the bytes on disk per block type and
// the raw (decoded) bytes per record kind: where the bytes go.
func Breakdown(dir string) (map[string]int64, error) {
	segs, err := listSegments(dir)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	var dc decompressor
	kindName := map[byte]string{kHost: "raw host", kSample: "raw sample", kProcs: "raw procs", kCheck: "raw check",
		kAlarm: "raw alarm", kLink: "raw link", kForget: "raw forget", kRollup: "raw rollup"}
	for _, s := range segs {
		f, err := os.Open(s.path)
		if err != nil {
			return nil, err
		}
		fi, _ := f.Stat()
		_, hlen, err := readSegHeader(f, fi.Size())
		if err != nil {
			f.Close()
			return nil, err
		}
		out["segment headers"] += int64(hlen)
		scanBlocks(f, int64(hlen), fi.Size(), func(b blockRef) bool {
			typ := "delta blocks"
			switch {
			case b.kinds == bRollup:
				typ = "rollup blocks"
			case b.flags&flagKeyframe != 0:
				typ = "keyframe blocks"
			}
			out[typ] += blockHeaderSize + int64(b.plen)
			out[typ+" (count)"]++
			p := make([]byte, b.plen)
			if _, err := f.ReadAt(p, b.off+blockHeaderSize); err != nil {
				return true
			}
			raw, err := dc.payload(&b.blockHeader, p)
			if err != nil {
				return true
			}
			d := &dec{b: raw}
			for len(d.b) > 0 && d.err == nil {
				k := d.byte1()
				n := d.uvarint()
				body := d.bytesN(int(n))
				name := kindName[k]
				if len(body) > 0 && (k == kCheck || k == kAlarm || k == kLink) {
					bd := &dec{b: body}
					bd.varint()
					if bd.byte1()&fRestated != 0 {
						name += " (restated)"
					}
				}
				if k == kProcs && len(body) > 0 {
					bd := &dec{b: body}
					bd.varint()
					if bd.uvarint()&tableFull != 0 {
						name += " (full)"
					}
				}
				out[name] += int64(len(body))
			}
			return true
		})
		f.Close()
	}
	return out, nil
}

// SortedKeys is for printing a Breakdown.
func SortedKeys(m map[string]int64) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// SyncWriter runs a Writer's work on the caller's goroutine, for
// benchmarks of the encoding itself.
type SyncWriter struct{ w *Writer }

// NewSyncWriter opens a writer without its goroutine; with discard, blocks
// are counted, not written.
func NewSyncWriter(opt Options, discard bool) (*SyncWriter, error) {
	w, err := newWriter(opt)
	if err != nil {
		return nil, err
	}
	w.g.discard = discard
	return &SyncWriter{w}, nil
}

func (s *SyncWriter) Sample(snap *collector.Snapshot) {
	s.w.queued.Add(1)
	s.w.g.handle(item{op: opSample, snap: snap})
}
func (s *SyncWriter) Check(r CheckResult)     { s.w.g.handle(item{op: opCheck, check: &r}) }
func (s *SyncWriter) Alarm(a AlarmTransition) { s.w.g.handle(item{op: opAlarm, alarm: &a}) }
func (s *SyncWriter) Link(l LinkEvent)        { s.w.g.handle(item{op: opLink, link: &l}) }
func (s *SyncWriter) Stats() Stats            { return s.w.Stats() }

// Close writes the open block and releases the directory.
func (s *SyncWriter) Close() {
	g := s.w.g
	g.replayEarly()
	g.emitRollup()
	g.flush()
	if g.seg != nil {
		g.seg.Close()
	}
	unlockDir(s.w.lock)
}
