package metrics

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// update rewrites testdata/*.golden: go test ./metrics -update
var update = flag.Bool("update", false, "rewrite metrics/testdata/*.golden")

// TestScrapeGolden compares the collector's whole exposition of the sample
// source (HELP, TYPE and every series) with testdata/scrape.golden, so a
// change to any name, label, help text or value shows up in review.
func TestScrapeGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := newCollector(sampleSource(), testOpts, fixedNow).WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "scrape.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./metrics -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("scrape differs from %s (go test ./metrics -update rewrites it); got:\n%s", path, buf.String())
	}
}
