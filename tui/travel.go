package tui

import (
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/virgo-top/virgo-top/internal/when"
	"github.com/virgo-top/virgo-top/record"
)

// timeKey handles the time keys of normal mode; ok is false for any other
// key.
func (m *Model) timeKey(msg tea.KeyMsg) (tea.Cmd, bool) {
	k := m.c.keys
	var op seekOp
	switch {
	case key.Matches(msg, k.Cancel):
		// Esc with nothing open: back to live (nothing when live). A
		// replay has no live to return to: a stray Esc must not lose the
		// place, L goes to the end.
		switch {
		case !m.tt.active:
			return nil, true
		case !m.tt.hasLive:
			m.setStatus("a replay has no live feed: L goes to the end of the recording, q quits", false)
			return nil, true
		}
		return m.goLive(), true
	case key.Matches(msg, k.Live):
		return m.goLive(), true
	case key.Matches(msg, k.StepBack):
		op = seekOp{kind: seekStep, n: -1}
	case key.Matches(msg, k.StepFwd):
		op = seekOp{kind: seekStep, n: 1}
	case key.Matches(msg, k.MinuteBack):
		op = seekOp{kind: seekMinutes, n: -1}
	case key.Matches(msg, k.MinuteFwd):
		op = seekOp{kind: seekMinutes, n: 1}
	case key.Matches(msg, k.PrevAlarm):
		op = seekOp{kind: seekAlarm, n: 1}
	case key.Matches(msg, k.GoTo):
		if m.tt.tl == nil {
			m.noTimeline()
			return nil, true
		}
		m.mode = modeGoto
		m.tt.prompt.Reset()
		m.tt.promptErr = ""
		return spanCmd(m.tt.tl), true
	default:
		return nil, false
	}
	if m.tt.tl == nil {
		m.noTimeline()
		return nil, true
	}
	if !m.tt.active && !m.tt.busy && op.n > 0 && (op.kind == seekStep || op.kind == seekMinutes) {
		m.setStatus("live: nothing after now ([ or { go back)", false)
		return nil, true
	}
	return m.seek(op), true
}

func (m *Model) noTimeline() {
	why := m.opts.NoTimeline
	if why == "" {
		why = noRecording
	}
	m.setStatus("no recording: "+why, true)
}

// seek moves the cursor by op: now, or after the move in flight.
func (m *Model) seek(op seekOp) tea.Cmd {
	if m.tt.busy {
		m.tt.queue = queueOp(m.tt.queue, op)
		return nil
	}
	return m.issueSeek([]seekOp{op})
}

func (m *Model) issueSeek(ops []seekOp) tea.Cmd {
	m.tt.seq++
	m.tt.busy = true
	return seekCmd(m.tt.tl, m.tt.seq, m.seekStart(), ops, m.c.loc)
}

// seekStart is where the next move starts: the shown frame, or the newest
// live sample.
func (m *Model) seekStart() seekStart {
	st := seekStart{hasLive: m.tt.hasLive}
	if m.liveSnap != nil {
		st.liveAt = m.liveSnap.Time
	}
	switch {
	case m.tt.active && m.tt.frame != nil:
		st.base = m.tt.frame.Time()
	case m.liveSnap != nil:
		st.base = m.liveSnap.Time
	default:
		st.base = m.c.now()
	}
	return st
}

// seekDone shows where a seek landed and starts the moves asked meanwhile.
func (m Model) seekDone(msg seekMsg) (tea.Model, tea.Cmd) {
	if msg.seq != m.tt.seq {
		return m, nil // superseded: L was pressed meanwhile
	}
	m.tt.busy = false
	if !msg.from.IsZero() {
		m.tt.from, m.tt.to = msg.from, msg.to
	}
	var cmds []tea.Cmd
	switch {
	case msg.err != nil:
		m.setStatus("recording: "+msg.err.Error(), true)
		m.tt.queue = nil
	case msg.live:
		cmds = append(cmds, m.goLive())
		m.setStatus("back to live: the recording ends at "+stampAt(msg.to, m.c.now(), m.c.loc), false)
		m.tt.queue = nil
	default:
		if msg.frame != nil {
			cmds = append(cmds, m.showFrame(msg.frame))
		}
		if msg.note != "" {
			m.setStatus(msg.note, false)
		}
	}
	if len(m.tt.queue) > 0 {
		q := m.tt.queue
		m.tt.queue = nil
		cmds = append(cmds, m.issueSeek(q))
	}
	return m, tea.Batch(cmds...)
}

// showFrame makes f the moment every panel shows, and starts reading the
// trend window that ends at it.
func (m *Model) showFrame(f *record.Frame) tea.Cmd {
	if !m.tt.active {
		// Entering replay: the recorded trends replace the live ones.
		m.tt.active = true
		m.c.hist = (*trendSet)(nil)
	}
	m.tt.frame = f
	m.c.frame = f
	m.c.snap = f.Snapshot
	m.c.trendsLoading = true
	m.procs.setProcesses(f.Snapshot.Processes)
	m.checks.setRows(checkRowsAt(f))
	m.relayout()
	m.refreshTrends()
	return m.loadTrends()
}

// goLive leaves replay: the panels show the newest live sample, checks and
// link again, unpaused. Without a live feed it goes to the recording's end.
func (m *Model) goLive() tea.Cmd {
	m.tt.queue = nil
	if !m.tt.hasLive {
		if m.tt.tl == nil {
			return nil
		}
		m.setStatus("the end of the recording (a replay has no live feed; q quits)", false)
		m.tt.seq++ // drop a seek in flight
		m.tt.busy = false
		return m.seek(seekOp{kind: seekEnd})
	}
	if !m.tt.active {
		m.tt.seq++
		m.tt.busy = false
		return nil
	}
	m.tt.seq++ // drop a seek in flight
	m.tt.busy = false
	m.tt.active = false
	m.tt.frame = nil
	m.paused = false
	m.c.frame = nil
	m.c.trendsLoading = false
	m.c.hist = m.liveHist
	m.c.snap = m.liveSnap
	var procs = m.procs.procs[:0:0]
	if m.liveSnap != nil {
		procs = m.liveSnap.Processes
	}
	m.procs.setProcesses(procs)
	m.checks.setRows(m.liveRows)
	m.relayout()
	m.refreshTrends()
	return nil
}

// loadTrends reads the trend window that ends at the shown frame; one read
// at a time, the next when it returns.
func (m *Model) loadTrends() tea.Cmd {
	if !m.tt.active || m.tt.frame == nil {
		return nil
	}
	if m.tt.trendBusy {
		m.tt.trendWant = true
		return nil
	}
	m.tt.trendBusy, m.tt.trendWant = true, false
	f := m.tt.frame
	iv := f.Snapshot.Elapsed
	if iv <= 0 {
		iv = m.opts.Interval
	}
	iv = min(max(iv, 100*time.Millisecond), time.Minute)
	points := clamp(m.width, 60, ringCap)
	return trendsCmd(m.tt.tl, f.Time(), m.c.window, points, iv)
}

// trendsDone shows a trend window read from the recording: the one asked
// for, or (a key moved the cursor meanwhile) the nearest, until the next.
func (m *Model) trendsDone(msg trendsMsg) tea.Cmd {
	m.tt.trendBusy = false
	if !m.tt.active || msg.window != m.c.window {
		return m.loadTrends()
	}
	stale := m.tt.trendWant || !msg.at.Equal(m.tt.frame.Time())
	if msg.set != nil {
		m.c.hist = msg.set
	}
	if msg.err != nil {
		m.setStatus("recording: trends: "+msg.err.Error(), true)
	}
	if !stale {
		m.c.trendsLoading = false
	}
	m.refreshTrends()
	if stale {
		return m.loadTrends()
	}
	return nil
}

// spanCmd reads the recording's span for the g prompt's hint.
func spanCmd(tl Timeline) tea.Cmd {
	return func() tea.Msg {
		from, to, err := tl.Span()
		return spanMsg{from: from, to: to, err: err}
	}
}

// gotoKey edits the g prompt; enter parses it (when.Parse) and seeks.
func (m Model) gotoKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.c.keys
	switch {
	case key.Matches(msg, k.Cancel):
		m.mode = modeNormal
		return m, nil
	case key.Matches(msg, k.Accept):
		t, err := when.Parse(m.tt.prompt.Value(), m.c.now(), m.c.loc)
		if err != nil {
			m.tt.promptErr = err.Error()
			return m, nil
		}
		m.mode = modeNormal
		m.setStatus("", false)
		return m, m.seek(seekOp{kind: seekTo, t: t})
	}
	if m.tt.prompt.Update(msg) {
		m.tt.promptErr = ""
	}
	return m, nil
}

// gotoHint is the g prompt's help over the bottom of the body: what the
// recording spans, the forms a time takes, and why an entry is no time.
func (m Model) gotoHint(w, maxLines int) []string {
	s := m.c.styles
	var out []string
	if m.tt.promptErr != "" {
		for _, l := range wordWrap(clean(m.tt.promptErr), w) {
			out = append(out, s.Error.Render(l))
		}
	} else {
		for _, l := range wordWrap("a time: "+when.Forms, w) {
			out = append(out, s.Dim.Render(l))
		}
	}
	if !m.tt.from.IsZero() {
		// Both with their date when the first is not today.
		ref := m.c.now()
		if stampAt(m.tt.from, ref, m.c.loc) != stampAt(m.tt.from, m.tt.from, m.c.loc) {
			ref = time.Time{}
		}
		out = append(out, s.Label.Render("recorded from ")+s.Value.Render(stampAt(m.tt.from, ref, m.c.loc))+
			s.Label.Render(" to ")+s.Value.Render(stampAt(m.tt.to, ref, m.c.loc)))
	}
	out = append([]string{s.Border.Render(repeatRune('─', w))}, out...)
	if len(out) > maxLines {
		out = out[len(out)-maxLines:]
	}
	for i := range out {
		out[i] = fit(out[i], w)
	}
	return out
}

func repeatRune(r rune, n int) string {
	b := make([]rune, max(0, n))
	for i := range b {
		b[i] = r
	}
	return string(b)
}
