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
	"sort"
	"strconv"
	"sync"
	"time"
)

// FileStore persists the spool as an append-only JSONL file. Each line is
// "<crc32c as 8 hex digits> <json>", the JSON being {"op":"add","seq":N,
// "post":{...}} or {"op":"ack","seq":N}. Every line is written to the file
// at once, so a killed or crashed process loses nothing. Appends are also
// fsynced, against power loss, but in a group commit: SyncDelay after the
// first unsynced append, and only if an appended entry is still live then,
// so a metric delivered and acked within SyncDelay (the connected case) is
// never fsynced at all. Acks are never fsynced (losing one in a crash means
// one duplicate post, never a lost one). Load
// skips lines whose checksum or JSON is bad, with a warning, and rewrites
// the file with the live entries; the file is also rewritten when acked
// entries outnumber live ones.
type FileStore struct {
	path string
	log  *slog.Logger

	mu      sync.Mutex
	f       *os.File
	live    map[uint64][]byte // seq -> its add line
	dead    int               // lines in the file that no longer matter
	skipped int

	// Group commit: appends with seq > synced are not fsynced yet;
	// unsynced counts those still live; timer is the pending sync.
	synced   uint64
	unsynced int
	timer    *time.Timer
	syncErr  error // the last failed background sync, reported by Sync
}

// SyncDelay is how long an appended spool entry may wait for its fsync
// (group commit). Entries acked sooner are never fsynced.
var SyncDelay = time.Second

// fileRecord is one line of the file.
type fileRecord struct {
	Op   string          `json:"op"`
	Seq  uint64          `json:"seq"`
	Post json.RawMessage `json:"post,omitempty"`
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// maxStoreLine bounds one line of the file when loading.
const maxStoreLine = 64 << 20

// OpenFileStore opens (or creates) the spool file at path.
func OpenFileStore(path string, log *slog.Logger) (*FileStore, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("spool dir: %w", err)
	}
	s := &FileStore{path: path, log: log, live: map[uint64][]byte{}}
	if err := s.read(); err != nil {
		return nil, err
	}
	if err := s.rewrite(); err != nil {
		return nil, err
	}
	return s, nil
}

// Skipped returns the number of corrupt lines skipped when loading.
func (s *FileStore) Skipped() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.skipped
}

func (s *FileStore) read() error {
	f, err := os.Open(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open spool: %w", err)
	}
	defer f.Close()
	c := NewCodec(struct {
		io.Reader
		io.Writer
	}{f, io.Discard}, maxStoreLine)
	for lineNo := 1; ; lineNo++ {
		line, err := c.ReadLine()
		if err == io.EOF {
			return nil
		}
		var fe *FrameError
		if errors.As(err, &fe) {
			s.skip(lineNo, "line too long")
			continue
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			s.skip(lineNo, "truncated last line")
			return nil
		}
		if err != nil {
			return fmt.Errorf("read spool %s: %w", s.path, err)
		}
		rec, ok := parseStoreLine(line)
		if !ok {
			s.skip(lineNo, "bad checksum or JSON")
			continue
		}
		switch rec.Op {
		case "add":
			s.live[rec.Seq] = append([]byte(nil), line...)
		case "ack":
			delete(s.live, rec.Seq)
		default:
			s.skip(lineNo, "unknown op")
		}
	}
}

func (s *FileStore) skip(lineNo int, why string) {
	s.skipped++
	s.log.Warn("spool file: skipping corrupt record", "path", s.path, "line", lineNo, "reason", why)
}

func parseStoreLine(line []byte) (fileRecord, bool) {
	var rec fileRecord
	sum, body, ok := bytes.Cut(line, []byte(" "))
	if !ok || len(sum) != 8 {
		return rec, false
	}
	want, err := strconv.ParseUint(string(sum), 16, 32)
	if err != nil || crc32.Checksum(body, castagnoli) != uint32(want) {
		return rec, false
	}
	if json.Unmarshal(body, &rec) != nil || (rec.Op == "add" && len(rec.Post) == 0) {
		return rec, false
	}
	return rec, true
}

func storeLine(rec fileRecord) ([]byte, error) {
	body, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	line := fmt.Appendf(nil, "%08x ", crc32.Checksum(body, castagnoli))
	line = append(line, body...)
	return line, nil
}

// rewrite replaces the file with the live entries, oldest first.
func (s *FileStore) rewrite() error {
	tmp := s.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("rewrite spool: %w", err)
	}
	w := bufio.NewWriter(f)
	for _, seq := range s.seqs() {
		w.Write(s.live[seq])
		w.WriteByte('\n')
	}
	err = w.Flush()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, s.path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("rewrite spool: %w", err)
	}
	if s.f != nil {
		s.f.Close()
	}
	s.f, err = os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open spool: %w", err)
	}
	s.dead = 0
	s.markSynced() // the rewritten file was fsynced
	return nil
}

func (s *FileStore) seqs() []uint64 {
	seqs := make([]uint64, 0, len(s.live))
	for seq := range s.live {
		seqs = append(seqs, seq)
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	return seqs
}

// write appends line to the file (fsyncs are the group commit's).
func (s *FileStore) write(line []byte) error {
	if s.f == nil {
		return errors.New("spool file closed")
	}
	if _, err := s.f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("write spool: %w", err)
	}
	return nil
}

// Append writes an entry to the file at once and has it fsynced within
// SyncDelay unless it is acked before then.
func (s *FileStore) Append(e SpoolEntry) error {
	line, err := storeLine(fileRecord{Op: "add", Seq: e.Seq, Post: e.Post})
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live[e.Seq] = line
	if err := s.write(line); err != nil {
		return err
	}
	if e.Seq > s.synced {
		s.unsynced++
		if s.timer == nil {
			s.timer = time.AfterFunc(SyncDelay, s.groupSync)
		}
	}
	return nil
}

// groupSync is the group commit: one fsync for every append since the
// last, skipped when all of them were acked meanwhile.
func (s *FileStore) groupSync() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.timer = nil
	if err := s.syncLocked(); err != nil {
		s.syncErr = err
		s.log.Warn("spool file: sync failed", "path", s.path, "err", err)
	}
}

// syncLocked fsyncs the file if a live entry is not synced yet.
func (s *FileStore) syncLocked() error {
	if s.f == nil || s.unsynced == 0 {
		s.markSynced()
		return nil
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("sync spool: %w", err)
	}
	s.markSynced()
	return nil
}

// markSynced records that every entry written so far is on disk (or acked).
func (s *FileStore) markSynced() {
	for seq := range s.live {
		s.synced = max(s.synced, seq)
	}
	s.unsynced = 0
}

// Sync fsyncs appends not yet synced at once and reports a failed
// background sync since the last call.
func (s *FileStore) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.syncLocked()
	if err == nil {
		err, s.syncErr = s.syncErr, nil
	}
	return err
}

// Ack records that entry seq left the spool.
func (s *FileStore) Ack(seq uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.live[seq]; !ok {
		return nil
	}
	delete(s.live, seq)
	if seq > s.synced {
		s.unsynced--
	}
	s.dead += 2 // its add line and this ack line
	if s.dead > 1024 && s.dead > len(s.live) {
		return s.rewrite()
	}
	line, err := storeLine(fileRecord{Op: "ack", Seq: seq})
	if err != nil {
		return err
	}
	return s.write(line)
}

// Load returns the live entries, oldest first.
func (s *FileStore) Load() ([]SpoolEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SpoolEntry, 0, len(s.live))
	for _, seq := range s.seqs() {
		rec, ok := parseStoreLine(s.live[seq])
		if !ok {
			continue
		}
		out = append(out, SpoolEntry{Seq: rec.Seq, Post: rec.Post})
	}
	return out, nil
}

// Close syncs what is pending and closes the file.
func (s *FileStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	if s.f == nil {
		return nil
	}
	err := s.syncLocked()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.f = nil
	return err
}
