package tui

import (
	"math"
	"reflect"
	"sort"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/virgo-top/virgo-top/agent"
	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/record"
)

// The fake recording: an hour of 5 s samples ending just before testNow,
// a CPU burner (pid 4242) from burnFrame, the cpu check's alarm OK ->
// WARNING at warnFrame, -> CRITICAL at critFrame, -> OK at okFrame. Process
// tables are recorded on even frames only (odd frames show the table of
// the frame before, 5 s older).
const (
	fakeFrames = 720
	burnFrame  = 400
	warnFrame  = 406
	critFrame  = 412
	okFrame    = 500
	burnerPID  = 4242
)

var fakeStart = testNow.Add(-time.Hour) // 11:00:00 UTC

func fakeTime(i int) time.Time { return fakeStart.Add(time.Duration(i) * 5 * time.Second) }

// fakeTimeline serves hand-made frames; it counts the calls, to prove
// View and Update read nothing.
type fakeTimeline struct {
	frames []*record.Frame
	calls  atomic.Int64
}

func newFakeTimeline() *fakeTimeline {
	ft := &fakeTimeline{}
	state := "OK"
	var alarms []record.AlarmTransition
	var checks []record.CheckResult
	var procs []collector.Process
	var procTime time.Time
	for i := 0; i < fakeFrames; i++ {
		t := fakeTime(i)
		burning := i >= burnFrame && i < okFrame+20
		usage := 20 + 10*math.Sin(float64(i)/15)
		if burning {
			usage = 97
		}
		usage = math.Round(usage*100) / 100
		snap := testSnapshot(0)
		snap.Time, snap.Elapsed = t, 5*time.Second
		snap.CPU.UsagePct = usage
		snap.Host.UptimeS = 86400 + uint64(i*5)
		if i%2 == 0 {
			procs = testProcesses(60)
			if burning {
				procs = append(procs, collector.Process{PID: burnerPID, PPID: 1, Name: "burn", User: "alice", State: "R",
					Threads: 4, CPUPct: 398.5, CPUTimeS: float64(i-burnFrame) * 20, RSSBytes: 2 << 20, Cmdline: "/usr/bin/stress-ng --cpu 4"})
			}
			sort.Slice(procs, func(a, b int) bool { return procs[a].PID < procs[b].PID })
			procTime = t
		}
		snap.Processes = procs
		f := &record.Frame{Snapshot: snap, ProcessTime: procTime}
		if i%6 == 0 {
			checks = []record.CheckResult{
				{Time: t, CheckID: "chCPU", Type: "agent.cpu", Label: "CPU", Available: true, Status: "success",
					Metrics: []record.Metric{{Name: "usage_average", Type: "double", Value: strconv.FormatFloat(usage, 'f', 2, 64), Unit: "percent"}}},
				{Time: t, CheckID: "chMem", Type: "agent.memory", Label: "Memory", Available: true, Status: "success",
					Metrics: []record.Metric{{Name: "actual_used", Type: "uint64", Value: "3221225472", Unit: "bytes"}}},
			}
			f.NewChecks = checks
		}
		to := ""
		switch i {
		case 0:
			to = "OK"
		case warnFrame:
			to = "WARNING"
		case critFrame:
			to = "CRITICAL"
		case okFrame:
			to = "OK"
		}
		if to != "" {
			tr := record.AlarmTransition{Time: t, CheckID: "chCPU", Alarm: "alCPU", From: state, To: to,
				Message: "CPU usage " + strconv.FormatFloat(usage, 'f', 1, 64) + "%"}
			if i == 0 {
				tr.From = ""
			}
			state = to
			alarms = []record.AlarmTransition{tr,
				{Time: fakeStart, CheckID: "chMem", Alarm: "alMem", From: "", To: "OK", Message: "memory fine"}}
			f.Transitions = []record.AlarmTransition{tr}
		}
		f.Checks, f.Alarms = checks, alarms
		f.Links = []record.LinkEvent{{Time: fakeStart, Endpoint: "ep.example.com:443", State: "connected"}}
		ft.frames = append(ft.frames, f)
	}
	return ft
}

func (ft *fakeTimeline) Span() (time.Time, time.Time, error) {
	ft.calls.Add(1)
	return ft.frames[0].Time(), ft.frames[len(ft.frames)-1].Time(), nil
}

// index is the frame at or before t, -1 if none.
func (ft *fakeTimeline) index(t time.Time) int {
	return sort.Search(len(ft.frames), func(i int) bool { return ft.frames[i].Time().After(t) }) - 1
}

func (ft *fakeTimeline) At(t time.Time) (*record.Frame, error) {
	ft.calls.Add(1)
	if i := ft.index(t); i >= 0 {
		return ft.frames[i], nil
	}
	return nil, record.ErrNoData
}

func (ft *fakeTimeline) After(t time.Time) (*record.Frame, error) {
	ft.calls.Add(1)
	if i := ft.index(t) + 1; i < len(ft.frames) {
		return ft.frames[i], nil
	}
	return nil, record.ErrNoData
}

func (ft *fakeTimeline) PrevTransition(before time.Time) (record.Transition, error) {
	ft.calls.Add(1)
	for i := ft.index(before) - 1; i >= 0; i-- {
		if tr := ft.frames[i].Transitions; len(tr) > 0 {
			return record.Transition{AlarmTransition: tr[len(tr)-1], Moment: ft.frames[i].Time()}, nil
		}
	}
	return record.Transition{}, record.ErrNoData
}

func (ft *fakeTimeline) Range(from, to time.Time, fn func(*record.Frame) error) error {
	ft.calls.Add(1)
	for _, f := range ft.frames {
		if !f.Time().Before(from) && !f.Time().After(to) {
			if err := fn(f); err != nil {
				return err
			}
		}
	}
	return nil
}

// Trends folds the frames' series into per-minute points.
func (ft *fakeTimeline) Trends(from, to time.Time, fn func(string, record.Point)) error {
	ft.calls.Add(1)
	type acc struct {
		sum float64
		n   int
	}
	var minutes []time.Time
	per := map[time.Time]map[string]*acc{}
	for _, f := range ft.frames {
		m := f.Time().Truncate(time.Minute)
		if m.Before(from) || m.After(to) {
			continue
		}
		if per[m] == nil {
			per[m] = map[string]*acc{}
			minutes = append(minutes, m)
		}
		agent.EachSeries(f.Snapshot, func(name string, v float64) {
			a := per[m][name]
			if a == nil {
				a = &acc{}
				per[m][name] = a
			}
			a.sum += v
			a.n++
		})
	}
	for _, m := range minutes {
		names := make([]string, 0, len(per[m]))
		for n := range per[m] {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			a := per[m][n]
			avg := a.sum / float64(a.n)
			fn(n, record.Point{Start: m, Min: avg, Avg: avg, Max: avg, Last: avg, Count: a.n})
		}
	}
	return nil
}

// drive applies msg and then every message its commands produce, until
// none is left (the feed is nil in tests, so nothing blocks).
func drive(m Model, msgs ...tea.Msg) Model {
	queue := append([]tea.Msg(nil), msgs...)
	for len(queue) > 0 {
		next, cmd := m.Update(queue[0])
		m = next.(Model)
		queue = append(queue[1:], runCmd(cmd)...)
	}
	return m
}

// runCmd runs cmd and the commands of a batch, returning their messages.
func runCmd(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	switch msg := cmd().(type) {
	case nil:
		return nil
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range msg {
			out = append(out, runCmd(c)...)
		}
		return out
	default:
		// tea.Sequence's message is an unexported []tea.Cmd.
		if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeOf(tea.Cmd(nil)) {
			var out []tea.Msg
			for i := 0; i < v.Len(); i++ {
				out = append(out, runCmd(v.Index(i).Interface().(tea.Cmd))...)
			}
			return out
		}
		return []tea.Msg{msg}
	}
}

// pressDrive presses keys one by one, each followed by its reads.
func pressDrive(m Model, keys ...string) Model {
	for _, k := range keys {
		m = drive(m, keyMsg(k))
	}
	return m
}

// newTravelModel is the test console at w x h with tl as its Timeline:
// live (a feed, the fixture sample at 11:59:58) or, with live false, a
// replay of tl opened at at.
func newTravelModel(tb testing.TB, w, h int, tl Timeline, live bool, at time.Time) Model {
	tb.Helper()
	opts := Options{History: fakeHistory{}, NoColor: true, Now: fixedNow, Interval: 5 * time.Second, Timeline: tl, ReplayAt: at}
	if live {
		opts.Feed = make(chan tea.Msg)
	}
	m := New(opts)
	m.c.loc = time.UTC
	m = drive(m, tea.WindowSizeMsg{Width: w, Height: h})
	if !at.IsZero() {
		m = drive(m, runCmdInit(m)...)
	}
	if live {
		m = drive(m, ConnMsg{Status: ConnStatus{Mode: ModeEndpoint, Endpoint: "monitoring.example.com:443",
			State: ConnConnected, RTT: 42 * time.Millisecond}}, ChecksMsg{Rows: testChecks()}, SnapshotMsg{Snap: testSnapshot(200)})
	}
	return m
}

// runCmdInit runs Init's commands but the feed's wait.
func runCmdInit(m Model) []tea.Msg {
	if m.opts.Feed != nil {
		return nil // Init would block on the feed; seeks start with keys
	}
	return runCmd(m.Init())
}
