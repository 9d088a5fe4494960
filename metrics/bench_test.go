package metrics

import (
	"fmt"
	"io"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/agent"
	"github.com/virgo-top/virgo-top/alarm"
	"github.com/virgo-top/virgo-top/check"
	"github.com/virgo-top/virgo-top/collector"
)

// benchSource is a busy host: 1,000 processes, 16 cores, 8 filesystems,
// 4 disks, 4 interfaces, 20 checks of 10 metrics and 2 alarms each.
func benchSource() *fakeSource {
	src := sampleSource()
	s := src.snap
	s.Processes, s.ProcessCount = make([]collector.Process, 1000), 1000
	for i := range s.Processes {
		s.Processes[i] = collector.Process{PID: int32(i + 1), Name: "proc" + strconv.Itoa(i), Cmdline: "/usr/bin/proc --flag"}
	}
	s.CPU.PerCore = make([]collector.CPUTimes, 16)
	s.CPU.Seconds = make([]collector.CPUSeconds, 16)
	for i := range s.CPU.PerCore {
		s.CPU.PerCore[i] = collector.CPUTimes{UsagePct: float64(i)}
		s.CPU.Seconds[i] = collector.CPUSeconds{CPU: i, User: 1234.56 + float64(i), System: 321.5, Idle: 98765.43, IOWait: 12.01}
	}
	s.Filesystems = nil
	for i := range 8 {
		s.Filesystems = append(s.Filesystems, collector.Filesystem{
			Mount: fmt.Sprintf("/mnt/fs%d", i), Device: fmt.Sprintf("/dev/sd%c1", 'a'+i), FSType: "ext4",
			TotalBytes: 1 << 40, FreeBytes: 1 << 39, AvailBytes: 1 << 39, InodesTotal: 1 << 20, InodesFree: 1 << 19,
		})
	}
	s.Disks, s.Network = nil, nil
	for i := range 4 {
		s.Disks = append(s.Disks, collector.Disk{Name: fmt.Sprintf("sd%c", 'a'+i), Reads: 1, Writes: 2})
		s.Network = append(s.Network, collector.NetIf{Name: fmt.Sprintf("eth%d", i), RxBytes: 1, LinkState: "up"})
	}
	src.checks = nil
	for i := range 20 {
		r := &check.Result{Available: true}
		for j := range 10 {
			r.Metrics = append(r.Metrics, check.Metric{Dimension: "d", Name: fmt.Sprintf("m%d", j), Type: check.TypeDouble, Value: "1.5"})
		}
		src.checks = append(src.checks, agent.CheckView{
			Status: check.Status{
				Def:     check.Def{ID: fmt.Sprintf("ch%02d", i), Type: "agent.cpu"},
				LastRun: sampleTime, LastDuration: time.Millisecond, LastResult: r, Runs: 100,
			},
			Alarms: []agent.AlarmStatus{{Name: "warn", State: alarm.OK}, {Name: "crit", State: alarm.Critical}},
			State:  alarm.Critical,
		})
	}
	return src
}

// BenchmarkScrape is one full GET /metrics (collector, Go and process
// collectors, text encoding) served in process.
func BenchmarkScrape(b *testing.B) {
	h := newHandler(benchSource(), testOpts, fixedNow)
	req := httptest.NewRequest("GET", "/metrics", nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

// BenchmarkCollect is the collector alone, written in the text format.
func BenchmarkCollect(b *testing.B) {
	c := newCollector(benchSource(), testOpts, fixedNow)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.WriteText(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
