package check

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/collector"
)

// fakeEnv is an Env over a fixed Snapshot and a fixed CPU window.
type fakeEnv struct {
	snap   *collector.Snapshot
	cpu    CPUStats
	cpuOK  bool
	since  time.Time // last CPUWindow argument
	called bool
}

func (e *fakeEnv) Latest() *collector.Snapshot { return e.snap }

func (e *fakeEnv) CPUWindow(since time.Time) (CPUStats, bool) {
	e.since, e.called = since, true
	return e.cpu, e.cpuOK
}

var t0 = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func testSnapshot() *collector.Snapshot {
	return &collector.Snapshot{
		Time:    t0,
		Elapsed: time.Second,
		CPU: collector.CPU{
			CPUTimes: collector.CPUTimes{UsagePct: 42.5, UserPct: 30, SystemPct: 10, IdlePct: 57.5, IOWaitPct: 1.5, StealPct: 0.25, IRQPct: 0.75},
			Cores:    4,
		},
		Memory: collector.Memory{
			TotalBytes: 8 << 30, FreeBytes: 1 << 30, AvailableBytes: 5 << 30, CachedBytes: 2 << 30, BuffersBytes: 1 << 28,
			SwapTotalBytes: 2 << 30, SwapUsedBytes: 1 << 20, SwapFreeBytes: 2<<30 - 1<<20, SwapInBytes: 4096, SwapOutBytes: 8192,
		},
		Load: collector.Load{Load1: 0.5, Load5: 1.25, Load15: 2, Cores: 4},
		Filesystems: []collector.Filesystem{
			{Mount: "/", Device: "/dev/sda1", Options: "rw,relatime", TotalBytes: 100 << 30, UsedBytes: 40 << 30, FreeBytes: 60 << 30, AvailBytes: 55 << 30, InodesTotal: 6553600, InodesFree: 6000000},
			{Mount: "/boot", Device: "/dev/sda2", Options: "ro", TotalBytes: 1 << 30, UsedBytes: 1 << 29, FreeBytes: 1 << 29, AvailBytes: 1 << 29, InodesTotal: 65536, InodesFree: 65000},
		},
		Disks: []collector.Disk{
			{Name: "sda", Reads: 1000, Writes: 2000, ReadBytes: 4096000, WriteBytes: 8192000, ReadTimeMs: 300, WriteTimeMs: 700, IOTimeMs: 900, WeightedMs: 1200},
			{Name: "nvme0n1", Reads: 1},
		},
		Network: []collector.NetIf{
			{Name: "eth0", RxBytes: 123456789, TxBytes: 987654321, RxPackets: 1000, TxPackets: 2000, RxErrors: 3, TxErrors: 4, RxDropped: 5, TxDropped: 6, LinkState: "up"},
			{Name: "lo", RxBytes: 10, TxBytes: 10},
		},
		Processes: []collector.Process{
			{PID: 100, Name: "nginx", Cmdline: "nginx: master process /usr/sbin/nginx", Threads: 1, CPUPct: 1.5, RSSBytes: 10 << 20, StartTime: t0.Add(-2 * time.Hour)},
			{PID: 101, Name: "nginx", Cmdline: "nginx: worker process", Threads: 2, CPUPct: 3.25, RSSBytes: 20 << 20, StartTime: t0.Add(-1 * time.Hour)},
			{PID: 200, Name: "sshd", Cmdline: "/usr/sbin/sshd -D", Threads: 1, CPUPct: 0, RSSBytes: 5 << 20, StartTime: t0.Add(-48 * time.Hour)},
		},
	}
}

// fixedClock is a Clock frozen at one instant whose timers never fire.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

func (c fixedClock) AfterFunc(time.Duration, func()) Timer { return stoppedTimer{} }

type stoppedTimer struct{}

func (stoppedTimer) Stop() bool { return true }

func runAt(t *testing.T, env Env, def Def) Result {
	t.Helper()
	return RunOnce(context.Background(), env, def, SchedulerOptions{Clock: fixedClock{t0}})
}

func m(name, typ, value, unit string) Metric {
	return Metric{Name: name, Type: typ, Value: value, Unit: unit}
}

func assertResult(t *testing.T, got Result, wantAvail bool, wantStatus string, want []Metric) {
	t.Helper()
	if got.Available != wantAvail || got.Status != wantStatus {
		t.Errorf("available=%v status=%q, want %v %q", got.Available, got.Status, wantAvail, wantStatus)
	}
	if len(got.Metrics) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got.Metrics, want) {
		t.Errorf("metrics:\n got %v\nwant %v", got.Metrics, want)
	}
}
