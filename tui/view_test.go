package tui

import (
	"strconv"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/virgo-top/virgo-top/history"
)

func TestGoldenViews(t *testing.T) {
	tests := []struct {
		name string
		w, h int
		prep func(Model) Model
	}{
		{"dashboard_200x50", 200, 50, nil},
		{"dashboard_80x24", 80, 24, nil},
		{"help_120x40", 120, 40, func(m Model) Model { return press(m, "?") }},
		{"filter_120x40", 120, 40, func(m Model) Model { return typeText(press(m, "/"), "ngin") }},
		{"critical_check_120x40", 120, 40, func(m Model) Model { return step(m, ChecksMsg{Rows: criticalChecks()}) }},
		{"too_small_59x14", 59, 14, nil},
		{"kill_prompt_120x40", 120, 40, func(m Model) Model { return press(m, "down", "k", "right") }},
		{"sort_chooser_tree_120x40", 120, 40, func(m Model) Model { return press(m, "t", "f6", "right") }},
		{"detail_120x40", 120, 40, func(m Model) Model { return press(m, "enter") }},
		{"detail_text_120x40", 120, 40, func(m Model) Model {
			m.opts.Detail = func(pid int32) (string, error) { return FormatProcDetail(testDetail(pid)), nil }
			next, cmd := m.Update(keyMsg("enter"))
			return step(next.(Model), cmd())
		}},
		{"day_window_paused_120x40", 120, 40, func(m Model) Model { return press(m, "w", "w", "p") }},
	}
	// Every new view at the three sizes an htop user has.
	for _, sz := range [][2]int{{80, 24}, {120, 40}, {200, 50}} {
		at := "_" + strconv.Itoa(sz[0]) + "x" + strconv.Itoa(sz[1])
		for _, v := range []struct {
			name string
			prep func(Model) Model
		}{
			{"main", nil},
			{"layout_processes", func(m Model) Model { return press(m, "v") }},
			{"layout_checks", func(m Model) Model { return step(press(m, "v", "v"), ChecksMsg{Rows: criticalChecks()}) }},
			{"setup", func(m Model) Model {
				return press(m, "f2", "down", "down", "down", "down", "down", "down", "down", "down", "down", "down", "down", " ")
			}},
			{"signal_menu", func(m Model) Model { return press(m, "down", "k") }},
			{"search", func(m Model) Model { return typeText(press(m, "/"), "cron") }},
			{"user_menu", func(m Model) Model { return press(m, "u", "down") }},
			{"sort_menu", func(m Model) Model { return press(m, "f6", "down") }},
			{"renice_prompt", func(m Model) Model { return press(m, "r") }},
		} {
			tests = append(tests, struct {
				name string
				w, h int
				prep func(Model) Model
			}{v.name + at, sz[0], sz[1], v.prep})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestModel(t, tt.w, tt.h, 200)
			if tt.prep != nil {
				m = tt.prep(m)
			}
			checkGolden(t, tt.name, screen(m))
		})
	}
}

// TestViewFitsEverySize: no line wider than the terminal, never more lines
// than it has, at every size and in every mode.
func TestViewFitsEverySize(t *testing.T) {
	sizes := [][2]int{{1, 1}, {10, 5}, {59, 15}, {60, 15}, {80, 24}, {100, 30}, {120, 40}, {200, 50}, {300, 100}}
	modes := map[string][]string{
		"normal": nil, "help": {"?"}, "filter": {"/", "s"}, "kill": {"k"}, "sort": {"f6"},
		"detail": {"enter"}, "tree": {"t"}, "hidden": {"1", "3", "5"}, "onlyprocs": {"1", "2", "3", "4", "5"},
		"noprocs": {"6"}, "tab": {"tab", "tab", "down"},
	}
	for _, sz := range sizes {
		for name, keys := range modes {
			m := newTestModel(t, sz[0], sz[1], 300)
			m = press(m, keys...)
			checkFits(t, name, m, sz[0], sz[1])
		}
	}
}

func checkFits(t *testing.T, name string, m Model, w, h int) {
	t.Helper()
	v := m.View()
	lines := strings.Split(v, "\n")
	if len(lines) > h {
		t.Errorf("%s at %dx%d: %d lines", name, w, h, len(lines))
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw > w {
			t.Errorf("%s at %dx%d: line %d is %d wide: %q", name, w, h, i, lw, ansi.Strip(l))
		}
	}
}

func TestResizeTinyAndBack(t *testing.T) {
	m := newTestModel(t, 200, 50, 100)
	m = press(m, "down", "down")
	sel := m.procs.selPID
	for _, sz := range [][2]int{{10, 5}, {1, 1}, {0, 0}, {200, 50}} {
		m = step(m, tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		_ = m.View()
	}
	checkFits(t, "after resize", m, 200, 50)
	if m.procs.selPID != sel {
		t.Errorf("selection changed across resize: %d -> %d", sel, m.procs.selPID)
	}
	if got := screen(step(m, tea.WindowSizeMsg{Width: 10, Height: 5})); got != "terminal …\nneed at l…\nhave 10x5 " {
		t.Errorf("10x5 view = %q", got)
	}
}

func TestViewBeforeData(t *testing.T) {
	m := New(Options{NoColor: true, Now: fixedNow})
	if v := m.View(); v != "" {
		t.Errorf("view before size = %q", v)
	}
	m = step(m, tea.WindowSizeMsg{Width: 80, Height: 24})
	if got := screen(m); !strings.Contains(got, "waiting for data") {
		t.Errorf("no waiting message:\n%s", got)
	}
	checkFits(t, "no data", m, 80, 24)
}

// countingHistory counts queries, to prove View reads no history.
type countingHistory struct {
	fakeHistory
	calls *int
}

func (c countingHistory) Values(name string, res history.Resolution, n int, dst []float64) []float64 {
	*c.calls++
	return c.fakeHistory.Values(name, res, n, dst)
}

func TestViewDoesNotQueryHistory(t *testing.T) {
	calls := 0
	m := New(Options{History: countingHistory{calls: &calls}, NoColor: true, Now: fixedNow})
	m = step(m, sizeMsg(200, 50))
	calls = 0
	m = step(m, SnapshotMsg{Snap: testSnapshot(100)})
	afterSample := calls
	// cpu, memory, 2 disks x read/write, 3 interfaces x rx/tx
	if want := 2 + 4 + 6; afterSample != want {
		t.Errorf("a sample made %d history queries, want %d", afterSample, want)
	}
	for i := 0; i < 5; i++ {
		_ = m.View()
	}
	if calls != afterSample {
		t.Errorf("View queried history %d times", calls-afterSample)
	}
}
