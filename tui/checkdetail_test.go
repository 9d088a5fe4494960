package tui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// detailCheck is a CRITICAL check with a long message, long criteria and
// a few transitions.
func detailCheck() CheckRow {
	return CheckRow{
		ID: "chDocker", Label: "docker disk", Type: "agent.filesystem", Period: time.Minute,
		LastRun: testNow.Add(-5 * time.Second), Duration: 2 * time.Millisecond, State: StateCritical, Available: true,
		Message: "/var/lib/docker is 92.0% full (460.0 GiB of 500.0 GiB used, 40.0 GiB available); at the current rate of " +
			"1.2 GiB per hour it will be full in about 33 hours. The largest writers are the overlay2 layers of the " +
			"containers postgres-main and build-cache-7f3a, which wrote 18.4 GiB in the last hour.",
		Alarm: "/var/lib/docker is 92% full",
		Metrics: []CheckMetric{
			{Name: "used_pct", Type: "double", Value: "92.0", Unit: "percent"},
			{Name: "used", Type: "int64", Value: "493921239040", Unit: "bytes"},
			{Name: "total", Type: "int64", Value: "536870912000", Unit: "bytes"},
			{Name: "avail", Type: "int64", Value: "42949672960", Unit: "bytes"},
			{Name: "options", Type: "string", Value: "rw,relatime,attr2,inode64,logbufs=8,logbsize=32k,sunit=1024,swidth=4096,prjquota"},
			{Name: "a_metric_with_a_very_long_name_that_does_not_fit_the_column", Type: "uint32", Value: "7", Unit: "files"},
		},
		Alarms: []CheckAlarm{
			{ID: "alDiskCrit", Label: "disk nearly full", State: StateCritical, Message: "/var/lib/docker is 92% full",
				Criteria: "if (percentage(metric['used'], metric['total']) > 90) {\n" +
					"  return new AlarmStatus(CRITICAL, '#{mount} is #{used_pct}% full, above the 90% that pages the on-call engineer at any hour');\n" +
					"}\nif (percentage(metric['used'], metric['total']) > 80) {\n" +
					"\treturn new AlarmStatus(WARNING, '#{mount} is above 80%');\n}\nreturn new AlarmStatus(OK);"},
			{ID: "alInodes", Label: "inodes", State: StateOK, Criteria: ":set consecutiveCount=3\nif (metric['free_files'] < 1000) { return new AlarmStatus(CRITICAL); }"},
		},
		Transitions: []Transition{
			{Time: testNow.Add(-3 * time.Minute), Alarm: "alDiskCrit", From: StateWarning, To: StateCritical,
				Message: "/var/lib/docker is 92% full, above the 90% that pages the on-call engineer at any hour"},
			{Time: testNow.Add(-2 * time.Hour), Alarm: "alDiskCrit", From: StateOK, To: StateWarning, Message: "/var/lib/docker is above 80%"},
			{Time: testNow.Add(-26 * time.Hour), Alarm: "alInodes", From: "", To: StateOK},
		},
	}
}

func newTestCheckDetail(r CheckRow, w, h int) *checkDetail {
	d := newCheckDetail(testCommon(testSnapshot(3)))
	d.SetSize(w, h)
	d.SetRow(r)
	return d
}

func detailKeys(d *checkDetail, keys ...string) (*checkDetail, tea.Cmd) {
	var cmd tea.Cmd
	for _, k := range keys {
		d, cmd = d.Update(keyMsg(k))
	}
	return d, cmd
}

func TestCheckDetailGoldens(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {120, 40}, {200, 50}} {
		d := newTestCheckDetail(detailCheck(), sz[0], sz[1])
		checkGolden(t, "checkdetail_"+itoa(sz[0])+"x"+itoa(sz[1]), ansi.Strip(d.View())+"\n")
	}
	d := newTestCheckDetail(detailCheck(), 80, 24)
	d, _ = detailKeys(d, "pgdown")
	checkGolden(t, "checkdetail_pgdown_80x24", ansi.Strip(d.View())+"\n")
	empty := newTestCheckDetail(CheckRow{ID: "chNew", Type: "remote.http"}, 80, 24)
	checkGolden(t, "checkdetail_empty_80x24", ansi.Strip(empty.View())+"\n")
}

// Nothing of the message, the criteria or a metric value is cut: every
// word of them is on screen somewhere while scrolling, at every width.
func TestCheckDetailNeverCuts(t *testing.T) {
	r := detailCheck()
	var words []string
	words = append(words, strings.Fields(r.Message)...)
	for _, a := range r.Alarms {
		words = append(words, strings.Fields(strings.ReplaceAll(a.Criteria, "\t", " "))...)
	}
	for _, m := range r.Metrics {
		words = append(words, m.Value, m.Name)
	}
	for _, w := range []int{60, 61, 80, 100, 120, 200} {
		d := newTestCheckDetail(r, w, 15)
		all := ansi.Strip(strings.Join(d.lines, "\n"))
		// A word longer than its column wraps inside itself: compare
		// without the spaces and line breaks.
		joined := strings.Join(strings.Fields(all), "")
		for _, word := range words {
			if !strings.Contains(joined, word) {
				t.Errorf("width %d: %q is not shown", w, word)
			}
		}
		if strings.Contains(all, "…") {
			t.Errorf("width %d: something was cut:\n%s", w, all)
		}
	}
}

func TestCheckDetailKeys(t *testing.T) {
	d := newTestCheckDetail(detailCheck(), 80, 24)
	if d.vp.YOffset != 0 {
		t.Fatal("not at the top")
	}
	d, _ = detailKeys(d, "down", "down")
	if d.vp.YOffset != 2 {
		t.Errorf("down down: offset %d", d.vp.YOffset)
	}
	d, _ = detailKeys(d, "end")
	_, ih := d.inner()
	if d.vp.YOffset != len(d.lines)-ih {
		t.Errorf("end: offset %d, want %d", d.vp.YOffset, len(d.lines)-ih)
	}
	if !strings.Contains(ansi.Strip(d.View()), "none recorded") && !strings.Contains(ansi.Strip(d.View()), "alInodes") {
		t.Errorf("end does not show the last transition:\n%s", ansi.Strip(d.View()))
	}
	// A new row of the same check keeps the place; another check goes to the top.
	d.SetRow(detailCheck())
	if d.vp.YOffset != len(d.lines)-ih {
		t.Errorf("same check: offset %d", d.vp.YOffset)
	}
	d.SetRow(testChecks()[0])
	if d.vp.YOffset != 0 || d.ID() != "chCPU" {
		t.Errorf("other check: offset %d id %s", d.vp.YOffset, d.ID())
	}
	_, cmd := detailKeys(d, "esc")
	if cmd == nil {
		t.Fatal("esc gave no command")
	}
	if _, ok := cmd().(checkDetailClosedMsg); !ok {
		t.Errorf("esc gave %T", cmd())
	}
	// The clock moves: ages follow on refresh, the place is kept.
	d, _ = detailKeys(newTestCheckDetail(detailCheck(), 80, 24), "down")
	d.c.now = func() time.Time { return testNow.Add(time.Hour) }
	d.refresh()
	if d.vp.YOffset != 1 || !strings.Contains(ansi.Strip(strings.Join(d.lines, "\n")), "(1h0m ago)") {
		t.Errorf("refresh: offset %d\n%s", d.vp.YOffset, ansi.Strip(strings.Join(d.lines, "\n")))
	}
	d, _ = detailKeys(newTestCheckDetail(detailCheck(), 80, 24), "home", "up", "pgup")
	if d.vp.YOffset != 0 {
		t.Errorf("above the top: %d", d.vp.YOffset)
	}
	if len(d.keys.ShortHelp()) == 0 || len(d.keys.FullHelp()) == 0 {
		t.Error("no help")
	}
}

func TestCheckDetailFitsEverySize(t *testing.T) {
	hostile := detailCheck()
	hostile.Label = "\x1b]0;pwned\x07" + strings.Repeat("label ", 40)
	hostile.Message = strings.Repeat("x", 500) + " \x1b[2J\u202e"
	hostile.Metrics = append(hostile.Metrics, CheckMetric{Name: strings.Repeat("n", 300), Type: strings.Repeat("t", 50), Value: "\x00\x07"})
	hostile.Alarms = append(hostile.Alarms, CheckAlarm{Criteria: strings.Repeat("\t", 40) + strings.Repeat("y", 400) + "\n\n\r\n"})
	hostile.Transitions = append(hostile.Transitions, Transition{Time: testNow.Add(time.Hour)}, Transition{})
	for _, r := range []CheckRow{{}, detailCheck(), hostile} {
		for _, sz := range [][2]int{{0, 0}, {1, 1}, {3, 2}, {10, 5}, {20, 6}, {60, 15}, {61, 16}, {80, 24}, {100, 30}, {120, 40}, {200, 50}, {300, 100}} {
			d := newTestCheckDetail(r, sz[0], sz[1])
			for _, k := range []string{"", "down", "pgdown", "end"} {
				if k != "" {
					d, _ = detailKeys(d, k)
				}
				checkComponentFits(t, "checkdetail", d.View(), sz[0], sz[1])
			}
		}
	}
}
