package tui

import (
	"slices"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/virgo-top/virgo-top/collector"
)

// smallProcs is a hand-made list whose every order is easy to state.
func smallProcs() []collector.Process {
	return []collector.Process{
		{PID: 10, PPID: 1, Name: "nginx", User: "www", CPUPct: 5, RSSBytes: 300, CPUTimeS: 7},
		{PID: 1, PPID: 0, Name: "init", User: "root", CPUPct: 0.1, RSSBytes: 100, CPUTimeS: 90},
		{PID: 42, PPID: 10, Name: "Worker", User: "www", CPUPct: 50, RSSBytes: 50, CPUTimeS: 3},
		{PID: 7, PPID: 1, Name: "sshd", User: "alice", CPUPct: 1, RSSBytes: 900, CPUTimeS: 1},
		{PID: 43, PPID: 10, Name: "worker", User: "bob", CPUPct: 20, RSSBytes: 60, CPUTimeS: 30},
	}
}

func smallModel(t *testing.T) Model {
	t.Helper()
	m := newTestModel(t, 120, 40, 0)
	snap := testSnapshot(0)
	snap.Processes = smallProcs()
	return step(m, SnapshotMsg{Snap: snap})
}

func TestSortKeys(t *testing.T) {
	tests := []struct {
		keys []string
		want []int32
	}{
		{nil, []int32{42, 43, 10, 7, 1}},                                                     // cpu, biggest first
		{[]string{"M"}, []int32{7, 10, 1, 43, 42}},                                           // rss desc
		{[]string{"N"}, []int32{1, 7, 10, 42, 43}},                                           // pid asc
		{[]string{"N", "N"}, []int32{43, 42, 10, 7, 1}},                                      // same key again inverts
		{[]string{"T"}, []int32{1, 43, 10, 42, 7}},                                           // cpu time desc
		{[]string{"P", "I"}, []int32{42, 43, 10, 7, 1}},                                      // P on cpu inverts, I inverts back
		{[]string{"f6", "pgdown", "enter"}, []int32{1, 10, 7, 42, 43}},                       // name (case-folded, pid ties)
		{[]string{"f6", "down", "down", "down", "down", "enter"}, []int32{1, 43, 10, 42, 7}}, // time
		{[]string{"f6", "up", "up", "up", "up", "enter"}, []int32{7, 43, 1, 10, 42}},         // user
		{[]string{"f6", "pgup", "pgup", "enter"}, []int32{1, 7, 10, 42, 43}},                 // the first: pid
		{[]string{"f6", "down", "down", "down", "down", "down", "down", "down", "down", "down", "down", "down", "down", "enter"}, []int32{1, 7, 10, 42, 43}}, // wraps round to pid
		{[]string{"f6", "right", "esc"}, []int32{42, 43, 10, 7, 1}}, // cancelled
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.keys, ","), func(t *testing.T) {
			m := press(smallModel(t), tt.keys...)
			if got := pids(m); !slices.Equal(got, tt.want) {
				t.Errorf("order = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTreeView(t *testing.T) {
	m := press(smallModel(t), "t")
	if got, want := pids(m), []int32{1, 10, 42, 43, 7}; !slices.Equal(got, want) {
		t.Fatalf("tree order = %v, want %v", got, want)
	}
	if got, want := m.procs.prefix, []string{"", "├─ ", "│  ├─ ", "│  └─ ", "└─ "}; !slices.Equal(got, want) {
		t.Errorf("prefixes = %q, want %q", got, want)
	}
	if !strings.Contains(screen(m), "│  └─ worker") {
		t.Errorf("tree branches not drawn:\n%s", screen(m))
	}
	m = press(m, "f5")
	if m.procs.tree {
		t.Error("F5 did not toggle tree off")
	}
}

func TestTreeCycleKeepsEveryProcess(t *testing.T) {
	procs := []collector.Process{{PID: 2, PPID: 3}, {PID: 3, PPID: 2}, {PID: 4, PPID: 4}}
	order, prefix := treeOrder(procs, []int{0, 1, 2}, nil, nil)
	if len(order) != 3 || len(prefix) != 3 {
		t.Fatalf("cycle lost processes: order %v prefix %q", order, prefix)
	}
}

func TestFilterNarrows(t *testing.T) {
	m := press(smallModel(t), "\\")
	if m.mode != modeFilter {
		t.Fatal("\\ did not open the filter")
	}
	m = typeText(m, "WORK")
	if got, want := pids(m), []int32{42, 43}; !slices.Equal(got, want) {
		t.Errorf("filter WORK = %v, want %v", got, want)
	}
	m = press(m, "backspace", "backspace", "backspace", "backspace")
	m = typeText(m, "alice")
	if got, want := pids(m), []int32{7}; !slices.Equal(got, want) {
		t.Errorf("filter by user = %v, want %v", got, want)
	}
	m = press(m, "enter")
	if m.mode != modeNormal || m.procs.filter != "alice" {
		t.Errorf("enter: mode %d filter %q", m.mode, m.procs.filter)
	}
	// A kept filter still applies to the next sample.
	m = step(m, SnapshotMsg{Snap: &collector.Snapshot{Processes: smallProcs()}})
	if got := pids(m); !slices.Equal(got, []int32{7}) {
		t.Errorf("filter lost on refresh: %v", got)
	}
	m = press(m, "f4", "esc")
	if got := pids(m); len(got) != 5 || m.procs.filter != "" {
		t.Errorf("esc did not clear the filter: %v %q", got, m.procs.filter)
	}
	m = typeText(press(m, "\\"), "42")
	if got := pids(m); !slices.Equal(got, []int32{42}) {
		t.Errorf("filter by pid = %v", got)
	}
}

func TestSelectionFollowsPID(t *testing.T) {
	m := press(smallModel(t), "down") // 43
	if m.procs.selPID != 43 {
		t.Fatalf("selected %d, want 43", m.procs.selPID)
	}
	// 43 becomes the busiest: it moves to row 0 and stays selected.
	procs := smallProcs()
	procs[4].CPUPct = 99
	m = step(m, SnapshotMsg{Snap: &collector.Snapshot{Processes: procs}})
	if m.procs.selPID != 43 || m.procs.cursor != 0 {
		t.Errorf("after re-sort: selected %d at %d, want 43 at 0", m.procs.selPID, m.procs.cursor)
	}
	// Without follow a sort change goes to the top; with follow it keeps 43.
	m = press(m, "down", "N")
	if m.procs.cursor != 0 || m.procs.selPID != 1 {
		t.Errorf("sort without follow: selected %d at %d", m.procs.selPID, m.procs.cursor)
	}
	m = press(m, "end", "F", "P")
	if m.procs.selPID != 43 || !m.procs.follow {
		t.Errorf("follow: selected %d follow %v", m.procs.selPID, m.procs.follow)
	}
	if !strings.Contains(screen(m), "following 43") {
		t.Error("title does not say what is followed")
	}
}

func TestVanishedSelection(t *testing.T) {
	m := press(smallModel(t), "down", "down") // cpu order 42 43 10 7 1 -> 10 at row 2
	if m.procs.selPID != 10 {
		t.Fatalf("selected %d", m.procs.selPID)
	}
	procs := slices.DeleteFunc(smallProcs(), func(p collector.Process) bool { return p.PID == 10 })
	m = step(m, SnapshotMsg{Snap: &collector.Snapshot{Processes: procs}})
	if m.procs.cursor != 2 || m.procs.selPID != 7 {
		t.Errorf("vanished: cursor %d selected %d, want row 2 (pid 7)", m.procs.cursor, m.procs.selPID)
	}
	// The last row vanishing moves the cursor up.
	m = press(m, "end")
	m = step(m, SnapshotMsg{Snap: &collector.Snapshot{Processes: procs[1:3]}}) // 42, 7
	if m.procs.cursor != 1 || m.procs.selPID != 7 {
		t.Errorf("last row vanished: cursor %d selected %d", m.procs.cursor, m.procs.selPID)
	}
	// Everything vanishing leaves an empty table that keys cannot break.
	m = step(m, SnapshotMsg{Snap: &collector.Snapshot{}})
	m = press(m, "down", "up", "end", "home", "pgdown", "k", "enter", "t", "F", "P")
	if m.mode != modeNormal || m.procs.selPID != 0 {
		t.Errorf("empty table: mode %d selected %d", m.mode, m.procs.selPID)
	}
	_ = m.View()
}

func TestNavigationKeys(t *testing.T) {
	m := newTestModel(t, 120, 40, 1000)
	rows := m.procs.tableRows()
	m = press(m, "pgdown")
	if m.procs.cursor != rows-1 {
		t.Errorf("pgdown cursor = %d, want %d", m.procs.cursor, rows-1)
	}
	m = press(m, "end")
	if m.procs.cursor != 999 || m.procs.offset != 1000-rows {
		t.Errorf("end: cursor %d offset %d", m.procs.cursor, m.procs.offset)
	}
	m = press(m, "home", "up")
	if m.procs.cursor != 0 || m.procs.offset != 0 {
		t.Errorf("home: cursor %d offset %d", m.procs.cursor, m.procs.offset)
	}
}

func TestMouse(t *testing.T) {
	m := step(smallModel(t), sizeMsg(200, 50)) // with the cpu panel
	py := m.procs.y
	m = step(m, tea.MouseMsg{X: 5, Y: py + 2 + 3, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress})
	if m.procs.cursor != 3 || m.procs.selPID != 7 {
		t.Errorf("click: cursor %d selected %d", m.procs.cursor, m.procs.selPID)
	}
	m = step(m, tea.MouseMsg{X: 5, Y: py + 3, Button: tea.MouseButtonWheelUp, Action: tea.MouseActionPress})
	if m.procs.cursor != 0 {
		t.Errorf("wheel up: cursor %d", m.procs.cursor)
	}
	m = step(m, tea.MouseMsg{X: 5, Y: py + 3, Button: tea.MouseButtonWheelDown, Action: tea.MouseActionPress})
	if m.procs.cursor != 3 {
		t.Errorf("wheel down: cursor %d", m.procs.cursor)
	}
	// A click on the CPU panel focuses it and leaves the selection alone.
	cpuY := -1
	for _, row := range m.layout.rows {
		if row.panels[0] == panelCPU {
			cpuY = row.y + 2
		}
	}
	if cpuY < 0 {
		t.Fatal("no cpu panel at 200x50")
	}
	m = step(m, tea.MouseMsg{X: 3, Y: cpuY, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress})
	if m.focus != panelCPU || m.procs.selPID != 7 {
		t.Errorf("click cpu: focus %d selected %d", m.focus, m.procs.selPID)
	}
}

func TestGlobalKeys(t *testing.T) {
	m := step(smallModel(t), sizeMsg(200, 50)) // every panel shown
	if m = press(m, "p"); !m.paused || !strings.Contains(screen(m), "PAUSED") {
		t.Fatal("p did not pause")
	}
	// Paused: a new sample is held back, then shown on resume.
	next := testSnapshot(0)
	next.Processes = smallProcs()[:1]
	m = step(m, SnapshotMsg{Snap: next})
	if len(m.procs.procs) != 5 {
		t.Errorf("paused view changed: %d processes", len(m.procs.procs))
	}
	if m = press(m, "p"); m.paused || len(m.procs.procs) != 1 {
		t.Errorf("resume: paused %v, %d processes", m.paused, len(m.procs.procs))
	}
	for i, want := range []trendWindow{windowHour, windowDay, windowLive} {
		if m = press(m, "w"); m.c.window != want {
			t.Errorf("w #%d: window %d, want %d", i, m.c.window, want)
		}
	}
	if m = press(m, "?"); m.mode != modeHelp || !strings.Contains(screen(m), "virgo-top keys") {
		t.Error("? did not show help")
	}
	if m = press(m, "esc"); m.mode != modeNormal {
		t.Error("esc did not close help")
	}
	m = press(m, "tab")
	if m.focus != panelCPU {
		t.Errorf("tab from processes -> %d, want cpu", m.focus)
	}
	m = press(m, "shift+tab")
	if m.focus != panelProcs {
		t.Errorf("shift+tab -> %d, want processes", m.focus)
	}
	m = press(m, "1", "2")
	if m.layout.shown[panelCPU] || m.layout.shown[panelMem] {
		t.Error("1/2 did not hide cpu/memory")
	}
	if m = press(m, "1"); !m.layout.shown[panelCPU] {
		t.Error("1 did not bring cpu back")
	}
	m = press(m, "6")
	if m.layout.shown[panelProcs] || m.focus == panelProcs {
		t.Errorf("6: processes shown %v, focus %d", m.layout.shown[panelProcs], m.focus)
	}
	for _, k := range []string{"q", "f10", "ctrl+c"} {
		if _, cmd := smallModel(t).Update(keyMsg(k)); cmd == nil || cmd() != tea.Quit() {
			t.Errorf("%s does not quit", k)
		}
	}
}

func TestFeedIsRearmed(t *testing.T) {
	feed := make(chan tea.Msg, 3)
	m := New(Options{Feed: feed, NoColor: true, Now: fixedNow})
	m = step(m, tea.WindowSizeMsg{Width: 120, Height: 40})
	feed <- ConnMsg{Status: ConnStatus{Mode: ModeFixture}}
	feed <- SnapshotMsg{Snap: testSnapshot(3)}
	close(feed)
	cmd := m.Init()
	for i := 0; i < 3; i++ {
		if cmd == nil {
			t.Fatalf("wait %d not armed", i)
		}
		msg := cmd()
		if b, ok := msg.(tea.BatchMsg); ok {
			msg = b[len(b)-1]() // the re-armed wait is last
		}
		var next tea.Model
		next, cmd = m.Update(msg)
		m = next.(Model)
	}
	if cmd != nil {
		t.Error("wait re-armed after the feed closed")
	}
	if m.c.snap == nil || m.header.conn.Mode != ModeFixture {
		t.Error("feed messages not applied")
	}
	if !strings.Contains(screen(m), "◆ fixture") {
		t.Error("header does not say fixture mode")
	}
}

func TestCommandText(t *testing.T) {
	tests := []struct {
		p        collector.Process
		want     string
		wantProg int
	}{
		{collector.Process{Name: "nginx", Cmdline: "/usr/sbin/nginx -g daemon off;"}, "/usr/sbin/nginx -g daemon off;", 15},
		{collector.Process{Name: "check.test", Cmdline: "/tmp/b/check.test -test.v"}, "/tmp/b/check.test -test.v", 17},
		{collector.Process{Name: "kworker/0:1", PPID: 2}, "[kworker/0:1]", 13},
		{collector.Process{Name: "init"}, "init", 4},
		{collector.Process{Name: "sshd", Cmdline: "sshd: alice [priv]"}, "sshd: alice [priv]", 5},
		{collector.Process{Name: "python3", Cmdline: "/usr/bin/python3.12 app.py"}, "/usr/bin/python3.12 app.py", 19},
		{collector.Process{Name: "bash", Cmdline: "-bash"}, "bash -bash", 4},
		{collector.Process{Name: "very-long-daemo", Cmdline: "/opt/very-long-daemon-name --x"}, "/opt/very-long-daemon-name --x", 26},
	}
	for _, tt := range tests {
		got, prog := commandText(&tt.p)
		if got != tt.want || prog != tt.wantProg {
			t.Errorf("commandText(%q, %q) = %q, %d; want %q, %d", tt.p.Name, tt.p.Cmdline, got, prog, tt.want, tt.wantProg)
		}
	}
}

// Before the user picks a row the cursor stays on top as rows re-sort.
func TestImplicitSelectionStaysOnTop(t *testing.T) {
	m := smallModel(t) // 42 on top
	procs := smallProcs()
	procs[3].CPUPct = 99 // sshd (7) becomes the busiest
	m = step(m, SnapshotMsg{Snap: &collector.Snapshot{Processes: procs}})
	if m.procs.cursor != 0 || m.procs.selPID != 7 {
		t.Errorf("cursor %d selected %d, want top row (7)", m.procs.cursor, m.procs.selPID)
	}
}

// Keys typed faster than a read arrive as one multi-rune message.
func TestBatchedRunes(t *testing.T) {
	m := step(smallModel(t), tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("\\work")})
	if m.mode != modeFilter || m.procs.filter != "work" {
		t.Errorf("mode %d filter %q", m.mode, m.procs.filter)
	}
	m = step(smallModel(t), tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("/nginx")})
	if m.mode != modeSearch || m.procs.search != "nginx" || m.procs.selPID != 10 {
		t.Errorf("mode %d search %q selected %d", m.mode, m.procs.search, m.procs.selPID)
	}
	m = step(smallModel(t), tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("tN")})
	if !m.procs.tree || m.procs.key != colPID {
		t.Errorf("tree %v key %d", m.procs.tree, m.procs.key)
	}
	if _, cmd := smallModel(t).Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("tq")}); cmd == nil {
		t.Error("q inside a batch does not quit")
	}
}

func TestFollowEndsWhenProcessExits(t *testing.T) {
	m := press(smallModel(t), "down", "F") // follow 43
	if !m.procs.follow || m.procs.selPID != 43 {
		t.Fatalf("follow %v pid %d", m.procs.follow, m.procs.selPID)
	}
	procs := slices.DeleteFunc(smallProcs(), func(p collector.Process) bool { return p.PID == 43 })
	m = step(m, SnapshotMsg{Snap: &collector.Snapshot{Processes: procs}})
	if m.procs.follow || m.procs.selPID != 10 {
		t.Errorf("after exit: follow %v selected %d, want off and 10 (same row)", m.procs.follow, m.procs.selPID)
	}
}

func TestKillNeedsVisibleTable(t *testing.T) {
	m := press(smallModel(t), "6", "k")
	if m.mode != modeNormal {
		t.Errorf("k with the table hidden opened mode %d", m.mode)
	}
}
