package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/virgo-top/virgo-top/config"
	"github.com/virgo-top/virgo-top/fleet"
	"github.com/virgo-top/virgo-top/internal/when"
)

const fleetUsage = `Usage: virgo-top fleet [--prometheus URL] [--once [--json]] [flags]

fleet shows every host of a fleet from an engine that speaks the Prometheus
HTTP API (Prometheus, Thanos, Mimir, VictoriaMetrics) and scrapes the hosts'
virgo-top --daemon /metrics (or node_exporter): a console with the host
table (one row per host; < > sort, P M cpu, memory, I invert, / filter,
Enter a host's graphs, checks and alarms, a the fleet's alarms, ? help). With --once it prints the host table once
and exits; --json prints it as a JSON array whose field names are the
console's column names in lower case (host, status, cpu, mem, load, disk,
rx, tx, alarm, not_ok, link, age; a blank is null or ""). The engine's URL
comes from --prometheus, else the config file's fleet_prometheus.

Credentials are read from files (never from the command line): a bearer
token (--bearer-token-file) or basic auth (--basic-auth-user with
--basic-auth-password-file). --header 'X-Scope-OrgID: tenant' adds a header
(Mimir, Thanos, Cortex), repeatable.

Exit status: 0; 1 when a query fails (the engine's error is printed);
2 for a usage error.`

// headerFlags collects repeated --header 'Name: value'.
type headerFlags struct{ h http.Header }

func (f *headerFlags) String() string {
	if f.h == nil {
		return ""
	}
	var names []string
	for k := range f.h {
		names = append(names, k) // names only: values may be secrets
	}
	return strings.Join(names, ",")
}

func (f *headerFlags) Set(v string) error {
	name, val, ok := strings.Cut(v, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" || strings.ContainsAny(name, " \t\r\n") || strings.ContainsAny(val, "\r\n") {
		return errors.New("want 'Name: value'")
	}
	if f.h == nil {
		f.h = http.Header{}
	}
	f.h.Add(name, strings.TrimSpace(val))
	return nil
}

// fleetFlags are the fleet command's options.
type fleetFlags struct {
	cfg        fleet.Config
	opt        fleet.Options
	configPath string
	refresh    time.Duration
	once, json bool
	at         string
	sort       string
	asc        bool
	limit      int
	filter     string
}

func parseFleetFlags(args []string, stdout io.Writer) (*fleetFlags, error) {
	ff := &fleetFlags{}
	fs := newFlagSet("fleet", fleetUsage, stdout)
	var hdr headerFlags
	fs.StringVar(&ff.cfg.URL, "prometheus", "", "base URL of the engine (default: the config's fleet_prometheus)")
	fs.StringVar(&ff.configPath, "config", "", "config file (default "+config.DefaultPath+")")
	fs.StringVar(&ff.opt.HostLabel, "host-label", "host", "the label that names a host")
	fs.DurationVar(&ff.opt.Lookback, "lookback", 24*time.Hour, "hosts seen this far back stay in the table, marked DOWN")
	fs.DurationVar(&ff.refresh, "refresh", 15*time.Second, "console refresh interval (5s at least)")
	fs.StringVar(&ff.cfg.BearerTokenFile, "bearer-token-file", "", "file holding a bearer token")
	fs.StringVar(&ff.cfg.BasicAuthUser, "basic-auth-user", "", "basic auth user name")
	fs.StringVar(&ff.cfg.BasicAuthPasswordFile, "basic-auth-password-file", "", "file holding the basic auth password")
	fs.StringVar(&ff.cfg.CAFile, "ca-file", "", "PEM CA certificates for an https engine (only these are trusted)")
	fs.Var(&hdr, "header", "extra request header 'Name: value' (repeatable)")
	fs.DurationVar(&ff.cfg.Timeout, "timeout", 10*time.Second, "timeout of each query")
	fs.BoolVar(&ff.once, "once", false, "print the host table once and exit")
	fs.BoolVar(&ff.json, "json", false, "with --once: print JSON")
	fs.StringVar(&ff.at, "time", "", "evaluate at this time: unix seconds or "+when.Forms+"; default now")
	fs.StringVar(&ff.sort, "sort", fleet.ColAlarm, "with --once: sort column ("+strings.Join(fleet.Columns, ", ")+")")
	fs.BoolVar(&ff.asc, "asc", false, "with --once: ascending (default: descending, worst alarm first)")
	fs.IntVar(&ff.limit, "limit", 0, "with --once: the first N hosts only, sorted and paged in the engine (0: all)")
	fs.StringVar(&ff.filter, "filter", "", "with --once: hosts whose name holds this")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	ff.cfg.Headers = hdr.h
	if ff.refresh < 5*time.Second {
		return nil, fmt.Errorf("%w: fleet: --refresh %s: 5s at least", errUsage, ff.refresh)
	}
	if ff.opt.Lookback < time.Minute {
		return nil, fmt.Errorf("%w: fleet: --lookback %s: 1m at least", errUsage, ff.opt.Lookback)
	}
	if !fleet.ValidLabel(ff.opt.HostLabel) {
		return nil, fmt.Errorf("%w: fleet: --host-label %q is not a label name", errUsage, ff.opt.HostLabel)
	}
	if ff.limit < 0 {
		return nil, fmt.Errorf("%w: fleet: --limit must not be negative", errUsage)
	}
	if ff.json && !ff.once {
		return nil, fmt.Errorf("%w: fleet: --json needs --once", errUsage)
	}
	valid := false
	for _, c := range fleet.Columns {
		valid = valid || c == ff.sort
	}
	if !valid {
		return nil, fmt.Errorf("%w: fleet: --sort %q: want one of %s", errUsage, ff.sort, strings.Join(fleet.Columns, ", "))
	}
	if ff.cfg.URL == "" {
		cfg, err := recordingConfig(ff.configPath, os.Environ())
		if err != nil {
			return nil, err
		}
		ff.cfg.URL = cfg.FleetPrometheus
	}
	if ff.cfg.URL == "" {
		return nil, fmt.Errorf("%w: fleet: no engine: give --prometheus URL or set fleet_prometheus in the config", errUsage)
	}
	return ff, nil
}

func runFleet(args []string, stdout, stderr io.Writer) error {
	ff, err := parseFleetFlags(args, stdout)
	if err != nil {
		return err
	}
	var at time.Time
	if ff.at != "" {
		if sec, perr := strconv.ParseFloat(ff.at, 64); perr == nil {
			// ParseFloat takes NaN and Inf, which no conversion to a
			// time survives.
			if math.IsNaN(sec) || math.Abs(sec) > 1e11 {
				return fmt.Errorf("%w: fleet: --time %s: not a unix time", errUsage, ff.at)
			}
			at = time.UnixMilli(int64(sec * 1000))
		} else if at, err = when.Parse(ff.at, time.Now(), time.Local); err != nil {
			return fmt.Errorf("%w: fleet: --time: %v", errUsage, err)
		}
	}
	c, err := fleet.New(ff.cfg)
	if err != nil {
		return fmt.Errorf("%w: fleet: %v", errUsage, err)
	}
	f, err := fleet.NewFleet(c, ff.opt)
	if err != nil {
		return fmt.Errorf("%w: fleet: %v", errUsage, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if !ff.once {
		return runFleetConsole(ctx, f, ff.refresh)
	}
	defer quietPipe()()
	t, err := f.Table(ctx, fleet.Request{Sort: ff.sort, Desc: !ff.asc, Filter: ff.filter, Limit: ff.limit, At: at})
	if err != nil {
		return fmt.Errorf("fleet: %s: %v", c, err)
	}
	for _, w := range t.Warnings {
		fmt.Fprintf(stderr, "virgo-top: fleet: engine warning: %s\n", w)
	}
	if ff.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		hosts := t.Hosts
		if hosts == nil {
			hosts = []fleet.Host{}
		}
		return enc.Encode(hosts)
	}
	return writeFleetTable(stdout, t)
}

// writeFleetTable prints the table as text, the console's columns.
func writeFleetTable(w io.Writer, t *fleet.Table) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(fleet.Columns, "\t")))
	for _, h := range t.Hosts {
		cells := fleet.Cells(h)
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	fmt.Fprintf(tw, "%d of %d hosts, queried in %s\n", len(t.Hosts), t.Total, t.Took.Round(time.Millisecond))
	return tw.Flush()
}
