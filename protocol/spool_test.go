package protocol

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testPost(ts int64) MetricsPost {
	var m Metrics
	m.Add("", "v", Int64(ts, ""))
	return MetricsPost{CheckID: "ch", CheckType: "agent.cpu", State: StateAvailable, Timestamp: ts, Metrics: m}
}

func timestamps(t *testing.T, s *Spool) []int64 {
	t.Helper()
	var out []int64
	for {
		e, ok := s.Peek()
		if !ok {
			return out
		}
		var p MetricsPost
		if err := json.Unmarshal(e.Post, &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Timestamp)
		s.Ack(e.Seq, false)
	}
}

func TestSpoolBoundsAndAcks(t *testing.T) {
	s, err := NewSpool(SpoolOptions{MaxEntries: 3})
	if err != nil {
		t.Fatal(err)
	}
	for ts := int64(1); ts <= 5; ts++ {
		if err := s.Push(testPost(ts)); err != nil {
			t.Fatal(err)
		}
	}
	st := s.Stats()
	if st.Depth != 3 || st.Dropped != 2 {
		t.Fatalf("stats %+v", st)
	}
	e, _ := s.Peek()
	s.Ack(e.Seq, true)
	s.Ack(e.Seq, true) // a second ack of the same entry changes nothing
	s.Ack(999, false)  // unknown
	if got := timestamps(t, s); len(got) != 2 || got[0] != 4 || got[1] != 5 {
		t.Fatalf("left in spool: %v", got)
	}
	st = s.Stats()
	if st.Depth != 0 || st.Bytes != 0 || st.Rejected != 1 || st.Sent != 2 || st.Dropped != 2 {
		t.Fatalf("stats %+v", st)
	}
	select {
	case <-s.Ready():
	default:
		t.Fatal("Ready not signalled after pushes")
	}
}

func TestSpoolByteBound(t *testing.T) {
	one, _ := json.Marshal(testPost(1))
	s, err := NewSpool(SpoolOptions{MaxBytes: int64(len(one)*2 + 1)})
	if err != nil {
		t.Fatal(err)
	}
	for ts := int64(1); ts <= 4; ts++ {
		if err := s.Push(testPost(ts)); err != nil {
			t.Fatal(err)
		}
	}
	if st := s.Stats(); st.Depth != 2 || st.Dropped != 2 || st.Bytes != int64(2*len(one)) {
		t.Fatalf("stats %+v", st)
	}
	big := testPost(9)
	big.Status = strings.Repeat("x", 1000)
	if err := s.Push(big); err == nil || !strings.Contains(err.Error(), "over the") {
		t.Fatalf("oversized post: %v", err)
	}
	if got := timestamps(t, s); len(got) != 2 || got[0] != 3 || got[1] != 4 {
		t.Fatalf("left: %v", got)
	}
}

func TestFileStoreSurvivesRestartAndCorruption(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spool", "metrics.jsonl")
	fs, err := OpenFileStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSpool(SpoolOptions{Store: fs})
	if err != nil {
		t.Fatal(err)
	}
	for ts := int64(1); ts <= 4; ts++ {
		if err := s.Push(testPost(ts)); err != nil {
			t.Fatal(err)
		}
	}
	e, _ := s.Peek()
	s.Ack(e.Seq, false) // 1 is gone
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}

	// Corrupt the record of 3 (flip a digit of its payload) and append a
	// torn line, as a crash mid-write would leave.
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if len(lines) != 5 { // 4 adds, 1 ack
		t.Fatalf("%d lines in the file:\n%s", len(lines), b)
	}
	lines[2] = bytes.Replace(lines[2], []byte(`"timestamp":3`), []byte(`"timestamp":8`), 1)
	b = append(bytes.Join(lines, []byte("\n")), []byte("\n0badf00d {\"op\":\"add\"")...)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}

	fs2, err := OpenFileStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fs2.Close()
	if fs2.Skipped() != 2 {
		t.Fatalf("skipped %d corrupt lines, want 2", fs2.Skipped())
	}
	s2, err := NewSpool(SpoolOptions{Store: fs2})
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Push(testPost(5)); err != nil {
		t.Fatal(err)
	}
	if got := timestamps(t, s2); len(got) != 3 || got[0] != 2 || got[1] != 4 || got[2] != 5 {
		t.Fatalf("recovered %v, want [2 4 5]", got)
	}
	// Everything acked: a reopened store is empty.
	fs2.Close()
	fs3, err := OpenFileStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fs3.Close()
	if got, _ := fs3.Load(); len(got) != 0 || fs3.Skipped() != 0 {
		t.Fatalf("after acking all: %d entries, %d skipped", len(got), fs3.Skipped())
	}
}

func TestFileStoreCompacts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "metrics.jsonl")
	fs, err := OpenFileStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	s, err := NewSpool(SpoolOptions{Store: fs})
	if err != nil {
		t.Fatal(err)
	}
	for ts := int64(1); ts <= 2000; ts++ {
		if err := s.Push(testPost(ts)); err != nil {
			t.Fatal(err)
		}
		if ts%2 == 0 {
			e, _ := s.Peek()
			s.Ack(e.Seq, false)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte("\n")); n >= 3000 {
		t.Fatalf("file has %d lines for 1000 live entries: not compacted", n)
	}
	got, _ := fs.Load()
	if len(got) != 1000 || s.Stats().Depth != 1000 || s.Stats().StoreErrors != 0 {
		t.Fatalf("%d live in store, spool %+v", len(got), s.Stats())
	}
}

func BenchmarkSpoolPushAck(b *testing.B) {
	s, _ := NewSpool(SpoolOptions{})
	p := testPost(1)
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Push(p)
		e, _ := s.Peek()
		s.Ack(e.Seq, false)
	}
}

// TestFileStoreGroupCommit: an append is in the file at once (a killed
// process loses nothing) and is fsynced by the group commit only while it
// is undelivered; an entry acked before SyncDelay never costs an fsync.
func TestFileStoreGroupCommit(t *testing.T) {
	old := SyncDelay
	SyncDelay = time.Hour // the timer never fires by itself here
	defer func() { SyncDelay = old }()

	path := filepath.Join(t.TempDir(), "spool.jsonl")
	fs, err := OpenFileStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	state := func() (uint64, int, bool) {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		return fs.synced, fs.unsynced, fs.timer != nil
	}
	add := func(seq uint64) {
		t.Helper()
		if err := fs.Append(SpoolEntry{Seq: seq, Post: json.RawMessage(`{"check_id":"c"}`)}); err != nil {
			t.Fatal(err)
		}
	}

	// Delivered within the delay: nothing left to sync.
	add(1)
	add(2)
	if b, _ := os.ReadFile(path); bytes.Count(b, []byte("\n")) != 2 {
		t.Fatalf("appends not written at once:\n%s", b)
	}
	if synced, unsynced, timer := state(); synced != 0 || unsynced != 2 || !timer {
		t.Fatalf("after 2 appends: synced=%d unsynced=%d timer=%v", synced, unsynced, timer)
	}
	for _, seq := range []uint64{1, 2} {
		if err := fs.Ack(seq); err != nil {
			t.Fatal(err)
		}
	}
	if _, unsynced, _ := state(); unsynced != 0 {
		t.Fatalf("after acking both: unsynced=%d, want 0 (no fsync needed)", unsynced)
	}
	fs.groupSync() // the timer firing
	if _, unsynced, timer := state(); unsynced != 0 || timer {
		t.Fatalf("after the group sync: unsynced=%d timer=%v", unsynced, timer)
	}

	// Undelivered: the group sync covers it, and a later ack of a synced
	// entry does not disturb the count.
	add(3)
	add(4)
	if err := fs.Ack(3); err != nil {
		t.Fatal(err)
	}
	if _, unsynced, _ := state(); unsynced != 1 {
		t.Fatalf("unsynced=%d, want 1", unsynced)
	}
	if err := fs.Sync(); err != nil {
		t.Fatal(err)
	}
	if synced, unsynced, _ := state(); synced != 4 || unsynced != 0 {
		t.Fatalf("after Sync: synced=%d unsynced=%d, want 4 and 0", synced, unsynced)
	}
	if err := fs.Ack(4); err != nil {
		t.Fatal(err)
	}
	if _, unsynced, _ := state(); unsynced != 0 {
		t.Fatalf("ack of a synced entry moved unsynced to %d", unsynced)
	}

	// Reopened: loaded entries count as synced.
	add(5)
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	fs2, err := OpenFileStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fs2.Close()
	if fs2.synced != 5 || fs2.unsynced != 0 {
		t.Fatalf("reopened: synced=%d unsynced=%d, want 5 and 0", fs2.synced, fs2.unsynced)
	}
	if err := fs2.Ack(5); err != nil || fs2.unsynced != 0 {
		t.Fatalf("ack after reopen: err=%v unsynced=%d", err, fs2.unsynced)
	}
}
