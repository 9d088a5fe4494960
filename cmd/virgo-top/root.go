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
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/virgo-top/virgo-top/check"
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
  replay          open the console on a recording, at any moment
  dump            print recorded data for scripts (ndjson, csv or json)
  record info     describe a recording: span, size, bytes per sample, damage
  alarm test      evaluate alarm criteria against metrics
  fixture-server  run the bundled fixture endpoint on its own
  fleet           every host of a fleet from a Prometheus-compatible engine (--once --json)
  config check    validate a config file
  version         print the version

Run "virgo-top <command> --help" for a command's flags.`

// rootFlags are the flags of the console and the daemon. Those that are
// config keys are applied over the config file with config.Set.
type rootFlags struct {
	fixture, daemon, noColor bool
	configPath               string
	cpuProfile, memProfile   string
	set                      map[string]string // config key -> value
	tokenWarned              bool              // the --token warning was logged
}

// configFlags maps command-line flags to config keys.
var configFlags = []struct{ flag, key, help string }{
	{"endpoint", "monitoring_endpoints", "endpoint(s) as host:port[,host:port]"},
	{"ca-file", "monitoring_ca", "CA certificate (PEM) that signs the endpoint's certificate"},
	{"agent-id", "monitoring_id", "agent id sent in the handshake"},
	{"token", "monitoring_token", "monitoring token; every user sees it in ps: prefer --token-file, the config file or VIRGO_TOP_MONITORING_TOKEN"},
	{"token-file", "monitoring_token_file", "file whose content is the monitoring token (mode 0600; also the systemd credential " + config.CredentialToken + ")"},
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
	{"record-max-age", "record_max_age", "oldest recorded data kept (daemon 168h; a console's own recording 24h)"},
	{"record-max-size", "record_max_size", "most disk the recording takes (daemon 500MiB; a console's own recording 100MiB)"},
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
	for _, cf := range configFlags {
		fs.Func(cf.flag, cf.help+" (config key "+cf.key+")", func(v string) error {
			rf.set[cf.key] = v
			return nil
		})
	}
	fs.BoolFunc("insecure", "skip endpoint certificate checks (test endpoints only)", func(v string) error {
		rf.set["monitoring_insecure"] = v
		return nil
	})
	fs.BoolFunc("no-record", "do not record the host's timeline (config key record)", func(v string) error {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return err
		}
		rf.set["record"] = strconv.FormatBool(!on)
		return nil
	})
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	return rf, nil
}

// tokenFlagWarning is logged once when --token is used.
const tokenFlagWarning = "--token is visible to every user of this host in ps and /proc/PID/cmdline: " +
	"use --token-file FILE (mode 0600), the systemd credential " + config.CredentialToken +
	", VIRGO_TOP_MONITORING_TOKEN or monitoring_token in the config file"

// loadConfig reads the config file (the default path only if it exists)
// and layers the rest over it (layerConfig). It is the one way the
// console, the daemon (at start and on SIGHUP) and `check` load their
// config. A --token flag is warned about once per rootFlags.
func loadConfig(rf *rootFlags, log *slog.Logger) (config.Config, error) {
	env := environ()
	cfg := config.Default()
	path, explicit := rf.configPath, rf.configPath != ""
	if !explicit {
		path = config.DefaultPath
	}
	loaded, err := config.Load(path)
	switch {
	case err == nil:
		cfg = loaded
		// systemd sets a credential's mode itself (an ACL may show as
		// group bits) in a directory only the service can read.
		if perr := config.CheckPermissions(path); perr != nil && !inCredentials(path, env) {
			log.Warn("config file is readable by other users: it holds the monitoring token", "path", path, "err", perr)
		}
	case !explicit && errors.Is(err, fs.ErrNotExist):
	default:
		return cfg, fmt.Errorf("%w: %v", errUsage, err)
	}
	if _, ok := rf.set["monitoring_token"]; ok && !rf.tokenWarned {
		rf.tokenWarned = true
		log.Warn(tokenFlagWarning)
	}
	if err := layerConfig(&cfg, env, rf.set); err != nil {
		return cfg, fmt.Errorf("%w: %v", errUsage, err)
	}
	applyVirgoDirs(&cfg, check.DirExists, log)
	for _, n := range cfg.Notes {
		log.Info("config: " + n)
	}
	return cfg, nil
}

// applyVirgoDirs moves an existing Virgo install over unchanged: when
// neither plugin_dir nor confd_dir was configured and ours do not exist,
// Virgo's (/usr/lib/rackspace-monitoring-agent/plugins,
// /etc/rackspace-monitoring-agent.conf.d) are read if they do.
func applyVirgoDirs(cfg *config.Config, exists func(string) bool, log *slog.Logger) {
	if _, set := cfg.Source["plugin_dir"]; !set {
		if d := check.FallbackPluginDir(exists); d != cfg.PluginDir {
			log.Info("plugin_dir: ours does not exist, reading Virgo's", "dir", d)
			cfg.PluginDir = d
		}
	}
	if _, set := cfg.Source["confd_dir"]; !set {
		if d := check.FallbackConfDDir(exists); d != cfg.ConfdDir {
			log.Info("confd_dir: ours does not exist, reading Virgo's", "dir", d)
			cfg.ConfdDir = d
		}
	}
}

// layerConfig applies over cfg (the config file, or the defaults) the
// systemd credentials of $CREDENTIALS_DIRECTORY, the VIRGO_TOP_* variables
// of env and the flags (config key -> value), reads the token file and
// validates the result: flags > environment > credential > file.
func layerConfig(cfg *config.Config, env []string, flags map[string]string) error {
	if err := cfg.ApplyCredentials(lookupEnv(env, "CREDENTIALS_DIRECTORY")); err != nil {
		return err
	}
	if err := cfg.ApplyEnv(env); err != nil {
		return err
	}
	if flags["monitoring_token"] != "" && flags["monitoring_token_file"] != "" {
		return errors.New("flag: --token conflicts with --token-file: set only one of them")
	}
	for key, v := range flags {
		if err := cfg.Set(key, v, "flag"); err != nil {
			return err
		}
	}
	if err := cfg.ReadTokenFile(); err != nil {
		return err
	}
	return cfg.Validate()
}

// lookupEnv is the value of name in env ("NAME=value" entries; the last
// wins, as in ApplyEnv), "" if unset.
func lookupEnv(env []string, name string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == name {
			v = val
		}
	}
	return v
}

// inCredentials reports whether path is in $CREDENTIALS_DIRECTORY.
func inCredentials(path string, env []string) bool {
	dir := lookupEnv(env, "CREDENTIALS_DIRECTORY")
	if dir == "" {
		return false
	}
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
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
