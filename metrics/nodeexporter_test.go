package metrics

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/collector"
)

// TestNodeCPUSecondsMatchNodeExporter reads this host's CPU times with the
// collector, then node_exporter's node_cpu_seconds_total and
// node_cpu_guest_seconds_total (a child process on a free loopback
// port), then the collector again: every node_exporter value lies between
// the two readings, for the same set of series. The counters only grow,
// so this holds whatever the timing; iowait, which the kernel may move
// backwards, gets 0.1 s of slack.
func TestNodeCPUSecondsMatchNodeExporter(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("node_cpu_seconds_total is compared on Linux")
	}
	bin := "/usr/bin/prometheus-node-exporter"
	if p, err := exec.LookPath("prometheus-node-exporter"); err == nil {
		bin = p
	} else if p, err := exec.LookPath("node_exporter"); err == nil {
		bin = p
	}
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("VIRGO_CI") != "" {
			t.Fatalf("node_exporter is not installed, and VIRGO_CI is set: .ci/install-deps installs it (Debian package prometheus-node-exporter)")
		}
		t.Skip("node_exporter is not installed (Debian package prometheus-node-exporter; .ci/install-deps installs it)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--web.listen-address="+addr, "--collector.disable-defaults", "--collector.cpu")
	cmd.Dir = t.TempDir()
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	scrapeNE := func() (string, error) {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	// Wait until it listens (bounded; the assertion below is not timed).
	var up bool
	for range 100 {
		if _, err := scrapeNE(); err == nil {
			up = true
			break
		}
		select {
		case <-done:
			t.Fatalf("node_exporter exited:\n%s", logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	if !up {
		t.Fatalf("node_exporter did not answer on %s:\n%s", addr, logs.String())
	}

	s := collector.NewSampler(collector.Options{Sources: []string{collector.SourceCPU}})
	ours := func() map[string]float64 {
		snap := s.SampleAt(context.Background(), time.Now())
		if len(snap.Errors) > 0 {
			t.Fatalf("sample: %v", snap.Errors)
		}
		var b strings.Builder
		if err := newCollector(&fakeSource{snap: snap}, testOpts, fixedNow).WriteText(&b); err != nil {
			t.Fatal(err)
		}
		return cpuSeries(t, b.String())
	}
	before := ours()
	body, err := scrapeNE()
	if err != nil {
		t.Fatal(err)
	}
	theirs := cpuSeries(t, body)
	after := ours()

	if len(theirs) == 0 || len(theirs) != len(before) {
		t.Fatalf("node_exporter has %d CPU series, we have %d", len(theirs), len(before))
	}
	t.Logf("%d series compared", len(theirs))
	for k, v := range theirs {
		lo, ok1 := before[k]
		hi, ok2 := after[k]
		if !ok1 || !ok2 {
			t.Errorf("%s: node_exporter has it, we do not", k)
			continue
		}
		slack := 1e-9
		if strings.Contains(k, `mode="iowait"`) {
			slack = 0.1
		}
		if v < lo-slack || v > hi+slack {
			t.Errorf("%s: node_exporter %v, ours %v then %v", k, v, lo, hi)
		}
	}
}

// cpuSeries maps each node_cpu_seconds_total and node_cpu_guest_seconds_total
// series (family and cpu and mode labels) of an exposition to its value.
func cpuSeries(t *testing.T, body string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for name, mf := range parse(t, body) {
		if name != "node_cpu_seconds_total" && name != "node_cpu_guest_seconds_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var cpu, mode string
			for _, lp := range m.GetLabel() {
				switch lp.GetName() {
				case "cpu":
					cpu = lp.GetValue()
				case "mode":
					mode = lp.GetValue()
				}
			}
			out[fmt.Sprintf(`%s{cpu=%q,mode=%q}`, name, cpu, mode)] = m.GetCounter().GetValue()
		}
	}
	return out
}
