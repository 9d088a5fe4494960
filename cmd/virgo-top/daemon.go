package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/virgo-top/virgo-top/agent"
	"github.com/virgo-top/virgo-top/config"
	"github.com/virgo-top/virgo-top/metrics"
	"github.com/virgo-top/virgo-top/protocol"
)

// exitRateLimit is the daemon's exit when the endpoint's rate limit is
// reached (Virgo's SHUTDOWN_RATE_LIMIT).
const exitRateLimit = 2

// rateLimitExit makes the rate limit exit with its own code.
type rateLimitExit struct{ err error }

func (e rateLimitExit) Error() string { return "stopped reporting: " + e.err.Error() }
func (e rateLimitExit) ExitCode() int { return exitRateLimit }

// runDaemon runs the agent headless until SIGINT/SIGTERM.
func runDaemon(ctx context.Context, rf *rootFlags, stderr io.Writer) error {
	boot := slog.New(slog.NewTextHandler(stderr, nil))
	cfg, err := loadConfig(rf, boot)
	if err != nil {
		return err
	}
	daemonInterval(&cfg)
	level := new(slog.LevelVar)
	level.Set(logLevel(cfg))
	log, closeLog, err := daemonLogger(cfg, level, stderr)
	if err != nil {
		return err
	}
	defer closeLog()
	// One daemon per state dir, before anything is written: a second one
	// would share (and lose) the first one's spool.
	unlock, err := agent.LockStateDir(cfg.StateDir)
	if err != nil {
		return err
	}
	defer func() { unlock() }()
	lockedDir := cfg.StateDir
	if cfg.PIDFile != "" {
		if err := os.WriteFile(cfg.PIDFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			return fmt.Errorf("pidfile: %w", err)
		}
		defer os.Remove(cfg.PIDFile)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		next, err := runDaemonOnce(ctx, rf, cfg, log, level, hup)
		if err != nil || next == nil {
			return err
		}
		if next.StateDir != lockedDir {
			unlockNext, err := agent.LockStateDir(next.StateDir)
			if err != nil {
				return fmt.Errorf("reload: new state_dir: %w", err)
			}
			unlock()
			unlock, lockedDir = unlockNext, next.StateDir
		}
		cfg = *next
	}
}

// runDaemonOnce runs one Runtime built from cfg until ctx is done (nil,
// nil), it fails, or a SIGHUP brings a config whose endpoint settings
// changed (the new config is returned and the caller rebuilds). A SIGHUP
// that leaves the endpoint settings alone reloads conf.d and the log level
// in place, keeping the connection.
func runDaemonOnce(ctx context.Context, rf *rootFlags, cfg config.Config, log *slog.Logger, level *slog.LevelVar, hup <-chan os.Signal) (*config.Config, error) {
	setup := agent.Setup{Config: cfg, Version: version, Logger: log, UseStateDir: true, Headless: true}
	if cfg.Record {
		// The daemon is the recorder of the host.
		setup.Record = agent.RecordSetup{Dir: daemonRecordDir(cfg), MaxAge: cfg.RecordMaxAge,
			MaxBytes: cfg.RecordMaxBytes, ProcessInterval: cfg.RecordProcessInterval}
	}
	if rf.fixture {
		fx, err := startFixture(ctx, &setup, log)
		if err != nil {
			return nil, err
		}
		defer fx.Close()
		log.Info("fixture endpoint started", "addr", fx.Addr())
	}
	if len(setup.Config.Endpoints) == 0 {
		log.Warn("no endpoint configured: running local checks only")
	}
	rt, err := agent.Build(setup)
	if err != nil {
		return nil, err
	}
	log.Info("virgo-top daemon started", "version", version, "pid", os.Getpid(),
		"endpoints", setup.Config.Endpoints, "agent_id", rt.AgentID, "token", setup.Config.Token)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- rt.Run(runCtx) }()
	metricsErr := make(chan error, 1)
	metricsDone := make(chan struct{})
	if cfg.MetricsListen != "" {
		go func() {
			defer close(metricsDone)
			h := metrics.NewHandler(metrics.RuntimeSource(rt), metrics.Options{Version: version, AgentID: rt.AgentID,
				OmitNodeFamilies: !cfg.MetricsNodeFamilies})
			if err := metrics.Serve(runCtx, cfg.MetricsListen, h, log); err != nil {
				metricsErr <- err
			}
		}()
	} else {
		close(metricsDone)
	}
	// The /metrics server is this function's: it has let go of its
	// address before a rebuilt daemon (SIGHUP) listens on it again.
	defer func() { cancel(); <-metricsDone }()
	for {
		select {
		case err := <-done:
			var rl *protocol.RateLimitError
			if errors.As(err, &rl) {
				log.Error("endpoint rate limit reached: stopping", "endpoint", rl.Endpoint, "err", rl.Err.Message)
				return nil, rateLimitExit{err}
			}
			if err != nil {
				return nil, err
			}
			log.Info("virgo-top daemon stopped")
			return nil, nil
		case err := <-metricsErr:
			// A /metrics that cannot listen stops the daemon: the user asked for it.
			cancel()
			<-done
			return nil, fmt.Errorf("metrics_listen %s: %w", cfg.MetricsListen, err)
		case <-hup:
			next, err := loadConfig(rf, log)
			if err != nil {
				log.Error("reload: config rejected, keeping the running one", "err", err)
				continue
			}
			daemonInterval(&next)
			level.Set(logLevel(next))
			if !agent.SameEndpoint(cfg, next) || next.MetricsListen != cfg.MetricsListen {
				log.Info("reload: endpoint settings changed, reconnecting")
				cancel()
				<-done
				return &next, nil
			}
			n, bad := rt.ReloadChecks(next.ConfdDir)
			for _, e := range bad {
				log.Warn("reload: conf.d", "err", e)
			}
			log.Info("reload: done, connection kept", "local_checks", n)
		}
	}
}

// daemonLogger builds the structured logger from log_file, log_level and
// log_format.
func daemonLogger(cfg config.Config, level *slog.LevelVar, stderr io.Writer) (*slog.Logger, func(), error) {
	w, closeFn := stderr, func() {}
	if cfg.LogFile != "" {
		f, err := os.OpenFile(cfg.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
		if err != nil {
			return nil, nil, fmt.Errorf("log file: %w", err)
		}
		w, closeFn = f, func() { f.Close() }
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(h), closeFn, nil
}

// logLevel is the slog level of cfg's log_level (monitoring_debug counts).
func logLevel(cfg config.Config) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(cfg.EffectiveLogLevel())); err != nil {
		return slog.LevelInfo
	}
	return l
}

// daemonSampleInterval is the daemon's sampling interval when none is set:
// its checks run every few seconds at most, so sampling every second (the
// console's default, for a live screen) would double its CPU for nothing.
const daemonSampleInterval = 5 * time.Second

// daemonInterval applies daemonSampleInterval unless interval was set in
// the file, the environment or a flag.
func daemonInterval(cfg *config.Config) {
	if _, set := cfg.Source["interval"]; !set {
		cfg.Interval = daemonSampleInterval
	}
}
