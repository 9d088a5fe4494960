package tui

import (
	"strconv"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/virgo-top/virgo-top/collector"
)

// bigHost has 64 cores, 20 block devices, 12 interfaces, 30 checks and a
// failed source: the lists overflow their panels.
func bigHost(t *testing.T, w, h int) Model {
	t.Helper()
	m := newTestModel(t, w, h, 500)
	snap := testSnapshot(500)
	snap.CPU.PerCore = make([]collector.CPUTimes, 64)
	for i := range snap.CPU.PerCore {
		snap.CPU.PerCore[i].UsagePct = float64(i * 100 / 63)
	}
	snap.CPU.Cores = 64
	for i := 0; i < 18; i++ {
		snap.Disks = append(snap.Disks, collector.Disk{Name: "loop" + strconv.Itoa(i)})
	}
	for i := 0; i < 9; i++ {
		snap.Network = append(snap.Network, collector.NetIf{Name: "veth" + strconv.Itoa(i)})
	}
	snap.Errors = map[string]string{"network": "open /proc/net/dev: permission denied"}
	m = step(m, SnapshotMsg{Snap: snap})
	var rows []CheckRow
	for i := 0; i < 30; i++ {
		rows = append(rows, CheckRow{ID: "ch" + strconv.Itoa(i), State: StateOK, Available: true})
	}
	return step(m, ChecksMsg{Rows: rows})
}

func TestManyCoresHeatRow(t *testing.T) {
	m := bigHost(t, 200, 50)
	v := screen(m)
	if !strings.Contains(v, " 0-63 ▁▁▁▁▁▁▂▂▂▂▂▂▂▂▃▃▃▃▃▃▃▃▃▄▄▄▄▄▄▄▄▄▅▅▅▅▅▅▅▅▅▆▆▆▆▆▆▆▆▆▇▇▇▇▇▇▇▇▇█████") {
		t.Errorf("no 64-core heat row:\n%s", v)
	}
	if !strings.Contains(v, "network: open /proc/net/dev: permission denied") || !strings.Contains(v, "failed: network") {
		t.Error("failed source not shown")
	}
	if !strings.Contains(v, "more (tab to focus, ↓ to scroll)") {
		t.Error("overflowing list does not say so")
	}
	checkFits(t, "big host", m, 200, 50)
	checkFits(t, "big host 80x24", step(m, sizeMsg(80, 24)), 80, 24)
}

func TestScrollFocusedList(t *testing.T) {
	m := bigHost(t, 200, 70)          // the disk list has room only on a tall terminal
	m = press(m, "tab", "tab", "tab") // cpu, memory, disk
	if m.focus != panelDisk {
		t.Fatalf("focus %d, want disk", m.focus)
	}
	first := func(m Model) string {
		for _, l := range strings.Split(screen(m), "\n") {
			if strings.Contains(l, "Disk") {
				continue
			}
			if i := strings.Index(l, "┃"); i >= 0 && strings.Contains(l, "loop") || strings.Contains(l, "┃/") {
				return strings.TrimSpace(ansi.Strip(l))
			}
		}
		return ""
	}
	before := first(m)
	m = press(m, "down", "down", "down", "down")
	if m.disk.offset != 4 || first(m) == before {
		t.Errorf("disk did not scroll: offset %d, first %q", m.disk.offset, first(m))
	}
	m = press(m, "end")
	rows := len(m.c.snap.Filesystems) + len(m.c.snap.Disks)
	if want := rows - (m.disk.h - 2); m.disk.offset != want {
		t.Errorf("end: offset %d, want %d", m.disk.offset, want)
	}
	m = press(m, "home")
	if m.disk.offset != 0 {
		t.Errorf("home: offset %d", m.disk.offset)
	}
}

func TestCoreGrid(t *testing.T) {
	s := newStyles(colourRenderer(termenv.Ascii))
	cores := func(us ...float64) []collector.CPUTimes {
		out := make([]collector.CPUTimes, len(us))
		for i, u := range us {
			out[i].UsagePct = u
		}
		return out
	}
	tests := []struct {
		name    string
		cores   []collector.CPUTimes
		w, rows int
		want    []string
	}{
		// The widest gauges that fit in the rows win.
		{"two cores, wide gauges", cores(50, 100), 40, 3, []string{
			"0 █████████████████░░░░░░░░░░░░░░░░  50%",
			"1 █████████████████████████████████ 100%"}},
		{"two cores on one row", cores(50, 100), 40, 1, []string{
			"0 ██████░░░░░░  50% 1 ████████████ 100%"}},
		{"four cores in two columns", cores(0, 25, 75, 100), 30, 2, []string{
			"0 ░░░░░░░   0% 2 █████░░  75%",
			"1 ██░░░░░  25% 3 ███████ 100%"}},
		{"heat row when gauges do not fit", cores(0, 50, 100, 10, 90), 12, 1, []string{
			"0-4 ▁▅█▂▇"}},
		{"no room", cores(50), 40, 0, nil},
	}
	for _, tt := range tests {
		got := coreGrid(s, tt.cores, tt.w, tt.rows)
		if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}
