package protocol

import (
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// logger returns a logger into l (lockedBuffer is in tlserrors_test.go).
func (l *lockedBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

// faultFS is the real file system with faults switched on by the test: a
// full disk (writes stop half way with ENOSPC, new files cannot be created),
// a truncate that fails too, a rewrite that cannot create its file, and
// writes that block until released.
type faultFS struct {
	mu         sync.Mutex
	full       bool
	noTruncate bool
	noCreate   bool
	block      chan struct{} // writes wait until it is closed
	blocked    chan struct{} // receives a value when a write starts waiting
}

func (f *faultFS) set(full, noTruncate bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.full, f.noTruncate = full, noTruncate
}

func (f *faultFS) state() (full, noTruncate bool, block, blocked chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.full, f.noTruncate, f.block, f.blocked
}

var errNoSpace = &os.PathError{Op: "write", Path: "test", Err: syscall.ENOSPC}

func (f *faultFS) OpenAppend(name string) (storeFile, int64, error) {
	if full, _, _, _ := f.state(); full {
		if _, err := os.Stat(name); errors.Is(err, os.ErrNotExist) {
			return nil, 0, &os.PathError{Op: "open", Path: name, Err: syscall.ENOSPC}
		}
	}
	sf, size, err := osFS{}.OpenAppend(name)
	if err != nil {
		return nil, 0, err
	}
	return &faultFile{fs: f, f: sf}, size, nil
}

func (f *faultFS) Create(name string) (storeFile, error) {
	f.mu.Lock()
	noCreate := f.noCreate
	f.mu.Unlock()
	if full, _, _, _ := f.state(); full || noCreate {
		return nil, &os.PathError{Op: "open", Path: name, Err: syscall.ENOSPC}
	}
	sf, err := osFS{}.Create(name)
	if err != nil {
		return nil, err
	}
	return &faultFile{fs: f, f: sf}, nil
}

func (f *faultFS) Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }
func (f *faultFS) Remove(name string) error             { return os.Remove(name) }
func (f *faultFS) SyncDir(string) error                 { return nil }

type faultFile struct {
	fs *faultFS
	f  storeFile
}

func (f *faultFile) Write(b []byte) (int, error) {
	full, _, block, blocked := f.fs.state()
	if block != nil {
		if blocked != nil {
			blocked <- struct{}{}
		}
		<-block
	}
	if full {
		n, err := f.f.Write(b[:len(b)/2]) // a partial line, as a full disk leaves
		if err != nil {
			return n, err
		}
		return n, errNoSpace
	}
	return f.f.Write(b)
}

func (f *faultFile) Truncate(size int64) error {
	if _, noTruncate, _, _ := f.fs.state(); noTruncate {
		return errors.New("truncate: input/output error")
	}
	return f.f.Truncate(size)
}

func (f *faultFile) Sync() error  { return f.f.Sync() }
func (f *faultFile) Close() error { return f.f.Close() }

// fixedClock is the FileStore's time, moved by the test.
type fixedClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fixedClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// reload opens path with the real file system and returns the timestamps
// of the live entries and the lines skipped.
func reload(t *testing.T, path string) ([]int64, int) {
	t.Helper()
	fs, err := OpenFileStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	got, _, err := fs.Load(DefaultSpoolEntries, DefaultSpoolBytes)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, e := range got {
		var p MetricsPost
		if err := json.Unmarshal(e.Post, &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Timestamp)
	}
	return out, fs.Skipped()
}

func seqRange(from, to int64) []int64 {
	var out []int64
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

// TestFileStoreFullDisk: while the disk is full, writes fail half way
// through a line; the failure is logged once (rate-limited), counted and
// reported as Degraded; nothing is lost: once space returns the records that
// failed are written, and the file reloads with every live entry, the torn
// lines cut off (or skipped when the cut fails too).
func TestFileStoreFullDisk(t *testing.T) {
	for _, tc := range []struct {
		name        string
		noTruncate  bool
		wantSkipped bool
	}{
		{"truncate works", false, false},
		{"truncate fails", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "spool.jsonl")
			var logs lockedBuffer
			ffs := &faultFS{}
			clock := &fixedClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			fs, err := openFileStore(path, logs.logger(), ffs, clock.Now)
			if err != nil {
				t.Fatal(err)
			}
			defer fs.Close()
			s, err := NewSpool(SpoolOptions{Store: fs})
			if err != nil {
				t.Fatal(err)
			}
			push := func(from, to int64) {
				t.Helper()
				for ts := from; ts <= to; ts++ {
					if err := s.Push(testPost(ts)); err != nil {
						t.Fatal(err)
					}
					fs.barrier(false) // one write each, as a slow producer
				}
			}
			push(1, 3)
			written(t, fs)

			ffs.set(true, tc.noTruncate)
			push(4, 20)
			e, _ := peek(s)
			s.Ack(e.Seq) // 1 leaves: an ack waits in memory too
			if err := fs.Sync(); err == nil || !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("Sync on a full disk: %v", err)
			}
			st := s.Stats()
			if st.StoreErrors < 17 || !strings.Contains(st.Degraded, "no space left on device") || fs.Degraded() != st.Degraded {
				t.Fatalf("stats on a full disk: %+v", st)
			}
			if n := strings.Count(logs.String(), "write failed"); n != 1 {
				t.Errorf("%d log lines for the failed writes within a minute, want 1:\n%s", n, logs.String())
			}
			clock.Advance(storeLogEvery)
			push(21, 21)
			if n := strings.Count(logs.String(), "write failed"); n != 2 {
				t.Errorf("%d log lines after a minute, want 2", n)
			}

			// Space returns: the next write brings everything to disk.
			ffs.set(false, false)
			push(22, 22)
			if err := fs.Sync(); err != nil {
				t.Fatalf("Sync after space returned: %v", err)
			}
			if d := s.Stats().Degraded; d != "" {
				t.Errorf("still degraded: %s", d)
			}
			if !strings.Contains(logs.String(), "writes work again") {
				t.Errorf("recovery not logged:\n%s", logs.String())
			}
			if err := fs.Close(); err != nil {
				t.Fatal(err)
			}
			got, skipped := reload(t, path)
			if want := seqRange(2, 22); !slicesEqual(got, want) {
				t.Errorf("reloaded %v, want %v", got, want)
			}
			if (skipped > 0) != tc.wantSkipped {
				t.Errorf("%d torn lines skipped on reload", skipped)
			}
		})
	}
}

func slicesEqual(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestFileStoreRetriesOnATimer: with nothing else written, the records that
// failed go to disk on the retry timer once space returns.
func TestFileStoreRetriesOnATimer(t *testing.T) {
	old := storeRetryEvery
	storeRetryEvery = time.Millisecond
	defer func() { storeRetryEvery = old }()
	path := filepath.Join(t.TempDir(), "spool.jsonl")
	ffs := &faultFS{full: true}
	fs, err := openFileStore(path, nil, ffs, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	s, err := NewSpool(SpoolOptions{Store: fs})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Push(testPost(1)); err != nil {
		t.Fatal(err)
	}
	if err := fs.barrier(false); err == nil {
		t.Fatal("a write on a full disk worked")
	}
	ffs.set(false, false)
	deadline := time.Now().Add(15 * time.Second)
	for fs.Degraded() != "" {
		if time.Now().After(deadline) {
			t.Fatal("the failed record was never written again")
		}
		time.Sleep(time.Millisecond)
	}
	fs.Close()
	if got, _ := reload(t, path); !slicesEqual(got, []int64{1}) {
		t.Errorf("reloaded %v", got)
	}
}

// TestOpenFileStoreOnAFullDisk: a full state file system never stops the
// spool from opening. An existing file whose rewrite fails is loaded and
// kept as it is; a file that cannot even be created leaves the store
// degraded, in memory, until space returns.
func TestOpenFileStoreOnAFullDisk(t *testing.T) {
	t.Run("existing file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "spool.jsonl")
		fs, err := OpenFileStore(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := NewSpool(SpoolOptions{Store: fs})
		for ts := int64(1); ts <= 3; ts++ {
			s.Push(testPost(ts))
		}
		written(t, fs)
		e, _ := peek(s)
		s.Ack(e.Seq) // an acked entry: the next open wants a rewrite
		fs.Close()

		var logs lockedBuffer
		ffs := &faultFS{full: true}
		fs, err = openFileStore(path, logs.logger(), ffs, time.Now)
		if err != nil {
			t.Fatalf("open on a full disk: %v", err)
		}
		defer fs.Close()
		s, err = NewSpool(SpoolOptions{Store: fs})
		if err != nil {
			t.Fatalf("load on a full disk: %v", err)
		}
		written(t, fs)
		if !strings.Contains(logs.String(), "compaction failed") {
			t.Errorf("the failed rewrite is not logged:\n%s", logs.String())
		}
		if err := s.Push(testPost(4)); err != nil {
			t.Fatal(err)
		}
		if err := fs.barrier(false); !errors.Is(err, syscall.ENOSPC) {
			t.Errorf("write on the full disk: %v", err)
		}
		if st := s.Stats(); st.Depth != 3 || st.Degraded == "" {
			t.Errorf("stats after a push on the full disk: %+v", st)
		}
		ffs.set(false, false)
		if err := fs.Sync(); err != nil {
			t.Fatal(err)
		}
		fs.Close()
		if got, _ := reload(t, path); !slicesEqual(got, []int64{2, 3, 4}) {
			t.Errorf("reloaded %v", got)
		}
	})

	t.Run("no file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "spool.jsonl")
		var logs lockedBuffer
		ffs := &faultFS{full: true}
		fs, err := openFileStore(path, logs.logger(), ffs, time.Now)
		if err != nil {
			t.Fatalf("open on a full disk: %v", err)
		}
		defer fs.Close()
		s, err := NewSpool(SpoolOptions{Store: fs})
		if err != nil {
			t.Fatal(err)
		}
		if d := s.Stats().Degraded; !strings.Contains(d, "file system is full") {
			t.Errorf("Degraded = %q", d)
		}
		if !strings.Contains(logs.String(), "level=ERROR") {
			t.Errorf("no loud warning:\n%s", logs.String())
		}
		for ts := int64(1); ts <= 3; ts++ {
			if err := s.Push(testPost(ts)); err != nil {
				t.Fatal(err)
			}
		}
		// The writer's retry of the open fails the same way: Degraded
		// still names the cause (a retry once said only "no space left
		// on device", and Stats read between the two raced).
		if err := fs.barrier(false); !errors.Is(err, syscall.ENOSPC) {
			t.Errorf("write on the full disk: %v", err)
		}
		if d := s.Stats().Degraded; !strings.Contains(d, "file system is full") {
			t.Errorf("after a retry, Degraded = %q", d)
		}
		ffs.set(false, false)
		if err := fs.Sync(); err != nil {
			t.Fatal(err)
		}
		if d := s.Stats().Degraded; d != "" {
			t.Errorf("still degraded: %s", d)
		}
		fs.Close()
		if got, _ := reload(t, path); !slicesEqual(got, []int64{1, 2, 3}) {
			t.Errorf("reloaded %v", got)
		}
	})
}

// TestMemStoreFallback: a state dir that cannot be written at all is an
// error from OpenFileStore; the spool then runs on a MemStore that says why.
func TestMemStoreFallback(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := OpenFileStore(filepath.Join(notDir, "spool.jsonl"), nil)
	if err == nil {
		t.Fatal("OpenFileStore in a path that is not a directory worked")
	}
	reason := "spool in memory only: " + err.Error()
	s, err := NewSpool(SpoolOptions{Store: MemStore{Reason: reason}, MaxLineSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Push(testPost(1)); err != nil {
		t.Fatal(err)
	}
	big := testPost(2)
	big.Status = strings.Repeat("x", 5000)
	if err := s.Push(big); err == nil {
		t.Error("an oversized post was spooled")
	}
	st := s.Stats()
	if st.Degraded != reason || st.Depth != 1 || st.Dead != 1 {
		t.Errorf("stats %+v", st)
	}
}
