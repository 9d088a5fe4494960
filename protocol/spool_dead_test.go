package protocol

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func deadLetters(t *testing.T, dir string) []DeadLetter {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, DeadLetterFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []DeadLetter
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var d DeadLetter
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatalf("dead letter line %q: %v", sc.Text(), err)
		}
		out = append(out, d)
	}
	return out
}

// TestSpoolRefusesOversizedPosts: a post that cannot fit in a request line,
// or in the spool at all, is refused by Push and goes to the dead letter
// (the post itself left out when it is huge).
func TestSpoolRefusesOversizedPosts(t *testing.T) {
	dir := t.TempDir()
	fs, err := OpenFileStore(filepath.Join(dir, "spool.jsonl"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	var logs lockedBuffer
	s, err := NewSpool(SpoolOptions{Store: fs, MaxLineSize: 4096, MaxBytes: 1 << 30, Logger: logs.logger()})
	if err != nil {
		t.Fatal(err)
	}
	line := testPost(1)
	line.Status = strings.Repeat("x", 4000)
	huge := testPost(2)
	huge.Status = strings.Repeat("y", 2<<20) // over a sixteenth of the dead letter bound
	for _, p := range []MetricsPost{line, huge} {
		if err := s.Push(p); err == nil || !strings.Contains(err.Error(), "line limit") {
			t.Errorf("Push of %d bytes: %v", len(p.Status), err)
		}
	}
	if err := s.Push(testPost(3)); err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	if st.Depth != 1 || st.Dead != 2 || st.Rejected != 2 || st.Dropped != 0 {
		t.Errorf("stats %+v", st)
	}
	if n := strings.Count(logs.String(), "level=ERROR"); n != 2 {
		t.Errorf("%d ERROR lines, want one per dead letter:\n%s", n, logs.String())
	}
	written(t, fs)
	dead := deadLetters(t, dir)
	if len(dead) != 2 {
		t.Fatalf("%d dead letters", len(dead))
	}
	if d := dead[0]; d.Timestamp != 1 || d.CheckID != "ch" || !strings.Contains(d.Reason, "4096 byte line limit") || len(d.Post) != d.PostBytes || len(d.Refusals) != 1 {
		t.Errorf("dead letter %+v", d)
	}
	if d := dead[1]; d.Timestamp != 2 || d.Post != nil || d.PostBytes < 2<<20 {
		t.Errorf("huge dead letter: timestamp %d, %d post bytes kept of %d", d.Timestamp, len(d.Post), d.PostBytes)
	}
}

// TestDeadLetterBound: the dead letter file keeps the newest entries within
// its bound, logging what it dropped, and appends after a torn last line
// start on a line of their own.
func TestDeadLetterBound(t *testing.T) {
	dir := t.TempDir()
	// A torn line left by a crash.
	if err := os.WriteFile(filepath.Join(dir, DeadLetterFile), []byte(`{"seq":1,"rea`), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	fs, err := OpenFileStore(filepath.Join(dir, "spool.jsonl"), logs.logger())
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	fs.w.dl.maxEntries = 20
	if _, _, err := fs.Load(10, 1<<20); err != nil {
		t.Fatal(err)
	}
	post, _ := json.Marshal(testPost(1))
	for seq := uint64(1); seq <= 50; seq++ {
		if err := fs.Append(SpoolEntry{Seq: seq, Post: post}); err != nil {
			t.Fatal(err)
		}
		if err := fs.Bury(DeadLetter{Seq: seq, Reason: "test", Time: time.Now(), Post: post, PostBytes: len(post)}); err != nil {
			t.Fatal(err)
		}
	}
	written(t, fs)
	dead := deadLetters(t, dir)
	if len(dead) > 20 || len(dead) < 15 || dead[len(dead)-1].Seq != 50 {
		t.Fatalf("%d dead letters, the last %d", len(dead), dead[len(dead)-1].Seq)
	}
	for i := 1; i < len(dead); i++ {
		if dead[i].Seq != dead[i-1].Seq+1 {
			t.Fatalf("dead letters not the newest in order: %d after %d", dead[i].Seq, dead[i-1].Seq)
		}
	}
	if !strings.Contains(logs.String(), "dead letter file full") {
		t.Errorf("dropping not logged:\n%s", logs.String())
	}
	// Buried entries left the spool file.
	fs.Close()
	fs2, err := OpenFileStore(filepath.Join(dir, "spool.jsonl"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fs2.Close()
	if got, _, _ := fs2.Load(100, 1<<20); len(got) != 0 {
		t.Errorf("%d buried entries still live in the spool file", len(got))
	}
}

// TestDeadLetterUnwritable: a dead letter file that cannot be written (not
// a full disk) does not hold the spool file back: the dead letter goes to
// the log and the entry still leaves the spool file.
func TestDeadLetterUnwritable(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, DeadLetterFile), 0o700); err != nil { // not a file
		t.Fatal(err)
	}
	var logs lockedBuffer
	fs, err := OpenFileStore(filepath.Join(dir, "spool.jsonl"), logs.logger())
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	s, err := NewSpool(SpoolOptions{Store: fs, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	for ts := int64(1); ts <= 2; ts++ {
		if err := s.Push(testPost(ts)); err != nil {
			t.Fatal(err)
		}
	}
	written(t, fs)
	e, _ := peek(s)
	if _, dead := s.Refuse(e.Seq, Refusal{Time: time.Now(), Error: "no"}, func(int) time.Duration { return 0 }); !dead {
		t.Fatal("not dead after MaxAttempts refusals")
	}
	if err := fs.Sync(); err != nil {
		t.Fatalf("the spool file is held back: %v", err)
	}
	if !strings.Contains(logs.String(), "dead letter could not be written") || !strings.Contains(logs.String(), `\"timestamp\":1`) {
		t.Errorf("the dead letter is not in the log:\n%s", logs.String())
	}
	if st := s.Stats(); st.StoreErrors != 1 || st.Degraded != "" || st.Dead != 1 || st.Depth != 1 {
		t.Errorf("stats %+v", st)
	}
	fs.Close()
	if got, _ := reload(t, filepath.Join(dir, "spool.jsonl")); !slicesEqual(got, []int64{2}) {
		t.Errorf("reloaded %v, want [2]", got)
	}
}
