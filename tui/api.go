package tui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/history"
)

// Check states as CheckRow.State carries them.
const (
	StateOK       = "OK"
	StateWarning  = "WARNING"
	StateCritical = "CRITICAL"
	StateUnknown  = "UNKNOWN"
)

// Connection modes and states as ConnStatus carries them.
const (
	ModeFixture  = "fixture"
	ModeEndpoint = "endpoint"
	ModeLocal    = "local"

	ConnConnected    = "connected"
	ConnReconnecting = "reconnecting"
	ConnOffline      = "offline"
	ConnConnecting   = "connecting"
)

// HistoryReader is the part of history.Store the console reads trends from.
type HistoryReader interface {
	Values(name string, res history.Resolution, n int, dst []float64) []float64
}

// CheckRow is one configured check as the checks panel shows it.
type CheckRow struct {
	ID, Label, Type string
	Period          time.Duration
	LastRun         time.Time // zero: never ran
	Duration        time.Duration
	State           string // StateOK, StateWarning, StateCritical, StateUnknown
	Message         string // the check's status text
	Available       bool   // false: the check could not run (target missing...)
	KeyMetrics      string // preformatted, e.g. "usage_average=12.5%"
	Alarm           string // the alarm message when an alarm matched

	// For the check's detail view (Enter on a check); may be empty.
	Metrics     []CheckMetric // every metric of the last result, by name
	Alarms      []CheckAlarm  // the check's alarms: criteria and state
	Transitions []Transition  // recent alarm transitions, newest first
}

// CheckMetric is one metric of a check's last result.
type CheckMetric struct {
	Name, Type, Value, Unit string
}

// CheckAlarm is one alarm of a check: its criteria text and current state.
type CheckAlarm struct {
	ID, Label, Criteria, State, Message string
}

// Transition is one alarm state change.
type Transition struct {
	Time            time.Time
	Alarm, From, To string
	Message         string
}

// ConnStatus is the state of the link to the monitoring endpoint.
type ConnStatus struct {
	Mode     string // ModeFixture, ModeEndpoint, ModeLocal
	Endpoint string // host:port
	State    string // ConnConnected, ConnReconnecting, ConnOffline, ConnConnecting
	RetryIn  time.Duration
	Spooled  int // results queued while offline
	// Dead counts results the endpoint refused for good (in
	// state_dir/spool.dead); Degraded says why the spool is not on disk.
	Dead     uint64
	Degraded string
	RTT      time.Duration
	Err      string
}

// SnapshotMsg carries one collector sample.
type SnapshotMsg struct{ Snap *collector.Snapshot }

// ChecksMsg carries the current state of every check, replacing the last.
type ChecksMsg struct{ Rows []CheckRow }

// ConnMsg carries the endpoint connection state.
type ConnMsg struct{ Status ConnStatus }

// FrameMsg is several feed messages applied in order and drawn once:
// bubbletea renders View after every message, so a sample sent as
// SnapshotMsg, ChecksMsg and ConnMsg apart would be rendered three times.
type FrameMsg []tea.Msg

// Options configure the console.
type Options struct {
	// Feed delivers SnapshotMsg, ChecksMsg and ConnMsg, or several of them
	// in one FrameMsg (one render instead of several). The model waits for
	// one message at a time and re-arms the wait after each; closing Feed
	// stops the waiting, not the console.
	Feed <-chan tea.Msg
	// History serves the trend graphs; nil keeps a small in-memory window of
	// recent samples (live trends only).
	History HistoryReader
	// Signal sends sig to pid; nil uses os.FindProcess(pid).Signal (on
	// Windows only SIGKILL is offered).
	Signal func(pid int32, sig syscall.Signal) error
	// Detail returns the text of the process detail view (cmdline, threads,
	// open files, io); it runs outside View as a command. May be nil.
	Detail func(pid int32) (string, error)
	// Interval is the sampling interval, shown in the header.
	Interval time.Duration
	// NoColor renders with the ASCII profile (the caller honours NO_COLOR).
	NoColor bool
	// Now is the clock for the header and "last run" ages; nil = time.Now.
	Now func() time.Time

	// Timeline is the host's recording (a *record.Reader), for time
	// travel ([ ] { } g ! L). Nil: no recording, and the time keys say
	// so with NoTimeline. (The live graphs read History only: filling it
	// with the recording's past is the caller's.)
	Timeline Timeline
	// NoTimeline says why Timeline is nil, after "no recording: " (e.g.
	// "recording is off (--no-record)"); empty: a generic reason.
	NoTimeline string
	// ReplayAt, when not zero, opens the console on the Timeline at the
	// moment at or before it. Without a Feed (virgo-top replay) the
	// console shows only the recording, and L goes to its end.
	ReplayAt time.Time

	// Sampler toggles, flipped while a view needs the data they add (nil:
	// the data is not offered): per-process I/O rates, thread rows, the
	// cgroup list.
	SetProcessIO func(on bool)
	SetThreads   func(on bool)
	SetCgroups   func(on bool)
	// Settings is the console's settings file
	// ($XDG_CONFIG_HOME/virgo-top/console.yaml) as LoadSettings read it
	// before start, written when the user changes a setting; nil keeps
	// settings for the session.
	Settings *Settings
}

// frameRate caps redraws: a monitoring console changes once per sample.
const frameRate = 10

// Run shows the console on the terminal until the user quits or ctx is done.
// A cancelled ctx is not an error.
func Run(ctx context.Context, opts Options) error {
	return run(ctx, opts, tea.WithOutput(os.Stdout))
}

// run is Run with extra program options (tests replace the terminal).
func run(ctx context.Context, opts Options, extra ...tea.ProgramOption) error {
	p := tea.NewProgram(New(opts), append([]tea.ProgramOption{
		tea.WithContext(ctx),
		tea.WithAltScreen(),
		tea.WithMouseCellMotion(),
		tea.WithFPS(frameRate),
	}, extra...)...)
	_, err := p.Run()
	if err != nil && errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("tui: %w", err)
	}
	return nil
}

// DefaultSettingsPath is where the console keeps its settings:
// $XDG_CONFIG_HOME/virgo-top/console.yaml (~/.config when unset; the OS
// config dir on macOS and Windows); "" when there is no home to keep them.
func DefaultSettingsPath() string { return defaultSettingsPath() }

// Settings is a settings file read once (LoadSettings): what it says, and
// the one-line warning about what could not be read, for the status line.
type Settings struct {
	path    string
	s       settings
	warning string
}

// LoadSettings reads the settings file at path ("" : none, nil). A bad
// file is never fatal: what cannot be read is the default, and the console
// says why when it starts.
func LoadSettings(path string) *Settings {
	if path == "" {
		return nil
	}
	s, warning := loadSettings(path)
	return &Settings{path: path, s: s, warning: warning}
}

// Refresh is the refresh interval the settings ask for, 0 when they name
// none.
func (st *Settings) Refresh() time.Duration {
	if st == nil {
		return 0
	}
	return st.s.Refresh
}
