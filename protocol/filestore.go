package protocol

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// FileStore persists the spool as an append-only JSONL file. Each line is
// "<crc32c as 8 hex digits> <json>", the JSON being {"op":"add","seq":N,
// "post":{...}} or {"op":"ack","seq":N}. Entries given up on go to the dead
// letter file, DeadLetterFile in the same directory: one DeadLetter JSON
// object per line, at most DefaultDeadLetterEntries or DefaultDeadLetterBytes
// (past that the oldest are dropped, with a log line).
//
// One writer goroutine owns both files: Append, Ack and Bury hand it their
// record and return at once, so a slow or stalled disk never stalls the
// caller; Close waits for it. Every record is written as soon as the writer
// gets it, so a killed process loses nothing that was written. Appends are
// also fsynced, against power loss, in a group commit: SyncDelay after the
// first unsynced append, and only if an appended entry is still live then,
// so an entry acked within SyncDelay (the connected case) never costs an
// fsync. Acks are never fsynced (losing one in a crash means one duplicate
// post, never a lost one).
//
// A failed write (a full disk) is logged, at most once a minute, counted in
// WriteErrors, and reported by Degraded; the records that failed stay in
// memory, in order, and are written again every few seconds and on the next
// record, until they are on disk. Every append starts at a record boundary:
// a partial line is cut off, or, if that fails, the next record starts on a
// new line and the loader skips the fragment.
//
// Load streams the file: it keeps only the newest live entries within the
// spool's bound and logs how many older ones it dropped; lines whose
// checksum or JSON is bad are skipped with a warning. The writer then
// rewrites the file with the live entries (also whenever acked entries
// outnumber live ones); a rewrite that fails (a full disk) is only logged,
// the file stays valid as it is.
type FileStore struct {
	path     string
	deadPath string
	log      *slog.Logger
	fsys     storeFS
	now      func() time.Time

	// The queue to the writer. mu is never held across I/O.
	mu     sync.Mutex
	queue  []*storeOp
	queued map[uint64]*storeOp // adds in queue, by seq, until the writer takes them
	loaded bool
	closed bool
	wake   chan struct{}
	done   chan struct{}

	writeErrs atomic.Uint64
	skipped   atomic.Int64
	degraded  atomic.Pointer[string]

	w *storeWriter // the writer goroutine's own state
}

// DeadLetterFile is the name of the dead letter file, beside the spool file.
const DeadLetterFile = "spool.dead"

// Dead letter bounds: past either, the oldest entries are dropped.
const (
	DefaultDeadLetterEntries = 1000
	DefaultDeadLetterBytes   = 16 << 20
)

// SyncDelay is how long an appended spool entry may wait for its fsync
// (group commit). Entries acked sooner are never fsynced.
var SyncDelay = time.Second

// How often the writer retries failed writes, and logs that they fail.
var (
	storeRetryEvery = 5 * time.Second
	storeLogEvery   = time.Minute
)

// compactMin is the number of dead lines below which the file is never
// rewritten.
const compactMin = 1024

// fileRecord is one line of the file.
type fileRecord struct {
	Op   string          `json:"op"`
	Seq  uint64          `json:"seq"`
	Post json.RawMessage `json:"post,omitempty"`
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// maxStoreLine bounds one line of the file when loading.
const maxStoreLine = 64 << 20

// storeFile is the part of *os.File the writer uses.
type storeFile interface {
	io.Writer
	Sync() error
	Truncate(size int64) error
	Close() error
}

// storeFS is what the writer asks of the file system; tests fill the disk or
// stall it by replacing it.
type storeFS interface {
	// OpenAppend opens name for appending, creating it, and returns its size.
	OpenAppend(name string) (storeFile, int64, error)
	// Create creates or truncates name for writing.
	Create(name string) (storeFile, error)
	Rename(oldpath, newpath string) error
	Remove(name string) error
	SyncDir(dir string) error
}

type osFS struct{}

func (osFS) OpenAppend(name string) (storeFile, int64, error) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}

func (osFS) Create(name string) (storeFile, error) {
	return os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
}

func (osFS) Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }
func (osFS) Remove(name string) error             { return os.Remove(name) }

func (osFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) { // some file systems cannot
		return err
	}
	return nil
}

// openError is the spool file's failure to open, as Degraded and the log
// say it: a full file system is named, at the first open and at every retry.
func openError(err error) error {
	if isSpaceError(err) {
		return fmt.Errorf("open spool (the file system is full; results are kept in memory until space returns): %w", err)
	}
	return fmt.Errorf("open spool: %w", err)
}

// isSpaceError reports whether err means the file system is full.
func isSpaceError(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// OpenFileStore opens (or creates) the spool file at path and starts its
// writer; call Load next, and Close at the end. It fails when the directory
// cannot be created or the file cannot be opened for writing (a read-only or
// foreign state dir: the caller may fall back to MemStore). A full file
// system is not an error: the store opens degraded (see Degraded), keeps
// what it is given in memory and writes it once space returns.
func OpenFileStore(path string, log *slog.Logger) (*FileStore, error) {
	return openFileStore(path, log, osFS{}, time.Now)
}

func openFileStore(path string, log *slog.Logger, fsys storeFS, now func() time.Time) (*FileStore, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("spool dir: %w", err)
	}
	s := &FileStore{
		path:     path,
		deadPath: filepath.Join(filepath.Dir(path), DeadLetterFile),
		log:      log,
		fsys:     fsys,
		now:      now,
		queued:   map[uint64]*storeOp{},
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	w := &storeWriter{
		s:    s,
		live: map[uint64]*liveRec{},
		dl:   &deadFile{path: s.deadPath, maxEntries: DefaultDeadLetterEntries, maxBytes: DefaultDeadLetterBytes},
	}
	f, size, err := fsys.OpenAppend(path)
	switch {
	case err == nil:
		w.f, w.size = f, size
		w.atBoundary = endsWithNewline(path, size)
	case isSpaceError(err):
		// Loud, once: fail logs the line below.
		w.fail(openError(err))
	default:
		return nil, fmt.Errorf("open spool: %w", err)
	}
	s.w = w
	go w.run()
	return s, nil
}

// endsWithNewline reports whether the file's last byte is a newline (or the
// file is empty): the next record then starts at a record boundary.
func endsWithNewline(path string, size int64) bool {
	if size == 0 {
		return true
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [1]byte
	if _, err := f.ReadAt(b[:], size-1); err != nil {
		return false
	}
	return b[0] == '\n'
}

// Skipped returns the number of corrupt lines Load skipped.
func (s *FileStore) Skipped() int { return int(s.skipped.Load()) }

// Degraded says why the spool is not fully on disk: a write failed and
// records wait in memory. It returns "" when everything is written.
func (s *FileStore) Degraded() string {
	if p := s.degraded.Load(); p != nil {
		return *p
	}
	return ""
}

// WriteErrors returns the number of failed writes (each retry counts).
func (s *FileStore) WriteErrors() uint64 { return s.writeErrs.Load() }

// storeOp is one request to the writer.
type storeOp struct {
	kind      opKind
	seq       uint64
	post      json.RawMessage
	dead      *DeadLetter
	load      *loadResult
	sync      bool               // opBarrier: fsync too
	inspect   func(*storeWriter) // opBarrier: run in the writer (tests)
	reply     chan error         // opBarrier
	cancelled bool               // an add acked before the writer took it
}

type opKind uint8

const (
	opAdd opKind = iota
	opAck
	opBury
	opLoaded  // Load's result
	opBarrier // answered once everything before it is written
)

var errStoreClosed = errors.New("spool store closed")

func (s *FileStore) enqueue(op *storeOp) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errStoreClosed
	}
	switch op.kind {
	case opAdd:
		s.queued[op.seq] = op
	case opAck, opBury:
		seq := op.seq
		if op.dead != nil {
			seq = op.dead.Seq
		}
		// An add the writer has not taken yet never reaches the disk.
		if add, ok := s.queued[seq]; ok && seq != 0 {
			add.cancelled = true
			delete(s.queued, seq)
			if op.kind == opAck {
				s.mu.Unlock()
				return nil
			}
			op.cancelled = true // the writer has nothing to ack
		}
	}
	s.queue = append(s.queue, op)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}

// take hands the queue to the writer.
func (s *FileStore) take() ([]*storeOp, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue
	s.queue = nil
	clear(s.queued)
	return q, s.closed
}

// Append hands an entry to the writer.
func (s *FileStore) Append(e SpoolEntry) error {
	return s.enqueue(&storeOp{kind: opAdd, seq: e.Seq, post: e.Post})
}

// Ack hands to the writer that entry seq left the spool.
func (s *FileStore) Ack(seq uint64) error {
	return s.enqueue(&storeOp{kind: opAck, seq: seq})
}

// Bury hands a dead letter to the writer: it is appended to the dead letter
// file, then d.Seq is acked in the spool file.
func (s *FileStore) Bury(d DeadLetter) error {
	return s.enqueue(&storeOp{kind: opBury, dead: &d})
}

// barrier waits until the writer wrote everything queued before it (and
// fsynced, with sync), and returns why it could not.
func (s *FileStore) barrier(sync bool) error {
	op := &storeOp{kind: opBarrier, sync: sync, reply: make(chan error, 1)}
	if err := s.enqueue(op); err != nil {
		return err
	}
	select {
	case err := <-op.reply:
		return err
	case <-s.done:
		return errStoreClosed
	}
}

// Sync writes and fsyncs what is pending and reports a failed write, or a
// failed background fsync since the last call.
func (s *FileStore) Sync() error { return s.barrier(true) }

// Close writes and fsyncs what is pending, stops the writer and closes the
// files. Records that still cannot be written are lost with an error.
func (s *FileStore) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.done
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	<-s.done
	return s.w.closeErr
}

// Load streams the file and returns the newest live entries within
// maxEntries and maxBytes (of posts), oldest first, and the number of older
// live entries it dropped (logged). Call it once, before Append.
func (s *FileStore) Load(maxEntries int, maxBytes int64) ([]SpoolEntry, int, error) {
	s.mu.Lock()
	if s.loaded {
		s.mu.Unlock()
		return nil, 0, errors.New("spool file loaded twice")
	}
	s.loaded = true
	s.mu.Unlock()
	res, err := loadSpoolFile(s.path, maxEntries, maxBytes, s.log)
	if err != nil {
		return nil, 0, err
	}
	s.skipped.Store(int64(res.skipped))
	if res.dropped > 0 {
		s.log.Warn("spool file: dropped the oldest entries past the spool's bound",
			"path", s.path, "live", res.live, "kept", len(res.entries), "dropped", res.dropped,
			"max_entries", maxEntries, "max_bytes", maxBytes)
	}
	if err := s.enqueue(&storeOp{kind: opLoaded, load: &res}); err != nil {
		return nil, 0, err
	}
	return res.entries, res.dropped, nil
}

// loadResult is what Load read.
type loadResult struct {
	entries []SpoolEntry // kept, by seq
	live    int          // live entries in the file
	dropped int          // live but past the bound
	lines   int          // lines in the file, good or bad
	skipped int          // corrupt lines
}

// indexRec locates a live add line in the file.
type indexRec struct {
	off     int64
	n       int32 // line length without the newline
	postLen int32
}

// loadSpoolFile reads the spool file at path in two passes: an index of the
// live entries (offsets and sizes only), then the lines of the newest that
// fit within the bound. Memory is the index plus the kept entries.
func loadSpoolFile(path string, maxEntries int, maxBytes int64, log *slog.Logger) (loadResult, error) {
	var res loadResult
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("open spool: %w", err)
	}
	defer f.Close()
	skip := func(lineNo int, why string) {
		res.skipped++
		log.Warn("spool file: skipping corrupt record", "path", path, "line", lineNo, "reason", why)
	}

	index := map[uint64]indexRec{}
	sc := newLineScanner(f, maxStoreLine)
	for lineNo := 1; ; lineNo++ {
		line, off, err := sc.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return res, fmt.Errorf("read spool %s: %w", path, err)
		}
		res.lines++
		if line == nil {
			skip(lineNo, "line too long")
			continue
		}
		// A last line without its newline is a write cut short; it counts
		// if it is whole all the same.
		op, seq, postLen, ok := parseStoreHead(line)
		switch {
		case !ok && sc.torn:
			skip(lineNo, "truncated last line")
		case !ok:
			skip(lineNo, "bad checksum or JSON")
		case op == opAdd:
			index[seq] = indexRec{off: off, n: int32(len(line)), postLen: int32(postLen)}
		default:
			delete(index, seq)
		}
	}
	res.live = len(index)

	// The newest within the bound, then oldest first.
	seqs := make([]uint64, 0, len(index))
	for seq := range index {
		seqs = append(seqs, seq)
	}
	slices.Sort(seqs)
	var bytes int64
	first := len(seqs)
	for first > 0 && len(seqs)-first < maxEntries {
		ir := index[seqs[first-1]]
		if bytes+int64(ir.postLen) > maxBytes {
			break
		}
		bytes += int64(ir.postLen)
		first--
	}
	res.dropped = first
	keep := seqs[first:]
	res.entries = make([]SpoolEntry, 0, len(keep))
	for _, seq := range keep {
		ir := index[seq]
		buf := make([]byte, ir.n)
		if _, err := f.ReadAt(buf, ir.off); err != nil {
			return res, fmt.Errorf("read spool %s: %w", path, err)
		}
		rec, ok := parseStoreLine(buf)
		if !ok || rec.Op != "add" || rec.Seq != seq {
			res.skipped++
			log.Warn("spool file: skipping corrupt record", "path", path, "offset", ir.off, "reason", "bad JSON")
			continue
		}
		res.entries = append(res.entries, SpoolEntry{Seq: seq, Post: rec.Post})
	}
	return res, nil
}

// lineScanner reads lines with their offsets. A line over max is skipped
// (next returns a nil line); a last line without its newline sets torn.
type lineScanner struct {
	r    *bufio.Reader
	max  int
	off  int64
	buf  []byte
	torn bool
}

func newLineScanner(r io.Reader, max int) *lineScanner {
	return &lineScanner{r: bufio.NewReaderSize(r, 256<<10), max: max}
}

// next returns the next non-empty line (without its newline) and its offset.
func (l *lineScanner) next() (line []byte, off int64, err error) {
	for {
		l.buf = l.buf[:0]
		start := l.off
		tooLong := false
		for {
			chunk, err := l.r.ReadSlice('\n')
			l.off += int64(len(chunk))
			if !tooLong {
				if len(l.buf)+len(chunk) > l.max+1 {
					tooLong, l.buf = true, l.buf[:0]
				} else {
					l.buf = append(l.buf, chunk...)
				}
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err == io.EOF {
				if l.off == start {
					return nil, 0, io.EOF
				}
				l.torn = true
				break
			}
			if err != nil {
				return nil, 0, err
			}
			break
		}
		if tooLong {
			return nil, start, nil
		}
		line := bytes.TrimRight(l.buf, "\n")
		line = bytes.TrimRight(line, "\r")
		if len(bytes.TrimSpace(line)) == 0 {
			if l.torn {
				return nil, 0, io.EOF
			}
			continue
		}
		return line, start, nil
	}
}

// parseStoreHead checks a line's checksum and returns its op, seq and post
// size without decoding the post: the lines this store writes are matched
// directly, anything else goes through encoding/json.
func parseStoreHead(line []byte) (op opKind, seq uint64, postLen int, ok bool) {
	body, ok := checkedBody(line)
	if !ok {
		return 0, 0, 0, false
	}
	const addPrefix, ackPrefix, postKey = `{"op":"add","seq":`, `{"op":"ack","seq":`, `,"post":`
	var rest []byte
	switch {
	case bytes.HasPrefix(body, []byte(addPrefix)):
		op, rest = opAdd, body[len(addPrefix):]
	case bytes.HasPrefix(body, []byte(ackPrefix)):
		op, rest = opAck, body[len(ackPrefix):]
	default:
		return parseStoreHeadJSON(body)
	}
	i := 0
	for i < len(rest) && i < 20 && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	seq, err := strconv.ParseUint(string(rest[:i]), 10, 64)
	if err != nil || (i > 1 && rest[0] == '0') {
		return parseStoreHeadJSON(body)
	}
	rest = rest[i:]
	if op == opAck {
		if string(rest) == "}" {
			return opAck, seq, 0, true
		}
		return parseStoreHeadJSON(body)
	}
	if !bytes.HasPrefix(rest, []byte(postKey)) || len(rest) < len(postKey)+3 || rest[len(postKey)] != '{' || rest[len(rest)-1] != '}' || rest[len(rest)-2] != '}' {
		return parseStoreHeadJSON(body)
	}
	return opAdd, seq, len(rest) - len(postKey) - 1, true
}

func parseStoreHeadJSON(body []byte) (opKind, uint64, int, bool) {
	rec, ok := decodeStoreBody(body)
	if !ok {
		return 0, 0, 0, false
	}
	if rec.Op == "add" {
		return opAdd, rec.Seq, len(rec.Post), true
	}
	return opAck, rec.Seq, 0, true
}

// checkedBody returns the JSON of a line whose checksum is right.
func checkedBody(line []byte) ([]byte, bool) {
	sum, body, ok := bytes.Cut(line, []byte(" "))
	if !ok || len(sum) != 8 {
		return nil, false
	}
	want, err := strconv.ParseUint(string(sum), 16, 32)
	if err != nil || crc32.Checksum(body, castagnoli) != uint32(want) {
		return nil, false
	}
	return body, true
}

func decodeStoreBody(body []byte) (fileRecord, bool) {
	var rec fileRecord
	if json.Unmarshal(body, &rec) != nil {
		return rec, false
	}
	switch rec.Op {
	case "add":
		return rec, len(rec.Post) > 0 && rec.Post[0] == '{'
	case "ack":
		return rec, true
	}
	return rec, false
}

// parseStoreLine decodes a whole line.
func parseStoreLine(line []byte) (fileRecord, bool) {
	body, ok := checkedBody(line)
	if !ok {
		return fileRecord{}, false
	}
	return decodeStoreBody(body)
}

// appendStoreLine appends the line of an add (post != nil) or an ack,
// newline included. post is compact JSON from the spool.
func appendStoreLine(dst []byte, seq uint64, post json.RawMessage) []byte {
	start := len(dst)
	dst = append(dst, "00000000 "...)
	body := len(dst)
	if post != nil {
		dst = append(dst, `{"op":"add","seq":`...)
		dst = strconv.AppendUint(dst, seq, 10)
		dst = append(dst, `,"post":`...)
		dst = append(dst, post...)
	} else {
		dst = append(dst, `{"op":"ack","seq":`...)
		dst = strconv.AppendUint(dst, seq, 10)
	}
	dst = append(dst, '}')
	sum := crc32.Checksum(dst[body:], castagnoli)
	const hex = "0123456789abcdef"
	for i := 7; i >= 0; i-- {
		dst[start+i] = hex[sum&0xf]
		sum >>= 4
	}
	return append(dst, '\n')
}

// storeWriter is the writer goroutine's state.
type storeWriter struct {
	s *FileStore

	f          storeFile // nil: the file could not be opened
	size       int64     // its size as written
	atBoundary bool      // it ends with a newline (or is empty)
	live       map[uint64]*liveRec
	deadLines  int // lines in the file that no longer matter
	compact    bool
	compactMin int // no compaction below this many dead lines

	pending []*pendingRec // records not written yet, in order
	adds    map[uint64]*pendingRec

	unsynced  int // live entries written but not fsynced
	syncTimer *time.Timer
	syncErr   error

	failing    error // the last write error while records wait
	failSince  time.Time
	retryTimer *time.Timer
	lastLog    time.Time
	failures   int // failed writes since the last log line

	dl       *deadFile
	closeErr error
}

// liveRec is a live entry the writer knows of.
type liveRec struct {
	post    json.RawMessage
	written bool // its add line is in the file
	synced  bool // and fsynced
}

// pendingRec is a record waiting to be written.
type pendingRec struct {
	seq       uint64
	add       bool   // an add (else an ack), unless dead is set
	dead      []byte // a line for the dead letter file
	cancelled bool
}

func (w *storeWriter) run() {
	s := w.s
	defer close(s.done)
	for {
		var syncC, retryC <-chan time.Time
		if w.syncTimer != nil {
			syncC = w.syncTimer.C
		}
		if w.retryTimer != nil {
			retryC = w.retryTimer.C
		}
		select {
		case <-s.wake:
		case <-syncC:
			w.syncTimer = nil
			if err := w.syncNow(); err != nil {
				w.syncErr = err
				s.log.Warn("spool file: sync failed", "path", s.path, "err", err)
			}
		case <-retryC:
			w.retryTimer = nil
		}
		ops, closing := s.take()
		var barriers []*storeOp
		for _, op := range ops {
			if op.kind == opBarrier {
				barriers = append(barriers, op)
				continue
			}
			w.apply(op)
		}
		w.flush()
		w.maybeCompact()
		for _, op := range barriers {
			err := w.barrierErr(op.sync)
			if op.inspect != nil {
				op.inspect(w)
			}
			op.reply <- err
		}
		if closing {
			w.close()
			return
		}
		w.armTimers()
	}
}

func (w *storeWriter) apply(op *storeOp) {
	switch op.kind {
	case opAdd:
		if op.cancelled {
			return
		}
		if _, ok := w.live[op.seq]; ok {
			return
		}
		w.live[op.seq] = &liveRec{post: op.post}
		w.queueRec(&pendingRec{seq: op.seq, add: true})
	case opAck:
		w.forget(op.seq)
	case opBury:
		d := *op.dead
		if len(d.Post) > int(w.dl.maxBytes/16) {
			d.Post = nil // too large to keep: its size and head stay
		}
		line, err := json.Marshal(d)
		if err != nil {
			d.Post = nil
			line, _ = json.Marshal(d)
		}
		w.queueRec(&pendingRec{dead: append(line, '\n')})
		if d.Seq != 0 && !op.cancelled {
			w.forget(d.Seq)
		}
	case opLoaded:
		// Dropped entries stay in the file until the compaction this
		// asks for succeeds (a full disk): a restart drops them again.
		r := op.load
		for _, e := range r.entries {
			if _, ok := w.live[e.Seq]; !ok {
				w.live[e.Seq] = &liveRec{post: e.Post, written: true, synced: true}
			}
		}
		w.deadLines += r.lines - len(r.entries)
		w.compact = r.lines > len(r.entries) || !w.atBoundary
	}
}

// forget drops live entry seq: an add not written yet is cancelled, a
// written one gets an ack line.
func (w *storeWriter) forget(seq uint64) {
	rec, ok := w.live[seq]
	if !ok {
		return
	}
	delete(w.live, seq)
	if p, ok := w.adds[seq]; ok {
		p.cancelled = true
		delete(w.adds, seq)
		return
	}
	if rec.written && !rec.synced {
		w.unsynced--
	}
	w.deadLines += 2 // its add line and the ack
	w.queueRec(&pendingRec{seq: seq})
}

func (w *storeWriter) queueRec(p *pendingRec) {
	if p.add {
		if w.adds == nil {
			w.adds = map[uint64]*pendingRec{}
		}
		w.adds[p.seq] = p
	}
	w.pending = append(w.pending, p)
}

// flush writes the pending records in order, spool lines batched, and stops
// at the first failure.
func (w *storeWriter) flush() {
	s := w.s
	if w.f == nil && (len(w.pending) > 0 || w.failing != nil) {
		f, size, err := s.fsys.OpenAppend(s.path)
		if err != nil {
			w.fail(openError(err))
			return
		}
		// Unknown ending: start on a new line (an empty line is skipped).
		w.f, w.size, w.atBoundary = f, size, size == 0
	}
	if len(w.pending) == 0 {
		w.recovered()
		return
	}
	var buf []byte
	done := 0
	for done < len(w.pending) {
		// A run of spool records, then maybe one dead letter.
		buf = buf[:0]
		end := done
		for end < len(w.pending) && w.pending[end].dead == nil {
			if p := w.pending[end]; !p.cancelled {
				if !p.add {
					buf = appendStoreLine(buf, p.seq, nil)
				} else if rec := w.live[p.seq]; rec != nil {
					buf = appendStoreLine(buf, p.seq, rec.post)
				}
			}
			end++
		}
		if len(buf) > 0 {
			if err := w.writeSpool(buf); err != nil {
				w.fail(err)
				break
			}
			for _, p := range w.pending[done:end] {
				if p.add && !p.cancelled {
					delete(w.adds, p.seq)
					if rec := w.live[p.seq]; rec != nil {
						rec.written = true
						w.unsynced++
					}
				}
			}
		}
		done = end
		if done < len(w.pending) {
			line := w.pending[done].dead
			if err := w.dl.append(s, line); err != nil {
				err = fmt.Errorf("dead letter %s: %w", w.dl.path, err)
				if isSpaceError(err) {
					w.fail(err)
					break
				}
				// A dead letter file that cannot be written at all must
				// not hold the spool file back: the entry goes to the log.
				s.writeErrs.Add(1)
				s.log.Error("dead letter could not be written; here it is", "err", err, "dead_letter", string(bytes.TrimSpace(line)))
			}
			done++
		}
	}
	clear(w.pending[:done])
	w.pending = w.pending[done:]
	if len(w.pending) == 0 {
		w.pending = nil
		w.recovered()
	}
}

// writeSpool appends b (whole lines) to the spool file at a record boundary.
// After a failure the file is cut back to its last good size; when that
// fails too, the next append starts on a new line.
func (w *storeWriter) writeSpool(b []byte) error {
	if !w.atBoundary {
		b = append([]byte{'\n'}, b...)
	}
	n, err := w.f.Write(b)
	if err == nil {
		w.size += int64(n)
		w.atBoundary = true
		return nil
	}
	if n > 0 {
		if terr := w.f.Truncate(w.size); terr != nil {
			w.size += int64(n)
			w.atBoundary = b[n-1] == '\n'
		}
	}
	return fmt.Errorf("write spool: %w", err)
}

// fail records a failed write: counted, logged at most once per
// storeLogEvery, retried on a timer.
func (w *storeWriter) fail(err error) {
	s := w.s
	s.writeErrs.Add(1)
	now := s.now()
	if w.failing == nil {
		w.failSince = now
	}
	w.failing = err
	w.failures++
	reason := fmt.Sprintf("spool file %s: %v (since %s); %d records wait in memory", s.path, err,
		w.failSince.UTC().Format(time.RFC3339), len(w.pending))
	s.degraded.Store(&reason)
	if w.lastLog.IsZero() || now.Sub(w.lastLog) >= storeLogEvery {
		s.log.Error("spool file: write failed; the records are kept in memory and written again when it works",
			"path", s.path, "err", err, "records_waiting", len(w.pending), "failed_writes", w.failures)
		w.lastLog, w.failures = now, 0
	}
}

func (w *storeWriter) recovered() {
	if w.failing == nil {
		return
	}
	s := w.s
	s.log.Warn("spool file: writes work again; nothing was lost", "path", s.path, "failing_since", w.failSince, "failed_writes", w.failures)
	w.failing, w.failures, w.lastLog = nil, 0, time.Time{}
	s.degraded.Store(nil)
}

func (w *storeWriter) armTimers() {
	if w.unsynced > 0 && w.syncTimer == nil {
		w.syncTimer = time.NewTimer(SyncDelay)
	}
	if (len(w.pending) > 0 || w.failing != nil) && w.retryTimer == nil {
		w.retryTimer = time.NewTimer(storeRetryEvery)
	}
}

// syncNow fsyncs the spool file if a live entry is not synced yet.
func (w *storeWriter) syncNow() error {
	if w.f == nil || w.unsynced <= 0 {
		w.unsynced = 0
		return nil
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("sync spool: %w", err)
	}
	w.markSynced()
	return nil
}

func (w *storeWriter) markSynced() {
	for _, rec := range w.live {
		if rec.written {
			rec.synced = true
		}
	}
	w.unsynced = 0
}

func (w *storeWriter) barrierErr(sync bool) error {
	if sync {
		if err := w.syncNow(); err != nil {
			return err
		}
		if err := w.syncErr; err != nil {
			w.syncErr = nil
			return err
		}
	}
	if len(w.pending) > 0 {
		return fmt.Errorf("%d spool records not written: %w", len(w.pending), w.failing)
	}
	return nil
}

// maybeCompact rewrites the file with the live entries when dead lines
// outnumber them (or Load found it untidy). A failure is only logged: the
// file is still valid.
func (w *storeWriter) maybeCompact() {
	if w.failing != nil || w.f == nil {
		return
	}
	if !w.compact && (w.deadLines <= compactMin || w.deadLines <= len(w.live) || w.deadLines <= w.compactMin) {
		return
	}
	w.compact = false
	if err := w.rewrite(); err != nil {
		if w.f == nil { // replaced but not reopened: appends must wait
			w.fail(err)
			return
		}
		w.s.writeErrs.Add(1)
		w.compactMin = 2 * w.deadLines
		w.s.log.Warn("spool file: compaction failed; the file stays as it is", "path", w.s.path, "err", err)
	}
}

func (w *storeWriter) rewrite() error {
	s := w.s
	tmp := s.path + ".tmp"
	f, err := s.fsys.Create(tmp)
	if err != nil {
		return fmt.Errorf("rewrite spool: %w", err)
	}
	seqs := make([]uint64, 0, len(w.live))
	for seq := range w.live {
		seqs = append(seqs, seq)
	}
	slices.Sort(seqs)
	bw := bufio.NewWriterSize(f, 256<<10)
	var line []byte
	var size int64
	for _, seq := range seqs {
		line = appendStoreLine(line[:0], seq, w.live[seq].post)
		bw.Write(line)
		size += int64(len(line))
	}
	err = bw.Flush()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = s.fsys.Rename(tmp, s.path)
	}
	if err != nil {
		s.fsys.Remove(tmp)
		return fmt.Errorf("rewrite spool: %w", err)
	}
	if err := s.fsys.SyncDir(filepath.Dir(s.path)); err != nil {
		s.log.Warn("spool file: sync of the directory failed", "path", s.path, "err", err)
	}
	// The old handle is the replaced file now: from here on, write to the
	// new one or to none.
	w.f.Close()
	w.f = nil
	for _, rec := range w.live {
		rec.written, rec.synced = true, true
	}
	w.unsynced, w.deadLines, w.compactMin = 0, 0, 0
	f2, size2, err := s.fsys.OpenAppend(s.path)
	if err != nil {
		return fmt.Errorf("reopen spool: %w", err)
	}
	w.f, w.size, w.atBoundary = f2, size2, size2 == size || size2 == 0
	return nil
}

func (w *storeWriter) close() {
	s := w.s
	if w.syncTimer != nil {
		w.syncTimer.Stop()
	}
	if w.retryTimer != nil {
		w.retryTimer.Stop()
	}
	var errs []error
	if len(w.pending) > 0 {
		s.log.Error("spool file: closing with records that could not be written", "path", s.path,
			"records", len(w.pending), "err", w.failing)
		errs = append(errs, fmt.Errorf("%d spool records not written: %w", len(w.pending), w.failing))
	}
	if w.f != nil {
		errs = append(errs, w.syncNow(), w.f.Close())
		w.f = nil
	}
	errs = append(errs, w.dl.close())
	w.closeErr = errors.Join(errs...)
}

// deadFile is the dead letter file, opened on its first record.
type deadFile struct {
	path       string
	maxEntries int
	maxBytes   int64

	f          storeFile
	count      int
	size       int64
	atBoundary bool
}

// append writes one line (newline included), dropping the oldest lines
// first when the file is full.
func (d *deadFile) append(s *FileStore, line []byte) error {
	if d.f == nil {
		if err := d.open(s); err != nil {
			return err
		}
	}
	if d.count+1 > d.maxEntries || d.size+int64(len(line)) > d.maxBytes {
		if err := d.trim(s, int64(len(line))); err != nil {
			return err
		}
	}
	b := line
	if !d.atBoundary {
		b = append([]byte{'\n'}, line...)
	}
	n, err := d.f.Write(b)
	if err != nil {
		if n > 0 {
			if terr := d.f.Truncate(d.size); terr != nil {
				d.size += int64(n)
				d.atBoundary = b[n-1] == '\n'
			}
		}
		return err
	}
	d.size += int64(n)
	d.count++
	d.atBoundary = true
	if err := d.f.Sync(); err != nil {
		s.log.Warn("dead letter: sync failed", "path", d.path, "err", err)
	}
	return nil
}

func (d *deadFile) open(s *FileStore) error {
	count, size, atBoundary, err := scanDeadFile(d.path, nil)
	if err != nil {
		return err
	}
	f, _, err := s.fsys.OpenAppend(d.path)
	if err != nil {
		return err
	}
	d.f, d.count, d.size, d.atBoundary = f, count, size, atBoundary
	return nil
}

// scanDeadFile counts the lines of the dead letter file; keep, if not nil,
// is called with each complete line (newline included).
func scanDeadFile(path string, keep func(line []byte) error) (count int, size int64, atBoundary bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, 0, true, nil
	}
	if err != nil {
		return 0, 0, false, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	var line []byte
	partial := 0 // bytes of the line being read
	for {
		chunk, err := br.ReadSlice('\n')
		size += int64(len(chunk))
		partial += len(chunk)
		if keep != nil {
			line = append(line, chunk...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			return count, size, partial == 0, nil
		}
		if err != nil {
			return 0, 0, false, err
		}
		partial = 0
		count++
		if keep != nil {
			if err := keep(line); err != nil {
				return 0, 0, false, err
			}
			line = line[:0]
		}
	}
}

// trim rewrites the file without its oldest lines, down to three quarters of
// the bound with room for incoming bytes.
func (d *deadFile) trim(s *FileStore, incoming int64) error {
	var sizes []int64
	if _, _, _, err := scanDeadFile(d.path, func(line []byte) error {
		sizes = append(sizes, int64(len(line)))
		return nil
	}); err != nil {
		return err
	}
	keepEntries, keepBytes := d.maxEntries*3/4, d.maxBytes*3/4-incoming
	drop := 0
	total := d.size
	for drop < len(sizes) && (len(sizes)-drop > keepEntries || total > keepBytes) {
		total -= sizes[drop]
		drop++
	}
	tmp := d.path + ".tmp"
	f, err := s.fsys.Create(tmp)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	i := 0
	_, _, _, err = scanDeadFile(d.path, func(line []byte) error {
		if i >= drop {
			bw.Write(line)
		}
		i++
		return nil
	})
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = s.fsys.Rename(tmp, d.path)
	}
	if err != nil {
		s.fsys.Remove(tmp)
		return fmt.Errorf("trim: %w", err)
	}
	d.f.Close()
	d.f = nil
	s.log.Warn("dead letter file full: dropped the oldest entries", "path", d.path, "dropped", drop, "kept", len(sizes)-drop)
	return d.open(s)
}

func (d *deadFile) close() error {
	if d.f == nil {
		return nil
	}
	err := d.f.Close()
	d.f = nil
	return err
}
