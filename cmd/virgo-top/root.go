package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/virgo-top/virgo-top/config"
)

const rootUsage = `Usage: virgo-top [flags]            the live console
       virgo-top --fixture [flags]  the console against a bundled fixture endpoint
       virgo-top --daemon [flags]   the headless agent
       virgo-top <command> [flags]

virgo-top is a monitoring agent and a live terminal console in one binary.

Commands:
  snapshot        take one sample of the host and print it (--json for scripts)
  check           run one check once and print its state and metrics
  alarm test      evaluate alarm criteria against metrics
  fixture-server  run the bundled fixture endpoint on its own
  config check    validate a config file
  version         print the version

Run "virgo-top <command> --help" for a command's flags.`

// rootFlags are the flags of the console and the daemon. Those that are
// config keys are applied over the config file with config.Set.
type rootFlags struct {
	fixture, daemon, noColor bool
	configPath               string
	cpuProfile, memProfile   string
	set                      map[string]string // config key -> value, in flag order
}

// configFlags maps command-line flags to config keys.
var configFlags = []struct{ flag, key, help string }{
	{"endpoint", "monitoring_endpoints", "endpoint(s) as host:port[,host:port]"},
	{"ca-file", "monitoring_ca", "CA certificate (PEM) that signs the endpoint's certificate"},
	{"agent-id", "monitoring_id", "agent id sent in the handshake"},
	{"token", "monitoring_token", "monitoring token (prefer the config file or VIRGO_TOP_MONITORING_TOKEN)"},
	{"proxy", "monitoring_proxy_url", "HTTP CONNECT proxy URL"},
	{"interval", "interval", "sampling interval (e.g. 1s)"},
	{"state-dir", "state_dir", "state directory (spool, guid)"},
	{"plugin-dir", "plugin_dir", "directory agent.plugin checks run from"},
	{"confd", "confd_dir", "directory of conf.d YAML check files"},
	{"log-file", "log_file", "log file (daemon; default standard error)"},
	{"log-level", "log_level", "debug, info, warn or error"},
	{"log-format", "log_format", "text or json"},
	{"metrics-listen", "metrics_listen", "serve Prometheus /metrics on host:port"},
	{"pidfile", "pidfile", "write the daemon's pid here"},
}

func parseRootFlags(args []string, stdout io.Writer) (*rootFlags, error) {
	rf := &rootFlags{set: map[string]string{}}
	fs := newFlagSet("virgo-top", rootUsage, stdout)
	fs.BoolVar(&rf.fixture, "fixture", false, "start a fixture endpoint in this process and report to it")
	fs.BoolVar(&rf.daemon, "daemon", false, "run headless (no console)")
	fs.BoolVar(&rf.noColor, "no-color", false, "no colours (also NO_COLOR)")
	fs.StringVar(&rf.configPath, "config", "", "config file (default "+config.DefaultPath+" if it exists)")
	fs.StringVar(&rf.cpuProfile, "cpuprofile", "", "write a CPU profile to this file")
	fs.StringVar(&rf.memProfile, "memprofile", "", "write a heap profile to this file at exit")
	var order []string
	for _, cf := range configFlags {
		fs.Func(cf.flag, cf.help+" (config key "+cf.key+")", func(v string) error {
			if _, seen := rf.set[cf.key]; !seen {
				order = append(order, cf.key)
			}
			rf.set[cf.key] = v
			return nil
		})
	}
	fs.BoolFunc("insecure", "skip endpoint certificate checks (test endpoints only)", func(v string) error {
		rf.set["monitoring_insecure"] = v
		return nil
	})
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	return rf, nil
}

// loadConfig reads the config file (the default path only if it exists),
// then VIRGO_TOP_* variables, then flags, and validates the result.
func loadConfig(rf *rootFlags, log *slog.Logger) (config.Config, error) {
	cfg := config.Default()
	path, explicit := rf.configPath, rf.configPath != ""
	if !explicit {
		path = config.DefaultPath
	}
	loaded, err := config.Load(path)
	switch {
	case err == nil:
		cfg = loaded
		if perr := config.CheckPermissions(path); perr != nil {
			log.Warn("config file is readable by other users: it holds the monitoring token", "path", path, "err", perr)
		}
	case !explicit && errors.Is(err, fs.ErrNotExist):
	default:
		return cfg, fmt.Errorf("%w: %v", errUsage, err)
	}
	if err := cfg.ApplyEnv(os.Environ()); err != nil {
		return cfg, fmt.Errorf("%w: %v", errUsage, err)
	}
	for key, v := range rf.set {
		if err := cfg.Set(key, v, "flag"); err != nil {
			return cfg, fmt.Errorf("%w: %v", errUsage, err)
		}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("%w: %v", errUsage, err)
	}
	for _, n := range cfg.Notes {
		log.Info("config: " + n)
	}
	return cfg, nil
}

func runRoot(args []string, stdout, stderr io.Writer) error {
	rf, err := parseRootFlags(args, stdout)
	if err != nil {
		return err
	}
	stopProfile, err := startProfiles(rf.cpuProfile, rf.memProfile)
	if err != nil {
		return err
	}
	defer stopProfile()

	tuneRuntime(os.Getenv, rf.daemon, rf.memProfile != "")
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if rf.daemon {
		return runDaemon(ctx, rf, stderr)
	}
	return runConsole(ctx, rf, stderr)
}

// noColor reports whether colour is off by flag or NO_COLOR.
func noColor(rf *rootFlags) bool {
	return rf.noColor || strings.TrimSpace(os.Getenv("NO_COLOR")) != ""
}
