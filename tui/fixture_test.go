package tui

import (
	"flag"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/history"
)

// -update rewrites the golden files. teatest's golden package already
// registers a flag of that name in this test binary, so it is defined here
// only when missing and always read through the flag package.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite tui/testdata/*.golden")
	}
}

func updateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

var testNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return testNow }

// fakeHistory serves deterministic waves; the day window has only 10 hours.
type fakeHistory struct{}

func (fakeHistory) Values(name string, res history.Resolution, n int, dst []float64) []float64 {
	avail := map[history.Resolution]int{history.Raw: 300, history.Minute: 60, history.Hour: 10}[res]
	n = min(n, avail)
	seed := 0
	for _, c := range name {
		seed += int(c)
	}
	scale := 1.0
	if strings.HasSuffix(name, "_bps") {
		scale = 1 << 20
	}
	for i := 0; i < n; i++ {
		v := 50 + 40*math.Sin(float64(i+seed%11)/4)
		dst = append(dst, math.Round(v)*scale)
	}
	return dst
}

var procNames = []string{"systemd", "sshd", "nginx", "postgres", "java", "bash", "cron", "containerd", "dockerd", "node"}
var procUsers = []string{"root", "www-data", "postgres", "alice", "bob"}

// testProcesses makes n deterministic processes forming a tree under pid 1.
func testProcesses(n int) []collector.Process {
	out := make([]collector.Process, n)
	for i := range out {
		pid := int32(i + 1)
		ppid := int32(0)
		if i > 0 {
			ppid = int32(i/3 + 1)
			if ppid == pid {
				ppid = 1
			}
		}
		name := procNames[i%len(procNames)]
		out[i] = collector.Process{
			PID: pid, PPID: ppid, Name: name, User: procUsers[i%len(procUsers)],
			State: "S", Threads: int32(1 + i%7), Nice: int32(i % 3),
			CPUPct:   float64((i*37)%1000) / 10,
			CPUTimeS: float64((i*7919)%100000) / 10,
			RSSBytes: uint64((i*104729)%4096+1) << 20,
			VMSBytes: uint64((i*104729)%8192+1) << 21,
			MemPct:   float64((i*104729)%4096+1) / 163.84,
			Cmdline:  "/usr/bin/" + name + " --worker " + strconv.Itoa(i),
		}
	}
	return out
}

func testSnapshot(nprocs int) *collector.Snapshot {
	cores := make([]collector.CPUTimes, 8)
	for i := range cores {
		u := float64((i*23)%100) + 0.5
		cores[i] = collector.CPUTimes{UsagePct: u, UserPct: u * 0.7, SystemPct: u * 0.3, IdlePct: 100 - u}
	}
	const gib = 1 << 30
	return &collector.Snapshot{
		Time:    testNow.Add(-2 * time.Second),
		Elapsed: 5 * time.Second,
		Host: collector.Host{Hostname: "web-01", OS: "linux", Platform: "ubuntu", PlatformVersion: "24.04",
			Kernel: "6.8.0-45-generic", Arch: "x86_64", UptimeS: 3*86400 + 4*3600 + 12*60},
		CPU: collector.CPU{CPUTimes: collector.CPUTimes{UsagePct: 42.5, UserPct: 30.1, SystemPct: 9.4, IdlePct: 57.5,
			IOWaitPct: 2.0, StealPct: 0.5, IRQPct: 0.5}, Cores: 8, PerCore: cores},
		Memory: collector.Memory{TotalBytes: 16 * gib, UsedBytes: 10 * gib, FreeBytes: 1 * gib, AvailableBytes: 6 * gib,
			CachedBytes: 4 * gib, BuffersBytes: gib / 4, UsedPct: 62.5, SwapTotalBytes: 2 * gib, SwapUsedBytes: gib / 8,
			SwapFreeBytes: 2*gib - gib/8},
		Load: collector.Load{Load1: 1.25, Load5: 0.9, Load15: 0.75, Cores: 8},
		Filesystems: []collector.Filesystem{
			{Mount: "/", Device: "/dev/sda1", FSType: "ext4", TotalBytes: 100 * gib, UsedBytes: 42 * gib, AvailBytes: 53 * gib, UsedPct: 44.2},
			{Mount: "/boot", Device: "/dev/sda2", FSType: "vfat", TotalBytes: gib, UsedBytes: gib / 2, AvailBytes: gib / 2, UsedPct: 50},
			{Mount: "/var/lib/docker", Device: "/dev/nvme0n1p1", FSType: "xfs", TotalBytes: 500 * gib, UsedBytes: 460 * gib, AvailBytes: 40 * gib, UsedPct: 92},
		},
		Disks: []collector.Disk{
			{Name: "sda", ReadBps: 1.5 * (1 << 20), WriteBps: 300 << 10, BusyPct: 12},
			{Name: "nvme0n1", ReadBps: 25 << 20, WriteBps: 80 << 20, BusyPct: 71},
		},
		Network: []collector.NetIf{
			{Name: "eth0", RxBps: 12 << 20, TxBps: 3 << 20, LinkState: "up"},
			{Name: "lo", RxBps: 40 << 10, TxBps: 40 << 10, LinkState: "up"},
			{Name: "wlan0", LinkState: "down"},
		},
		Processes: testProcesses(nprocs),
	}
}

func testChecks() []CheckRow {
	return []CheckRow{
		{ID: "chCPU", Label: "cpu", Type: "agent.cpu", Period: 30 * time.Second, LastRun: testNow.Add(-12 * time.Second),
			Duration: 3 * time.Millisecond, State: StateOK, Message: "ok", Available: true, KeyMetrics: "usage_average=42.5%"},
		{ID: "chMem", Label: "memory", Type: "agent.memory", Period: time.Minute, LastRun: testNow.Add(-40 * time.Second),
			Duration: time.Millisecond, State: StateWarning, Message: "memory high", Available: true,
			KeyMetrics: "used_pct=62.5%", Alarm: "Memory above 60%"},
		{ID: "chHTTP", Label: "site", Type: "remote.http", Period: time.Minute,
			State: StateUnknown, Message: "not run yet", Available: true},
	}
}

func criticalChecks() []CheckRow {
	rows := testChecks()
	rows = append(rows, CheckRow{ID: "chDisk", Label: "docker disk", Type: "agent.filesystem", Period: time.Minute,
		LastRun: testNow.Add(-5 * time.Second), Duration: 2 * time.Millisecond, State: StateCritical,
		Message: "disk almost full", Available: true, KeyMetrics: "used_pct=92.0%", Alarm: "/var/lib/docker is 92% full"})
	return rows
}

// newTestModel is a console at w x h showing the fixture snapshot.
func newTestModel(tb testing.TB, w, h, nprocs int) Model {
	tb.Helper()
	m := New(Options{History: fakeHistory{}, NoColor: true, Now: fixedNow, Interval: 5 * time.Second})
	m = step(m, tea.WindowSizeMsg{Width: w, Height: h})
	m = step(m, ConnMsg{Status: ConnStatus{Mode: ModeEndpoint, Endpoint: "monitoring.example.com:443",
		State: ConnConnected, RTT: 42 * time.Millisecond}})
	m = step(m, ChecksMsg{Rows: testChecks()})
	m = step(m, SnapshotMsg{Snap: testSnapshot(nprocs)})
	return m
}

// step applies one message, discarding the command.
func step(m Model, msg tea.Msg) Model {
	next, _ := m.Update(msg)
	return next.(Model)
}

// keyMsg turns a key name as bubbles/key spells it into a KeyMsg.
func keyMsg(k string) tea.KeyMsg {
	special := map[string]tea.KeyType{
		"enter": tea.KeyEnter, "esc": tea.KeyEsc, "up": tea.KeyUp, "down": tea.KeyDown,
		"pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "home": tea.KeyHome, "end": tea.KeyEnd,
		"tab": tea.KeyTab, "shift+tab": tea.KeyShiftTab, "left": tea.KeyLeft, "right": tea.KeyRight,
		"backspace": tea.KeyBackspace, "ctrl+c": tea.KeyCtrlC, "f1": tea.KeyF1, "f3": tea.KeyF3,
		"f5": tea.KeyF5, "f6": tea.KeyF6, "f9": tea.KeyF9, "f10": tea.KeyF10, " ": tea.KeySpace,
		"f2": tea.KeyF2, "f4": tea.KeyF4, "f7": tea.KeyF7, "f8": tea.KeyF8,
		"shift+up": tea.KeyShiftUp, "shift+down": tea.KeyShiftDown,
	}
	if t, ok := special[k]; ok {
		return tea.KeyMsg{Type: t}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// press sends keys in order; each string is one key.
func press(m Model, keys ...string) Model {
	for _, k := range keys {
		m = step(m, keyMsg(k))
	}
	return m
}

// typeText sends each rune of s as a key.
func typeText(m Model, s string) Model {
	for _, r := range s {
		m = step(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	return m
}

// screen is the View with ANSI stripped.
func screen(m Model) string { return ansi.Strip(m.View()) }

// checkGolden compares got with testdata/<name>.golden (-update rewrites).
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if updateGolden() {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create): %v", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (run go test ./tui -update to accept)\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

// pids is the displayed process order.
func pids(m Model) []int32 {
	out := make([]int32, len(m.procs.order))
	for i, idx := range m.procs.order {
		out[i] = m.procs.procs[idx].PID
	}
	return out
}

func sizeMsg(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }

func ansiWidth(s string) int { return ansi.StringWidth(s) }
