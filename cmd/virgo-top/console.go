package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/virgo-top/virgo-top/agent"
	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/config"
	"github.com/virgo-top/virgo-top/fixtures"
	"github.com/virgo-top/virgo-top/history"
	"github.com/virgo-top/virgo-top/metrics"
	"github.com/virgo-top/virgo-top/protocol"
	"github.com/virgo-top/virgo-top/record"
	"github.com/virgo-top/virgo-top/tui"
)

// runConsole runs the agent with the live console on the terminal. Logs go
// to a file (never to the screen): --log-file, or virgo-top.log in the user
// cache directory.
func runConsole(ctx context.Context, rf *rootFlags, stderr io.Writer) error {
	logFile, closeLog, err := consoleLog(rf)
	if err != nil {
		return err
	}
	defer closeLog()
	log := slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cfg, err := loadConfig(rf, log)
	if err != nil {
		return err
	}
	settings := tui.LoadSettings(tui.DefaultSettingsPath())
	if _, set := cfg.Source["interval"]; !set {
		// The console's own refresh, when neither a flag nor the config
		// file chose one.
		if d := settings.Refresh(); d >= config.MinInterval && d <= config.MaxInterval {
			cfg.Interval = d
		}
	}
	setup := agent.Setup{Config: cfg, Version: version, Logger: log}
	if cfg.Notify.WebhookURL != "" || cfg.Notify.SMTPAddr != "" || cfg.Notify.SMSURL != "" {
		dir, unlock := consoleNotifyDir(log)
		defer unlock()
		setup.NotifyStateDir = dir
	}
	mode := tui.ModeLocal
	var fx *fixtures.Server
	if rf.fixture {
		fx, err = startFixture(ctx, &setup, log)
		if err != nil {
			return err
		}
		defer fx.Close()
		mode = tui.ModeFixture
	} else if len(cfg.Endpoints) > 0 {
		mode = tui.ModeEndpoint
	}
	rec := planConsoleRecording(cfg, log)
	if rec.write {
		setup.Record = rec.setup
	}
	rt, err := agent.Build(setup)
	if err != nil {
		return err
	}
	timeline := openConsoleTimeline(rec, log)
	if r := timeline.reader(); r != nil {
		// The past before our first sample comes from the recording.
		fillHistory(rt.Agent.History(), r, time.Now(), log)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- rt.Run(ctx) }()

	// The /metrics server and the feed are this function's: it waits for
	// them after the console ends.
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	if cfg.MetricsListen != "" {
		// The console is an agent too: it can be scraped while it runs.
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := metrics.NewHandler(metrics.RuntimeSource(rt), metrics.Options{Version: version, AgentID: rt.AgentID,
				OmitNodeFamilies: !cfg.MetricsNodeFamilies})
			if err := metrics.Serve(ctx, cfg.MetricsListen, h, log); err != nil {
				log.Error("metrics endpoint failed", "addr", cfg.MetricsListen, "err", err)
			}
		}()
	}
	feed := make(chan tea.Msg, 4)
	wg.Add(1)
	go func() {
		defer wg.Done()
		feedConsole(ctx, rt, mode, cfg.Interval, feed)
	}()
	opts := tui.Options{
		Feed:     feed,
		History:  rt.Agent.History(),
		Detail:   processDetail,
		Interval: cfg.Interval,
		NoColor:  noColor(rf),
		// The user's console settings (layout, columns, sort, theme...).
		Settings: settings,
		// What the sampler reads only while a view shows it.
		SetProcessIO: rt.Agent.SetProcessIO,
		SetThreads:   rt.Agent.SetThreads,
		SetCgroups:   rt.Agent.SetCgroups,
	}
	if timeline != nil {
		opts.Timeline = timeline
	} else {
		opts.NoTimeline = "no user state dir for a recording"
	}
	err = tui.Run(ctx, opts)
	cancel()
	if rerr := <-runErr; err == nil {
		err = rerr
	}
	return err
}

// consoleRecording is where the console's timeline comes from: the
// daemon's recording when a daemon records on the host, else the
// console's own, written by this console unless another one does.
type consoleRecording struct {
	dir   string
	write bool              // this console records (setup is its recorder)
	setup agent.RecordSetup // when write
}

// planConsoleRecording chooses: a daemon recording now (record.Writing on
// state_dir/record) is read, never written; otherwise the console records
// its own session in the user's state dir (24 h and 100 MiB unless
// record_max_age or record_max_size are set), so the next launch has it.
// With record off (--no-record) the console writes nothing, but still
// reads a daemon's recording.
func planConsoleRecording(cfg config.Config, log *slog.Logger) consoleRecording {
	daemonDir := daemonRecordDir(cfg)
	if pid, ok := record.Writing(daemonDir); ok {
		log.Info("reading the daemon's recording", "dir", daemonDir, "pid", pid)
		return consoleRecording{dir: daemonDir}
	}
	own, err := consoleRecordDir()
	if err != nil {
		log.Warn("no recording: no user state dir", "err", err)
		return consoleRecording{}
	}
	if !cfg.Record {
		return consoleRecording{dir: own}
	}
	rs := agent.RecordSetup{Dir: own, MaxAge: config.ConsoleRecordMaxAge, MaxBytes: config.ConsoleRecordMaxBytes,
		ProcessInterval: cfg.RecordProcessInterval}
	if _, set := cfg.Source["record_max_age"]; set {
		rs.MaxAge = cfg.RecordMaxAge
	}
	if _, set := cfg.Source["record_max_size"]; set {
		rs.MaxBytes = cfg.RecordMaxBytes
	}
	return consoleRecording{dir: own, write: true, setup: rs}
}

// openConsoleTimeline returns the recording the console reads (nil when
// there is no dir for one). It opens lazily: a console that just started
// its own recording has nothing on disk until the first block is written,
// and time travel works from then on.
func openConsoleTimeline(rec consoleRecording, log *slog.Logger) *lazyTimeline {
	if rec.dir == "" {
		return nil
	}
	return &lazyTimeline{dir: rec.dir, log: log}
}

// lazyTimeline is a tui.Timeline over the recording in dir, opened on
// first use (and again while it is missing). Its methods run in the
// console's commands, never in View.
type lazyTimeline struct {
	dir string
	log *slog.Logger

	mu     sync.Mutex
	r      *record.Reader
	warned bool
}

// reader opens the recording if it can; nil while there is none.
func (l *lazyTimeline) reader() *record.Reader {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.r != nil {
		return l.r
	}
	r, err := record.Open(l.dir)
	if err != nil {
		if !l.warned && !errors.Is(err, record.ErrNoRecording) && !errors.Is(err, fs.ErrNotExist) {
			l.warned = true
			l.log.Warn("recording not readable: no time travel", "dir", l.dir, "err", err)
		}
		return nil
	}
	l.r = r
	return r
}

func (l *lazyTimeline) open() (*record.Reader, error) {
	if r := l.reader(); r != nil {
		return r, nil
	}
	return nil, record.ErrNoData
}

func (l *lazyTimeline) Span() (from, to time.Time, err error) {
	r, err := l.open()
	if err != nil {
		return from, to, err
	}
	return r.Span()
}

func (l *lazyTimeline) At(t time.Time) (*record.Frame, error) {
	r, err := l.open()
	if err != nil {
		return nil, err
	}
	return r.At(t)
}

func (l *lazyTimeline) After(t time.Time) (*record.Frame, error) {
	r, err := l.open()
	if err != nil {
		return nil, err
	}
	return r.After(t)
}

func (l *lazyTimeline) PrevTransition(before time.Time) (record.Transition, error) {
	r, err := l.open()
	if err != nil {
		return record.Transition{}, err
	}
	return r.PrevTransition(before)
}

func (l *lazyTimeline) Range(from, to time.Time, fn func(*record.Frame) error) error {
	r, err := l.open()
	if err != nil {
		return err
	}
	return r.Range(from, to, fn)
}

func (l *lazyTimeline) Trends(from, to time.Time, fn func(series string, p record.Point)) error {
	r, err := l.open()
	if err != nil {
		return err
	}
	return r.Trends(from, to, fn)
}

var _ tui.Timeline = (*lazyTimeline)(nil)

// fillHistory folds the recording's last day of per-minute trends into the
// console's history, so the hour and day windows show the past at once.
func fillHistory(h *history.Store, r *record.Reader, now time.Time, log *slog.Logger) {
	start := time.Now()
	n := 0
	err := r.Trends(now.Add(-24*time.Hour), now, func(series string, p record.Point) {
		h.AddMinute(series, history.Point{T: p.Start, Min: p.Min, Max: p.Max, Avg: p.Avg, Last: p.Last, Count: uint32(max(p.Count, 0))})
		n++
	})
	if err != nil && !errors.Is(err, record.ErrNoData) {
		log.Warn("history not filled from the recording", "err", err)
		return
	}
	log.Info("history filled from the recording", "points", n, "took", time.Since(start).Round(time.Millisecond))
}

// consoleNotifyDir is where the console keeps what each notification
// receiver was told: virgo-top/notify in the user's state dir
// ($XDG_STATE_HOME, else ~/.local/state), locked for this console. A
// second console (the lock is taken) or no usable dir keeps it in memory,
// with a warning in the log.
func consoleNotifyDir(log *slog.Logger) (string, func()) {
	base, err := userStateDir()
	if err != nil {
		log.Warn("no state dir for notifications: what receivers were told is kept in memory only", "err", err)
		return "", func() {}
	}
	dir := filepath.Join(base, "notify")
	unlock, err := agent.LockStateDir(dir)
	if err != nil {
		log.Warn("notification state kept in memory only", "err", err)
		return "", func() {}
	}
	return dir, unlock
}

// consoleLog opens the console's log file.
func consoleLog(rf *rootFlags) (io.Writer, func(), error) {
	path := rf.set["log_file"]
	if path == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return io.Discard, func() {}, nil
		}
		dir = filepath.Join(dir, "virgo-top")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return io.Discard, func() {}, nil
		}
		path = filepath.Join(dir, "virgo-top.log")
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("log file: %w", err)
	}
	return f, func() { f.Close() }, nil
}

// startFixture starts a fixture endpoint on a free loopback port and points
// setup at it, trusting exactly the CA it generated.
func startFixture(ctx context.Context, setup *agent.Setup, log *slog.Logger) (*fixtures.Server, error) {
	copts := setup.Collector
	fx, err := fixtures.New(fixtures.Options{
		Listen:           "127.0.0.1:0",
		DefaultInterface: collector.DefaultInterface(copts),
		DefaultDisk:      rootDisk(ctx, copts),
		Logger:           log.With("part", "fixture"),
	})
	if err != nil {
		return nil, fmt.Errorf("fixture endpoint: %w", err)
	}
	go func() {
		if err := fx.Serve(ctx); err != nil && ctx.Err() == nil {
			log.Error("fixture endpoint stopped", "err", err)
		}
	}()
	setup.CAPEM = fx.CAPEM()
	setup.Config.Endpoints = []string{fx.Addr()}
	setup.Config.CAFile = ""
	if setup.Config.MonitoringID == "" {
		setup.Config.MonitoringID, _ = os.Hostname()
	}
	if setup.Config.Token == "" {
		setup.Config.Token = "fixture-token-0000"
	}
	return fx, nil
}

// rootDisk is the block device behind "/", for the fixture's disk check.
func rootDisk(ctx context.Context, opts collector.Options) string {
	opts.Sources = []string{"filesystems", "disks"}
	return collector.RootDisk(collector.NewSampler(opts).Sample(ctx))
}

// feedConsole turns the agent's state into console messages: every
// Snapshot as it is published, with the check states and the endpoint link
// in the same FrameMsg, so the console draws once per sample. If no
// sample comes for a few intervals (a stalled source), the check states
// and the link are sent alone.
func feedConsole(ctx context.Context, rt *agent.Runtime, mode string, interval time.Duration, out chan<- tea.Msg) {
	snaps := rt.Agent.Subscribe()
	stale := 3 * interval
	t := time.NewTimer(stale)
	defer t.Stop()
	send := func(m tea.Msg) bool {
		select {
		case out <- m:
			return true
		case <-ctx.Done():
			return false
		}
	}
	var tl transitionLog
	state := func() []tea.Msg {
		return []tea.Msg{tui.ChecksMsg{Rows: checkRows(rt.Agent.Checks(), &tl)}, tui.ConnMsg{Status: connStatus(rt, mode)}}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case s := <-snaps:
			if !send(tui.FrameMsg(append([]tea.Msg{tui.SnapshotMsg{Snap: s}}, state()...))) {
				return
			}
		case <-t.C:
			if !send(tui.FrameMsg(state())) {
				return
			}
		}
		t.Reset(stale)
	}
}

// connStatus summarises the endpoint link for the header.
func connStatus(rt *agent.Runtime, mode string) tui.ConnStatus {
	cs := tui.ConnStatus{Mode: mode, State: tui.ConnOffline}
	if rt.Manager == nil {
		return cs
	}
	st := rt.Manager.Status()
	cs.Spooled = st.Spool.Depth
	cs.Dead, cs.Degraded = st.Spool.Dead, st.Spool.Degraded
	var best *protocol.EndpointStatus
	for i := range st.Endpoints {
		e := &st.Endpoints[i]
		if best == nil || e.Active || (e.State == protocol.StateConnected && best.State != protocol.StateConnected) {
			best = e
		}
	}
	if best == nil {
		return cs
	}
	cs.Endpoint, cs.RTT, cs.Err = best.Endpoint, best.RTT, best.LastError
	switch best.State {
	case protocol.StateConnected:
		cs.State = tui.ConnConnected
	case protocol.StateBackoff:
		cs.State = tui.ConnReconnecting
		cs.RetryIn = time.Until(best.NextRetry).Round(time.Second)
	case protocol.StateConnecting, protocol.StateHandshaking:
		cs.State = tui.ConnConnecting
	}
	return cs
}

// processDetail renders the console's process detail view.
func processDetail(pid int32) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	d, err := collector.ProcessDetail(ctx, collector.Options{}, pid)
	if err != nil {
		return "", err
	}
	return tui.FormatProcDetail(d), nil
}
