package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/virgo-top/virgo-top/check"
	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/config"
)

const checkUsage = `Usage: virgo-top check TYPE [--target T] [--detail key=value ...] [--json]

Run one check once and print its state, status and metrics, as the
endpoint's check.test does. TYPE is one of: ` + "%s" + `.
Host checks sample the host twice, --interval apart, so rates are real.
The config is read as the daemon reads it (--config, default ` + config.DefaultPath + `
if it exists, then the VIRGO_TOP_* environment), so agent.plugin runs from
the daemon's plugin_dir unless --plugin-dir is given.

Exit status: 0 when the result is available; 1 when it is unavailable (the
result is printed all the same) or the run failed; 2 for a usage or config
error.

Examples:
  virgo-top check agent.cpu --json
  virgo-top check agent.filesystem --target /
  virgo-top check agent.http --detail url=http://127.0.0.1:8080/health --detail timeout=5
  virgo-top check agent.plugin --plugin-dir ./plugins --detail file=check_foo.sh`

// detailFlags collects repeated --detail key=value flags.
type detailFlags map[string]any

func (d detailFlags) String() string { return "" }
func (d detailFlags) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want key=value, got %q", s)
	}
	if prev, ok := d[k]; ok {
		// A repeated key builds a list (details.args).
		switch p := prev.(type) {
		case []string:
			d[k] = append(p, v)
		case string:
			d[k] = []string{p, v}
		}
		return nil
	}
	d[k] = v
	return nil
}

// unavailableError is runCheck's error when the check ran and its result
// is unavailable: exit 1, so scripts need not parse the output.
type unavailableError struct{ typ string }

func (e unavailableError) Error() string { return "check " + e.typ + ": result unavailable" }

func runCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("check", fmt.Sprintf(checkUsage, strings.Join(check.Types(), ", ")), stdout)
	target := fs.String("target", "", "details.target (mount point, disk or interface)")
	details := detailFlags{}
	fs.Var(details, "detail", "a detail as key=value (repeatable; a repeated key makes a list)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	interval := fs.Duration("interval", time.Second, "time between the two host samples")
	timeout := fs.Duration("timeout", 0, "timeout of the run (default: the check type's)")
	rf := &rootFlags{set: map[string]string{}}
	fs.StringVar(&rf.configPath, "config", "", "config file (default "+config.DefaultPath+" if it exists)")
	fs.Func("plugin-dir", "directory agent.plugin runs files from (default: plugin_dir of the config, "+config.DefaultPluginDir+
		", or Virgo's "+check.VirgoPluginDir+" when only that exists)",
		func(v string) error {
			rf.set["plugin_dir"] = v
			return nil
		})
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		return fmt.Errorf("%w: check: missing TYPE (one of %s)", errUsage, strings.Join(check.Types(), ", "))
	}
	typ := args[0]
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if !check.KnownType(typ) {
		return fmt.Errorf("%w: check: unknown check type %q (one of %s)", errUsage, typ, strings.Join(check.Types(), ", "))
	}
	if *target != "" {
		details["target"] = *target
	}
	cfg, err := loadConfig(rf, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	env := &oneShotEnv{}
	if needsHost(typ) {
		s := collector.NewSampler(collector.Options{})
		s.Sample(ctx)
		select {
		case <-time.After(*interval):
		case <-ctx.Done():
			return ctx.Err()
		}
		env.snap = s.Sample(ctx)
	}
	def := check.Def{ID: "cli-" + typ, Label: typ, Type: typ, Period: 30 * time.Second, Timeout: *timeout, Details: details}
	res := check.RunOnce(ctx, env, def, check.SchedulerOptions{PluginDir: cfg.PluginDir})
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(checkJSON(res))
	} else {
		err = writeCheckResult(stdout, res)
	}
	if err == nil && !res.Available {
		err = unavailableError{typ}
	}
	return err
}

// needsHost tells whether a check type reads the collector's Snapshot.
func needsHost(typ string) bool {
	switch typ {
	case "agent.plugin", "agent.tcp", "agent.http":
		return false
	}
	return true
}

// oneShotEnv serves one Snapshot; there is no history, so agent.cpu uses it.
type oneShotEnv struct{ snap *collector.Snapshot }

func (e *oneShotEnv) Latest() *collector.Snapshot                { return e.snap }
func (e *oneShotEnv) CPUWindow(time.Time) (check.CPUStats, bool) { return check.CPUStats{}, false }

// checkResultJSON is the --json shape: Virgo's check.test answer
// (state, status, metrics as {name: {t, v, u}}) plus timing.
type checkResultJSON struct {
	CheckType  string                           `json:"check_type"`
	State      string                           `json:"state"`
	Status     string                           `json:"status"`
	Timestamp  int64                            `json:"timestamp"`
	DurationMs float64                          `json:"duration_ms"`
	Metrics    map[string]map[string]metricJSON `json:"metrics"`
}

type metricJSON struct {
	T string `json:"t"`
	V string `json:"v"`
	U string `json:"u,omitempty"`
}

func checkJSON(r check.Result) checkResultJSON {
	out := checkResultJSON{
		CheckType: r.CheckType, State: r.State(), Status: r.Status,
		Timestamp: r.Time.UnixMilli(), DurationMs: float64(r.Duration.Microseconds()) / 1000,
		Metrics: map[string]map[string]metricJSON{},
	}
	for _, m := range r.Metrics {
		dim := m.Dimension
		if dim == "" {
			dim = "none"
		}
		if out.Metrics[dim] == nil {
			out.Metrics[dim] = map[string]metricJSON{}
		}
		out.Metrics[dim][m.Name] = metricJSON{T: m.Type, V: m.Value, U: m.Unit}
	}
	return out
}

func writeCheckResult(w io.Writer, r check.Result) error {
	fmt.Fprintf(w, "%s: %s (%s) in %s\n", r.CheckType, r.State(), r.Status, r.Duration.Round(time.Microsecond))
	ms := append([]check.Metric(nil), r.Metrics...)
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].Dimension != ms[j].Dimension {
			return ms[i].Dimension < ms[j].Dimension
		}
		return ms[i].Name < ms[j].Name
	})
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, m := range ms {
		name := m.FullName()
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", name, m.Type, m.Value, m.Unit)
	}
	return tw.Flush()
}
