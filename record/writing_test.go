package record_test

import (
	"os"
	"testing"

	"github.com/virgo-top/virgo-top/record"
)

func TestWriting(t *testing.T) {
	dir := t.TempDir()
	if _, ok := record.Writing(dir); ok {
		t.Fatal("an empty dir is being written")
	}
	w, err := record.OpenWriter(record.Options{Dir: dir, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if pid, ok := record.Writing(dir); !ok || pid != os.Getpid() {
		t.Errorf("while writing: pid %d ok %v", pid, ok)
	}
	// The probe keeps nothing: the writer still holds its lock, and a
	// second writer is refused.
	if _, err := record.OpenWriter(record.Options{Dir: dir, NoSync: true}); err == nil {
		t.Error("a second writer was let in after a probe")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := record.Writing(dir); ok {
		t.Error("still writing after Close")
	}
	w2, err := record.OpenWriter(record.Options{Dir: dir, NoSync: true})
	if err != nil {
		t.Fatalf("writer after a probe and a close: %v", err)
	}
	w2.Close()
}
