package protocol

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func testPost(ts int64) MetricsPost {
	var m Metrics
	m.Add("", "v", Int64(ts, ""))
	return MetricsPost{CheckID: "ch", CheckType: "agent.cpu", State: StateAvailable, Timestamp: ts, Metrics: m}
}

// peek returns the entry the spool would send now.
func peek(s *Spool) (SpoolEntry, bool) {
	e, ok, _ := s.Next(time.Now())
	return e, ok
}

// timestamps acks every entry, oldest first, and returns their timestamps.
func timestamps(t *testing.T, s *Spool) []int64 {
	t.Helper()
	var out []int64
	for {
		e, ok := peek(s)
		if !ok {
			return out
		}
		var p MetricsPost
		if err := json.Unmarshal(e.Post, &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Timestamp)
		s.Ack(e.Seq)
	}
}

// written waits until the store's writer wrote what it was given.
func written(t testing.TB, fs *FileStore) {
	t.Helper()
	if err := fs.barrier(false); err != nil {
		t.Fatal(err)
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
	e, _ := peek(s)
	s.Ack(e.Seq)
	s.Ack(e.Seq) // a second ack of the same entry changes nothing
	s.Ack(999)   // unknown
	if got := timestamps(t, s); len(got) != 2 || got[0] != 4 || got[1] != 5 {
		t.Fatalf("left in spool: %v", got)
	}
	st = s.Stats()
	if st.Depth != 0 || st.Bytes != 0 || st.Rejected != 0 || st.Sent != 3 || st.Dropped != 2 {
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
	written(t, fs)
	e, _ := peek(s)
	s.Ack(e.Seq) // 1 is gone
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
	s2, err := NewSpool(SpoolOptions{Store: fs2})
	if err != nil {
		t.Fatal(err)
	}
	if fs2.Skipped() != 2 {
		t.Fatalf("skipped %d corrupt lines, want 2", fs2.Skipped())
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
	if got, _, _ := fs3.Load(100, 1<<20); len(got) != 0 || fs3.Skipped() != 0 {
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
		written(t, fs) // every add reaches the file before its ack
		if ts%2 == 0 {
			e, _ := peek(s)
			s.Ack(e.Seq)
		}
	}
	written(t, fs)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte("\n")); n >= 3000 {
		t.Fatalf("file has %d lines for 1000 live entries: not compacted", n)
	}
	if s.Stats().Depth != 1000 || s.Stats().StoreErrors != 0 {
		t.Fatalf("spool %+v", s.Stats())
	}
	fs.Close()
	fs2, err := OpenFileStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fs2.Close()
	if got, _, _ := fs2.Load(DefaultSpoolEntries, DefaultSpoolBytes); len(got) != 1000 || fs2.Skipped() != 0 {
		t.Fatalf("%d live in the reopened store, %d skipped", len(got), fs2.Skipped())
	}
}

func BenchmarkSpoolPushAck(b *testing.B) {
	s, _ := NewSpool(SpoolOptions{})
	p := testPost(1)
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Push(p)
		e, _ := peek(s)
		s.Ack(e.Seq)
	}
}

// TestFileStoreGroupCommit: an append is in the file as soon as the writer
// has it (a killed process loses nothing) and is fsynced by the group commit
// only while it is undelivered; an entry acked before SyncDelay never costs
// an fsync.
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
	if _, _, err := fs.Load(10, 1<<20); err != nil {
		t.Fatal(err)
	}
	type state struct {
		unsynced int
		timer    bool
		synced   []uint64
	}
	// inspect runs f in the writer once it wrote everything before.
	inspect := func(f func(w *storeWriter)) {
		t.Helper()
		op := &storeOp{kind: opBarrier, inspect: f, reply: make(chan error, 1)}
		if err := fs.enqueue(op); err != nil {
			t.Fatal(err)
		}
		if err := <-op.reply; err != nil {
			t.Fatal(err)
		}
	}
	get := func() (st state) {
		inspect(func(w *storeWriter) {
			st.unsynced, st.timer = w.unsynced, w.syncTimer != nil
			for seq, rec := range w.live {
				if rec.synced {
					st.synced = append(st.synced, seq)
				}
			}
			slices.Sort(st.synced)
		})
		return st
	}
	add := func(seq uint64) {
		t.Helper()
		if err := fs.Append(SpoolEntry{Seq: seq, Post: json.RawMessage(`{"check_id":"c"}`)}); err != nil {
			t.Fatal(err)
		}
		written(t, fs)
	}
	ack := func(seq uint64) {
		t.Helper()
		if err := fs.Ack(seq); err != nil {
			t.Fatal(err)
		}
	}

	// Delivered within the delay: nothing left to sync.
	add(1)
	add(2)
	if b, _ := os.ReadFile(path); bytes.Count(b, []byte("\n")) != 2 {
		t.Fatalf("appends not written at once:\n%s", b)
	}
	if st := get(); st.unsynced != 2 || !st.timer || len(st.synced) != 0 {
		t.Fatalf("after 2 appends: %+v", st)
	}
	ack(1)
	ack(2)
	if st := get(); st.unsynced != 0 {
		t.Fatalf("after acking both: %+v, want nothing to sync", st)
	}
	inspect(func(w *storeWriter) { // the timer firing
		w.syncTimer = nil
		if err := w.syncNow(); err != nil {
			t.Error(err)
		}
	})
	if st := get(); st.unsynced != 0 || st.timer {
		t.Fatalf("after the group sync: %+v", st)
	}

	// Undelivered: the sync covers it, and a later ack of a synced entry
	// does not disturb the count.
	add(3)
	add(4)
	ack(3)
	if st := get(); st.unsynced != 1 {
		t.Fatalf("%+v, want 1 unsynced", st)
	}
	if err := fs.Sync(); err != nil {
		t.Fatal(err)
	}
	if st := get(); st.unsynced != 0 || !slices.Equal(st.synced, []uint64{4}) {
		t.Fatalf("after Sync: %+v", st)
	}
	ack(4)
	if st := get(); st.unsynced != 0 {
		t.Fatalf("ack of a synced entry: %+v", st)
	}

	// Reopened: loaded entries count as synced.
	add(5)
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	fs, err = OpenFileStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	if got, _, err := fs.Load(10, 1<<20); err != nil || len(got) != 1 || got[0].Seq != 5 {
		t.Fatalf("reopened: %v %v", got, err)
	}
	if st := get(); st.unsynced != 0 || !slices.Equal(st.synced, []uint64{5}) {
		t.Fatalf("reopened: %+v", st)
	}
	ack(5)
	if st := get(); st.unsynced != 0 {
		t.Fatalf("ack after reopen: %+v", st)
	}
}

// TestNextUnrefused: on a new connection a post never refused goes first,
// so a poisoned post that makes the endpoint drop every connection cannot
// hold up the rest; when only refused posts are due, they go.
func TestNextUnrefused(t *testing.T) {
	s, err := NewSpool(SpoolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for ts := int64(1); ts <= 3; ts++ {
		if err := s.Push(testPost(ts)); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	first, _, _ := s.Next(now)
	s.Refuse(first.Seq, Refusal{Time: now.Add(-time.Hour), Code: 500}, func(int) time.Duration { return 0 })
	if e, ok, _ := s.Next(now); !ok || e.Seq != first.Seq {
		t.Fatalf("Next: %d %v, want the oldest (refused, due again) %d", e.Seq, ok, first.Seq)
	}
	e, ok, _ := s.NextUnrefused(now)
	if !ok || e.Seq == first.Seq {
		t.Fatalf("NextUnrefused gave the refused post %d", e.Seq)
	}
	s.Ack(e.Seq)
	e2, _, _ := s.NextUnrefused(now)
	s.Ack(e2.Seq)
	if e, ok, _ := s.NextUnrefused(now); !ok || e.Seq != first.Seq {
		t.Fatalf("only the refused post is due: got %d %v", e.Seq, ok)
	}
}
