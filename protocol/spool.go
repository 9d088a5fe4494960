package protocol

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Spool bounds, used when SpoolOptions leaves them zero.
const (
	DefaultSpoolEntries = 10000
	DefaultSpoolBytes   = 16 << 20
	// DefaultSpoolMaxAttempts is how many refusals move an entry to the
	// dead letter (config key spool_max_attempts).
	DefaultSpoolMaxAttempts = 5
)

// envelopeReserve is the room Push keeps, within the line limit, for the
// request envelope around a post ({"v":"1","id":N,"source":GUID,...}). The
// Manager checks the exact line before it sends.
const envelopeReserve = 512

// SpoolEntry is one check_metrics.post waiting for an endpoint's reply.
type SpoolEntry struct {
	Seq  uint64          `json:"seq"`
	Post json.RawMessage `json:"post"` // the encoded MetricsPost params
}

// Refusal is one refusal of a spool entry: an error reply that counts
// against it, or a line over the limit.
type Refusal struct {
	Time     time.Time `json:"time"`
	Endpoint string    `json:"endpoint,omitempty"`
	Code     int       `json:"code,omitempty"`
	Type     string    `json:"type,omitempty"`
	Error    string    `json:"error"`
}

// DeadLetter is an entry the spool gave up on, as one line of the dead
// letter file (spool.dead, NDJSON). Post is the check_metrics.post params as
// they were spooled; a post too large for the file is left out, its
// size in PostBytes.
type DeadLetter struct {
	Seq       uint64          `json:"seq"`
	CheckID   string          `json:"check_id,omitempty"`
	Timestamp int64           `json:"timestamp,omitempty"` // the post's, ms
	Reason    string          `json:"reason"`
	Time      time.Time       `json:"time"` // when it moved to the dead letter
	Refusals  []Refusal       `json:"refusals,omitempty"`
	PostBytes int             `json:"post_bytes"`
	Post      json.RawMessage `json:"post,omitempty"`
}

// Store persists the spool. The spool calls it without holding its own lock;
// Append, Ack and Bury should hand their record to a writer and return
// (FileStore does), as a slow one slows the Push or Ack that calls it.
// Calls about one entry come in order: Append, then Ack or Bury.
type Store interface {
	// Load returns the entries not yet acked, oldest first: at most the
	// newest maxEntries of them within maxBytes of posts, and how many
	// older live entries it left out. NewSpool calls it once, first.
	Load(maxEntries int, maxBytes int64) (entries []SpoolEntry, dropped int, err error)
	// Append records a new entry.
	Append(e SpoolEntry) error
	// Ack records that entry seq left the spool (acknowledged, or dropped
	// past the bound).
	Ack(seq uint64) error
	// Bury records d in the dead letter; d.Seq leaves the spool with it
	// (no Ack follows). d.Seq is 0 for a post refused by Push, never spooled.
	Bury(d DeadLetter) error
}

// storeHealth is what a Store may report for SpoolStats (FileStore and
// MemStore do).
type storeHealth interface {
	Degraded() string
	WriteErrors() uint64
}

// MemStore is a Store that keeps nothing: the spool itself is the memory.
// Reason, when set, says why the spool is in memory only (the state dir was
// not writable); it is reported as SpoolStats.Degraded.
type MemStore struct {
	Reason string
}

// Load returns no entries.
func (MemStore) Load(int, int64) ([]SpoolEntry, int, error) { return nil, 0, nil }

// Append does nothing.
func (MemStore) Append(SpoolEntry) error { return nil }

// Ack does nothing.
func (MemStore) Ack(uint64) error { return nil }

// Bury does nothing: the dead entry is only logged and counted.
func (MemStore) Bury(DeadLetter) error { return nil }

// Degraded returns Reason.
func (m MemStore) Degraded() string { return m.Reason }

// WriteErrors returns 0.
func (MemStore) WriteErrors() uint64 { return 0 }

// SpoolOptions bound a spool and choose its store.
type SpoolOptions struct {
	MaxEntries int   // default DefaultSpoolEntries
	MaxBytes   int64 // default DefaultSpoolBytes
	// MaxAttempts is how many refusals an entry takes before it moves to
	// the dead letter (default DefaultSpoolMaxAttempts).
	MaxAttempts int
	// MaxLineSize is the endpoint's line limit (default
	// DefaultMaxLineSize, as Options.MaxLineSize): Push refuses a post
	// whose request would not fit in it.
	MaxLineSize int
	Store       Store        // default MemStore
	Logger      *slog.Logger // each dead letter is logged here at ERROR; default: discard
}

// SpoolStats is what the spool reports for the status line and /metrics.
type SpoolStats struct {
	Depth       int    // entries waiting
	Bytes       int64  // their encoded size
	Retrying    int    // of those, entries refused at least once
	Sent        uint64 // acknowledged by an endpoint
	Rejected    uint64 // refusals: error replies counted against an entry, oversized posts
	Dead        uint64 // entries moved to the dead letter (spool.dead)
	Dropped     uint64 // dropped, oldest first, past the bound (also when loading)
	StoreErrors uint64 // failed Store writes (the entry stays in memory and is written again)
	// Degraded says why the spool is not fully on disk ("" when it is, or
	// when it was never meant to be).
	Degraded string
}

// spoolItem is an entry with its refusals.
type spoolItem struct {
	SpoolEntry
	attempts int       // refusals so far
	refusals []Refusal // the first and the latest, at most maxKeptRefusals
	retryAt  time.Time // not sent before then
}

// maxKeptRefusals bounds the refusals an entry keeps for its dead letter
// (MaxAttempts may be large).
const maxKeptRefusals = 10

// Spool is the bounded queue every check_metrics.post goes through. An entry
// leaves it when an endpoint acknowledged it, when it was refused
// MaxAttempts times (to the dead letter), or when the bound forces the
// oldest out (counted in Dropped). A refused entry waits for its retry while
// the entries behind it are sent. It is safe for concurrent use (entries
// pushed from one goroutine keep their order); its lock is never held
// across a Store call.
type Spool struct {
	opts  SpoolOptions
	log   *slog.Logger
	ready chan struct{}

	mu      sync.Mutex
	entries []spoolItem // by seq
	bytes   int64
	nextSeq uint64

	// Read without the lock by Stats.
	depth, retrying                          atomic.Int64
	nbytes                                   atomic.Int64
	sent, rejected, dead, dropped, storeErrs atomic.Uint64
}

// NewSpool returns a spool holding what opts.Store still has, within the
// bound.
func NewSpool(opts SpoolOptions) (*Spool, error) {
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = DefaultSpoolEntries
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultSpoolBytes
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultSpoolMaxAttempts
	}
	if opts.MaxLineSize <= 0 {
		opts.MaxLineSize = DefaultMaxLineSize
	}
	if opts.Store == nil {
		opts.Store = MemStore{}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Spool{opts: opts, log: log, ready: make(chan struct{}, 1), nextSeq: 1}
	loaded, dropped, err := opts.Store.Load(opts.MaxEntries, opts.MaxBytes)
	if err != nil {
		return nil, fmt.Errorf("load spool: %w", err)
	}
	s.dropped.Add(uint64(max(dropped, 0)))
	sort.Slice(loaded, func(i, j int) bool { return loaded[i].Seq < loaded[j].Seq })
	for _, e := range loaded {
		s.entries = append(s.entries, spoolItem{SpoolEntry: e})
		s.bytes += int64(len(e.Post))
		s.nextSeq = max(s.nextSeq, e.Seq+1)
	}
	s.mu.Lock()
	trimmed := s.trimLocked()
	s.mu.Unlock()
	s.ackStore(trimmed)
	if len(s.entries) > 0 {
		s.signal()
	}
	return s, nil
}

// Push appends a post. A post whose request would be over the line limit,
// or larger than the whole byte bound, can never be delivered: it goes
// straight to the dead letter (counted in Dead and Rejected) and Push
// returns an error.
func (s *Spool) Push(p MetricsPost) error {
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("spool: encode post for %s: %w", p.CheckID, err)
	}
	var why string
	switch {
	case int64(len(b)) > s.opts.MaxBytes:
		why = fmt.Sprintf("post of %d bytes is over the spool's %d byte bound", len(b), s.opts.MaxBytes)
	case len(b)+envelopeReserve > s.opts.MaxLineSize:
		why = fmt.Sprintf("post of %d bytes does not fit in the %d byte line limit", len(b), s.opts.MaxLineSize)
	}
	if why != "" {
		now := time.Now()
		s.rejected.Add(1)
		s.bury(deadLetter(SpoolEntry{Post: b}, why, now, []Refusal{{Time: now, Error: why}}))
		return fmt.Errorf("spool: post for %s refused: %s", p.CheckID, why)
	}

	s.mu.Lock()
	e := SpoolEntry{Seq: s.nextSeq, Post: b}
	s.nextSeq++
	s.mu.Unlock()
	// The entry becomes visible (to Next, Ack and the trim) only once the
	// store has it, so the store always sees its Append before its Ack.
	if err := s.opts.Store.Append(e); err != nil {
		s.storeErrs.Add(1)
	}
	s.mu.Lock()
	i := len(s.entries)
	for i > 0 && s.entries[i-1].Seq > e.Seq { // a concurrent Push got in first
		i--
	}
	s.entries = append(s.entries, spoolItem{})
	copy(s.entries[i+1:], s.entries[i:])
	s.entries[i] = spoolItem{SpoolEntry: e}
	s.bytes += int64(len(b))
	trimmed := s.trimLocked()
	s.mu.Unlock()
	s.ackStore(trimmed)
	s.signal()
	return nil
}

// trimLocked drops the oldest entries past the bound and returns their seqs
// for the store.
func (s *Spool) trimLocked() []uint64 {
	var out []uint64
	for len(s.entries) > 0 && (len(s.entries) > s.opts.MaxEntries || s.bytes > s.opts.MaxBytes) {
		old := s.removeLocked(0)
		out = append(out, old.Seq)
		s.dropped.Add(1)
	}
	s.publishLocked()
	return out
}

// removeLocked takes entry i out of the queue.
func (s *Spool) removeLocked(i int) spoolItem {
	it := s.entries[i]
	if i == 0 {
		s.entries[0] = spoolItem{}
		s.entries = s.entries[1:]
	} else {
		copy(s.entries[i:], s.entries[i+1:])
		s.entries[len(s.entries)-1] = spoolItem{}
		s.entries = s.entries[:len(s.entries)-1]
	}
	s.bytes -= int64(len(it.Post))
	if it.attempts > 0 {
		s.retrying.Add(-1)
	}
	return it
}

// publishLocked updates the counters Stats reads without the lock.
func (s *Spool) publishLocked() {
	s.depth.Store(int64(len(s.entries)))
	s.nbytes.Store(s.bytes)
}

func (s *Spool) ackStore(seqs []uint64) {
	for _, seq := range seqs {
		if err := s.opts.Store.Ack(seq); err != nil {
			s.storeErrs.Add(1)
		}
	}
}

func (s *Spool) bury(d DeadLetter) {
	s.dead.Add(1)
	last := ""
	if len(d.Refusals) > 0 {
		last = d.Refusals[len(d.Refusals)-1].Error
	}
	s.log.Error("spool: entry moved to the dead letter, it will not be sent", "seq", d.Seq, "check", d.CheckID,
		"timestamp", d.Timestamp, "reason", d.Reason, "last_error", last)
	if err := s.opts.Store.Bury(d); err != nil {
		s.storeErrs.Add(1)
	}
}

func (s *Spool) signal() {
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// Ready receives a value after a Push; use it to wait for work, then Next.
func (s *Spool) Ready() <-chan struct{} { return s.ready }

// Next returns the oldest entry that may be sent at now: entries refused
// earlier wait until their retry time. When none may, ok is false and wake
// is the earliest retry time (zero when the spool is empty).
func (s *Spool) Next(now time.Time) (e SpoolEntry, ok bool, wake time.Time) {
	return s.next(now, false)
}

// NextUnrefused is Next, preferring the oldest entry never refused: the
// first post on a new connection, so that a poisoned post that makes the
// endpoint drop the connection does not go first on every connection (no
// post would ever be acknowledged, and the reconnect backoff would grow
// while everything waits). It falls back to Next when every due entry was
// refused.
func (s *Spool) NextUnrefused(now time.Time) (e SpoolEntry, ok bool, wake time.Time) {
	return s.next(now, true)
}

func (s *Spool) next(now time.Time, unrefusedFirst bool) (e SpoolEntry, ok bool, wake time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	first := -1
	for i := range s.entries {
		it := &s.entries[i]
		if it.retryAt.After(now) {
			if wake.IsZero() || it.retryAt.Before(wake) {
				wake = it.retryAt
			}
			continue
		}
		if !unrefusedFirst || it.attempts == 0 {
			return it.SpoolEntry, true, time.Time{}
		}
		if first < 0 {
			first = i
		}
	}
	if first >= 0 {
		return s.entries[first].SpoolEntry, true, time.Time{}
	}
	return SpoolEntry{}, false, wake
}

// Ack removes entry seq after an endpoint acknowledged it. An unknown seq
// (already dropped) is ignored.
func (s *Spool) Ack(seq uint64) {
	s.mu.Lock()
	i, ok := s.findLocked(seq)
	if !ok {
		s.mu.Unlock()
		return
	}
	s.removeLocked(i)
	s.publishLocked()
	s.mu.Unlock()
	s.sent.Add(1)
	s.ackStore([]uint64{seq})
}

// Refuse counts a refusal of entry seq (an error reply other than
// "unavailable"). The entry is tried again backoff(n) after r.Time, n being
// its refusals so far, and the entries behind it are sent meanwhile; at the
// MaxAttempts-th refusal it moves to the dead letter instead. It returns n
// and whether the entry is dead. An unknown seq is ignored. backoff is
// called with the spool locked: it must only compute.
func (s *Spool) Refuse(seq uint64, r Refusal, backoff func(n int) time.Duration) (n int, dead bool) {
	s.mu.Lock()
	i, ok := s.findLocked(seq)
	if !ok {
		s.mu.Unlock()
		return 0, false
	}
	s.rejected.Add(1)
	it := &s.entries[i]
	if it.attempts == 0 {
		s.retrying.Add(1)
	}
	it.attempts++
	if len(it.refusals) == maxKeptRefusals {
		it.refusals = append(it.refusals[:1], it.refusals[2:]...)
	}
	it.refusals = append(it.refusals, r)
	n = it.attempts
	it.retryAt = r.Time.Add(backoff(n))
	if n < s.opts.MaxAttempts {
		s.mu.Unlock()
		return n, false
	}
	gone := s.removeLocked(i)
	s.publishLocked()
	s.mu.Unlock()
	s.bury(deadLetter(gone.SpoolEntry, fmt.Sprintf("refused %d times", n), r.Time, gone.refusals))
	return n, true
}

// Bury moves entry seq to the dead letter at once: it can never be
// delivered (its request is over the line limit). r is counted as a
// refusal. An unknown seq is ignored.
func (s *Spool) Bury(seq uint64, r Refusal) {
	s.mu.Lock()
	i, ok := s.findLocked(seq)
	if !ok {
		s.mu.Unlock()
		return
	}
	gone := s.removeLocked(i)
	s.publishLocked()
	s.mu.Unlock()
	s.rejected.Add(1)
	s.bury(deadLetter(gone.SpoolEntry, r.Error, r.Time, append(gone.refusals, r)))
}

func (s *Spool) findLocked(seq uint64) (int, bool) {
	i := sort.Search(len(s.entries), func(i int) bool { return s.entries[i].Seq >= seq })
	return i, i < len(s.entries) && s.entries[i].Seq == seq
}

// Stats returns the spool's counters. It takes no lock.
func (s *Spool) Stats() SpoolStats {
	st := SpoolStats{
		Depth:       int(s.depth.Load()),
		Bytes:       s.nbytes.Load(),
		Retrying:    int(s.retrying.Load()),
		Sent:        s.sent.Load(),
		Rejected:    s.rejected.Load(),
		Dead:        s.dead.Load(),
		Dropped:     s.dropped.Load(),
		StoreErrors: s.storeErrs.Load(),
	}
	if h, ok := s.opts.Store.(storeHealth); ok {
		st.Degraded = h.Degraded()
		st.StoreErrors += h.WriteErrors()
	}
	return st
}

// deadLetter builds the dead letter record of e.
func deadLetter(e SpoolEntry, reason string, at time.Time, refusals []Refusal) DeadLetter {
	d := DeadLetter{Seq: e.Seq, Reason: reason, Time: at.UTC(), Refusals: refusals, PostBytes: len(e.Post), Post: e.Post}
	var head struct {
		CheckID   string `json:"check_id"`
		Timestamp int64  `json:"timestamp"`
	}
	if json.Unmarshal(e.Post, &head) == nil {
		d.CheckID, d.Timestamp = head.CheckID, head.Timestamp
	}
	return d
}
