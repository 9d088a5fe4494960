package protocol

import (
	"encoding/json"
	"fmt"
	"sync"
)

// Spool bounds, used when SpoolOptions leaves them zero.
const (
	DefaultSpoolEntries = 10000
	DefaultSpoolBytes   = 16 << 20
)

// SpoolEntry is one check_metrics.post waiting for an endpoint's reply.
type SpoolEntry struct {
	Seq  uint64          `json:"seq"`
	Post json.RawMessage `json:"post"` // the encoded MetricsPost params
}

// Store persists the spool. Append is called for each new entry, Ack when an
// entry leaves the spool (acknowledged, rejected, or dropped past the bound),
// and Load once at start to recover the entries not yet acked, oldest first.
type Store interface {
	Append(e SpoolEntry) error
	Ack(seq uint64) error
	Load() ([]SpoolEntry, error)
}

// MemStore is a Store that keeps nothing: the spool itself is the memory.
type MemStore struct{}

// Append does nothing.
func (MemStore) Append(SpoolEntry) error { return nil }

// Ack does nothing.
func (MemStore) Ack(uint64) error { return nil }

// Load returns no entries.
func (MemStore) Load() ([]SpoolEntry, error) { return nil, nil }

// SpoolOptions bound a spool and choose its store.
type SpoolOptions struct {
	MaxEntries int   // default DefaultSpoolEntries
	MaxBytes   int64 // default DefaultSpoolBytes
	Store      Store // default MemStore
}

// SpoolStats is what the spool reports for the status line and /metrics.
type SpoolStats struct {
	Depth       int    // entries waiting
	Bytes       int64  // their encoded size
	Sent        uint64 // acknowledged by an endpoint
	Rejected    uint64 // answered with a non-retryable (400) error
	Dropped     uint64 // dropped, oldest first, past the bound
	StoreErrors uint64 // failed Store calls (the entry stays in memory)
}

// Spool is the bounded FIFO every check_metrics.post goes through. An entry
// leaves it only when an endpoint answered it, or when the bound forces the
// oldest out (counted in Dropped). It is safe for concurrent use.
type Spool struct {
	opts SpoolOptions

	mu      sync.Mutex
	entries []SpoolEntry
	bytes   int64
	nextSeq uint64
	stats   SpoolStats
	ready   chan struct{}
}

// NewSpool returns a spool holding what opts.Store still has.
func NewSpool(opts SpoolOptions) (*Spool, error) {
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = DefaultSpoolEntries
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultSpoolBytes
	}
	if opts.Store == nil {
		opts.Store = MemStore{}
	}
	s := &Spool{opts: opts, ready: make(chan struct{}, 1), nextSeq: 1}
	loaded, err := opts.Store.Load()
	if err != nil {
		return nil, fmt.Errorf("load spool: %w", err)
	}
	for _, e := range loaded {
		s.entries = append(s.entries, e)
		s.bytes += int64(len(e.Post))
		if e.Seq >= s.nextSeq {
			s.nextSeq = e.Seq + 1
		}
	}
	s.mu.Lock()
	s.trimLocked()
	s.mu.Unlock()
	if len(s.entries) > 0 {
		s.signal()
	}
	return s, nil
}

// Push appends a post. A post larger than the whole byte bound is refused.
func (s *Spool) Push(p MetricsPost) error {
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("spool: encode post for %s: %w", p.CheckID, err)
	}
	if int64(len(b)) > s.opts.MaxBytes {
		s.mu.Lock()
		s.stats.Dropped++
		s.mu.Unlock()
		return fmt.Errorf("spool: post for %s is %d bytes, over the %d byte bound", p.CheckID, len(b), s.opts.MaxBytes)
	}
	s.mu.Lock()
	e := SpoolEntry{Seq: s.nextSeq, Post: b}
	s.nextSeq++
	if err := s.opts.Store.Append(e); err != nil {
		s.stats.StoreErrors++
	}
	s.entries = append(s.entries, e)
	s.bytes += int64(len(b))
	s.trimLocked()
	s.mu.Unlock()
	s.signal()
	return nil
}

func (s *Spool) trimLocked() {
	for len(s.entries) > 0 && (len(s.entries) > s.opts.MaxEntries || s.bytes > s.opts.MaxBytes) {
		old := s.entries[0]
		s.entries[0] = SpoolEntry{}
		s.entries = s.entries[1:]
		s.bytes -= int64(len(old.Post))
		s.stats.Dropped++
		if err := s.opts.Store.Ack(old.Seq); err != nil {
			s.stats.StoreErrors++
		}
	}
}

func (s *Spool) signal() {
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// Ready receives a value after a Push; use it to wait for work, then Peek.
func (s *Spool) Ready() <-chan struct{} { return s.ready }

// Peek returns the oldest entry without removing it.
func (s *Spool) Peek() (SpoolEntry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.entries) == 0 {
		return SpoolEntry{}, false
	}
	return s.entries[0], true
}

// Ack removes entry seq after an endpoint answered it; rejected says the
// answer was a non-retryable error. An unknown seq (already dropped) is
// ignored.
func (s *Spool) Ack(seq uint64, rejected bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, e := range s.entries {
		if e.Seq != seq {
			continue
		}
		if i == 0 {
			s.entries[0] = SpoolEntry{}
			s.entries = s.entries[1:]
		} else {
			s.entries = append(s.entries[:i], s.entries[i+1:]...)
		}
		s.bytes -= int64(len(e.Post))
		if rejected {
			s.stats.Rejected++
		} else {
			s.stats.Sent++
		}
		if err := s.opts.Store.Ack(seq); err != nil {
			s.stats.StoreErrors++
		}
		return
	}
}

// Stats returns the spool's counters.
func (s *Spool) Stats() SpoolStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Depth = len(s.entries)
	st.Bytes = s.bytes
	return st
}
