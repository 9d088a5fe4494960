package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"

	"github.com/virgo-top/virgo-top/agent"
	"github.com/virgo-top/virgo-top/config"
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
	log, closeLog, err := daemonLogger(cfg, stderr)
	if err != nil {
		return err
	}
	defer closeLog()
	if cfg.PIDFile != "" {
		if err := os.WriteFile(cfg.PIDFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			return fmt.Errorf("pidfile: %w", err)
		}
		defer os.Remove(cfg.PIDFile)
	}
	setup := agent.Setup{Config: cfg, Version: version, Logger: log, PersistSpool: true}
	if rf.fixture {
		fx, err := startFixture(ctx, &setup, log)
		if err != nil {
			return err
		}
		defer fx.Close()
		log.Info("fixture endpoint started", "addr", fx.Addr())
	}
	if len(setup.Config.Endpoints) == 0 {
		log.Warn("no endpoint configured: running local checks only")
	}
	rt, err := agent.Build(setup)
	if err != nil {
		return err
	}
	log.Info("virgo-top daemon started", "version", version, "pid", os.Getpid(),
		"endpoints", setup.Config.Endpoints, "agent_id", setup.Config.MonitoringID, "token", setup.Config.Token)
	err = rt.Run(ctx)
	var rl *protocol.RateLimitError
	if errors.As(err, &rl) {
		log.Error("endpoint rate limit reached: stopping", "endpoint", rl.Endpoint, "err", rl.Err.Message)
		return rateLimitExit{err}
	}
	if err != nil {
		return err
	}
	log.Info("virgo-top daemon stopped")
	return nil
}

// daemonLogger builds the structured logger from log_file, log_level and
// log_format.
func daemonLogger(cfg config.Config, stderr io.Writer) (*slog.Logger, func(), error) {
	w, closeFn := stderr, func() {}
	if cfg.LogFile != "" {
		f, err := os.OpenFile(cfg.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
		if err != nil {
			return nil, nil, fmt.Errorf("log file: %w", err)
		}
		w, closeFn = f, func() { f.Close() }
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.EffectiveLogLevel())); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(h), closeFn, nil
}
