package fleet

import (
	"strconv"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/virgo-top/virgo-top/fleet"
	"github.com/virgo-top/virgo-top/tui"
)

// alarmList is every alarm that is not OK across the fleet, worst first,
// then the oldest first.
type alarmList struct {
	st     *tui.Styles
	keys   *keyMap
	w, h   int
	alarms []fleet.Alarm
	loaded bool // a fetch succeeded: an empty list means all OK
	top    int
	sel    int
	now    func() time.Time
}

func newAlarmList(st *tui.Styles, keys *keyMap, now func() time.Time) *alarmList {
	return &alarmList{st: st, keys: keys, now: now}
}

// SetSize gives the list its box.
func (a *alarmList) SetSize(w, h int) { a.w, a.h = w, h }

func (a *alarmList) rows() int { return max(a.h-3, 1) }

func (a *alarmList) setAlarms(al []fleet.Alarm) {
	a.alarms, a.loaded = al, true
	a.sel = min(a.sel, max(len(al)-1, 0))
	a.top = min(a.top, a.sel)
}

// selectedHost is the host of the selected alarm.
func (a *alarmList) selectedHost() string {
	if a.sel < len(a.alarms) {
		return a.alarms[a.sel].Host
	}
	return ""
}

// Update moves the selection.
func (a *alarmList) Update(msg tea.KeyMsg) tea.Cmd {
	k := a.keys
	switch {
	case key.Matches(msg, k.Up):
		a.sel = max(a.sel-1, 0)
	case key.Matches(msg, k.Down):
		a.sel = max(min(a.sel+1, len(a.alarms)-1), 0)
	case key.Matches(msg, k.PgUp):
		a.sel = max(a.sel-a.rows(), 0)
	case key.Matches(msg, k.PgDown):
		a.sel = max(min(a.sel+a.rows(), len(a.alarms)-1), 0)
	case key.Matches(msg, k.Home):
		a.sel = 0
	case key.Matches(msg, k.End):
		a.sel = max(len(a.alarms)-1, 0)
	}
	if a.sel < a.top {
		a.top = a.sel
	}
	if a.sel >= a.top+a.rows() {
		a.top = a.sel - a.rows() + 1
	}
	return nil
}

// alarmLines draws alarms as rows (state, host, check, alarm, for how
// long), w cells wide, the selected one (sel; -1 none) in reverse.
func alarmLines(st *tui.Styles, alarms []fleet.Alarm, now time.Time, w, sel, top, n int) []string {
	hostW := max(min(24, (w-28)/3), 8)
	checkW := max(min(28, (w-28)/3), 8)
	hdr := pad("STATE", 9, false) + " " + pad("HOST", hostW, false) + " " + pad("CHECK", checkW, false) + " " + pad("FOR", 7, true) + " ALARM"
	lines := []string{st.TableHeader.Render(tui.Fit(hdr, w))}
	for i := top; i < len(alarms) && i < top+n; i++ {
		al := alarms[i]
		// How long it has not been OK.
		since := "?"
		switch {
		case al.State == "OK":
			since = ""
		case !al.Since.IsZero():
			since = fleet.FormatAge(now.Sub(al.Since).Seconds())
		}
		state := pad(al.State, 9, false)
		if i != sel {
			state = st.StateStyle(al.State).Render(state)
		}
		line := tui.Fit(state+" "+pad(fleet.Printable(al.Host), hostW, false)+" "+pad(fleet.Printable(al.CheckID), checkW, false)+" "+pad(since, 7, true)+" "+fleet.Printable(al.Alarm), w)
		if i == sel {
			line = st.Selected.Render(line)
		}
		lines = append(lines, line)
	}
	return lines
}

// View draws the list in its box.
func (a *alarmList) View(focused bool) []string {
	lines := alarmLines(a.st, a.alarms, a.now(), a.w-2, a.sel, a.top, a.rows())
	switch {
	case !a.loaded:
		lines = append(lines, a.st.Dim.Render("no answer from the engine yet"))
	case len(a.alarms) == 0:
		lines = append(lines, a.st.StateOK.Render("every alarm of the fleet is OK"))
	}
	worst := ""
	if len(a.alarms) > 0 {
		worst = a.alarms[0].State // worst first
	}
	return tui.StateBox(a.st, "fleet alarms not OK: "+strconv.Itoa(len(a.alarms)), lines, a.w, a.h, focused, worst)
}
