package metrics

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// promtoolPath finds promtool (Debian's prometheus package, which
// .ci/install-deps installs). Absent, the test is skipped, unless
// VIRGO_CI is set: then it fails.
func promtoolPath(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("promtool"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/promtool"); err == nil {
		return "/usr/bin/promtool"
	}
	if os.Getenv("VIRGO_CI") != "" {
		t.Fatal("promtool is not installed, and VIRGO_CI is set: .ci/install-deps installs it (Debian package prometheus)")
	}
	t.Skip("promtool is not installed (Debian package prometheus; .ci/install-deps installs it)")
	return ""
}

// promtoolExcused are the only complaints promtool may make: node_exporter's
// own meminfo names, camelCase on purpose as they mirror /proc/meminfo.
// Nothing of virgo-top's own (virgo_*, and the go_*, process_* families
// under client_golang's names) is excused.
var promtoolExcused = map[string]string{
	"node_memory_MemAvailable_bytes": "metric names should be written in 'snake_case' not 'camelCase'",
	"node_memory_MemFree_bytes":      "metric names should be written in 'snake_case' not 'camelCase'",
	"node_memory_MemTotal_bytes":     "metric names should be written in 'snake_case' not 'camelCase'",
	"node_memory_SwapFree_bytes":     "metric names should be written in 'snake_case' not 'camelCase'",
	"node_memory_SwapTotal_bytes":    "metric names should be written in 'snake_case' not 'camelCase'",
}

// TestPromtoolCheckMetrics runs `promtool check metrics` on full scrapes
// (every family of the collector, the build, Go and process families) of
// the sample source and of the awkward one (escapes, NaN, infinities):
// any complaint but promtoolExcused fails.
func TestPromtoolCheckMetrics(t *testing.T) {
	promtool := promtoolPath(t)
	for name, src := range map[string]*fakeSource{"sample": sampleSource(), "awkward": awkwardSource()} {
		t.Run(name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			newHandler(src, testOpts, fixedNow).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
			body := rec.Body.Bytes()
			// Nothing is excused by being absent: every family is there.
			fams := parse(t, string(body))
			for _, f := range newFamilies().all {
				if _, ok := fams[f.name]; !ok {
					t.Errorf("family %s not in the scrape", f.name)
				}
			}

			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, promtool, "check", "metrics")
			cmd.Stdin = bytes.NewReader(body)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			var exit *exec.ExitError
			if err != nil && !errors.As(err, &exit) {
				t.Fatalf("promtool: %v", err)
			}
			complaints, unexcused := promtoolComplaints(out.String())
			for _, c := range unexcused {
				t.Errorf("promtool: %s", c)
			}
			// promtool exits non-zero on any complaint; one without a
			// complaint printed is a failure too.
			if err != nil && complaints == 0 {
				t.Errorf("promtool failed without output: %v", err)
			}
		})
	}
}

// promtoolComplaints counts promtool's complaint lines ("metric text") and
// returns those promtoolExcused does not excuse.
func promtoolComplaints(out string) (n int, unexcused []string) {
	for line := range strings.Lines(out) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		n++
		metric, text, _ := strings.Cut(line, " ")
		if want, ok := promtoolExcused[metric]; ok && text == want {
			continue
		}
		unexcused = append(unexcused, line)
	}
	return n, unexcused
}

func TestPromtoolComplaints(t *testing.T) {
	out := "node_memory_MemFree_bytes metric names should be written in 'snake_case' not 'camelCase'\n" +
		"virgo_x counter metrics should have \"_total\" suffix\n" +
		"node_memory_MemFree_bytes some other complaint\n" +
		"virgo_fooBar metric names should be written in 'snake_case' not 'camelCase'\n\n"
	n, bad := promtoolComplaints(out)
	want := []string{
		`virgo_x counter metrics should have "_total" suffix`,
		"node_memory_MemFree_bytes some other complaint",
		"virgo_fooBar metric names should be written in 'snake_case' not 'camelCase'",
	}
	if n != 4 || !slices.Equal(bad, want) {
		t.Errorf("got %d, %q; want 4, %q", n, bad, want)
	}
}
