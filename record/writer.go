package record

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/virgo-top/virgo-top/collector"
)

// Defaults of Options (the daemon's; a console recording its own session
// uses MaxAge 24 h and MaxBytes 100 MiB).
const (
	DefaultMaxAge          = 7 * 24 * time.Hour
	DefaultMaxBytes        = 500 << 20
	DefaultProcessInterval = 5 * time.Second
	DefaultFlushInterval   = 10 * time.Second
)

const (
	filePerm = 0o640
	dirPerm  = 0o750
	// maxBlockRaw ends a block early when its records grow past it.
	maxBlockRaw = 256 << 10
	// maxEarly bounds the events held before the first sample.
	maxEarly = 1024
	// maxSeries bounds the trend series rolled up per minute.
	maxSeries = 1024
	// warnEvery rate-limits the warnings of a paused recording.
	warnEvery = 5 * time.Minute
)

// queueLen bounds the records waiting for the writer goroutine, and
// maxQueuedSamples the snapshots among them (each holds a process table
// alive): beyond, records are dropped and counted. Variables for tests.
var (
	queueLen         = 256
	maxQueuedSamples = int32(32)
)

// keyframeEvery is how often a block is a keyframe: how far back a seek
// decodes, and how much a damaged block can take with it. The rest are
// delta blocks (see doc.go for the measured trade-off).
var keyframeEvery = 5 * time.Minute

// Options configure a Writer. Zero values take the defaults.
type Options struct {
	// Dir is the recording's directory (state_dir/record); created 0750
	// if missing.
	Dir string
	// MaxAge and MaxBytes bound the recording: the oldest segments are
	// removed first. Defaults DefaultMaxAge and DefaultMaxBytes.
	MaxAge   time.Duration
	MaxBytes int64
	// ProcessInterval is how often the process table is recorded (host
	// figures are recorded every sample). Default 5 s.
	ProcessInterval time.Duration
	// FlushInterval is how much recorded time a block holds before it is
	// written (and synced): what a crash or power cut can lose. Default
	// 10 s.
	FlushInterval time.Duration
	// Logger gets warnings (a paused recording, a repaired tail). Nil
	// discards them.
	Logger *slog.Logger
	// Group, when set and the group exists, owns the files (0640) and
	// directories (0750) so its members can read the recording; logged
	// once when it cannot be used.
	Group string
	// Mask masks secrets in command lines (and in check statuses, alarm
	// messages, link errors) before anything reaches the disk. Default
	// NewMasker() with no known secrets: pass NewMasker(token, ...) .
	Mask func(string) string
	// Series lists the trend series of a sample, rolled up per minute
	// for Reader.Trends. Default DefaultSeries; the agent passes its own
	// history series so both agree.
	Series func(s *collector.Snapshot, fn func(name string, v float64))
	// NoSync skips the fsync after each block: for generators and tests
	// only, as a power cut may then lose more than the last block.
	NoSync bool
}

// Errors of a Writer.
var (
	// ErrClosed: the Writer is closed.
	ErrClosed = errors.New("record: writer closed")
)

// Writer records samples, check results, alarm transitions and link
// events into a directory of segments. Its methods never block and never
// do I/O: they queue the record for one goroutine that owns the files
// (when the queue is full the record is dropped and counted in Stats).
// One Writer per directory (a lock); any number of Readers.
type Writer struct {
	opt  Options
	log  *slog.Logger
	lock *os.File

	queue   chan item
	queued  atomic.Int32 // samples in the queue
	quit    chan struct{}
	done    chan struct{}
	closed  atomic.Bool
	closing sync.Once
	err     error // from the writer goroutine, read after done

	nSamples, nChecks, nAlarms, nLinks atomic.Uint64
	dSamples, dChecks, dAlarms, dLinks atomic.Uint64
	nBlocks, nBytes, nSegments, nLost  atomic.Uint64
	nRemoved                           atomic.Uint64
	paused                             atomic.Pointer[string]

	g *wstate // owned by the writer goroutine
}

type op uint8

const (
	opSample op = iota
	opCheck
	opAlarm
	opLink
	opForget
	opFlush
)

type item struct {
	op    op
	snap  *collector.Snapshot
	check *CheckResult
	alarm *AlarmTransition
	link  *LinkEvent
	t     time.Time
	id    string
	done  chan error
}

// wstate is everything the writer goroutine owns.
type wstate struct {
	w    *Writer
	en   *encoder
	comp *compressor
	out  []byte

	seg      *os.File
	segOpen  bool // a segment is being written (seg, or a discarded one)
	segPath  string
	segSize  int64
	segHour  int64
	segMax   int64
	lastName string
	newSeg   bool // the open block starts a new segment

	needKey    bool  // the next block must be a keyframe (start, after a lost block)
	lastKey    int64 // moment of the last keyframe
	blockWall  time.Time
	lastProcNS int64
	lastCgNS   int64 // the last cgroup table recorded
	lastSensNS int64 // the last sensor readings recorded
	newest     int64 // the newest sample time, for retention by age

	// early holds the events recorded before the first sample (at most
	// maxEarly): they go in the first sample's moment, so that every block
	// starts at or before its samples.
	early     []item
	replaying bool

	rollMinute int64
	roll       []rollup
	rollIdx    map[string]int
	pendRoll   []pendingRollup

	discard bool // benchmarks: count the bytes, write nothing

	gid         int
	groupWarned bool
	lastErr     error
	lastWarn    time.Time
	lostSince   uint64
}

type pendingRollup struct {
	minute int64
	raw    []byte
}

// OpenWriter takes the directory's writer lock and starts the writer
// goroutine. When another process writes there it returns a *BusyError
// (errors.Is(err, ErrBusy)) naming its pid: read the recording instead. A
// recording from a newer format version is refused (*VersionError). The
// newest segment's torn tail, if any (a crash while writing), is
// truncated with a warning; recording itself starts a new segment.
func OpenWriter(opt Options) (*Writer, error) {
	w, err := newWriter(opt)
	if err != nil {
		return nil, err
	}
	go w.run()
	return w, nil
}

// newWriter does all of OpenWriter but start the writer goroutine.
func newWriter(opt Options) (*Writer, error) {
	if opt.Dir == "" {
		return nil, errors.New("record: no directory")
	}
	if opt.MaxAge <= 0 {
		opt.MaxAge = DefaultMaxAge
	}
	if opt.MaxBytes <= 0 {
		opt.MaxBytes = DefaultMaxBytes
	}
	if opt.ProcessInterval <= 0 {
		opt.ProcessInterval = DefaultProcessInterval
	}
	if opt.FlushInterval <= 0 {
		opt.FlushInterval = DefaultFlushInterval
	}
	if opt.Mask == nil {
		opt.Mask = NewMasker()
	}
	if opt.Series == nil {
		opt.Series = DefaultSeries
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	w := &Writer{opt: opt, log: log, queue: make(chan item, queueLen), quit: make(chan struct{}), done: make(chan struct{})}
	g := &wstate{w: w, en: newEncoder(opt.Mask), comp: newCompressor(), needKey: true, gid: -1, rollIdx: map[string]int{}}
	g.segMax = min(max(opt.MaxBytes/8, 16<<10), 64<<20)
	w.g = g

	created := false
	if _, err := os.Stat(opt.Dir); errors.Is(err, os.ErrNotExist) {
		created = true
	}
	if err := os.MkdirAll(opt.Dir, dirPerm); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	if created {
		_ = os.Chmod(opt.Dir, dirPerm) // whatever the umask
	}
	lock, err := lockDir(opt.Dir, filePerm)
	if err != nil {
		return nil, err
	}
	w.lock = lock
	if opt.Group != "" {
		gid, err := lookupGroup(opt.Group)
		if err != nil {
			g.warnGroup(fmt.Errorf("group %q: %w", opt.Group, err))
		} else {
			g.gid = gid
			g.chown(opt.Dir)
			g.chown(lock.Name())
		}
	}
	segs, err := listSegments(opt.Dir)
	if err == nil {
		err = g.check(segs)
	}
	if err != nil {
		unlockDir(lock)
		return nil, err
	}
	if len(segs) > 0 {
		g.lastName = segs[len(segs)-1].name
		g.repair(segs[len(segs)-1].path)
	}
	return w, nil
}

// check refuses a directory holding segments of a newer version: this
// writer would mix versions and its retention would remove newer data.
func (g *wstate) check(segs []segFile) error {
	for _, s := range segs {
		f, err := os.Open(s.path)
		if err != nil {
			continue
		}
		fi, err := f.Stat()
		if err == nil {
			_, _, err = readSegHeader(f, fi.Size())
		}
		f.Close()
		var ve *VersionError
		if errors.As(err, &ve) {
			ve.Path = s.path
			return ve
		}
	}
	return nil
}

// repair truncates the torn tail of the newest segment, left by a crash or
// a power cut in the middle of a block: an incomplete block, or a last
// block whose checksum fails. A segment with an incomplete header holds
// nothing and is removed.
func (g *wstate) repair(path string) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return
	}
	_, hlen, err := readSegHeader(f, fi.Size())
	if errors.Is(err, errShort) {
		f.Close()
		if os.Remove(path) == nil {
			g.w.log.Warn("record: removed a segment with an incomplete header (a crash while it was created)", "file", path)
		}
		return
	}
	if err != nil {
		g.w.log.Warn("record: the newest segment's header is damaged; it is left as it is", "file", path, "err", err)
		return
	}
	var last blockRef
	res := scanBlocks(f, int64(hlen), fi.Size(), func(b blockRef) bool { last = b; return true })
	cut := res.tornAt
	if last.off > 0 {
		p := make([]byte, last.plen)
		if _, err := f.ReadAt(p, last.off+blockHeaderSize); err != nil || !payloadOK(&last.blockHeader, p) {
			cut = last.off
		}
	}
	if cut < 0 {
		return
	}
	if err := f.Truncate(cut); err != nil {
		g.w.log.Warn("record: cannot truncate the torn tail of the newest segment; readers skip it", "file", path, "err", err)
		return
	}
	g.w.log.Warn("record: truncated a torn tail (a crash while writing); the rest of the recording is intact",
		"file", path, "at", cut, "bytes", fi.Size()-cut)
}

func (g *wstate) warnGroup(err error) {
	if !g.groupWarned {
		g.groupWarned = true
		g.w.log.Warn("record: the recording's group cannot be set; only its owner can read it", "err", err)
	}
}

func (g *wstate) chown(path string) {
	if g.gid < 0 {
		return
	}
	if err := chownGroup(path, g.gid); err != nil {
		g.warnGroup(err)
	}
}

func (w *Writer) send(it item, accepted, dropped *atomic.Uint64) {
	if w.closed.Load() {
		return
	}
	select {
	case w.queue <- it:
		accepted.Add(1)
	default:
		if it.op == opSample {
			w.queued.Add(-1)
		}
		dropped.Add(1)
	}
}

// Sample queues a snapshot: its host figures, and its process table when
// ProcessInterval has passed since the last one recorded. The snapshot
// must not be modified afterwards (the collector never does).
func (w *Writer) Sample(s *collector.Snapshot) {
	if s == nil || w.closed.Load() {
		return
	}
	if w.queued.Add(1) > maxQueuedSamples {
		w.queued.Add(-1)
		w.dSamples.Add(1)
		return
	}
	w.send(item{op: opSample, snap: s}, &w.nSamples, &w.dSamples)
}

// Check queues a check result (r.Metrics must not be modified afterwards).
func (w *Writer) Check(r CheckResult) { w.send(item{op: opCheck, check: &r}, &w.nChecks, &w.dChecks) }

// Alarm queues an alarm transition. A transition to "" removes the alarm
// from the recorded state (the alarm was deleted). One with From == To
// restates the alarm's state (an agent restarted with its alarms restored):
// it is part of the recorded state but not a transition that
// PrevTransition and NextTransition return.
func (w *Writer) Alarm(a AlarmTransition) {
	w.send(item{op: opAlarm, alarm: &a}, &w.nAlarms, &w.dAlarms)
}

// Link queues an endpoint link event.
func (w *Writer) Link(e LinkEvent) { w.send(item{op: opLink, link: &e}, &w.nLinks, &w.dLinks) }

// Forget queues the removal of a check and its alarms from the recorded
// state (the check was deleted), so replays after t no longer show it.
func (w *Writer) Forget(t time.Time, checkID string) {
	w.send(item{op: opForget, t: t, id: checkID}, &w.nChecks, &w.dChecks)
}

// Flush writes what is queued and the open block now, and waits until
// they are written and synced; it returns the write error if recording is
// paused. Unlike the other methods it blocks: for tests, generators and a
// console handing the recording over.
func (w *Writer) Flush() error {
	if w.closed.Load() {
		return ErrClosed
	}
	done := make(chan error, 1)
	select {
	case w.queue <- item{op: opFlush, done: done}:
	case <-w.done:
		return ErrClosed
	}
	select {
	case err := <-done:
		return err
	case <-w.done:
		return ErrClosed
	}
}

// Stats returns the writer's counters.
func (w *Writer) Stats() Stats {
	s := Stats{
		Samples: w.nSamples.Load(), Checks: w.nChecks.Load(), Alarms: w.nAlarms.Load(), Links: w.nLinks.Load(),
		DroppedSamples: w.dSamples.Load(), DroppedChecks: w.dChecks.Load(), DroppedAlarms: w.dAlarms.Load(), DroppedLinks: w.dLinks.Load(),
		Blocks: w.nBlocks.Load(), Bytes: w.nBytes.Load(), Segments: w.nSegments.Load(), LostBlocks: w.nLost.Load(),
		Removed: w.nRemoved.Load(),
	}
	if p := w.paused.Load(); p != nil {
		s.Paused = *p
	}
	return s
}

// Close writes what is queued and the open block, stops the writer
// goroutine and releases the lock. Records queued after Close are ignored.
func (w *Writer) Close() error {
	w.closing.Do(func() {
		w.closed.Store(true)
		close(w.quit)
		<-w.done
		unlockDir(w.lock)
	})
	return w.err
}

func (w *Writer) run() {
	defer close(w.done)
	g := w.g
	tick := time.NewTicker(w.opt.FlushInterval)
	defer tick.Stop()
	for {
		select {
		case it := <-w.queue:
			g.handle(it)
		case <-tick.C:
			if g.en.open && time.Since(g.blockWall) >= w.opt.FlushInterval {
				g.flush()
			}
		case <-w.quit:
			for drained := false; !drained; {
				select {
				case it := <-w.queue:
					g.handle(it)
				default:
					drained = true
				}
			}
			g.replayEarly()
			g.emitRollup()
			g.flush()
			if g.seg != nil {
				if err := g.seg.Close(); err != nil && w.err == nil {
					w.err = fmt.Errorf("record: %w", err)
				}
				g.seg, g.segOpen = nil, false
			}
			if w.err == nil && g.lastErr != nil {
				w.err = fmt.Errorf("record: %w", g.lastErr)
			}
			return
		}
	}
}

func (g *wstate) handle(it item) {
	en := g.en
	switch it.op {
	case opSample:
		g.w.queued.Add(-1)
		s := it.snap
		t := tns(s.Time)
		g.rollup(s, t)
		due, cgDue, sensDue := g.procsDue(s, t), g.cgroupsDue(s, t), g.sensorsDue(s, t)
		if en.open && (t-en.first >= int64(g.w.opt.FlushInterval) || len(en.buf.b) >= maxBlockRaw || (g.needKey && !en.keyframe)) {
			g.flush()
		}
		if !en.open {
			g.begin(t, true)
		}
		en.sample(s, due, cgDue, sensDue)
		if due {
			g.lastProcNS = t
		}
		if cgDue {
			g.lastCgNS = t
		}
		if sensDue {
			g.lastSensNS = t
		}
		g.newest = max(g.newest, t)
		g.replayEarly()
	case opFlush:
		g.replayEarly()
		g.flush()
		it.done <- g.lastErr
	default:
		if !en.everSampled && !g.replaying {
			if len(g.early) < maxEarly {
				g.early = append(g.early, it)
			} else {
				g.w.dropped(it.op).Add(1)
			}
			return
		}
		if !en.open {
			ns := en.clock
			if !en.everSampled {
				ns = tns(g.eventTime(it))
			}
			g.begin(ns, false)
		}
		switch it.op {
		case opCheck:
			en.check(*it.check)
		case opAlarm:
			en.alarm(*it.alarm)
		case opLink:
			en.link(*it.link)
		case opForget:
			en.forget(it.t, it.id)
		}
		if len(en.buf.b) >= maxBlockRaw {
			g.flush()
		}
	}
}

// replayEarly records the events held before the first sample: after it,
// or on their own at Flush and Close when no sample came.
func (g *wstate) replayEarly() {
	if len(g.early) == 0 {
		return
	}
	early := g.early
	g.early = nil
	g.replaying = true
	for _, it := range early {
		g.handle(it)
	}
	g.replaying = false
}

func (w *Writer) dropped(o op) *atomic.Uint64 {
	switch o {
	case opAlarm:
		return &w.dAlarms
	case opLink:
		return &w.dLinks
	}
	return &w.dChecks
}

func (g *wstate) eventTime(it item) time.Time {
	switch it.op {
	case opCheck:
		return it.check.Time
	case opAlarm:
		return it.alarm.Time
	case opLink:
		return it.link.Time
	}
	return it.t
}

// procsDue says whether this sample's process table is recorded: one per
// ProcessInterval (less half a sample interval, so that 1 s samples and a
// 5 s interval record every fifth sample despite jitter). A failed process
// source keeps the last table; a sampler that no longer lists processes
// records an empty one, once.
func (g *wstate) procsDue(s *collector.Snapshot, t int64) bool {
	if _, failed := s.Errors[collector.SourceProcesses]; failed {
		return false
	}
	en := g.en
	if s.Processes == nil && (!en.haveProcs || len(en.procs) == 0) {
		return false
	}
	if !en.haveProcs {
		return true
	}
	return g.intervalDue(s, t, g.lastProcNS)
}

// intervalDue says whether ProcessInterval has passed at t since last
// (less half a sample interval for the jitter), or the clock stepped back.
func (g *wstate) intervalDue(s *collector.Snapshot, t, last int64) bool {
	return t-last >= int64(g.w.opt.ProcessInterval-s.Elapsed/2) || t < last
}

// cgroupsDue says whether this sample's cgroup list is recorded: one per
// ProcessInterval, from the samples that carry one (the sampler lists
// them only when asked: collector.Sampler.SetCgroupsEvery).
func (g *wstate) cgroupsDue(s *collector.Snapshot, t int64) bool {
	if s.Cgroups == nil {
		return false
	}
	return !g.en.haveCg || g.intervalDue(s, t, g.lastCgNS)
}

// sensorsDue says whether this sample's temperatures and batteries are
// recorded: one reading per ProcessInterval; once more, empty, when they
// are gone.
func (g *wstate) sensorsDue(s *collector.Snapshot, t int64) bool {
	en := g.en
	if s.Sensors == nil && s.Batteries == nil && (!en.haveSens || en.sens.values() == 0) {
		return false
	}
	return !en.haveSens || g.intervalDue(s, t, g.lastSensNS)
}

// begin opens a block at moment ns. It is a keyframe when one is needed
// (first block, after a lost block, no segment open) or due (every
// keyframeEvery, or to start a new segment: every UTC hour and when the
// segment reaches its size), the latter only at a sample so that a
// keyframe starts a moment.
func (g *wstate) begin(ns int64, bySample bool) {
	hour := floorDiv(ns, int64(time.Hour))
	rotate := !g.segOpen || (bySample && (g.segSize >= g.segMax || hour != g.segHour))
	key := g.needKey || rotate || (bySample && ns-g.lastKey >= int64(keyframeEvery))
	g.newSeg = rotate
	g.en.begin(ns, key)
	g.blockWall = time.Now()
	if key {
		g.lastKey = ns
		g.needKey = false
	}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// rollup adds s to the current minute's trend points, first writing out
// the previous minute when s starts a new one.
func (g *wstate) rollup(s *collector.Snapshot, t int64) {
	minute := floorDiv(t, int64(time.Minute)) * int64(time.Minute)
	if minute != g.rollMinute {
		g.emitRollup()
		g.rollMinute = minute
	}
	g.w.opt.Series(s, func(name string, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		i, ok := g.rollIdx[name]
		if !ok {
			if len(g.roll) >= maxSeries {
				return
			}
			i = len(g.roll)
			g.rollIdx[name] = i
			g.roll = append(g.roll, rollup{name: name, min: v, max: v})
		}
		r := &g.roll[i]
		r.min, r.max = min(r.min, v), max(r.max, v)
		r.sum += v
		r.last = v
		r.count++
	})
}

func (g *wstate) emitRollup() {
	if len(g.roll) == 0 {
		return
	}
	g.pendRoll = append(g.pendRoll, pendingRollup{minute: g.rollMinute, raw: rollupPayload(nil, g.rollMinute, g.roll)})
	g.roll = g.roll[:0]
	clear(g.rollIdx)
}

// flush writes the open block and the pending trend points.
func (g *wstate) flush() {
	en := g.en
	if !en.open && len(g.pendRoll) == 0 {
		return
	}
	g.out = g.out[:0]
	first, newSeg, blocks := en.first, g.newSeg, 0
	if en.open {
		h := blockHeader{kinds: en.kinds, samples: en.samples, first: en.first, last: en.last}
		if en.keyframe {
			h.flags |= flagKeyframe
		}
		g.out = g.comp.block(g.out, h, en.buf.b)
		en.open = false
		blocks++
	} else {
		first = g.pendRoll[0].minute
	}
	for _, r := range g.pendRoll {
		g.out = g.comp.block(g.out, blockHeader{kinds: bRollup, first: r.minute, last: r.minute}, r.raw)
		blocks++
	}
	g.pendRoll = g.pendRoll[:0]
	g.newSeg = false
	if err := g.write(g.out, newSeg || !g.segOpen, first); err != nil {
		g.lose(err, blocks)
		return
	}
	g.w.nBlocks.Add(uint64(blocks))
	g.w.nBytes.Add(uint64(len(g.out)))
	g.resume()
}

func (g *wstate) write(b []byte, newSeg bool, first int64) error {
	if g.discard {
		if newSeg {
			g.segOpen, g.segSize, g.segHour = true, 0, floorDiv(first, int64(time.Hour))
		}
		g.segSize += int64(len(b))
		return nil
	}
	if newSeg {
		if g.seg != nil {
			g.seg.Close()
			g.seg, g.segOpen = nil, false
		}
		if err := g.create(first); err != nil {
			return err
		}
		defer g.retain()
	}
	off := g.segSize
	_, err := g.seg.Write(b)
	if err == nil && !g.w.opt.NoSync {
		err = g.seg.Sync()
	}
	if err != nil {
		// Leave no partial block behind: the next block (a keyframe)
		// follows the last complete one.
		_ = g.seg.Truncate(off)
		return err
	}
	g.segSize += int64(len(b))
	return nil
}

// create starts a new segment named after its first moment (later than
// every other segment's name, whatever the clock did).
func (g *wstate) create(first int64) error {
	name := segName(first)
	if name <= g.lastName {
		t, _ := segTime(g.lastName)
		name = segName(t + 1)
	}
	path := filepath.Join(g.w.opt.Dir, name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, filePerm)
	if err != nil {
		return err
	}
	hdr := marshalSegHeader(&segInfo{version: Version, created: first, host: g.en.host})
	_ = f.Chmod(filePerm)
	g.chown(path)
	_, err = f.Write(hdr)
	if err == nil && !g.w.opt.NoSync {
		if err = f.Sync(); err == nil {
			syncDir(g.w.opt.Dir)
		}
	}
	if err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	g.seg, g.segOpen, g.segPath, g.segSize, g.lastName = f, true, path, int64(len(hdr)), name
	g.segHour = floorDiv(first, int64(time.Hour))
	g.w.nSegments.Add(1)
	return nil
}

// syncDir makes a new segment's name durable, as far as the file system
// can: some cannot sync a directory, and the file itself is synced.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// lose counts blocks that could not be written and pauses the recording
// until a write succeeds. The next block is a keyframe, as the deltas
// after a lost block would not decode.
func (g *wstate) lose(err error, blocks int) {
	g.w.nLost.Add(uint64(blocks))
	g.needKey = true
	g.lostSince += uint64(blocks)
	msg := err.Error()
	if noSpace(err) {
		msg = "disk full: " + msg
	}
	g.w.paused.Store(&msg)
	now := time.Now()
	if g.lastErr == nil || now.Sub(g.lastWarn) >= warnEvery {
		g.w.log.Warn("record: cannot write the recording; recording is paused (sampling and checks go on) and resumes when a write succeeds",
			"dir", g.w.opt.Dir, "err", err, "lost_blocks", g.lostSince)
		g.lastWarn = now
	}
	g.lastErr = err
}

func (g *wstate) resume() {
	if g.lastErr == nil {
		return
	}
	g.w.log.Info("record: recording resumed", "dir", g.w.opt.Dir, "lost_blocks", g.lostSince)
	g.lastErr, g.lostSince = nil, 0
	g.w.paused.Store(nil)
}

// retain removes the oldest segments beyond MaxAge (all of a segment's
// data older than the newest sample less MaxAge) or MaxBytes; never the
// one being written.
func (g *wstate) retain() {
	segs, err := listSegments(g.w.opt.Dir)
	if err != nil {
		return
	}
	sizes := make([]int64, len(segs))
	var total int64
	for i, s := range segs {
		if fi, err := os.Stat(s.path); err == nil {
			sizes[i] = fi.Size()
			total += sizes[i]
		}
	}
	cutoff := g.newest - int64(g.w.opt.MaxAge)
	for i, s := range segs {
		if s.path == g.segPath {
			break
		}
		old := g.newest != 0 && i+1 < len(segs) && segs[i+1].start <= cutoff
		if !old && total <= g.w.opt.MaxBytes {
			break
		}
		if err := os.Remove(s.path); err != nil {
			g.w.log.Warn("record: cannot remove an old segment", "file", s.path, "err", err)
			break
		}
		total -= sizes[i]
		g.w.nRemoved.Add(1)
	}
}
