package protocol

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// spoolFileOps writes a spool file of add (seq > 0) and ack (seq < 0)
// records with testPost posts (timestamp = seq).
func spoolFileOps(t testing.TB, path string, ops []int64) {
	t.Helper()
	var b []byte
	for _, op := range ops {
		if op > 0 {
			post, _ := json.Marshal(testPost(op))
			b = appendStoreLine(b, uint64(op), post)
		} else {
			b = appendStoreLine(b, uint64(-op), nil)
		}
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestFileStoreLoadKeepsNewestWithinBound: Load keeps the newest live
// entries within the bound, drops the older ones with one log line, and the
// file is rewritten without them. An ack that comes after newer adds still
// frees its place.
func TestFileStoreLoadKeepsNewestWithinBound(t *testing.T) {
	one, _ := json.Marshal(testPost(100))
	var adds1000, acks []int64
	for i := int64(1); i <= 1000; i++ {
		adds1000 = append(adds1000, i)
		if i%10 == 0 {
			adds1000 = append(adds1000, -(i - 5)) // acks trail the adds
		}
	}
	adds200 := seqRange(1, 200)
	for i := int64(101); i <= 200; i++ {
		acks = append(acks, -i)
	}
	live1000 := func(from int64) []int64 {
		var out []int64
		for i := from; i <= 1000; i++ {
			if i%10 != 5 {
				out = append(out, i)
			}
		}
		return out
	}
	tests := []struct {
		name       string
		ops        []int64
		maxEntries int
		maxBytes   int64
		want       []int64
		dropped    int
	}{
		{"within the bound", adds1000, 1000, 1 << 30, live1000(1), 0},
		{"entry bound", adds1000, 100, 1 << 30, live1000(890), 800},
		{"byte bound", adds1000, 1000, int64(len(one)*50 + 10), live1000(945), 850},
		{"late acks free their place", append(adds200, acks...), 100, 1 << 30, seqRange(1, 100), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "spool.jsonl")
			spoolFileOps(t, path, tt.ops)
			var logs lockedBuffer
			fs, err := OpenFileStore(path, logs.logger())
			if err != nil {
				t.Fatal(err)
			}
			s, err := NewSpool(SpoolOptions{Store: fs, MaxEntries: tt.maxEntries, MaxBytes: tt.maxBytes})
			if err != nil {
				t.Fatal(err)
			}
			written(t, fs)
			st := s.Stats()
			if st.Depth != len(tt.want) || st.Dropped != uint64(tt.dropped) {
				t.Errorf("stats %+v, want depth %d, %d dropped", st, len(tt.want), tt.dropped)
			}
			lines := strings.Count(logs.String(), "dropped the oldest entries")
			if want := min(tt.dropped, 1); lines != want || (tt.dropped > 0 && !strings.Contains(logs.String(), fmt.Sprintf("dropped=%d", tt.dropped))) {
				t.Errorf("%d log lines about dropped entries, want %d:\n%s", lines, want, logs.String())
			}
			if err := fs.Close(); err != nil {
				t.Fatal(err)
			}
			// The rewritten file holds exactly the kept entries.
			got, skipped := reload(t, path)
			if !slicesEqual(got, tt.want) || skipped != 0 {
				t.Errorf("reloaded %d entries %v... (%d skipped), want %d from %d", len(got), got[:min(len(got), 3)], skipped, len(tt.want), tt.want[0])
			}
		})
	}
}

// TestFileStoreLoadTornAndCorrupt: a torn record followed by good ones, a
// bad checksum, a foreign key order and a whole last line without its
// newline all load as they should, and appends after a torn tail start on
// a line of their own.
func TestFileStoreLoadTornAndCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spool.jsonl")
	post := func(ts int64) []byte { b, _ := json.Marshal(testPost(ts)); return b }
	var b []byte
	b = appendStoreLine(b, 1, post(1))
	torn := appendStoreLine(nil, 2, post(2))
	b = append(b, torn[:len(torn)/2]...) // a write cut short...
	b = append(b, '\n')                  // ...and the next one on its own line
	b = appendStoreLine(b, 3, post(3))
	bad := appendStoreLine(nil, 4, post(4))
	bad[0] ^= 1
	b = append(b, bad...)
	body := fmt.Sprintf(`{"seq":5,"post":%s,"op":"add"}`, post(5)) // another writer's key order
	b = fmt.Appendf(b, "%s %s\n", crcHex([]byte(body)), body)
	last := appendStoreLine(nil, 6, post(6))
	b = append(b, last[:len(last)-1]...) // whole, but no newline
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	fs, err := OpenFileStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSpool(SpoolOptions{Store: fs})
	if err != nil {
		t.Fatal(err)
	}
	if fs.Skipped() != 2 {
		t.Errorf("skipped %d lines, want 2 (the torn and the bad one)", fs.Skipped())
	}
	if err := s.Push(testPost(7)); err != nil {
		t.Fatal(err)
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	if got, skipped := reload(t, path); !slicesEqual(got, []int64{1, 3, 5, 6, 7}) || skipped != 0 {
		t.Errorf("reloaded %v, %d skipped", got, skipped)
	}

	// Without the rewrite at start (it failed), the first append after a
	// torn tail still starts on a line of its own.
	b = appendStoreLine(nil, 1, post(1))
	b = append(b, torn[:len(torn)/2]...)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	fs, err = openFileStore(path, logs.logger(), &faultFS{noCreate: true}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if got, _, err := fs.Load(10, 1<<20); err != nil || len(got) != 1 {
		t.Fatalf("loaded %v, %v", got, err)
	}
	if err := fs.Append(SpoolEntry{Seq: 3, Post: post(3)}); err != nil {
		t.Fatal(err)
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "compaction failed") {
		t.Errorf("the rewrite did not fail:\n%s", logs.String())
	}
	if got, skipped := reload(t, path); !slicesEqual(got, []int64{1, 3}) || skipped != 1 {
		t.Errorf("reloaded %v, %d skipped; want [1 3] and the torn line skipped", got, skipped)
	}
}

func crcHex(body []byte) string {
	return fmt.Sprintf("%08x", crc32.Checksum(body, castagnoli))
}

// benchPost is a check_metrics.post of agent.cpu's size.
func benchPost(ts int64) MetricsPost {
	var m Metrics
	m.Add("", "usage_average", Double(12.5, "percent"))
	m.Add("", "user_percent_average", Double(7.25, "percent"))
	m.Add("", "sys_percent_average", Double(3.5, "percent"))
	m.Add("", "idle_percent_average", Double(87.5, "percent"))
	m.Add("", "irq_percent_average", Double(0.125, "percent"))
	m.Add("", "wait_percent_average", Double(1.5, "percent"))
	m.Add("", "cpu_count", Uint64(4, "count"))
	m.Add("", "max_cpu_usage", Double(31.75, "percent"))
	return MetricsPost{CheckID: "chCPU000001", CheckType: "agent.cpu", State: StateAvailable, Status: "success", Timestamp: ts, Metrics: m}
}

// writeBenchSpool writes n live add records (the worst case for a load)
// and returns the file's size.
func writeBenchSpool(tb testing.TB, path string, n int) int64 {
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	tmpl, _ := json.Marshal(benchPost(1700000000000))
	var line []byte
	for seq := 1; seq <= n; seq++ {
		post := bytes.Replace(tmpl, []byte("1700000000000"), strconv.AppendInt(nil, int64(1700000000000+seq), 10), 1)
		line = appendStoreLine(line[:0], uint64(seq), post)
		w.Write(line)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	st, _ := f.Stat()
	f.Close()
	return st.Size()
}

// heapPeak samples the heap in use until stopped.
type heapPeak struct {
	stop chan struct{}
	wg   sync.WaitGroup
	peak uint64
}

func startHeapPeak() *heapPeak {
	p := &heapPeak{stop: make(chan struct{})}
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			p.peak = max(p.peak, s[0].Value.Uint64())
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

func (p *heapPeak) Stop() uint64 {
	close(p.stop)
	p.wg.Wait()
	return p.peak
}

// vmHWM returns the process's peak resident set (Linux), reset by writing
// 5 to /proc/self/clear_refs.
func vmHWM() (int64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}

// BenchmarkFileStoreLoad opens and loads a spool file of 100,000 live
// records (1,000,000 with VIRGO_BENCH_LARGE=1: a 650 MB file) into a spool
// of the default bound, and reports the peak heap and peak RSS.
func BenchmarkFileStoreLoad(b *testing.B) {
	sizes := []int{100_000}
	if os.Getenv("VIRGO_BENCH_LARGE") != "" {
		sizes = append(sizes, 1_000_000)
	}
	for _, n := range sizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "spool.jsonl")
			size := writeBenchSpool(b, path, n)
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			b.ReportAllocs()
			b.SetBytes(size)
			var peak uint64
			var rss int64
			for b.Loop() {
				b.StopTimer()
				runtime.GC()
				_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
				p := startHeapPeak()
				b.StartTimer()
				fs, err := OpenFileStore(path, log)
				if err != nil {
					b.Fatal(err)
				}
				s, err := NewSpool(SpoolOptions{Store: fs})
				if err != nil {
					b.Fatal(err)
				}
				if err := fs.barrier(false); err != nil { // the rewrite
					b.Fatal(err)
				}
				b.StopTimer()
				if st := s.Stats(); st.Depth != DefaultSpoolEntries || st.Dropped != uint64(n-DefaultSpoolEntries) {
					b.Fatalf("stats %+v", st)
				}
				peak = max(peak, p.Stop())
				if h, ok := vmHWM(); ok {
					rss = max(rss, h)
				}
				fs.Close()
				writeBenchSpool(b, path, n) // the load rewrote it
				b.StartTimer()
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			if rss > 0 {
				b.ReportMetric(float64(rss)/(1<<20), "peak-rss-MiB")
			}
		})
	}
}

// FuzzFileStoreLoad feeds arbitrary bytes to the loader as a spool file:
// it never panics, and what it keeps is well formed.
func FuzzFileStoreLoad(f *testing.F) {
	post, _ := json.Marshal(testPost(1))
	good := appendStoreLine(nil, 1, post)
	f.Add(good)
	f.Add(appendStoreLine(append([]byte(nil), good...), 1, nil))
	f.Add(append(good[:len(good)/2:len(good)/2], appendStoreLine(nil, 2, post)...))
	f.Add(good[:len(good)-1])
	f.Add([]byte("0badf00d {\"op\":\"add\"\n\n\r\n"))
	body := []byte(`{"op":"add","seq":1,"post":{"x":1},"seq":2,"z":{}}`)
	f.Add(fmt.Appendf(nil, "%s %s\n", crcHex(body), body))
	dir := f.TempDir()
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "spool.jsonl")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		res, err := loadSpoolFile(path, 3, 1<<20, discard)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.entries) > 3 || res.dropped < 0 || res.dropped+len(res.entries)+res.skipped < res.live {
			t.Fatalf("%d kept, %d dropped, %d skipped of %d live", len(res.entries), res.dropped, res.skipped, res.live)
		}
		for i, e := range res.entries {
			if i > 0 && e.Seq <= res.entries[i-1].Seq {
				t.Fatalf("entries out of order: %d after %d", e.Seq, res.entries[i-1].Seq)
			}
			if !json.Valid(e.Post) || e.Post[0] != '{' {
				t.Fatalf("entry %d: post %q", e.Seq, e.Post)
			}
		}
		// The fast line decoder agrees with encoding/json on every line
		// encoding/json accepts.
		for _, line := range bytes.Split(data, []byte("\n")) {
			rec, ok := parseStoreLine(line)
			op, seq, postLen, fast := parseStoreHead(line)
			if !ok {
				continue
			}
			if !fast || (op == opAdd) != (rec.Op == "add") {
				t.Fatalf("line %q: json %+v, fast %v %v %d", line, rec, fast, op, seq)
			}
			if seq != rec.Seq || (op == opAdd && postLen != len(rec.Post)) {
				// Only a line with a repeated key can tell them apart, and
				// the loader checks the seq of what it keeps.
				if bytes.Count(line, []byte(`"seq"`)) < 2 && bytes.Count(line, []byte(`"post"`)) < 2 {
					t.Fatalf("line %q: json seq %d post %d bytes, fast seq %d post %d bytes", line, rec.Seq, len(rec.Post), seq, postLen)
				}
			}
		}
	})
}
