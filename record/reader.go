package record

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"sort"
	"sync"
	"time"
)

// Errors of a Reader.
var (
	// ErrNoRecording: the path holds no segment (not a recording, or one
	// whose writer has written nothing yet).
	ErrNoRecording = errors.New("record: no recording here")
	// ErrNoData: nothing was recorded at or before the time asked (or no
	// transition before/after it).
	ErrNoData = errors.New("record: nothing recorded at that time")
)

// Reader reads a recording: a directory of segments, or one segment file
// (copied from another host, say). It takes no lock and writes nothing, so
// it reads while a Writer appends: every query lists the segments again
// and sees the blocks complete at that time (a block being written is
// ignored until it is whole). A Reader is safe for concurrent use; its
// memory does not grow with the recording's length.
type Reader struct {
	path   string
	single bool

	mu    sync.Mutex
	infos map[string]segMeta // segment headers read so far, by file name
}

type segMeta struct {
	info segInfo
	hlen int64
	bad  bool // unreadable header
}

// Open opens the recording at path (a directory or a segment file). It
// fails with ErrNoRecording when there is no segment, and with a
// *VersionError (errors.Is(err, ErrNewerVersion)) when a segment is of a
// newer format version.
func Open(path string) (*Reader, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	r := &Reader{path: path, single: !fi.IsDir(), infos: map[string]segMeta{}}
	segs, err := r.segments()
	if err != nil {
		return nil, err
	}
	if len(segs) == 0 {
		return nil, fmt.Errorf("%w: %s has no segment (*%s)", ErrNoRecording, path, segExt)
	}
	good := 0
	for _, s := range segs {
		if !s.bad {
			good++
		}
	}
	if good == 0 {
		return nil, fmt.Errorf("%w: %s: no readable segment header (%d damaged)", ErrNoRecording, path, len(segs))
	}
	return r, nil
}

// seg is one segment as a query sees it.
type seg struct {
	segFile
	segMeta
}

// segments lists the segments and reads the headers not read before. A
// segment of a newer version is an error, whatever its place.
func (r *Reader) segments() ([]seg, error) {
	var files []segFile
	if r.single {
		files = []segFile{{name: r.path, path: r.path}}
	} else {
		var err error
		if files, err = listSegments(r.path); err != nil {
			return nil, fmt.Errorf("record: %w", err)
		}
	}
	out := make([]seg, 0, len(files))
	for _, f := range files {
		r.mu.Lock()
		m, ok := r.infos[f.name]
		r.mu.Unlock()
		if !ok {
			var err error
			m, err = readMeta(f.path)
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed by retention meanwhile
			}
			if errors.Is(err, errShort) {
				continue // being created: not cached, read again next time
			}
			if err != nil {
				return nil, err
			}
			r.mu.Lock()
			r.infos[f.name] = m
			r.mu.Unlock()
		}
		if r.single {
			f.start = m.info.created
		}
		out = append(out, seg{f, m})
	}
	if !r.single {
		// Forget the segments retention removed.
		present := make(map[string]bool, len(files))
		for _, f := range files {
			present[f.name] = true
		}
		r.mu.Lock()
		for name := range r.infos {
			if !present[name] {
				delete(r.infos, name)
			}
		}
		r.mu.Unlock()
	}
	return out, nil
}

func readMeta(path string) (segMeta, error) {
	fl, err := os.Open(path)
	if err != nil {
		return segMeta{}, err
	}
	defer fl.Close()
	fi, err := fl.Stat()
	if err != nil {
		return segMeta{}, err
	}
	info, hlen, err := readSegHeader(fl, fi.Size())
	var ve *VersionError
	switch {
	case errors.As(err, &ve):
		ve.Path = path
		return segMeta{}, ve
	case errors.Is(err, errShort):
		return segMeta{}, err
	case err != nil:
		return segMeta{bad: true}, nil
	}
	return segMeta{info: info, hlen: int64(hlen)}, nil
}

// openSeg opens a segment for reading: the file and its current size.
func openSeg(s *seg) (*os.File, int64, error) {
	f, err := os.Open(s.path)
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, fi.Size(), nil
}

// blocks lists the valid block headers of a segment.
func blocksOf(s *seg) ([]blockRef, scanResult, error) {
	if s.bad {
		return nil, scanResult{}, nil
	}
	f, size, err := openSeg(s)
	if err != nil {
		return nil, scanResult{}, err
	}
	defer f.Close()
	var refs []blockRef
	res := scanBlocks(f, s.hlen, size, func(b blockRef) bool { refs = append(refs, b); return true })
	return refs, res, nil
}

func isData(b *blockRef) bool { return b.kinds&bRollup == 0 }

// dataBlocks keeps the data blocks of refs (in place): rollup blocks
// stand apart, and their times run behind the data blocks around them.
func dataBlocks(refs []blockRef) []blockRef {
	data := refs[:0]
	for _, b := range refs {
		if isData(&b) {
			data = append(data, b)
		}
	}
	return data
}

// decoder reads blocks of one segment in order into a state.
type decoder struct {
	st   *state
	dc   decompressor
	buf  []byte
	f    *os.File
	bad  int  // blocks skipped as damaged
	lost bool // the chain is broken: skip delta blocks until a keyframe
}

func newDecoder(f *os.File) *decoder {
	return &decoder{st: newState(), lost: true, f: f}
}

// apply reads, checks and applies one data block.
func (d *decoder) apply(b *blockRef, at hook) (stopped bool) {
	if b.gap {
		d.bad++ // the damaged region before it, as one block
		d.lost = true
		d.st.snap = nil
	}
	if b.flags&flagKeyframe != 0 {
		d.lost = false
	}
	if d.lost {
		return false
	}
	if cap(d.buf) < int(b.plen) {
		d.buf = make([]byte, b.plen)
	}
	p := d.buf[:b.plen]
	var raw []byte
	_, err := d.f.ReadAt(p, b.off+blockHeaderSize)
	if err == nil {
		raw, err = d.dc.payload(&b.blockHeader, p)
	}
	if err == nil {
		stopped, err = d.st.apply(raw, &b.blockHeader, at)
	}
	if err != nil {
		// The moment in progress is incomplete: drop it, and everything
		// until the next keyframe.
		d.bad++
		d.lost = true
		d.st.snap = nil
		return false
	}
	return stopped
}

// segIndex returns the index of the last segment starting at or before
// ns, or -1.
func segIndex(segs []seg, ns int64) int {
	return sort.Search(len(segs), func(i int) bool { return segs[i].start > ns }) - 1
}

// Span returns the times of the first and the last recorded sample.
func (r *Reader) Span() (from, to time.Time, err error) {
	segs, err := r.segments()
	if err != nil {
		return from, to, err
	}
	for i := range segs {
		refs, _, err := blocksOf(&segs[i])
		if err != nil {
			continue
		}
		if ns, ok := firstSample(refs); ok {
			from = fromNS(ns)
			break
		}
	}
	for i := len(segs) - 1; i >= 0; i-- {
		refs, _, err := blocksOf(&segs[i])
		if err != nil {
			continue
		}
		if ns, ok := lastSample(refs); ok {
			to = fromNS(ns)
			break
		}
	}
	if from.IsZero() || to.IsZero() {
		return time.Time{}, time.Time{}, ErrNoData
	}
	return from, to, nil
}

// firstSample is the moment of the first sample in refs: the first moment
// of the first block that holds a sample and starts with one (any block
// started by a sample does; its first moment is that sample's time).
func firstSample(refs []blockRef) (int64, bool) {
	for i := range refs {
		if isData(&refs[i]) && refs[i].samples > 0 {
			return refs[i].first, true
		}
	}
	return 0, false
}

func lastSample(refs []blockRef) (int64, bool) {
	for i := len(refs) - 1; i >= 0; i-- {
		if isData(&refs[i]) && refs[i].samples > 0 {
			return refs[i].last, true
		}
	}
	return 0, false
}

// At returns the frame of the moment at or before t: the last sample
// recorded at or before t, the process table, checks, alarms and links as
// of then, and the events of that moment. ErrNoData when nothing was
// recorded at or before t. It seeks by segment name, then by block
// headers to the last keyframe before t, and decodes from there (at most
// a few minutes of data).
func (r *Reader) At(t time.Time) (*Frame, error) {
	segs, err := r.segments()
	if err != nil {
		return nil, err
	}
	ns := t.UnixNano()
	// The moment may lie in an earlier segment when the one for t starts
	// after a damaged keyframe, or its first sample is after t.
	for i := segIndex(segs, ns); i >= 0; i-- {
		f, err := r.frameIn(&segs[i], ns)
		if err != nil {
			return nil, err
		}
		if f != nil {
			return f, nil
		}
	}
	return nil, ErrNoData
}

// frameIn decodes the frame at ns from one segment, trying its keyframes
// from the last one at or before ns backwards until one leads to a
// sample at or before ns; nil if none does.
func (r *Reader) frameIn(s *seg, ns int64) (*Frame, error) {
	refs, _, err := blocksOf(s)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	f, _, err := openSeg(s)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	defer f.Close()
	// Data blocks only: a rollup block's time (its minute) runs behind
	// the data blocks around it, and the search needs increasing times.
	refs = dataBlocks(refs)
	// The last data block starting at or before ns.
	end := sort.Search(len(refs), func(i int) bool { return refs[i].first > ns })
	at := func(t int64) bool { return t <= ns }
	// decode applies blocks from keyframe k, stopping before block stop;
	// it returns the frame, or the index of a damaged block.
	decode := func(k, stop int) (*Frame, int) {
		d := newDecoder(f)
		for j := k; j < stop; j++ {
			b := &refs[j]
			if !isData(b) {
				continue
			}
			if b.first > ns && b.flags&flagKeyframe != 0 {
				break
			}
			bad := d.bad
			if d.apply(b, at) {
				break
			}
			if d.bad > bad && d.lost {
				return nil, j
			}
		}
		return d.st.frame(), -1
	}
	tries := 0
	for k := end - 1; k >= 0 && tries < 3; k-- {
		if !isData(&refs[k]) || refs[k].flags&flagKeyframe == 0 {
			continue
		}
		tries++
		fr, bad := decode(k, len(refs))
		if bad > k {
			// Damage between the keyframe and ns: the moment before it.
			fr, _ = decode(k, bad)
		}
		if fr != nil {
			return fr, nil
		}
	}
	return nil, nil
}

// errStop ends a Range early from inside.
var errStop = errors.New("stop")

// After returns the frame of the first moment after t (the console's
// `]`; `[` is At(t - 1ns)), ErrNoData when there is none yet.
func (r *Reader) After(t time.Time) (*Frame, error) {
	var out *Frame
	err := r.Range(t.Add(1), time.Unix(0, math.MaxInt64), func(f *Frame) error {
		out = f
		return errStop
	})
	switch {
	case err == errStop:
		return out, nil
	case err != nil:
		return nil, err
	}
	return nil, ErrNoData
}

// Range calls fn with every frame whose sample time is within [from, to],
// in order, reading the recording as a stream (memory does not grow with
// the span). A frame is complete when the next sample is read: the last
// frame of a live recording has the events recorded so far. fn returning
// an error stops Range, which returns it. Damaged blocks are skipped,
// with the frames that depend on them.
func (r *Reader) Range(from, to time.Time, fn func(*Frame) error) error {
	segs, err := r.segments()
	if err != nil {
		return err
	}
	lo, hi := from.UnixNano(), to.UnixNano()
	var fnErr error
	var emitted uint64 // the seq of the last sample emitted
	emit := func(st *state) bool {
		if st.snap != nil && st.seq != emitted && st.sampleNS >= lo && st.sampleNS <= hi {
			emitted = st.seq
			fnErr = fn(st.frame())
		}
		return fnErr == nil
	}
	for i := max(segIndex(segs, lo), 0); i < len(segs); i++ {
		s := &segs[i]
		if s.start > hi {
			break
		}
		refs, _, err := blocksOf(s)
		if err != nil {
			continue
		}
		f, _, err := openSeg(s)
		if err != nil {
			continue
		}
		refs = dataBlocks(refs)
		d := newDecoder(f)
		emitted = 0
		// Start at the last keyframe at or before from.
		k := 0
		for j := range refs {
			if refs[j].first > lo {
				break
			}
			if isData(&refs[j]) && refs[j].flags&flagKeyframe != 0 {
				k = j
			}
		}
		stop := false
		// Before each sample, the moment of the previous one is complete.
		at := func(t int64) bool {
			if !emit(d.st) || t > hi {
				stop = true
				return false
			}
			return true
		}
		for j := k; j < len(refs) && !stop; j++ {
			b := &refs[j]
			if !isData(b) {
				continue
			}
			// A block that starts a later moment completes the current
			// one: emit it now, so that damage in this block cannot take
			// it along.
			if d.st.snap != nil && b.first > d.st.sampleNS && !emit(d.st) {
				break
			}
			d.apply(b, at)
		}
		if !stop {
			// The segment's last moment (a new segment starts with a
			// sample, so nothing of this moment follows).
			emit(d.st)
		}
		f.Close()
		if stop || fnErr != nil {
			break
		}
	}
	return fnErr
}

// Trends calls fn with the per-minute points of every trend series for
// the minutes that start within [from, to]: each series' points in time
// order (series interleave). The open minute is not recorded yet; the
// points of a minute split by a writer restart are merged. It reads only
// the small rollup blocks: a day takes a few milliseconds.
func (r *Reader) Trends(from, to time.Time, fn func(series string, p Point)) error {
	segs, err := r.segments()
	if err != nil {
		return err
	}
	lo, hi := from.UnixNano(), to.UnixNano()
	pend := map[string]Point{}
	var order []string
	add := func(name string, p Point) {
		if q, ok := pend[name]; ok {
			if q.Start.Equal(p.Start) {
				n := q.Count + p.Count
				if n > 0 {
					q.Avg = (q.Avg*float64(q.Count) + p.Avg*float64(p.Count)) / float64(n)
				}
				q.Min, q.Max, q.Last, q.Count = min(q.Min, p.Min), max(q.Max, p.Max), p.Last, n
				pend[name] = q
				return
			}
			fn(name, q)
		} else {
			order = append(order, name)
		}
		pend[name] = p
	}
	var dc decompressor
	var buf []byte
	for i := max(segIndex(segs, lo), 0); i < len(segs); i++ {
		s := &segs[i]
		if s.start > hi+int64(time.Hour) {
			break // a minute's point is written after the minute, maybe in the next segment
		}
		refs, _, err := blocksOf(s)
		if err != nil {
			continue
		}
		f, _, err := openSeg(s)
		if err != nil {
			continue
		}
		for j := range refs {
			b := &refs[j]
			if b.kinds != bRollup || b.first < lo || b.first > hi {
				continue
			}
			if cap(buf) < int(b.plen) {
				buf = make([]byte, b.plen)
			}
			p := buf[:b.plen]
			if _, err := f.ReadAt(p, b.off+blockHeaderSize); err != nil {
				continue
			}
			raw, err := dc.payload(&b.blockHeader, p)
			if err != nil {
				continue
			}
			_ = readRollups(raw, b.first, add)
		}
		f.Close()
	}
	for _, name := range order {
		fn(name, pend[name])
	}
	return nil
}

// PrevTransition returns the last alarm transition recorded in a moment
// before the moment of before (pass the previous result's Moment to go
// further back), ErrNoData when there is none. It reads block headers and
// decompresses only the blocks that hold transitions.
func (r *Reader) PrevTransition(before time.Time) (Transition, error) {
	return r.transition(before.UnixNano(), -1)
}

// NextTransition returns the first alarm transition recorded in a moment
// after the moment of after, ErrNoData when there is none.
func (r *Reader) NextTransition(after time.Time) (Transition, error) {
	return r.transition(after.UnixNano(), +1)
}

func (r *Reader) transition(ns int64, dir int) (Transition, error) {
	segs, err := r.segments()
	if err != nil {
		return Transition{}, err
	}
	var dc decompressor
	var buf []byte
	// found scans one block; for dir < 0 it keeps the last match, for
	// dir > 0 the first.
	scan := func(f *os.File, b *blockRef) (Transition, bool) {
		if cap(buf) < int(b.plen) {
			buf = make([]byte, b.plen)
		}
		p := buf[:b.plen]
		if _, err := f.ReadAt(p, b.off+blockHeaderSize); err != nil {
			return Transition{}, false
		}
		raw, err := dc.payload(&b.blockHeader, p)
		if err != nil {
			return Transition{}, false
		}
		var best Transition
		found := false
		_ = scanTransitions(raw, b.first, func(tr Transition) bool {
			m := tr.Moment.UnixNano()
			switch {
			case dir < 0 && m < ns:
				best, found = tr, true
			case dir > 0 && m > ns:
				best, found = tr, true
				return false
			}
			return true
		})
		return best, found
	}
	if dir < 0 {
		for i := min(segIndex(segs, ns), len(segs)-1); i >= 0; i-- {
			refs, _, err := blocksOf(&segs[i])
			if err != nil {
				continue
			}
			f, _, err := openSeg(&segs[i])
			if err != nil {
				continue
			}
			for j := len(refs) - 1; j >= 0; j-- {
				b := &refs[j]
				if b.kinds&bAlarm == 0 || b.first >= ns {
					continue
				}
				if tr, ok := scan(f, b); ok {
					f.Close()
					return tr, nil
				}
			}
			f.Close()
		}
		return Transition{}, ErrNoData
	}
	for i := max(segIndex(segs, ns), 0); i < len(segs); i++ {
		refs, _, err := blocksOf(&segs[i])
		if err != nil {
			continue
		}
		f, _, err := openSeg(&segs[i])
		if err != nil {
			continue
		}
		for j := range refs {
			b := &refs[j]
			if b.kinds&bAlarm == 0 || b.last <= ns {
				continue
			}
			if tr, ok := scan(f, b); ok {
				f.Close()
				return tr, nil
			}
		}
		f.Close()
	}
	return Transition{}, ErrNoData
}

// scanTransitions calls fn with each alarm transition of a block's
// payload and the moment it belongs to, without decoding samples.
func scanTransitions(raw []byte, first int64, fn func(Transition) bool) error {
	d := &dec{b: raw}
	clock := first
	for len(d.b) > 0 {
		k := d.byte1()
		n := d.uvarint()
		if d.err != nil || n > uint64(len(d.b)) {
			return errCorrupt
		}
		body := dec{b: d.bytesN(int(n))}
		switch k {
		case kSample:
			clock += body.varint()
		case kAlarm:
			var a AlarmTransition
			a.Time = fromNS(clock + body.varint())
			flags := body.byte1()
			a.CheckID, a.Alarm, a.From, a.To, a.Message = body.str(), body.str(), body.str(), body.str(), body.str()
			if body.err != nil {
				return errCorrupt
			}
			// A restatement (From == To: a state restored after a restart)
			// sets the state but is no transition to travel to.
			if flags&fRestated == 0 && a.From != a.To && !fn(Transition{AlarmTransition: a, Moment: fromNS(clock)}) {
				return nil
			}
		}
		if body.err != nil {
			return errCorrupt
		}
	}
	return nil
}

// Info describes the recording: span, size, samples and the damage found.
// It reads every block header and checks every payload's checksum
// (reading the whole recording once, without decompressing it).
func (r *Reader) Info() (Info, error) {
	segs, err := r.segments()
	if err != nil {
		return Info{}, err
	}
	inf := Info{Path: r.path, Segments: len(segs)}
	var buf []byte
	for i := range segs {
		s := &segs[i]
		if s.bad {
			inf.BadSegments++
			if fi, err := os.Stat(s.path); err == nil {
				inf.Bytes += fi.Size()
			}
			continue
		}
		f, size, err := openSeg(s)
		if err != nil {
			continue
		}
		inf.Bytes += size
		inf.Host, inf.Version = s.info.host.Hostname, s.info.version
		res := scanBlocks(f, s.hlen, size, func(b blockRef) bool {
			if cap(buf) < int(b.plen) {
				buf = make([]byte, b.plen)
			}
			p := buf[:b.plen]
			if _, err := f.ReadAt(p, b.off+blockHeaderSize); err != nil || !payloadOK(&b.blockHeader, p) {
				inf.SkippedBlocks++
				return true
			}
			inf.Blocks++
			if isData(&b) && b.samples > 0 {
				inf.Samples += int64(b.samples)
				if inf.From.IsZero() {
					inf.From = fromNS(b.first)
				}
				inf.To = fromNS(b.last)
			}
			return true
		})
		inf.SkippedBlocks += res.bad
		if res.tornAt >= 0 {
			inf.TornTails++
		}
		f.Close()
	}
	if inf.Samples > 0 {
		inf.BytesPerSample = float64(inf.Bytes) / float64(inf.Samples)
	}
	return inf, nil
}
