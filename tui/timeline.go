package tui

import (
	"errors"
	"strconv"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/virgo-top/virgo-top/agent"
	"github.com/virgo-top/virgo-top/check"
	"github.com/virgo-top/virgo-top/history"
	"github.com/virgo-top/virgo-top/record"
)

// Timeline is the recording the console travels in; *record.Reader
// implements it. The console calls it only from commands, never in Update
// or View, and from one command at a time per kind (a seek, a trend read),
// so an implementation must be safe for concurrent use by two goroutines.
type Timeline interface {
	// Span is the time of the first and of the last recorded sample.
	Span() (from, to time.Time, err error)
	// At is the frame of the moment at or before t; record.ErrNoData when
	// nothing was recorded at or before t.
	At(t time.Time) (*record.Frame, error)
	// After is the frame of the first moment after t; record.ErrNoData
	// when there is none (yet).
	After(t time.Time) (*record.Frame, error)
	// PrevTransition is the last alarm transition recorded in a moment
	// before the moment of before; record.ErrNoData when there is none.
	PrevTransition(before time.Time) (record.Transition, error)
	// Range calls fn with every frame whose sample time is in [from, to],
	// in order.
	Range(from, to time.Time, fn func(*record.Frame) error) error
	// Trends calls fn with the per-minute points of every trend series for
	// the minutes that start in [from, to].
	Trends(from, to time.Time, fn func(series string, p record.Point)) error
}

// noRecording is the status of a time key without a Timeline, when
// Options.NoTimeline does not say why.
const noRecording = "time travel reads the host's recording, and this console has none"

// seekKind is one kind of move of the time cursor.
type seekKind int

const (
	seekStep    seekKind = iota // n samples (n < 0: back)
	seekMinutes                 // n minutes
	seekTo                      // to t
	seekAlarm                   // n alarm transitions back
	seekEnd                     // the newest recorded moment
)

// seekOp is one move: a key press, or several of one kind pressed while
// the previous move was being read.
type seekOp struct {
	kind seekKind
	n    int
	t    time.Time
}

// queueOp adds op to the moves waiting for the one in flight: presses of
// one relative kind add up; an absolute move replaces what waits.
func queueOp(q []seekOp, op seekOp) []seekOp {
	if l := len(q); l > 0 && q[l-1].kind == op.kind && op.kind != seekTo && op.kind != seekEnd {
		q[l-1].n += op.n
		return q
	}
	if op.kind == seekTo || op.kind == seekEnd {
		return []seekOp{op}
	}
	return append(q, op)
}

// seekMsg is where a seek landed, read from the Timeline by a command.
type seekMsg struct {
	seq   uint64
	frame *record.Frame // the frame to show; nil: stay where the cursor is
	live  bool          // the move ran past the recording: back to live
	note  string        // what happened, for the status line
	err   error
	from  time.Time // the recording's span when the seek ran
	to    time.Time
}

// trendsMsg carries the trend window that ends at a recorded moment.
type trendsMsg struct {
	at     time.Time
	window trendWindow
	set    *trendSet
	err    error
}

// spanMsg carries the recording's span, for the g prompt's hint.
type spanMsg struct {
	from, to time.Time
	err      error
}

// travel is the time cursor: which recorded frame the panels show, and the
// reads of the recording in flight. Its zero value is "live, no
// recording".
type travel struct {
	tl      Timeline
	hasLive bool // a live feed exists (not `virgo-top replay`)
	active  bool // the panels show frame, not the live feed
	frame   *record.Frame

	seq   uint64   // id of the newest seek command; older results are dropped
	busy  bool     // a seek is in flight
	queue []seekOp // moves asked while busy, applied from its result

	trendBusy bool // a trend read is in flight
	trendWant bool // the shown trends are stale: read again when it returns

	from, to time.Time // the recording's span, as of the last read

	prompt    lineInput // the g prompt
	promptErr string    // why the last entry is no time
}

// seekStart is where a seek starts from: the shown frame, or live.
type seekStart struct {
	base    time.Time // the shown frame's time, or the newest live sample's
	hasLive bool      // moving past the recording's end returns to live
	liveAt  time.Time // the newest live sample (zero: none yet)
}

// seekCmd reads the moves ops from start in a command.
func seekCmd(tl Timeline, seq uint64, start seekStart, ops []seekOp, loc *time.Location) tea.Cmd {
	return func() tea.Msg {
		msg := runSeek(tl, start, ops, loc)
		msg.seq = seq
		return msg
	}
}

// runSeek applies ops in order from start and says where they landed.
func runSeek(tl Timeline, start seekStart, ops []seekOp, loc *time.Location) seekMsg {
	from, to, err := tl.Span()
	if err != nil {
		if errors.Is(err, record.ErrNoData) || errors.Is(err, record.ErrNoRecording) {
			return seekMsg{note: "nothing recorded yet"}
		}
		return seekMsg{err: err}
	}
	out := seekMsg{from: from, to: to}
	t := start.base
	stamp := func(x time.Time) string { return stampAt(x, t, loc) }
	land := func(f *record.Frame) {
		t = f.Time()
		out.frame = f
	}
	for _, op := range ops {
		switch op.kind {
		case seekStep:
			for i := 0; i < -op.n; i++ {
				f, err := tl.At(t.Add(-time.Nanosecond))
				if errors.Is(err, record.ErrNoData) {
					out.note = "the recording starts at " + stamp(from)
					break
				}
				if err != nil {
					out.err = err
					return out
				}
				land(f)
			}
			for i := 0; i < op.n; i++ {
				f, err := tl.After(t)
				if errors.Is(err, record.ErrNoData) {
					if start.hasLive {
						out.live = true
						return out
					}
					out.note = "the recording ends at " + stamp(to)
					break
				}
				if err != nil {
					out.err = err
					return out
				}
				land(f)
			}
		case seekMinutes:
			target := t.Add(time.Duration(op.n) * time.Minute)
			switch {
			case op.n < 0 && target.Before(from):
				target = from
				out.note = "the recording starts at " + stamp(from)
			case op.n > 0 && target.After(to):
				if start.hasLive {
					out.live = true
					return out
				}
				target = to
				out.note = "the recording ends at " + stamp(to)
			}
			f, err := tl.At(target)
			if err == nil && op.n > 0 && !f.Time().After(t) {
				// No sample in the minute after t: the next one, however far.
				f, err = tl.After(t)
			}
			if errors.Is(err, record.ErrNoData) {
				continue
			}
			if err != nil {
				out.err = err
				return out
			}
			land(f)
		case seekTo, seekEnd:
			target := op.t
			if op.kind == seekEnd {
				target = to
			}
			switch {
			case op.kind == seekTo && start.hasLive &&
				(target.After(to) || !start.liveAt.IsZero() && !target.Before(start.liveAt)):
				out.live = true
				return out
			case target.Before(from):
				target = from
				out.note = "the recording starts at " + stamp(from)
			case target.After(to):
				target = to
				out.note = "the recording ends at " + stamp(to)
			}
			f, err := tl.At(target)
			if err != nil {
				out.err = err
				return out
			}
			land(f)
		case seekAlarm:
			var last record.Transition
			found := 0
			for i := 0; i < op.n; i++ {
				tr, err := tl.PrevTransition(t)
				if errors.Is(err, record.ErrNoData) {
					break
				}
				if err != nil {
					out.err = err
					return out
				}
				last, t = tr, tr.Moment
				found++
			}
			if found == 0 {
				out.note = "no alarm changed before " + stamp(t)
				continue
			}
			f, err := tl.At(last.Moment)
			if err != nil {
				out.err = err
				return out
			}
			land(f)
			out.note = transitionNote(last, f)
			if found < op.n {
				out.note += " (the first recorded)"
			}
		}
	}
	return out
}

// transitionNote says which alarm changed in frame f: the one found and
// how many more changed in the same moment.
func transitionNote(tr record.Transition, f *record.Frame) string {
	from, to := tr.From, tr.To
	if from == "" {
		from = "?"
	}
	if to == "" {
		to = "removed"
	}
	s := "alarm " + tr.CheckID + "/" + tr.Alarm + " " + from + " → " + to
	if tr.Message != "" {
		s += ": " + tr.Message
	}
	if n := len(f.Transitions); n > 1 {
		s += " (+" + strconv.Itoa(n-1) + " more in this moment)"
	}
	return s + " · ! again: the one before"
}

// stampAt formats t for a person in loc: the time of day, with the date
// when it is not the day of ref.
func stampAt(t, ref time.Time, loc *time.Location) string {
	t, ref = t.In(loc), ref.In(loc)
	if y, m, d := t.Date(); y == ref.Year() && m == ref.Month() && d == ref.Day() {
		return t.Format("15:04:05")
	}
	return t.Format("2006-01-02 15:04:05")
}

// agoText is a duration as the REPLAY header says it: "5h 48m", "2d 3h",
// "12m 5s", "40s".
func agoText(d time.Duration) string {
	if d < time.Second {
		return "now"
	}
	d = d.Round(time.Second)
	unit := func(v time.Duration, u string) string { return strconv.FormatInt(int64(v), 10) + u }
	switch {
	case d < time.Minute:
		return unit(d/time.Second, "s")
	case d < time.Hour:
		return unit(d/time.Minute, "m") + " " + unit(d%time.Minute/time.Second, "s")
	case d < 24*time.Hour:
		return unit(d/time.Hour, "h") + " " + unit(d%time.Hour/time.Minute, "m")
	default:
		return unit(d/(24*time.Hour), "d") + " " + unit(d%(24*time.Hour)/time.Hour, "h")
	}
}

// trendSet is trend series read from the recording, each oldest first,
// for one or more resolutions; it serves the graphs as a HistoryReader.
type trendSet struct {
	raw, minute, hour map[string][]float64
}

// Values returns up to n of the newest values of name at res.
func (s *trendSet) Values(name string, res history.Resolution, n int, dst []float64) []float64 {
	v := s.series(res)[name]
	if n < len(v) {
		v = v[len(v)-n:]
	}
	return append(dst, v...)
}

func (s *trendSet) series(res history.Resolution) map[string][]float64 {
	if s == nil {
		return nil
	}
	switch res {
	case history.Minute:
		return s.minute
	case history.Hour:
		return s.hour
	case history.Raw:
		return s.raw
	}
	return nil
}

// trendsCmd reads the trend window w that ends at the moment at: raw
// samples (the last points of them, interval apart) for the live window,
// per-minute rollups for the hour, hourly ones for the day.
func trendsCmd(tl Timeline, at time.Time, w trendWindow, points int, interval time.Duration) tea.Cmd {
	return func() tea.Msg {
		set, err := readTrends(tl, at, w, points, interval)
		return trendsMsg{at: at, window: w, set: set, err: err}
	}
}

func readTrends(tl Timeline, at time.Time, w trendWindow, points int, interval time.Duration) (*trendSet, error) {
	set := &trendSet{}
	switch w {
	case windowHour:
		rolls, err := readRollups(tl, at.Add(-time.Hour), at)
		set.minute = rolls.minutes(60)
		return set, err
	case windowDay:
		rolls, err := readRollups(tl, at.Add(-24*time.Hour), at)
		set.hour = rolls.hours(24)
		return set, err
	}
	set.raw = make(map[string][]float64)
	err := tl.Range(at.Add(-time.Duration(points)*interval), at, func(f *record.Frame) error {
		agent.EachSeries(f.Snapshot, func(name string, v float64) {
			s := set.raw[name]
			if len(s) == points {
				// More frames than asked (a shorter interval than guessed):
				// keep the newest.
				copy(s, s[1:])
				s = s[:points-1]
			}
			set.raw[name] = append(s, v)
		})
		return nil
	})
	return set, err
}

// rollups is the per-minute points of every series, oldest first.
type rollups map[string][]record.Point

// readRollups reads the per-minute points of the minutes that start in
// [from, to].
func readRollups(tl Timeline, from, to time.Time) (rollups, error) {
	out := make(rollups)
	err := tl.Trends(from, to, func(series string, p record.Point) {
		out[series] = append(out[series], p)
	})
	return out, err
}

// minutes is the averages of the last n minutes of every series.
func (r rollups) minutes(n int) map[string][]float64 {
	out := make(map[string][]float64, len(r))
	for name, ps := range r {
		if len(ps) > n {
			ps = ps[len(ps)-n:]
		}
		v := make([]float64, len(ps))
		for i, p := range ps {
			v[i] = p.Avg
		}
		out[name] = v
	}
	return out
}

// hours folds the minutes into UTC hours (the history's buckets; the
// average weighted by samples) and keeps the last n.
func (r rollups) hours(n int) map[string][]float64 {
	out := make(map[string][]float64, len(r))
	for name, ps := range r {
		var v []float64
		var cur time.Time
		var sum float64
		var count int
		flush := func() {
			if count > 0 {
				v = append(v, sum/float64(count))
			}
		}
		for _, p := range ps {
			h := p.Start.UTC().Truncate(time.Hour)
			if !h.Equal(cur) {
				flush()
				cur, sum, count = h, 0, 0
			}
			c := max(p.Count, 1)
			sum += p.Avg * float64(c)
			count += c
		}
		flush()
		if len(v) > n {
			v = v[len(v)-n:]
		}
		out[name] = v
	}
	return out
}

// checkRowsAt is the checks panel as of a recorded frame: every check's
// latest result, its state the worst of its alarms' as the agent computes
// it (UNKNOWN < OK < WARNING < CRITICAL; UNKNOWN with none), the message
// that alarm's.
func checkRowsAt(f *record.Frame) []CheckRow {
	rows := make([]CheckRow, 0, len(f.Checks))
	index := make(map[string]int, len(f.Checks))
	for _, c := range f.Checks {
		index[c.CheckID] = len(rows)
		rows = append(rows, CheckRow{
			ID: c.CheckID, Label: c.Label, Type: c.Type, LastRun: c.Time, State: StateUnknown,
			Message: c.Status, Available: c.Available, KeyMetrics: recordedKeyMetrics(c),
		})
	}
	alarmed := make(map[string]bool, len(f.Alarms))
	for _, a := range f.Alarms {
		if a.To == "" {
			continue // removed
		}
		i, ok := index[a.CheckID]
		if !ok {
			// An alarm of a check with no result recorded yet.
			i = len(rows)
			index[a.CheckID] = i
			rows = append(rows, CheckRow{ID: a.CheckID, State: StateUnknown, Available: true, Message: "no result recorded"})
		}
		if st := alarmState(a.To); stateRank(st) > stateRank(rows[i].State) {
			rows[i].State, rows[i].Alarm = st, a.Message
		}
		alarmed[a.CheckID] = true
	}
	for i := range rows {
		if !alarmed[rows[i].ID] {
			// UNKNOWN, and why: no alarm of this check changed state while
			// the recording ran.
			rows[i].Alarm = "no alarm state recorded · " + rows[i].Message
		}
	}
	return rows
}

// alarmState is a recorded alarm state as a CheckRow state.
func alarmState(s string) string {
	switch s = strings.ToUpper(strings.TrimSpace(s)); s {
	case StateOK, StateWarning, StateCritical:
		return s
	}
	return StateUnknown
}

// stateRank orders states for "worst of", as the agent does.
func stateRank(s string) int {
	switch s {
	case StateOK:
		return 1
	case StateWarning:
		return 2
	case StateCritical:
		return 3
	}
	return 0
}

// recordedKeyMetrics is KeyMetrics of a recorded check result.
func recordedKeyMetrics(c record.CheckResult) string {
	ms := make([]check.Metric, len(c.Metrics))
	for i, m := range c.Metrics {
		ms[i] = check.Metric{Dimension: m.Dimension, Name: m.Name, Type: m.Type, Value: m.Value, Unit: m.Unit}
	}
	return KeyMetrics(c.Type, ms)
}

// linkText is the endpoint link as recorded at a frame: connected if any
// endpoint was, else the first one's state and error.
func linkText(s *styles, links []record.LinkEvent) string {
	if len(links) == 0 {
		return ""
	}
	best := links[0]
	for _, l := range links {
		if linkUp(l.State) {
			best = l
			break
		}
	}
	ep := clean(best.Endpoint)
	if linkUp(best.State) {
		return s.ConnOK.Render("● connected to " + ep)
	}
	t := s.ConnDown.Render("○ " + clean(best.State))
	if ep != "" {
		t += s.Dim.Render(" (" + ep + ")")
	}
	if best.Error != "" {
		t += s.Error.Render("  " + clean(best.Error))
	}
	return t
}

func linkUp(state string) bool { return strings.EqualFold(state, ConnConnected) }
