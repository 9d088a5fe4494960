package protocol

import (
	"path/filepath"
	"testing"
	"time"
)

// mustReturn fails the test if f does not return: it is run aside, and a
// deadlock shows as a failure instead of a hung test binary.
func mustReturn(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s blocked on the stalled store", what)
	}
}

// TestStalledDiskBlocksNoOne: while the spool file's writes hang (a slow or
// stalled disk), Push, Stats, Next, Ack and Manager.Status carry on; the
// records are written once the disk answers, and Close waits for that.
func TestStalledDiskBlocksNoOne(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spool.jsonl")
	ffs := &faultFS{}
	fs, err := openFileStore(path, nil, ffs, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSpool(SpoolOptions{Store: fs})
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewManager(Options{Endpoints: []string{"127.0.0.1:1"}}, s)
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	blocked := make(chan struct{}, 100)
	ffs.mu.Lock()
	ffs.block, ffs.blocked = release, blocked
	ffs.mu.Unlock()

	if err := s.Push(testPost(1)); err != nil {
		t.Fatal(err)
	}
	<-blocked // the writer hangs in a write now
	mustReturn(t, "Push, Stats, Next, Ack and Status", func() {
		for ts := int64(2); ts <= 100; ts++ {
			if err := s.Push(testPost(ts)); err != nil {
				t.Error(err)
			}
		}
		if st := s.Stats(); st.Depth != 100 {
			t.Errorf("stats %+v", st)
		}
		e, ok := peek(s)
		if !ok {
			t.Error("nothing to send")
		}
		s.Ack(e.Seq)
		if st := m.Status(); st.Spool.Depth != 99 || st.Spool.Sent != 1 {
			t.Errorf("status %+v", st.Spool)
		}
	})
	close(release)
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	if got, _ := reload(t, path); !slicesEqual(got, seqRange(2, 100)) {
		t.Errorf("reloaded %d entries, want 2..100", len(got))
	}
}

// blockingStore is a Store whose Append hangs until released.
type blockingStore struct {
	MemStore
	release chan struct{}
	entered chan struct{}
}

func (b blockingStore) Append(SpoolEntry) error {
	b.entered <- struct{}{}
	<-b.release
	return nil
}

// TestSlowStoreHoldsNoLock: a Store call that hangs holds only the Push
// that made it; the spool's lock is free for everyone else.
func TestSlowStoreHoldsNoLock(t *testing.T) {
	bs := blockingStore{release: make(chan struct{}), entered: make(chan struct{}, 1)}
	s, err := NewSpool(SpoolOptions{Store: bs})
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewManager(Options{Endpoints: []string{"127.0.0.1:1"}}, s)
	if err != nil {
		t.Fatal(err)
	}
	pushed := make(chan error, 1)
	go func() { pushed <- s.Push(testPost(1)) }()
	<-bs.entered
	mustReturn(t, "Stats, Next and Status", func() {
		if st := s.Stats(); st.Depth != 0 {
			t.Errorf("stats %+v", st)
		}
		if _, ok := peek(s); ok {
			t.Error("an entry the store does not have yet is visible")
		}
		_ = m.Status()
	})
	close(bs.release)
	if err := <-pushed; err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Depth != 1 {
		t.Errorf("stats after the push %+v", st)
	}
}
