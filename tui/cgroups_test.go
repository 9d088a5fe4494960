package tui

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/record"
)

// testCommon is a common for one component, colourless, at testNow.
func testCommon(snap *collector.Snapshot) *common {
	return &common{styles: newStyles(colourRenderer(termenv.Ascii)), keys: newKeyMap(), now: fixedNow, loc: time.UTC, snap: snap}
}

// hybridCgroups is a hybrid host's groups: the unified hierarchy (v2, with
// PSI) and the v1 memory/cpuacct/blkio controllers, with a CPU burner in a
// group of its own.
func hybridCgroups() []collector.Cgroup {
	const mib = 1 << 20
	psi := func(c, m, i float64) *collector.Pressure {
		return &collector.Pressure{CPU: collector.PSI{SomeAvg10: c}, Memory: collector.PSI{SomeAvg10: m}, IO: collector.PSI{SomeAvg10: i}}
	}
	return []collector.Cgroup{
		{Path: "/", Name: "", Kind: "cgroup", Version: 2, Procs: 3, CPUPct: 0.2, MemBytes: 12 * mib, Pressure: psi(0.4, 0, 0.1)},
		{Path: "/init.scope", Name: "init.scope", Kind: "scope", Version: 2, Procs: 1, CPUPct: 0.1, MemBytes: 9 * mib, Pressure: psi(0, 0, 0)},
		{Path: "/system.slice", Name: "system.slice", Kind: "slice", Version: 2, Procs: 41, CPUPct: 14.5, MemBytes: 1900 * mib,
			IOReadBps: 2 * mib, IOWriteBps: 9 * mib, Pressure: psi(1.2, 0.3, 4.5)},
		{Path: "/system.slice/nginx.service", Name: "nginx.service", Kind: "service", Version: 2, Procs: 9, CPUPct: 6.3,
			MemBytes: 310 * mib, MemLimit: 1024 * mib, IOReadBps: 512 << 10, Pressure: psi(0.8, 0, 0.2)},
		{Path: "/system.slice/postgresql@16-main.service", Name: "postgresql@16-main.service", Kind: "service", Version: 2,
			Procs: 14, CPUPct: 7.9, MemBytes: 1200 * mib, MemLimit: 2048 * mib, IOReadBps: 1.5 * mib, IOWriteBps: 8 * mib,
			Pressure: psi(0.2, 0.3, 6.1)},
		{Path: "/system.slice/docker-4f3a9c1b2d7e8f00112233445566778899aabbccddeeff00112233445566.scope", Name: "4f3a9c1b2d7e",
			Kind: "container", Version: 2, Procs: 17, CPUPct: 0.3, MemBytes: 380 * mib, MemLimit: 512 * mib, Pressure: psi(0, 0, 0)},
		{Path: "/user.slice", Name: "user.slice", Kind: "slice", Version: 2, Procs: 6, CPUPct: 101.2, MemBytes: 95 * mib, Pressure: psi(35.2, 0, 0)},
		{Path: "/user.slice/user-1000.slice", Name: "user-1000.slice", Kind: "slice", Version: 2, Procs: 6, CPUPct: 101.2,
			MemBytes: 95 * mib, Pressure: psi(35.2, 0, 0)},
		{Path: "/user.slice/user-1000.slice/session-3.scope", Name: "session-3.scope", Kind: "scope", Version: 2, Procs: 4,
			CPUPct: 1.4, MemBytes: 61 * mib, Pressure: psi(0, 0, 0)},
		{Path: "/virgo-burner", Name: "virgo-burner", Kind: "cgroup", Version: 2, Procs: 2, CPUPct: 99.8, MemBytes: 2 * mib,
			Pressure: psi(48.7, 0, 0)},
		// v1 controllers (memory, cpuacct, blkio merged per path): no PSI.
		{Path: "/system.slice/nginx.service", Name: "nginx.service", Kind: "service", Version: 1, Procs: 9, CPUPct: 6.3,
			MemBytes: 322 * mib, MemLimit: 1024 * mib, IOReadBps: 512 << 10},
		{Path: "/docker/9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d", Name: "9e8d7c6b5a4f", Kind: "container",
			Version: 1, Procs: 3, CPUPct: 2.1, MemBytes: 40 * mib, MemLimit: 256 * mib, IOWriteBps: 64 << 10},
		{Path: "/docker", Name: "docker", Kind: "cgroup", Version: 1, Procs: 0, CPUPct: 2.1, MemBytes: 40 * mib},
		{Path: "/virgo-burner", Name: "virgo-burner", Kind: "cgroup", Version: 1, Procs: 2, CPUPct: 99.8, MemBytes: 2 * mib,
			MemLimit: 256 * mib},
	}
}

func cgroupSnap(groups []collector.Cgroup) *collector.Snapshot {
	s := testSnapshot(10)
	s.Cgroups = groups
	return s
}

func newTestCgroupView(snap *collector.Snapshot, w, h int) *cgroupView {
	v := newCgroupView(testCommon(snap))
	v.SetSize(w, h)
	v.refresh()
	return v
}

func TestCgroupGoldens(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {120, 40}, {200, 50}} {
		v := newTestCgroupView(cgroupSnap(hybridCgroups()), sz[0], sz[1])
		name := "cgroups_" + itoa(sz[0]) + "x" + itoa(sz[1])
		checkGolden(t, name, ansi.Strip(v.View())+"\n")
	}
	// Flat, sorted by memory, the cursor moved: 120x40.
	v := newTestCgroupView(cgroupSnap(hybridCgroups()), 120, 40)
	v = updateKeys(v, "t", "M", "down", "down")
	checkGolden(t, "cgroups_flat_mem_120x40", ansi.Strip(v.View())+"\n")
}

func itoa(i int) string { return strconv.Itoa(i) }

func updateKeys(v *cgroupView, keys ...string) *cgroupView {
	for _, k := range keys {
		v, _ = v.Update(keyMsg(k))
	}
	return v
}

// The burner is at the top of the default order (CPU, descending) within
// its hierarchy, each group under its parent.
func TestCgroupTreeOrder(t *testing.T) {
	v := newTestCgroupView(cgroupSnap(hybridCgroups()), 200, 50)
	var got []string
	for i, idx := range v.order {
		g := v.groups[idx]
		got = append(got, strings.Repeat(".", v.depth[i])+displayName(&g)+"/v"+itoa(g.Version))
	}
	want := []string{
		"//v2", ".user.slice/v2", "..user-1000.slice/v2", "...session-3.scope/v2", ".virgo-burner/v2",
		".system.slice/v2", "..postgresql@16-main.service/v2", "..nginx.service/v2", "..4f3a9c1b2d7e/v2", ".init.scope/v2",
		"virgo-burner/v1", "nginx.service/v1", "docker/v1", ".9e8d7c6b5a4f/v1",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("order\n got %v\nwant %v", got, want)
	}
}

func TestCgroupKeys(t *testing.T) {
	v := newTestCgroupView(cgroupSnap(hybridCgroups()), 120, 40)
	if v.sort != cgSortCPU || !v.desc {
		t.Fatalf("default sort %v desc %v", v.sort, v.desc)
	}
	v = updateKeys(v, ">")
	if v.sort != cgSortMem || !v.desc {
		t.Errorf("> gave %v", v.sort)
	}
	v = updateKeys(v, "<", "<")
	if v.sort != cgSortName || v.desc {
		t.Errorf("< < gave %v desc %v (name sorts ascending)", v.sort, v.desc)
	}
	v = updateKeys(v, "I")
	if !v.desc {
		t.Error("I did not invert")
	}
	v = updateKeys(v, "P")
	if v.sort != cgSortCPU {
		t.Errorf("P gave %v", v.sort)
	}
	// Enter asks for the selected group's processes.
	v = updateKeys(v, "home", "down", "down")
	sel := v.groups[v.order[v.cursor]]
	_, cmd := v.Update(keyMsg("enter"))
	if cmd == nil {
		t.Fatal("enter gave no command")
	}
	msg, ok := cmd().(cgroupFilterMsg)
	if !ok || msg.Path != sel.Path || msg.Version != sel.Version {
		t.Errorf("enter gave %#v, want %s v%d", msg, sel.Path, sel.Version)
	}
	// The selection follows the group when the order changes.
	v = updateKeys(v, "M")
	if now := v.groups[v.order[v.cursor]]; now.Path != sel.Path || now.Version != sel.Version {
		t.Errorf("selection moved to %s after re-sorting", now.Path)
	}
	// ... and across snapshots.
	v.c.snap = cgroupSnap(hybridCgroups())
	v.refresh()
	if now := v.groups[v.order[v.cursor]]; now.Path != sel.Path {
		t.Errorf("selection moved to %s on a new snapshot", now.Path)
	}
	// Moving stays in range.
	v = updateKeys(v, "end", "down", "pgdown")
	if v.cursor != len(v.order)-1 {
		t.Errorf("end: cursor %d of %d", v.cursor, len(v.order))
	}
	v = updateKeys(v, "home", "up", "pgup")
	if v.cursor != 0 || v.offset != 0 {
		t.Errorf("home: cursor %d offset %d", v.cursor, v.offset)
	}
	// Other messages are ignored.
	if _, cmd := v.Update(struct{}{}); cmd != nil {
		t.Error("a non-key message gave a command")
	}
	if h := v.keys.FullHelp(); len(h) == 0 || len(v.keys.ShortHelp()) == 0 {
		t.Error("no help")
	}
}

// The selected row stays on screen while scrolling a long list.
func TestCgroupScroll(t *testing.T) {
	var groups []collector.Cgroup
	for i := range 100 {
		groups = append(groups, collector.Cgroup{Path: "/g" + itoa(i), Kind: "cgroup", Version: 2, CPUPct: float64(i)})
	}
	v := newTestCgroupView(cgroupSnap(groups), 80, 24)
	for i := range 60 {
		v = updateKeys(v, "down")
		if v.cursor != i+1 || v.cursor < v.offset || v.cursor >= v.offset+v.rowsShown() {
			t.Fatalf("after %d downs: cursor %d offset %d rows %d", i+1, v.cursor, v.offset, v.rowsShown())
		}
	}
	if !strings.Contains(ansi.Strip(v.View()), "g39 ") {
		t.Errorf("the selected group (g39: 99-60) is not on screen:\n%s", ansi.Strip(v.View()))
	}
	v.SetSize(80, 12) // smaller: the cursor is kept in view
	if v.cursor < v.offset || v.cursor >= v.offset+v.rowsShown() {
		t.Errorf("after shrinking: cursor %d offset %d rows %d", v.cursor, v.offset, v.rowsShown())
	}
}

func TestCgroupEmptyReasons(t *testing.T) {
	linux := testSnapshot(3)
	mac := testSnapshot(3)
	mac.Host.OS = "darwin"
	failed := testSnapshot(3)
	failed.Errors = map[string]string{sourceCgroups: "open /sys/fs/cgroup:\npermission denied"}
	none := testSnapshot(3)
	none.Cgroups = []collector.Cgroup{}
	tests := []struct {
		name  string
		snap  *collector.Snapshot
		frame bool
		fresh int
		want  string
	}{
		{"no data", nil, false, 0, "waiting for data…"},
		{"first sample", linux, false, 1, "waiting for the first cgroup sample…"},
		{"none", linux, false, 2, "no cgroups on this system"},
		{"empty list", none, false, 0, "no cgroups on this system"},
		{"macos", mac, false, 5, "cgroups need Linux"},
		{"error", failed, false, 5, "cgroups: open /sys/fs/cgroup: permission denied"},
		{"replay", linux, true, 5, "cgroups not recorded at this moment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newTestCgroupView(tt.snap, 80, 10)
			v.fresh = tt.fresh
			if tt.frame {
				v.c.frame = &record.Frame{Snapshot: tt.snap}
			}
			if got := v.emptyReason(); got != tt.want {
				t.Errorf("reason %q, want %q", got, tt.want)
			}
			if !strings.Contains(ansi.Strip(v.View()), tt.want) {
				t.Errorf("view lacks %q:\n%s", tt.want, ansi.Strip(v.View()))
			}
		})
	}
	// Shown, then two new snapshots without cgroups: none here.
	c := testCommon(linux)
	v := newCgroupView(c)
	v.SetActive(true)
	v.refresh()
	if !strings.Contains(v.emptyReason(), "waiting") {
		t.Errorf("right after SetActive: %q", v.emptyReason())
	}
	c.snap = testSnapshot(3)
	v.refresh()
	c.snap = testSnapshot(3)
	v.refresh()
	if v.emptyReason() != "no cgroups on this system" {
		t.Errorf("after two samples: %q", v.emptyReason())
	}
}

// Every size from tiny to large: exact line count and width, no panic.
func TestCgroupFitsEverySize(t *testing.T) {
	hostile := append(hybridCgroups(), collector.Cgroup{Path: "/evil\x1b[2J/" + strings.Repeat("very-long-name-", 20),
		Name: "\x1b]0;pwned\x07" + strings.Repeat("x", 300), Kind: "\x1b[31m", Version: 2, CPUPct: math.NaN(), MemBytes: math.MaxUint64,
		MemLimit: 1, IOReadBps: math.Inf(1), IOWriteBps: -5, Procs: -1})
	for _, groups := range [][]collector.Cgroup{nil, hybridCgroups(), hostile} {
		for _, sz := range [][2]int{{0, 0}, {1, 1}, {3, 2}, {10, 5}, {20, 6}, {60, 15}, {61, 16}, {80, 24}, {100, 30}, {120, 40}, {200, 50}, {300, 100}} {
			v := newTestCgroupView(cgroupSnap(groups), sz[0], sz[1])
			v = updateKeys(v, "end", "t", ">", ">", ">")
			checkComponentFits(t, "cgroups", v.View(), sz[0], sz[1])
		}
	}
}

// checkComponentFits: exactly h lines of exactly w cells, no escape but
// SGR, a cut line ends in an ellipsis.
func checkComponentFits(t *testing.T, name, view string, w, h int) {
	t.Helper()
	if h <= 0 || w <= 0 {
		if view != "" && strings.Trim(view, " \n") != "" {
			t.Errorf("%s at %dx%d: %q", name, w, h, view)
		}
		return
	}
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Errorf("%s at %dx%d: %d lines", name, w, h, len(lines))
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw != w {
			t.Errorf("%s at %dx%d: line %d is %d wide: %q", name, w, h, i, lw, ansi.Strip(l))
		}
		if strings.Contains(ansi.Strip(l), "\x1b") || strings.ContainsAny(ansi.Strip(l), "\x07\r") {
			t.Errorf("%s at %dx%d: line %d has control characters: %q", name, w, h, i, l)
		}
	}
}
