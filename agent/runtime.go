package agent

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/virgo-top/virgo-top/alarm"
	"github.com/virgo-top/virgo-top/check"
	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/config"
	"github.com/virgo-top/virgo-top/history"
	"github.com/virgo-top/virgo-top/internal/version"
	"github.com/virgo-top/virgo-top/notify"
	"github.com/virgo-top/virgo-top/protocol"
	"github.com/virgo-top/virgo-top/record"
)

// Setup is what a Runtime is built from: the configuration plus what the
// command line knows (version, an in-process fixture's CA, a logger).
type Setup struct {
	Config  config.Config
	Version string
	// CAPEM trusts exactly this CA (the in-process fixture endpoint).
	CAPEM  []byte
	Logger *slog.Logger
	// UseStateDir keeps the agent's state in Config.StateDir (the daemon):
	// guid, metrics spool, the endpoint's schedule and the scheduler state.
	UseStateDir bool
	// Collector overrides the collector options (tests use canned trees).
	Collector collector.Options
	// NotifyStateDir, when UseStateDir is off, keeps only what each
	// notification receiver was told and is owed (the console's own state
	// dir), so a console restarted during an incident neither re-notifies
	// nor forgets what a receiver did not get.
	NotifyStateDir string
	// Record, when its Dir is set, records the host's timeline there (the
	// flight recorder). A recorder that cannot start is logged and the
	// agent runs without it.
	Record RecordSetup
	// Resolver looks up SRV endpoints (nil: the system's); tests inject one.
	Resolver protocol.Resolver
	// Headless: no console reads the history or the process list, so keep
	// only the series checks read (HeadlessSeries, HeadlessRetention) and
	// list processes only for agent.process checks (ProcessesOnDemand).
	// The daemon sets it.
	Headless bool
}

// RecordSetup configures the flight recorder of a Runtime.
type RecordSetup struct {
	Dir             string // "" records nothing
	MaxAge          time.Duration
	MaxBytes        int64
	ProcessInterval time.Duration
}

// Runtime is a running agent: the hub, its endpoint manager (when
// endpoints are configured) and its notification dispatcher.
type Runtime struct {
	Agent      *Agent
	Manager    *protocol.Manager // nil without endpoints
	Dispatcher *notify.Dispatcher
	// Recorder is the flight recorder, nil when not recording.
	Recorder *record.Writer
	// AgentID is the id the agent says hello with: monitoring_id, else
	// the host name. /metrics' virgo_agent_info carries the same.
	AgentID string
	log     *slog.Logger
	store   *protocol.FileStore
	// localMu guards localDefs: a SIGHUP's ReloadChecks writes them while
	// startLocalChecks may be reading them.
	localMu   sync.Mutex
	localDefs []check.Def
	// scheduleFile keeps the endpoint's last schedule (daemon only), so a
	// daemon restarted while its endpoint is down goes on producing.
	scheduleFile string
	// stateFile keeps the scheduler's next runs (daemon only).
	stateFile string
	// alarmFile keeps every alarm's state (daemon only).
	alarmFile string
	// confdDir is the conf.d dir whose files are posted with
	// config_file.post once connected (postConfD).
	confdDir string
	// minCheckPeriod is check_metrics.post's min_check_period for the
	// endpoint's current schedule (protocol.MinCheckPeriod), in ms.
	minCheckPeriod atomic.Int64
}

// Build wires a Runtime from s; nothing runs until Run.
func Build(s Setup) (_ *Runtime, err error) {
	cfg := s.Config
	log := s.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rt := &Runtime{log: log}
	rt.minCheckPeriod.Store(protocol.MaxCheckPeriod)
	defer func() {
		if err != nil && rt.Recorder != nil {
			_ = rt.Recorder.Close() // releases its lock and goroutine
		}
	}()

	notifiers, err := notify.FromConfig(notify.Config{
		Version:    s.Version,
		WebhookURL: cfg.Notify.WebhookURL, WebhookSecret: cfg.Notify.WebhookSecret.Reveal(),
		WebhookFormat: cfg.Notify.WebhookFormat, WebhookToken: cfg.Notify.WebhookToken.Reveal(), WebhookTenant: cfg.Notify.WebhookTenant,
		SMTPAddr: cfg.Notify.SMTPAddr, SMTPUser: cfg.Notify.SMTPUser, SMTPPassword: cfg.Notify.SMTPPassword.Reveal(),
		SMTPFrom: cfg.Notify.SMTPFrom, SMTPTo: cfg.Notify.SMTPTo, SMTPStartTLS: cfg.Notify.SMTPStartTLS && cfg.Notify.SMTPAddr != "",
		SMSURL: cfg.Notify.SMSURL, SMSTemplate: cfg.Notify.SMSTemplate, SMSTo: cfg.Notify.SMSTo,
	})
	if err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	dopts := notify.DispatcherOptions{
		Logger: log, RateLimit: cfg.Notify.RateLimit, RateWindow: cfg.Notify.RateWindow,
		MaxOutboxEntries: cfg.Notify.OutboxMaxEntries, MaxOutboxAge: cfg.Notify.OutboxMaxAge,
		MaxBackoff: cfg.Notify.RetryMax,
	}
	// What each receiver was told, and what it is owed, survive a restart
	// (and a SIGKILL).
	switch {
	case s.UseStateDir:
		dopts.StateDir = cfg.StateDir
	case s.NotifyStateDir != "":
		dopts.StateDir = s.NotifyStateDir
	}
	rt.Dispatcher, err = notify.NewDispatcher(notifiers, dopts)
	if err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}

	// SRV names (monitoring_query_endpoints, or the snet region's records)
	// are resolved by the manager before every connection attempt, as the
	// original does, not once here: a DNS failure at start must not leave
	// the agent without an endpoint for good.
	var srvNames []string
	if len(cfg.Endpoints) == 0 && (len(cfg.QueryEndpoints) > 0 || cfg.SnetRegion != "") {
		srvNames = cfg.SRVNames()
	}
	if cfg.GUID == "" && s.UseStateDir {
		guid, err := loadOrCreateGUID(cfg.StateDir)
		if err != nil {
			// A full or read-only state dir must not stop the agent.
			log.Error("agent guid not kept in the state dir: the endpoint will see a new guid at each start", "err", err)
		}
		cfg.GUID = guid
	}

	if s.Record.Dir != "" {
		rt.Recorder = openRecorder(s.Record, cfg, log)
	}
	var recorder Recorder
	var processEvery time.Duration
	if rt.Recorder != nil {
		recorder, processEvery = rt.Recorder, max(s.Record.ProcessInterval, time.Second)
	}

	host, _ := os.Hostname()
	rt.AgentID = cfg.MonitoringID
	if rt.AgentID == "" {
		rt.AgentID = host
	}
	var keep func(string) bool
	var retention history.Retention
	if s.Headless {
		keep, retention = HeadlessSeries, HeadlessRetention(cfg.Interval)
	}
	rt.Agent = New(Options{
		Interval:          cfg.Interval,
		KeepSeries:        keep,
		Retention:         retention,
		ProcessesOnDemand: s.Headless,
		Recorder:          recorder,
		ProcessEvery:      processEvery,
		Collector:         s.Collector,
		Check:             check.SchedulerOptions{PluginDir: cfg.PluginDir, Logger: log},
		Entity:            host,
		Notify:            dispatchNotifier{rt.Dispatcher},
		Post:              rt.post,
		Logger:            log,
	})
	if len(cfg.Endpoints) > 0 || len(srvNames) > 0 {
		spoolOpts := protocol.SpoolOptions{MaxEntries: cfg.SpoolMaxCount, MaxBytes: cfg.SpoolMaxBytes,
			MaxAttempts: cfg.SpoolMaxAttempts, Logger: log}
		memOnly := func(err error) protocol.MemStore {
			// Start degraded rather than not at all: results still flow
			// while an endpoint is up; /healthz and the status line say so.
			log.Error("spool kept in memory only: results not yet sent are lost if the daemon stops", "dir", cfg.StateDir, "err", err)
			return protocol.MemStore{Reason: "spool in memory only: " + err.Error()}
		}
		if s.UseStateDir {
			rt.store, err = protocol.OpenFileStore(filepath.Join(cfg.StateDir, "spool.jsonl"), log)
			if err != nil {
				spoolOpts.Store = memOnly(err)
			} else {
				spoolOpts.Store = rt.store
			}
		}
		spool, err := protocol.NewSpool(spoolOpts)
		if err != nil && rt.store != nil {
			// The file is kept as it is for a later start.
			_ = rt.store.Close()
			rt.store = nil
			spoolOpts.Store = memOnly(err)
			spool, err = protocol.NewSpool(spoolOpts)
		}
		if err != nil {
			return nil, fmt.Errorf("spool: %w", err)
		}
		agentID := rt.AgentID
		rt.Manager, err = protocol.NewManager(protocol.Options{
			Endpoints: cfg.Endpoints, SRVNames: srvNames, Resolver: s.Resolver, CAFile: cfg.CAFile, CAPEM: s.CAPEM, Insecure: cfg.Insecure,
			ProxyURL: cfg.ProxyURL, Token: cfg.Token.Reveal(), AgentID: agentID, GUID: cfg.GUID,
			AgentName: AgentName, ProcessVersion: version.Version, BundleVersion: version.Version,
			Features: HelloFeatures(cfg),
			Handler:  Handler{A: rt.Agent, OnSchedule: rt.onSchedule}, Logger: log,
		}, spool)
		if err != nil {
			return nil, fmt.Errorf("endpoint: %w", err)
		}
	}

	if s.UseStateDir {
		// Before any check is set: each alarm starts in its saved state.
		rt.alarmFile = filepath.Join(cfg.StateDir, alarmStateFile)
		if saved, err := loadAlarmStates(rt.alarmFile); err != nil {
			log.Warn("saved alarm states ignored: alarms start UNKNOWN", "file", rt.alarmFile, "err", err)
		} else if len(saved) > 0 {
			rt.Agent.RestoreAlarms(saved)
		}
	}

	if s.UseStateDir && rt.Manager != nil {
		rt.scheduleFile = filepath.Join(cfg.StateDir, "schedule.json")
		if defs, err := loadSchedule(rt.scheduleFile); err != nil {
			log.Warn("saved schedule ignored", "file", rt.scheduleFile, "err", err)
		} else if len(defs) > 0 {
			log.Info("running the saved endpoint schedule until the endpoint sends one", "checks", len(defs))
			rt.Agent.setEndpointChecks(defs)
			rt.setMinCheckPeriod(defs)
		}
	}

	if s.UseStateDir {
		rt.stateFile = filepath.Join(cfg.StateDir, "scheduler.state")
		if next, err := loadSchedState(rt.stateFile); err != nil {
			log.Warn("saved scheduler state ignored", "file", rt.stateFile, "err", err)
		} else if len(next) > 0 {
			rt.Agent.sched.Resume(next)
		}
	}

	defs, errs := check.LoadConfD(cfg.ConfdDir)
	for _, e := range errs {
		if !errors.Is(e, os.ErrNotExist) {
			log.Warn("conf.d", "err", e)
		}
	}
	rt.localDefs = defs // before Run: no one else reads it yet
	rt.confdDir = cfg.ConfdDir
	return rt, nil
}

// Run runs every part until ctx is done or one fails (a rate limit from
// the endpoint is returned as *protocol.RateLimitError).
func (rt *Runtime) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return rt.Agent.Run(ctx) })
	g.Go(func() error {
		err := rt.Dispatcher.Run(ctx)
		if errors.Is(err, notify.ErrClosed) {
			return nil
		}
		return err
	})
	if rt.Manager != nil {
		g.Go(func() error { return rt.Manager.Run(ctx) })
		g.Go(func() error {
			rt.postConfD(ctx, rt.confdDir)
			return nil
		})
	}
	if rt.stateFile != "" {
		g.Go(func() error {
			rt.keepSchedState(ctx)
			return nil
		})
	}
	if rt.alarmFile != "" {
		g.Go(func() error {
			rt.Agent.keepAlarmStates(ctx, rt.alarmFile, rt.log)
			return nil
		})
	}
	if rt.Recorder != nil && rt.Manager != nil {
		g.Go(func() error {
			rt.recordLinks(ctx, time.Second)
			return nil
		})
	}
	// Local checks start once the first sample tells the default targets.
	g.Go(func() error {
		rt.startLocalChecks(ctx)
		return nil
	})
	err := g.Wait()
	closeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = rt.Dispatcher.Close(closeCtx)
	if rt.store != nil {
		_ = rt.store.Close()
	}
	if rt.Recorder != nil {
		if err := rt.Recorder.Close(); err != nil {
			rt.log.Warn("recording not closed cleanly", "err", err)
		}
	}
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// startLocalChecks schedules conf.d checks, or the default set when there
// are none, unless an endpoint's schedule already arrived.
func (rt *Runtime) startLocalChecks(ctx context.Context) {
	for rt.Agent.Latest() == nil {
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
	rt.applyLocalChecks()
}

// applyLocalChecks schedules the conf.d checks, or the default set when
// there are none. Under localMu, so a reload and the start apply in order
// and the last conf.d read wins.
func (rt *Runtime) applyLocalChecks() int {
	rt.localMu.Lock()
	defer rt.localMu.Unlock()
	defs := rt.localDefs
	if len(defs) == 0 {
		if snap := rt.Agent.Latest(); snap != nil {
			defs = check.DefaultChecks(snap, collector.DefaultInterface(rt.Agent.opts.Collector))
		}
	}
	rt.Agent.setLocalChecks(defs)
	return len(defs)
}

// AgentName is handshake.hello's agent_name. The original sends its package
// name ("rackspace-monitoring-agent"); virgo-top names itself, so that the
// endpoint's views tell the two apart.
const AgentName = "virgo-top"

// Features of handshake.hello, in the original's shape (features.lua:
// {name, version} with disabled: true when switched off). virgo-top
// announces confd (conf.d checks are posted with config_file.post) and
// health (disabled when monitoring_health is false, as the original's
// disableWithOption does). "upgrades" is left out, as the original leaves it
// out when upgrades are disabled: virgo-top never upgrades itself.
func HelloFeatures(cfg config.Config) []protocol.Feature {
	return []protocol.Feature{
		{Name: "confd", Version: "1.0.0"},
		{Name: "health", Version: "1.0.0", Disabled: !cfg.Health},
	}
}

// post sends endpoint-scheduled results upstream; local checks are judged
// here and not reported.
func (rt *Runtime) post(def check.Def, r check.Result, alarms map[string]protocol.AlarmState) {
	if rt.Manager == nil || def.Source != check.SourceEndpoint {
		return
	}
	p := PostFromResult(r)
	p.MinCheckPeriod = rt.minCheckPeriod.Load()
	p.Alarms = alarms
	if err := rt.Manager.Post(p); err != nil {
		rt.log.Warn("metrics not queued", "check", r.CheckID, "err", err)
	}
}

// dispatchNotifier turns alarm changes into notification events.
type dispatchNotifier struct{ d *notify.Dispatcher }

func (n dispatchNotifier) Notify(c AlarmChange) {
	if n.d == nil {
		return
	}
	metrics := make(map[string]string, len(c.Result.Metrics))
	raw := make(map[string]notify.RawMetric, len(c.Result.Metrics))
	for _, m := range c.Result.Metrics {
		name := m.FullName()
		metrics[name] = m.Value
		raw[name] = notify.RawMetric{Type: m.Type, Value: m.Value, Unit: m.Unit}
	}
	at := c.Result.Time
	if at.IsZero() { // a restored state
		at = time.Now()
	}
	n.d.Enqueue(notify.Event{
		Entity: c.Entity, CheckID: c.Check.ID, CheckLabel: c.Check.Label, CheckType: c.Check.Type,
		AlarmName: c.AlarmName, AlarmLabel: c.AlarmLabel,
		Previous: c.Previous.String(), Current: c.Current.String(), Message: c.Message,
		Metrics: metrics, RawMetrics: raw, Time: at,
	})
}

// WorstState is the worst alarm state over all checks, for exit codes and
// summaries.
func WorstState(views []CheckView) alarm.State {
	w := alarm.Unknown
	for _, v := range views {
		if severity(v.State) > severity(w) {
			w = v.State
		}
	}
	return w
}

// ReloadChecks re-reads conf.d from dir and reschedules the local checks
// (an endpoint's schedule, once received, still wins). It returns the
// number of local checks and the files that failed.
func (rt *Runtime) ReloadChecks(dir string) (int, []error) {
	defs, errs := check.LoadConfD(dir)
	var bad []error
	for _, e := range errs {
		if !errors.Is(e, os.ErrNotExist) {
			bad = append(bad, e)
		}
	}
	rt.localMu.Lock()
	rt.localDefs = defs
	rt.localMu.Unlock()
	return rt.applyLocalChecks(), bad
}

// SameEndpoint reports whether two configs reach the endpoint the same
// way and set up the spool, notifications and recorder alike, so a reload
// can keep the running agent (and its connection).
func SameEndpoint(a, b config.Config) bool {
	return equalStrings(a.Endpoints, b.Endpoints) && equalStrings(a.QueryEndpoints, b.QueryEndpoints) &&
		a.SnetRegion == b.SnetRegion && a.Health == b.Health &&
		a.Token == b.Token && a.MonitoringID == b.MonitoringID &&
		a.GUID == b.GUID && a.CAFile == b.CAFile && a.Insecure == b.Insecure && a.ProxyURL == b.ProxyURL &&
		a.StateDir == b.StateDir && a.SpoolMaxCount == b.SpoolMaxCount && a.SpoolMaxBytes == b.SpoolMaxBytes &&
		a.Interval == b.Interval && a.PluginDir == b.PluginDir && a.Notify.WebhookURL == b.Notify.WebhookURL &&
		a.Notify.WebhookFormat == b.Notify.WebhookFormat && a.Notify.WebhookToken == b.Notify.WebhookToken &&
		a.Notify.WebhookTenant == b.Notify.WebhookTenant &&
		a.Notify.SMTPAddr == b.Notify.SMTPAddr && a.Notify.SMSURL == b.Notify.SMSURL &&
		a.SpoolMaxAttempts == b.SpoolMaxAttempts && a.Notify.RateLimit == b.Notify.RateLimit &&
		a.Notify.RateWindow == b.Notify.RateWindow && a.Notify.OutboxMaxEntries == b.Notify.OutboxMaxEntries &&
		a.Notify.OutboxMaxAge == b.Notify.OutboxMaxAge && a.Notify.RetryMax == b.Notify.RetryMax &&
		a.Record == b.Record && a.RecordMaxAge == b.RecordMaxAge && a.RecordMaxBytes == b.RecordMaxBytes &&
		a.RecordProcessInterval == b.RecordProcessInterval
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// loadOrCreateGUID reads the agent guid kept in dir, or makes a random
// (version 4) one and keeps it, so the endpoint sees one agent across
// restarts.
// When the guid cannot be kept, it returns a new one all the same, with the
// error.
func loadOrCreateGUID(dir string) (string, error) {
	path := filepath.Join(dir, "guid")
	if b, err := os.ReadFile(path); err == nil {
		if g := strings.TrimSpace(string(b)); g != "" {
			return g, nil
		}
	}
	var u [16]byte
	_, _ = rand.Read(u[:]) // never fails (crypto/rand)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	g := fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:])
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return g, err
	}
	if err := writeFileAtomic(path, []byte(g+"\n")); err != nil {
		return g, err
	}
	return g, nil
}

// onSchedule takes every schedule the endpoint sends: its min_check_period
// for the posts that follow, and a copy in the state dir.
func (rt *Runtime) onSchedule(endpoint string, defs []check.Def) {
	rt.setMinCheckPeriod(defs)
	rt.saveSchedule(endpoint, defs)
}

// setMinCheckPeriod computes min_check_period for the schedule defs, as the
// original's Scheduler:rebuild does (protocol.MinCheckPeriod).
func (rt *Runtime) setMinCheckPeriod(defs []check.Def) {
	periods := make([]time.Duration, len(defs))
	for i, d := range defs {
		periods[i] = d.Period
	}
	rt.minCheckPeriod.Store(protocol.MinCheckPeriod(periods))
}

// saveSchedule keeps the endpoint's schedule in the state dir (written to
// a temporary file, fsynced and renamed, so a crash leaves the old one).
func (rt *Runtime) saveSchedule(_ string, defs []check.Def) {
	if rt.scheduleFile == "" {
		return
	}
	data, err := json.Marshal(defs)
	if err == nil {
		err = writeFileAtomic(rt.scheduleFile, data)
	}
	if err != nil {
		rt.log.Warn("schedule not saved", "file", rt.scheduleFile, "err", err)
	}
}

// loadSchedule reads a schedule saved by saveSchedule; a missing file is
// no schedule.
func loadSchedule(path string) ([]check.Def, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var defs []check.Def
	if err := json.Unmarshal(data, &defs); err != nil {
		return nil, fmt.Errorf("corrupt: %w", err)
	}
	for i := range defs {
		if defs[i].ID == "" || !check.KnownType(defs[i].Type) || defs[i].Period <= 0 {
			return nil, fmt.Errorf("corrupt: check %q of type %q, period %v", defs[i].ID, defs[i].Type, defs[i].Period)
		}
		defs[i].Source = check.SourceEndpoint
	}
	return defs, nil
}

func writeFileAtomic(path string, data []byte) (err error) {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(tmp) // a full disk keeps the old file, not half a new one
		}
	}()
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// keepSchedState writes the scheduler state every few seconds while it
// changes. Not at the end: a stopped scheduler has no next runs to keep,
// and a state up to 5 s old resumes as well (overdue checks run at once).
func (rt *Runtime) keepSchedState(ctx context.Context) {
	var last []byte
	save := func() {
		data, err := encodeSchedState(rt.Agent.Checks())
		if err != nil || string(data) == string(last) {
			return
		}
		if err := writeFileAtomic(rt.stateFile, data); err != nil {
			rt.log.Warn("scheduler state not saved", "file", rt.stateFile, "err", err)
			return
		}
		last = data
	}
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			save()
		}
	}
}
