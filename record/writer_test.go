package record_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/record"
)

// TestBusy: one writer per directory; a second one gets a *BusyError
// naming the first one's pid (a second console then reads instead), and
// readers take no lock at all.
func TestBusy(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, record.Options{Dir: dir})
	w.Sample(sample(0))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	_, err := record.OpenWriter(record.Options{Dir: dir})
	var be *record.BusyError
	if !errorsAs(err, &be) || be.PID != os.Getpid() || !errorsIs(err, record.ErrBusy) ||
		!strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("second writer: %v, want a *BusyError with pid %d", err, os.Getpid())
	}
	r := openReader(t, dir) // while the writer holds the lock
	if f, err := r.At(at(10)); err != nil || !f.Snapshot.Time.Equal(at(0)) {
		t.Errorf("reading beside the writer: %v, %v", f, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w2, err := record.OpenWriter(record.Options{Dir: dir, NoSync: true})
	if err != nil {
		t.Fatalf("after the first closed: %v", err)
	}
	w2.Close()
}

// TestQueueFullDrops: when the writer goroutine is stuck (a stalled
// disk), the caller never waits: records beyond the queue's bounds are
// dropped and counted by kind.
func TestQueueFullDrops(t *testing.T) {
	defer record.SetQueue(256, 32)()
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	stall := func(*collector.Snapshot, func(string, float64)) {
		once.Do(func() { close(entered); <-release })
	}
	dir := t.TempDir()
	w := openWriter(t, record.Options{Dir: dir, Series: stall})
	w.Sample(sample(0))
	<-entered // the writer goroutine is stuck on sample 0
	for i := 1; i <= 100; i++ {
		w.Sample(sample(float64(i)))
	}
	for i := 0; i < 300; i++ {
		w.Check(record.CheckResult{Time: at(50), CheckID: "c" + strconv.Itoa(i)})
	}
	w.Alarm(record.AlarmTransition{Time: at(50), CheckID: "c", Alarm: "a", To: "OK"})
	w.Link(record.LinkEvent{Time: at(50), Endpoint: "e", State: "up"})
	st := w.Stats()
	want := record.Stats{Samples: 33, DroppedSamples: 68, Checks: 224, DroppedChecks: 76, DroppedAlarms: 1, DroppedLinks: 1}
	if st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
	close(release)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := frameTimes(t, openReader(t, dir)); !equalInts(got, seq(0, 33)) {
		t.Errorf("frames %v, want the 33 queued", got)
	}
}

// TestRetentionByAge: segments whose data is all older than MaxAge
// before the newest sample are removed, oldest first.
func TestRetentionByAge(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, record.Options{Dir: dir, MaxAge: 3 * time.Hour})
	for i := 0; i < 600; i++ { // 10 hours, one sample a minute
		w.Sample(sample(float64(i * 60)))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r := openReader(t, dir)
	from, to, err := r.Span()
	if err != nil {
		t.Fatal(err)
	}
	newest := at(599 * 60)
	if !to.Equal(newest) || from.Before(newest.Add(-4*time.Hour)) || from.After(newest.Add(-3*time.Hour)) {
		t.Errorf("span %v..%v; want the last 3 to 4 hours before %v", from.UTC(), to.UTC(), newest)
	}
	if st := w.Stats(); st.Removed == 0 || st.Segments != 11 {
		t.Errorf("stats %+v", st)
	}
}

// TestRetentionBySize: the recording stays within MaxBytes (plus the
// segment being written), the oldest segments going first.
func TestRetentionBySize(t *testing.T) {
	dir := t.TempDir()
	const maxBytes = 64 << 10
	w := openWriter(t, record.Options{Dir: dir, MaxBytes: maxBytes})
	peak := int64(0)
	for i := 0; i < 8000; i++ {
		w.Sample(sample(float64(i)))
		if i%500 == 0 {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			peak = max(peak, dirSize(t, dir))
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	size := dirSize(t, dir)
	// Segments are cut at 16 KiB (MaxBytes/8, at least 16 KiB): at most
	// one over the bound.
	if limit := int64(maxBytes + 16<<10 + 8<<10); size > limit || peak > limit {
		t.Errorf("recording %d bytes (peak %d), want at most %d", size, peak, limit)
	}
	r := openReader(t, dir)
	got := frameTimes(t, r)
	t.Logf("%d bytes hold frames %d..%d", size, got[0], got[len(got)-1])
	if len(got) == 0 || got[len(got)-1] != 7999 || !equalInts(got, seq(got[0], 8000)) || got[0] == 0 {
		t.Errorf("frames %d..%d (%d), want the newest, contiguous", got[0], got[len(got)-1], len(got))
	}
}

func dirSize(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && strings.HasSuffix(e.Name(), ".vtr") {
			n += fi.Size()
		}
	}
	return n
}

// TestMasker: secrets in command lines (and other recorded text) are
// masked before they reach the disk.
func TestMasker(t *testing.T) {
	m := record.NewMasker("0123456789abcdef", "abc") // "abc" is too short to search for
	tests := []struct{ in, want string }{
		{"/usr/bin/virgo-top --daemon --token 0123456789abcdef", "/usr/bin/virgo-top --daemon --token ***"},
		{"virgo-top --token=sekrit-value --state-dir /var/lib", "virgo-top --token=*** --state-dir /var/lib"},
		{"app -password hunter2 -user bob", "app -password *** -user bob"},
		{"app --db-password=hunter2", "app --db-password=***"},
		{"app --api-key K1 --apikey=K2 --secret s --client-secret=s2", "app --api-key *** --apikey=*** --secret *** --client-secret=***"},
		{"java -Dspring.datasource.password=pw -jar app.jar", "java -Dspring.datasource.password=*** -jar app.jar"},
		{"env PASSWORD=pw DB_TOKEN=tk HOME=/root run", "env PASSWORD=*** DB_TOKEN=*** HOME=/root run"},
		{"curl https://api.example.com/x?token=abc123&user=bob", "curl https://api.example.com/x?token=***&user=bob"},
		{"psql postgres://app:s3cret@db:5432/app", "psql postgres://app:***@db:5432/app"},
		{"git clone https://user@github.com/x.git", "git clone https://user@github.com/x.git"},
		{"curl -H Authorization: Bearer eyJhbGci.x.y https://x", "curl -H Authorization: Bearer *** https://x"},
		{"mysql -u root -pS3cret db", "mysql -u root -p*** db"},
		{"sshpass -p hunter2 ssh host", "sshpass -p *** ssh host"},
		{"app --token-file /etc/virgo/token --password-file=/run/pw", "app --token-file /etc/virgo/token --password-file=/run/pw"},
		{"prog --token", "prog --token"},
		{"prog --token --verbose", "prog --token --verbose"},
		{"echo 0123456789abcdef in the middle", "echo *** in the middle"},
		{"abc abc", "abc abc"},
		{"/sbin/init splash", "/sbin/init splash"},
		{"", ""},
		{"proxy http://u:p@proxy:3128 refused: password=x", "proxy http://u:***@proxy:3128 refused: password=***"},
	}
	for _, tt := range tests {
		if got := m(tt.in); got != tt.want {
			t.Errorf("mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestMaskedOnDisk: no secret reaches the disk, in any file of the
// recording.
func TestMaskedOnDisk(t *testing.T) {
	defer record.SetFlateLevel(0)() // stored: the bytes on disk are searchable
	dir := t.TempDir()
	w := openWriter(t, record.Options{Dir: dir, Mask: record.NewMasker("tok-5f4dcc3b5aa765d6")})
	s := sample(0)
	s.Processes[0].Cmdline = "/usr/bin/virgo-top --token tok-5f4dcc3b5aa765d6 --proxy http://bob:pr0xypass@proxy:3128"
	w.Sample(s)
	w.Check(record.CheckResult{Time: at(0), CheckID: "c", Status: "login failed for tok-5f4dcc3b5aa765d6"})
	w.Link(record.LinkEvent{Time: at(0), Endpoint: "ep", State: "down", Error: "proxy http://bob:pr0xypass@proxy:3128: refused"})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"tok-5f4dcc3b5aa765d6", "pr0xypass"} {
			if strings.Contains(string(b), secret) {
				t.Errorf("%s holds the secret %q", e.Name(), secret)
			}
		}
		if strings.HasSuffix(e.Name(), ".vtr") && !strings.Contains(string(b), "--token ***") {
			t.Errorf("%s: the masked command line is not there (stored blocks expected)", e.Name())
		}
	}
}
