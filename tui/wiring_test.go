package tui

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/virgo-top/virgo-top/collector"
)

// driveKey sends a key and feeds back every message its commands produce
// (not the feed, which tests do not use), returning them too.
func driveKey(t *testing.T, m Model, k string) (Model, []tea.Msg) {
	t.Helper()
	next, cmd := m.Update(keyMsg(k))
	m = next.(Model)
	var seen []tea.Msg
	queue := runCmd(cmd)
	for len(queue) > 0 {
		msg := queue[0]
		queue = queue[1:]
		seen = append(seen, msg)
		if _, quit := msg.(tea.QuitMsg); quit {
			continue
		}
		next, cmd := m.Update(msg)
		m = next.(Model)
		queue = append(queue, runCmd(cmd)...)
	}
	return m, seen
}

func settingsModel(t *testing.T, path string) Model {
	m := New(Options{History: fakeHistory{}, NoColor: true, Now: fixedNow, Interval: 5 * time.Second, Settings: LoadSettings(path)})
	m = step(m, sizeMsg(120, 40))
	m = step(m, ChecksMsg{Rows: testChecks()})
	return step(m, SnapshotMsg{Snap: testSnapshot(50)})
}

// TestSettingsSurviveRestart: change the sort, the layout and the columns,
// quit, start again: the same console.
func TestSettingsSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "virgo-top", "console.yaml")
	m := settingsModel(t, path)
	m, _ = driveKey(t, m, "M") // sort by memory
	m, _ = driveKey(t, m, "v") // the processes layout
	m, _ = driveKey(t, m, "t") // tree
	m, msgs := driveKey(t, m, "q")
	quit := false
	for _, msg := range msgs {
		if _, ok := msg.(tea.QuitMsg); ok {
			quit = true
		}
	}
	if !quit {
		t.Fatalf("q did not quit: %v", msgs)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("settings not written: %v", err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
	want := m.prefs()
	m2 := settingsModel(t, path)
	if got := m2.prefs(); !got.equal(want) {
		t.Errorf("after a restart\n got %+v\nwant %+v\nfile:\n%s", got, want, data)
	}
	if got := m2.prefs(); got.SortKey != "mem" || got.Layout != "processes" || !got.Tree {
		t.Errorf("restored %+v", got)
	}
}

// TestSettingsBadFile: a broken file is one status line and the defaults.
func TestSettingsBadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.yaml")
	if err := os.WriteFile(path, []byte("sort: [nonsense\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := settingsModel(t, path)
	if !strings.Contains(screen(m), "not valid") || m.prefs().SortKey != "cpu" {
		t.Errorf("bad file: sort %q, screen:\n%s", m.prefs().SortKey, screen(m))
	}
}

// TestSettingsUnwritable: a save that fails says so once and the console
// goes on.
func TestSettingsUnwritable(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	m := settingsModel(t, filepath.Join(blocker, "console.yaml"))
	m, _ = driveKey(t, m, "M")
	if !strings.Contains(screen(m), "settings not saved") || m.prefs().SortKey != "mem" {
		t.Errorf("unwritable: sort %q, screen:\n%s", m.prefs().SortKey, screen(m))
	}
}

func TestThemeKeyInSetup(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.yaml")
	m := New(Options{History: fakeHistory{}, Now: fixedNow, Settings: LoadSettings(path)})
	m = step(m, sizeMsg(120, 40))
	m, _ = driveKey(t, m, "f2")
	m, _ = driveKey(t, m, "t")
	if m.settings.Theme != "truecolor" || !m.settingsDirty {
		t.Errorf("theme %q dirty %v", m.settings.Theme, m.settingsDirty)
	}
	_, msgs := driveKey(t, m, "q")
	if len(msgs) == 0 {
		t.Fatal("no quit")
	}
	if s, warn := loadSettings(path); s.Theme != "truecolor" || warn != "" {
		t.Errorf("saved theme %q (%s)", s.Theme, warn)
	}
	// NO_COLOR keeps mono.
	nc := New(Options{NoColor: true, Settings: LoadSettings(path)})
	nc = step(nc, sizeMsg(120, 40))
	nc, _ = driveKey(t, nc, "f2")
	nc, _ = driveKey(t, nc, "t")
	if nc.settings.Theme != "truecolor" || nc.settingsDirty {
		t.Errorf("NO_COLOR: theme %q dirty %v", nc.settings.Theme, nc.settingsDirty)
	}
}

// TestCgroupViewWiring: c opens the view and asks the sampler for
// cgroups, enter shows that group's processes, esc/c closes and stops
// asking.
func TestCgroupViewWiring(t *testing.T) {
	var asked []bool
	m := New(Options{History: fakeHistory{}, NoColor: true, Now: fixedNow, SetCgroups: func(on bool) { asked = append(asked, on) }})
	m = step(m, sizeMsg(120, 40))
	snap := testSnapshot(20)
	snap.Cgroups = hybridCgroups()
	for i := range snap.Processes {
		if i%2 == 0 {
			snap.Processes[i].Cgroup = "/virgo-burner"
		} else {
			snap.Processes[i].Cgroup = "/user.slice"
		}
	}
	m = step(m, SnapshotMsg{Snap: snap})
	m, _ = driveKey(t, m, "c")
	if m.mode != modeCgroups || !reflect.DeepEqual(asked, []bool{true}) {
		t.Fatalf("c: mode %d asked %v", m.mode, asked)
	}
	if !strings.Contains(screen(m), "burner") {
		t.Errorf("cgroup view:\n%s", screen(m))
	}
	// Move to the burner's group and press enter.
	for i := 0; i < 40 && m.cgview.cursor < len(m.cgview.order); i++ {
		if g := m.cgview.groups[m.cgview.order[m.cgview.cursor]]; g.Path == "/virgo-burner" {
			break
		}
		m, _ = driveKey(t, m, "down")
	}
	m, _ = driveKey(t, m, "enter")
	if m.mode != modeNormal || m.procs.cgroup != "/virgo-burner" || len(m.procs.order) != 10 {
		t.Fatalf("enter: mode %d cgroup %q shown %d", m.mode, m.procs.cgroup, len(m.procs.order))
	}
	if !reflect.DeepEqual(asked, []bool{true, false}) {
		t.Errorf("after enter the sampler was asked %v", asked)
	}
	if !strings.Contains(screen(m), "cgroup /virgo-burner") {
		t.Errorf("title does not name the cgroup:\n%s", screen(m))
	}
	// \ then esc shows every process again.
	m, _ = driveKey(t, m, "\\")
	m, _ = driveKey(t, m, "esc")
	if m.procs.cgroup != "" || len(m.procs.order) != 20 {
		t.Errorf("esc: cgroup %q shown %d", m.procs.cgroup, len(m.procs.order))
	}
	m, _ = driveKey(t, m, "c")
	m, _ = driveKey(t, m, "esc")
	if m.mode != modeNormal || !reflect.DeepEqual(asked, []bool{true, false, true, false}) {
		t.Errorf("c esc: mode %d asked %v", m.mode, asked)
	}
}

func detailChecks() []CheckRow {
	rows := criticalChecks()
	for i := range rows {
		rows[i].Metrics = []CheckMetric{{Name: "usage_average", Type: "double", Value: "97.25", Unit: "percent"}}
		rows[i].Alarms = []CheckAlarm{{ID: "busy", Label: "CPU busy", State: rows[i].State, Message: rows[i].Alarm,
			Criteria: "if (metric['usage_average'] > 90) {\n  return new AlarmStatus(CRITICAL, 'CPU at #{usage_average}%');\n}\nreturn new AlarmStatus(OK);"}}
		rows[i].Transitions = []Transition{{Time: testNow.Add(-3 * time.Minute), Alarm: "busy", From: "OK", To: rows[i].State, Message: rows[i].Alarm}}
	}
	return rows
}

// TestCheckDetailWiring: enter on the focused checks panel opens the
// selected check; new check states keep it current; esc closes.
func TestCheckDetailWiring(t *testing.T) {
	m := newTestModel(t, 120, 40, 50)
	m = step(m, ChecksMsg{Rows: detailChecks()})
	m, _ = driveKey(t, m, "shift+tab")
	if m.focus != panelChecks {
		t.Fatalf("focus %d", m.focus)
	}
	m, _ = driveKey(t, m, "down")
	want, _ := m.checks.selected()
	m, _ = driveKey(t, m, "enter")
	if m.mode != modeCheck || m.chk.ID() != want.ID {
		t.Fatalf("enter: mode %d shows %q, want %q", m.mode, m.chk.ID(), want.ID)
	}
	rows := detailChecks()
	for i := range rows {
		rows[i].Message = "a newer message " + strconv.Itoa(i)
	}
	m = step(m, ChecksMsg{Rows: rows})
	if !strings.Contains(screen(m), "a newer message") {
		t.Errorf("detail not refreshed:\n%s", screen(m))
	}
	m, _ = driveKey(t, m, "esc")
	if m.mode != modeNormal {
		t.Errorf("esc: mode %d", m.mode)
	}
	// Enter on the process table still opens the process.
	m, _ = driveKey(t, m, "tab")
	m, _ = driveKey(t, m, "enter")
	if m.mode != modeDetail {
		t.Errorf("enter on processes: mode %d", m.mode)
	}
}

// TestGoldenWiredViews: the check detail, the cgroup view and the PSI,
// temperature and battery lines inside the whole console.
func TestGoldenWiredViews(t *testing.T) {
	withHW := func(m Model) Model {
		s := sensorSnap()
		s.Processes = testSnapshot(200).Processes
		s.ProcessCount = len(s.Processes)
		return step(m, SnapshotMsg{Snap: s})
	}
	for _, sz := range [][2]int{{80, 24}, {120, 40}, {200, 50}} {
		at := "_" + strconv.Itoa(sz[0]) + "x" + strconv.Itoa(sz[1])
		for _, v := range []struct {
			name string
			prep func(Model) Model
		}{
			{"check_detail", func(m Model) Model {
				m = step(m, ChecksMsg{Rows: detailChecks()})
				m, _ = driveKey(t, m, "shift+tab")
				m, _ = driveKey(t, m, "enter")
				return m
			}},
			{"cgroup_view", func(m Model) Model {
				s := testSnapshot(200)
				s.Cgroups = hybridCgroups()
				m = step(m, SnapshotMsg{Snap: s})
				m, _ = driveKey(t, m, "c")
				return m
			}},
			{"hardware_meters", withHW},
		} {
			t.Run(v.name+at, func(t *testing.T) {
				m := newTestModel(t, sz[0], sz[1], 200)
				m = v.prep(m)
				checkGolden(t, v.name+at, screen(m))
			})
		}
	}
}

var _ = collector.Cgroup{}
