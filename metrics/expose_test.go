package metrics

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"flag"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/internal/schema"
)

// record rewrites testdata/clientgolang/*.txt with client_golang's
// encoding: go test ./metrics -run TestClientGolangCompat -record
var record = flag.Bool("record", false, "rewrite metrics/testdata/clientgolang/*.txt with client_golang's encoding")

// TestClientGolangCompat asserts the exposition writer produces, byte for
// byte, what client_golang (a pedantic registry and expfmt's text encoder)
// produces for the same samples of five fake sources. Their encodings are
// kept in testdata/clientgolang/*.txt (for review: a change to a name, a
// label or a value shows there), written by client_golang only: -record
// rewrites them from its output, never from the writer's.
func TestClientGolangCompat(t *testing.T) {
	for name, src := range compatSources() {
		t.Run(name, func(t *testing.T) {
			c := newCollector(src, testOpts, fixedNow)
			x := newExposition()
			c.collect(c.newEmitter(x))
			cg := clientGolangText(t, x)
			path := filepath.Join("testdata", "clientgolang", name+".txt")
			if *record {
				if err := os.WriteFile(path, cg, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(cg, want) {
				t.Errorf("client_golang's encoding differs from %s (go test ./metrics -run TestClientGolangCompat -record rewrites it)", path)
			}
			var got bytes.Buffer
			if err := c.WriteText(&got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), cg) {
				gl, wl := strings.Split(got.String(), "\n"), strings.Split(string(cg), "\n")
				for i := range max(len(gl), len(wl)) {
					var g, w string
					if i < len(gl) {
						g = gl[i]
					}
					if i < len(wl) {
						w = wl[i]
					}
					if g != w {
						t.Fatalf("line %d:\n got %q\nwant %q (client_golang)", i+1, g, w)
					}
				}
			}
		})
	}
}

// TestFullScrapeParses parses a whole /metrics answer with client_golang's
// text parser and checks every family: known to this package, with its
// HELP and TYPE, and the samples its type calls for. The Go, process and
// build families keep client_golang's HELP and TYPE lines
// (testdata/clientgolang/self_help.txt).
func TestFullScrapeParses(t *testing.T) {
	rec := httptest.NewRecorder()
	newHandler(sampleSource(), testOpts, fixedNow).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != contentType {
		t.Errorf("Content-Type %q, want %q", ct, contentType)
	}
	body := rec.Body.String()
	fams := parse(t, body)

	known := map[string]*family{}
	self := newSelfFamilies()
	for _, f := range append(newFamilies().all, self.goroutines, self.threads, self.heapAlloc, self.heapInuse,
		self.gcDuration, self.cpuSeconds, self.rss, self.vsize, self.openFDs, self.maxFDs, self.startTime) {
		known[f.name] = f
	}
	build := buildInfoFamily()
	withHost(build)
	known[build.name] = build
	wantType := map[metricType]dto.MetricType{gaugeType: dto.MetricType_GAUGE, counterType: dto.MetricType_COUNTER,
		summaryType: dto.MetricType_SUMMARY}
	for name, mf := range fams {
		f, ok := known[name]
		if !ok {
			t.Errorf("family %s is not one of this package's", name)
			continue
		}
		if mf.GetHelp() != f.help {
			t.Errorf("%s: help %q, want %q", name, mf.GetHelp(), f.help)
		}
		if mf.GetType() != wantType[f.typ] {
			t.Errorf("%s: type %v, want %v", name, mf.GetType(), wantType[f.typ])
		}
		if len(mf.GetMetric()) == 0 {
			t.Errorf("%s: no samples", name)
		}
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(f.labels) {
				t.Errorf("%s: %d labels, want %d", name, len(m.GetLabel()), len(f.labels))
			}
			// Every series names its host.
			if !hasLabel(&dto.MetricFamily{Metric: []*dto.Metric{m}}, schema.LabelHost, testHost) {
				t.Errorf("%s: series %v without %s=%q", name, m.GetLabel(), schema.LabelHost, testHost)
			}
			if f.typ == summaryType && (m.GetSummary() == nil || len(m.GetSummary().GetQuantile()) != 5) {
				t.Errorf("%s: not a summary of 5 quantiles: %v", name, m)
			}
		}
	}
	if v, ok := value(fams, "virgo_build_info", map[string]string{"version": "1.2.3", "goversion": runtime.Version()}); !ok || v != 1 {
		t.Errorf("virgo_build_info = %v, %v", v, ok)
	}

	// Our own families' HELP and TYPE lines are client_golang's.
	want, err := os.ReadFile(filepath.Join("testdata", "clientgolang", "self_help.txt"))
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]bool{}
	for line := range strings.Lines(body) {
		lines[line] = true
	}
	for line := range strings.Lines(string(want)) {
		name := strings.Fields(line)[2]
		if strings.HasPrefix(name, "process_") && runtime.GOOS != "linux" {
			continue
		}
		if !lines[line] {
			t.Errorf("missing %q", line)
		}
	}

	// Sanity of the values read from the runtime and /proc.
	if runtime.GOOS == "linux" {
		for _, name := range []string{"process_resident_memory_bytes", "process_virtual_memory_bytes",
			"process_open_fds", "process_max_fds", "process_start_time_seconds"} {
			if v, ok := value(fams, name, nil); !ok || v <= 0 {
				t.Errorf("%s = %v, %v", name, v, ok)
			}
		}
	}
	if v, _ := value(fams, "go_goroutines", nil); v < 1 {
		t.Errorf("go_goroutines = %v", v)
	}
	alloc, _ := value(fams, "go_memstats_alloc_bytes", nil)
	inuse, _ := value(fams, "go_memstats_heap_inuse_bytes", nil)
	if alloc <= 0 || inuse < alloc {
		t.Errorf("go_memstats_alloc_bytes = %v, go_memstats_heap_inuse_bytes = %v", alloc, inuse)
	}
}

func TestScrapeGzip(t *testing.T) {
	h := newHandler(sampleSource(), testOpts, fixedNow)
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Accept-Encoding", "gzip, deflate")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q", rec.Header().Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := parse(t, string(body))["virgo_spool_depth"]; !ok {
		t.Error("gzipped scrape lacks virgo_spool_depth")
	}
	for _, ae := range []string{"", "identity", "gzip;q=0", "br"} {
		req := httptest.NewRequest("GET", "/metrics", nil)
		req.Header.Set("Accept-Encoding", ae)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Header().Get("Content-Encoding") != "" || !strings.Contains(rec.Body.String(), "# TYPE virgo_spool_depth gauge") {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q", ae, rec.Header().Get("Content-Encoding"))
		}
	}
}

// TestScrapeLimit: with MaxScrapes scrapes in flight, one more is refused
// with 503 at once.
func TestScrapeLimit(t *testing.T) {
	mh := newMetricsHandler(sampleSource(), testOpts, fixedNow)
	for range MaxScrapes {
		mh.slots <- struct{}{}
	}
	rec := httptest.NewRecorder()
	mh.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("scrape %d: status %d, want 503", MaxScrapes+1, rec.Code)
	}
	<-mh.slots
	rec = httptest.NewRecorder()
	mh.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("with a free slot: status %d", rec.Code)
	}
}

// slowSource blocks Latest until release is closed.
type slowSource struct {
	fakeSource
	release chan struct{}
}

func (s *slowSource) Latest() *collector.Snapshot { <-s.release; return nil }

// TestScrapeTimeout: a scrape that outlasts the timeout is answered 503,
// and its slot is free again once it finishes.
func TestScrapeTimeout(t *testing.T) {
	defer func(d time.Duration) { scrapeTimeout = d }(scrapeTimeout)
	scrapeTimeout = 50 * time.Millisecond
	src := &slowSource{release: make(chan struct{})}
	h := newHandler(src, testOpts, fixedNow)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "timeout") {
		t.Errorf("slow scrape: %d %q, want 503 and the timeout", rec.Code, rec.Body.String())
	}
	close(src.release)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("after release: status %d", rec.Code)
	}
}

// expfmtText is client_golang's own text encoding of one gauge sample with
// help text, label value and value.
func expfmtText(t *testing.T, help, label string, v float64) string {
	t.Helper()
	mf := &dto.MetricFamily{
		Name: ptr("x_total"), Help: ptr(help), Type: dto.MetricType_GAUGE.Enum(),
		Metric: []*dto.Metric{{
			Label: []*dto.LabelPair{{Name: ptr("l"), Value: ptr(label)}},
			Gauge: &dto.Gauge{Value: ptr(v)},
		}},
	}
	var b strings.Builder
	if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// FuzzEscaping writes a family with arbitrary help text, label value and
// value: the output is expfmt's own encoding byte for byte, and client_golang's
// parser reads the help, the label value (sanitized to UTF-8) and the
// value back.
func FuzzEscaping(f *testing.F) {
	f.Add("help", "v", 1.5)
	f.Add("a\\b\nc\"d", "a\\b\nc\"d", math.Inf(1))
	f.Add("", "", math.NaN())
	f.Add("\\n", "\\\"", math.Copysign(0, -1))
	f.Add("日本\xff", "\xc3", 1e21)
	f.Add("tab\there", "{}=,", 123456789.0)
	f.Add("x", "y", -1.0)
	f.Add("x", "y", 1e-7)
	f.Fuzz(func(t *testing.T, help, label string, v float64) {
		fam := gauge("x_total", help, "l")
		x := newExposition()
		newEmitter(x, "").emit(fam, v, label)
		var b bytes.Buffer
		if err := x.writeText(&b); err != nil {
			t.Fatal(err)
		}
		if want := expfmtText(t, help, sanitizeLabel(label), v); b.String() != want {
			t.Fatalf("got\n%q\nwant (expfmt)\n%q", b.String(), want)
		}
		if !utf8ValidHelp(help) {
			// The parser rejects invalid UTF-8 in HELP; the encoders
			// agree above, which is what matters for our fixed help.
			return
		}
		var p expfmt.TextParser
		fams, err := p.TextToMetricFamilies(bytes.NewReader(b.Bytes()))
		if err != nil {
			t.Fatalf("parse: %v\n%s", err, b.String())
		}
		mf := fams["x_total"]
		// The parser drops blanks before the help text (its quirk: the
		// encoders agree byte for byte above).
		if mf.GetHelp() != strings.TrimLeft(help, " \t") {
			t.Errorf("help %q, want %q", mf.GetHelp(), help)
		}
		m := mf.GetMetric()[0]
		if got := m.GetLabel()[0].GetValue(); got != sanitizeLabel(label) {
			t.Errorf("label %q, want %q", got, sanitizeLabel(label))
		}
		got := m.GetGauge().GetValue()
		if got != v && !(math.IsNaN(got) && math.IsNaN(v)) {
			t.Errorf("value %v, want %v", got, v)
		}
	})
}

func utf8ValidHelp(s string) bool { return strings.ToValidUTF8(s, "") == s }

func TestWriteFloatLikeExpfmt(t *testing.T) {
	for _, v := range []float64{0, math.Copysign(0, -1), 1, -1, 2, 0.1, 1e-7, 1e21, 1e20, 123456789, 4.096e6,
		1 << 62, math.MaxFloat64, math.SmallestNonzeroFloat64, math.NaN(), math.Inf(1), math.Inf(-1), -42.5} {
		var b bytes.Buffer
		w := bufio.NewWriter(&b)
		writeFloat(w, v)
		w.Flush()
		want := expfmtText(t, "", "", v)
		want = want[strings.LastIndexByte(want[:len(want)-1], ' ')+1 : len(want)-1]
		if b.String() != want {
			t.Errorf("writeFloat(%v) = %q, expfmt %q", v, b.String(), want)
		}
	}
}

func TestParseStat(t *testing.T) {
	line := "4242 (virgo (top) x) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 130 0 0 20 0 9 0 123456 1683668992 3946 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
	st, ok := parseStat([]byte(line))
	if !ok {
		t.Fatal("parse failed")
	}
	want := selfStat{utime: 250, stime: 130, starttime: 123456, vsize: 1683668992, rss: 3946}
	if st != want {
		t.Errorf("got %+v, want %+v", st, want)
	}
	for _, bad := range []string{"", "1 (x) S 1 2 3", "4242 (x) S 1 4242 4242 0 -1 4194560 900 0 0 0 u 130 0 0 20 0 9 0 123456 1683668992 3946 1"} {
		if _, ok := parseStat([]byte(bad)); ok {
			t.Errorf("parseStat(%q) succeeded", bad)
		}
	}
}

func ptr[T any](v T) *T { return &v }
