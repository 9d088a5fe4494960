package collector

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    procStat
		wantErr bool
	}{
		{
			name: "full",
			in:   "cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 1 2 3 4 5 6 7 8 9 10\ncpu3 10 20 30 40 50 60 70 80 0 0\nintr 5\nbtime 1700000000\n",
			want: procStat{
				total: cpuCounters{1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
				cores: []coreCounters{{0, cpuCounters{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}, {3, cpuCounters{10, 20, 30, 40, 50, 60, 70, 80, 0, 0}}},
				btime: 1700000000,
				hz:    userHZ,
			},
		},
		{
			name: "old kernel with four counters, no trailing newline",
			in:   "cpu 1 2 3 4\ncpu0 1 2 3 4",
			want: procStat{total: cpuCounters{user: 1, nice: 2, system: 3, idle: 4}, cores: []coreCounters{{0, cpuCounters{user: 1, nice: 2, system: 3, idle: 4}}}, hz: userHZ},
		},
		{name: "no aggregate line", in: "cpu0 1 2 3 4\n", wantErr: true},
		{name: "empty", in: "", wantErr: true},
		{name: "short line", in: "cpu 1 2 3\n", wantErr: true},
		{name: "bad number", in: "cpu 1 2 x 4\n", wantErr: true},
		{name: "negative", in: "cpu 1 2 -3 4\n", wantErr: true},
		{name: "bad core name", in: "cpu 1 2 3 4\ncpuX 1 2 3 4\n", wantErr: true},
		{name: "bad btime", in: "cpu 1 2 3 4\nbtime soon\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcStat([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr {
				eq(t, "procStat", got, tt.want)
			}
		})
	}
}

func TestCPUPercent(t *testing.T) {
	tests := []struct {
		name      string
		prev, cur cpuCounters
		want      CPUTimes
	}{
		{"no time passed", cpuCounters{idle: 5}, cpuCounters{idle: 5}, CPUTimes{}},
		{"all idle", cpuCounters{}, cpuCounters{idle: 100}, CPUTimes{IdlePct: 100}},
		{"steal and nice count as usage", cpuCounters{}, cpuCounters{nice: 25, steal: 25, idle: 50},
			CPUTimes{UsagePct: 50, NicePct: 25, StealPct: 25, IdlePct: 50}},
		// idle went backwards (seen after hotplug): clamped, not negative.
		{"counter went backwards", cpuCounters{user: 10, idle: 100}, cpuCounters{user: 20, idle: 90},
			CPUTimes{UsagePct: 100, UserPct: 100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eq(t, "percent", cpuPercent(tt.prev, tt.cur), tt.want)
		})
	}
}

// TestCPUCoresComeAndGo: a core that appears reports 0 for its first
// sample; one that goes away is dropped.
func TestCPUCoresComeAndGo(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) {
		if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src := newCPUSource(Options{ProcRoot: dir})
	collect := func(sec int) CPU {
		var s Snapshot
		s.Time = t0.Add(time.Duration(sec) * time.Second)
		if err := src.Collect(context.Background(), &s); err != nil {
			t.Fatal(err)
		}
		return s.CPU
	}
	write("cpu 0 0 0 200\ncpu0 0 0 0 100\ncpu1 0 0 0 100\n")
	collect(0)
	write("cpu 100 0 0 200\ncpu0 50 0 0 150\ncpu2 50 0 0 50\n")
	eq(t, "after hotplug", collect(1), CPU{
		CPUTimes: CPUTimes{UsagePct: 100, UserPct: 100},
		Cores:    2,
		PerCore:  []CPUTimes{{UsagePct: 50, UserPct: 50, IdlePct: 50}, {}},
		Seconds:  []CPUSeconds{{CPU: 0, User: 0.5, Idle: 1.5}, {CPU: 2, User: 0.5, Idle: 0.5}},
	})
	write("cpu 150 0 0 250\ncpu0 50 0 0 200\ncpu2 100 0 0 50\n")
	eq(t, "next sample", collect(2), CPU{
		CPUTimes: CPUTimes{UsagePct: 50, UserPct: 50, IdlePct: 50},
		Cores:    2,
		PerCore:  []CPUTimes{{IdlePct: 100}, {UsagePct: 100, UserPct: 100}},
		Seconds:  []CPUSeconds{{CPU: 0, User: 0.5, Idle: 2}, {CPU: 2, User: 1, Idle: 0.5}},
	})
}

// TestCPUSecondsFromStat: each CPU's cumulative times are /proc/stat's
// ticks over USER_HZ, guest and guest_nice kept apart (the kernel already
// counts them in user and nice), and never decreasing as node_exporter
// keeps them: a time that goes back keeps its value, an idle time that
// goes back 3 s or more starts the CPU over.
func TestCPUSecondsFromStat(t *testing.T) {
	dir := t.TempDir()
	src := newCPUSource(Options{ProcRoot: dir})
	steps := []struct {
		name, stat string
		want       []CPUSeconds
	}{
		{
			name: "guest-heavy",
			stat: "cpu  987654 321 12345 7654321 999 12 34 56 900000 300\n" +
				"cpu0 987654 321 12345 7654321 999 12 34 56 900000 300\n" +
				"cpu1 1 0 0 100 0 0 0 0 0 0\n",
			want: []CPUSeconds{
				{CPU: 0, User: 9876.54, Nice: 3.21, System: 123.45, Idle: 76543.21, IOWait: 9.99,
					IRQ: 0.12, SoftIRQ: 0.34, Steal: 0.56, Guest: 9000, GuestNice: 3},
				{CPU: 1, User: 0.01, Idle: 1},
			},
		},
		{
			// cpu0's iowait and guest go back (kept); cpu1's idle goes
			// back 0.99 s, less than 3 s (kept).
			name: "backwards",
			stat: "cpu  0 0 0 0\n" +
				"cpu0 987700 321 12345 7654400 900 12 34 56 899999 300\n" +
				"cpu1 2 0 0 1 0 0 0 0 0 0\n",
			want: []CPUSeconds{
				{CPU: 0, User: 9877, Nice: 3.21, System: 123.45, Idle: 76544, IOWait: 9.99,
					IRQ: 0.12, SoftIRQ: 0.34, Steal: 0.56, Guest: 9000, GuestNice: 3},
				{CPU: 1, User: 0.02, Idle: 1},
			},
		},
		{
			// cpu0's idle goes back by 3 s or more: a new CPU, its times
			// as read.
			name: "hotplug",
			stat: "cpu  0 0 0 0\n" +
				"cpu0 5 0 0 7654100 0 0 0 0 0 0\n" +
				"cpu1 3 0 0 2 0 0 0 0 0 0\n",
			want: []CPUSeconds{{CPU: 0, User: 0.05, Idle: 76541}, {CPU: 1, User: 0.03, Idle: 1}},
		},
	}
	for i, st := range steps {
		if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(st.stat), 0o644); err != nil {
			t.Fatal(err)
		}
		var s Snapshot
		s.Time = t0.Add(time.Duration(i) * time.Second)
		if err := src.Collect(context.Background(), &s); err != nil {
			t.Fatal(err)
		}
		eq(t, st.name, s.CPU.Seconds, st.want)
	}
}
