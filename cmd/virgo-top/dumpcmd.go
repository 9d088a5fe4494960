package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/internal/when"
	"github.com/virgo-top/virgo-top/record"
)

const dumpUsage = `Usage: virgo-top dump [--state-dir DIR | --record PATH] [--config FILE]
                      [--since DURATION] [--from T] [--to T]
                      [--what host|processes|cgroups|checks|alarms|links] [--format ndjson|csv|json]

Print recorded data for scripts, oldest first. It streams: any span takes
the same memory.

--what (default host):
  host       one object per sample, with the field names of "virgo-top
             snapshot --json" (the same type), "time" in RFC 3339, with
             pressure, sensors and batteries where recorded; "processes"
             is null and "cgroups" absent there (see processes, cgroups)
  processes  one object per sample: time, process_time (when the table was
             recorded: every record_process_interval, 5 s by default),
             process_count, processes (the objects of snapshot --json,
             with io_read_bps, io_write_bps, io_known, cgroup, container
             where recorded)
  cgroups    one object per sample: time, cgroup_time (when the list was
             recorded: every record_process_interval; absent before the
             first), cgroups (path, name, kind, version, procs, cpu_pct,
             mem_bytes, mem_limit, io_read_bps, io_write_bps, pressure)
  checks     one object per check result: time (the run's start), moment (the
             sample it was recorded with), check_id, type, label, available,
             status, metrics [{dimension, name, type, value, unit}]
  alarms     one object per alarm transition: time, moment, check_id, alarm,
             from, to, message
  links      one object per endpoint link event: time, moment, endpoint,
             state, error

--format (default ndjson): ndjson, one JSON object a line; json, one JSON
array; csv, a header row then one row per object: host, the main figures
(disk and network rates summed over whole disks and interfaces but lo,
fs_max_used_pct of the fullest filesystem, PSI avg10, the hottest
temperature, the first battery; empty where not recorded); processes, one
row per process per sample (io_read_bps and io_write_bps empty where not
known); cgroups, one row per group per sample (PSI avg10); checks, metrics
as one JSON object of name to value. Recordings of format version 1 (before
pressure, cgroups, sensors and I/O were recorded) print those empty.

The window, both ends included: --from T and --to T are ` + when.Forms + `,
in local time unless an offset is given. --since D (10m, 2h, 1d, 1h30m) is
the D before --to, else before the recording's last sample (not now: a
stopped daemon's recording, or one copied from another host, reads the
same). --since with --from is a usage error. Without --from or --since the
window starts at the first sample; without --to it ends at the last.

The recording is --record PATH (a recording's directory, or one segment file
copied from another host), else DIR/record with --state-dir, else the
daemon's (state_dir/record, state_dir from the config file) when it exists,
else the console's own ($XDG_STATE_HOME/virgo-top/record). The daemon's
recording is readable by root and the virgo-top group.

Exit status: 0, also when the reader of the output goes away (| head); 1 when
the recording is missing, unreadable, of a newer format version, or has no
sample in the window; 2 for a usage error.

Examples:
  virgo-top dump --since 10m --what processes
  virgo-top dump --from 03:00 --to 03:30 --format csv > host.csv
  virgo-top dump --since 1d --what alarms --format json`

// dumpWhats and dumpFormats are the values --what and --format take.
var (
	dumpWhats   = []string{"host", "processes", "cgroups", "checks", "alarms", "links"}
	dumpFormats = []string{"ndjson", "csv", "json"}
)

// dumpFlags are dump's flags as typed.
type dumpFlags struct {
	since, from, to string
	what, format    string
}

func runDump(args []string, stdout, _ io.Writer) error {
	fs := newFlagSet("dump", dumpUsage, stdout)
	rec := addRecordingFlags(fs)
	var df dumpFlags
	fs.StringVar(&df.since, "since", "", "print the `DURATION` before --to (default: before the recording's last sample), e.g. 10m, 2h, 1d")
	fs.StringVar(&df.from, "from", "", "first moment `T` to print (see above for the forms)")
	fs.StringVar(&df.to, "to", "", "last moment `T` to print")
	fs.StringVar(&df.what, "what", "host", "what to print: "+strings.Join(dumpWhats, ", "))
	fs.StringVar(&df.format, "format", "ndjson", "output format: "+strings.Join(dumpFormats, ", "))
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := df.check(); err != nil {
		return err
	}
	r, path, err := rec.open("dump")
	if err != nil {
		return err
	}
	first, last, err := r.Span()
	if err != nil {
		return recordingError("dump", path, err)
	}
	from, to, err := df.window(first, last, time.Now(), time.Local)
	if err != nil {
		return err
	}
	defer quietPipe()()
	n, err := dumpRecording(r, from, to, df.what, df.format, stdout)
	var oe outputError
	switch {
	case errors.As(err, &oe) && isClosedPipe(err):
		return nil
	case errors.As(err, &oe):
		return fmt.Errorf("dump: %v", err)
	case err != nil:
		return recordingError("dump", path, err)
	case n == 0:
		return fmt.Errorf("dump: no sample between %s and %s in %s", fmtTime(from), fmtTime(to), path)
	}
	return nil
}

// check validates the flags that need no recording.
func (df *dumpFlags) check() error {
	if !oneOf(df.what, dumpWhats) {
		return fmt.Errorf("%w: dump: --what %q: want one of %s", errUsage, df.what, strings.Join(dumpWhats, ", "))
	}
	if !oneOf(df.format, dumpFormats) {
		return fmt.Errorf("%w: dump: --format %q: want one of %s", errUsage, df.format, strings.Join(dumpFormats, ", "))
	}
	if df.since != "" && df.from != "" {
		return fmt.Errorf("%w: dump: --since and --from both set the start of the window: give one", errUsage)
	}
	if df.since != "" {
		if _, err := parseSince("dump", df.since); err != nil {
			return err
		}
	}
	return nil
}

// window resolves the flags against the recording's first and last
// sample: [from, to], both included. now and loc serve when.Parse's
// relative forms and local times. A window outside the recording is an
// error (exit 1) that gives the recording's span.
func (df *dumpFlags) window(first, last, now time.Time, loc *time.Location) (from, to time.Time, err error) {
	from, to = first, last
	if df.to != "" {
		if to, err = when.Parse(df.to, now, loc); err != nil {
			return from, to, fmt.Errorf("%w: dump: --to: %v", errUsage, err)
		}
	}
	switch {
	case df.from != "":
		if from, err = when.Parse(df.from, now, loc); err != nil {
			return from, to, fmt.Errorf("%w: dump: --from: %v", errUsage, err)
		}
	case df.since != "":
		d, err := parseSince("dump", df.since)
		if err != nil {
			return from, to, err
		}
		from = to.Add(-d)
	}
	if df.from != "" && df.to != "" && from.After(to) {
		return from, to, fmt.Errorf("%w: dump: --from (%s) is after --to (%s)", errUsage, fmtTime(from), fmtTime(to))
	}
	if to.Before(first) || from.After(last) {
		return from, to, fmt.Errorf("dump: nothing recorded between %s and %s: the recording spans %s to %s",
			fmtTime(from), fmtTime(to), fmtTime(first), fmtTime(last))
	}
	return from, to, nil
}

// parseSince reads the --since of cmd (dump, replay) as when.Parse reads
// "N[smhd] ago" (Go durations, and days; a trailing "ago" is allowed): a
// positive duration.
func parseSince(cmd, s string) (time.Duration, error) {
	ref := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	v := strings.TrimSpace(s)
	v, _ = strings.CutSuffix(v, "ago")
	t, err := when.Parse(strings.TrimSpace(v)+" ago", ref, time.UTC)
	if err != nil || !t.Before(ref) {
		return 0, fmt.Errorf("%w: %s: --since %q: want a positive duration such as 90s, 10m, 2h, 1d or 1h30m", errUsage, cmd, s)
	}
	return ref.Sub(t), nil
}

func oneOf(s string, set []string) bool {
	for _, v := range set {
		if s == v {
			return true
		}
	}
	return false
}

func fmtTime(t time.Time) string { return t.Format(time.RFC3339) }

// dumpRecording writes what of the frames of r in [from, to] to out in
// format, through a buffer, and returns the number of frames read. It
// streams (Reader.Range): nothing is kept from one frame to the next.
// A failed write is an outputError.
func dumpRecording(r *record.Reader, from, to time.Time, what, format string, out io.Writer) (int, error) {
	ow := &outWriter{w: out}
	bw := bufio.NewWriterSize(ow, 64<<10)
	d := &dumper{what: what, format: format, w: bw}
	d.enc = json.NewEncoder(&d.buf)
	d.enc.SetEscapeHTML(false)
	if format == "csv" {
		d.csv = csv.NewWriter(bw)
	}
	frames := 0
	err := d.begin()
	if err == nil {
		err = r.Range(from, to, func(f *record.Frame) error {
			frames++
			return d.frame(f)
		})
	}
	if err == nil {
		err = d.end()
	}
	if err == nil {
		err = bw.Flush()
	}
	if ow.err != nil {
		return frames, outputError{ow.err}
	}
	return frames, err
}

// outputError is a failed write to dump's output (a full disk, a closed
// pipe), as opposed to an error reading the recording.
type outputError struct{ err error }

func (e outputError) Error() string { return "writing the output: " + e.err.Error() }
func (e outputError) Unwrap() error { return e.err }

// outWriter keeps the first error of its writer.
type outWriter struct {
	w   io.Writer
	err error
}

func (o *outWriter) Write(p []byte) (int, error) {
	n, err := o.w.Write(p)
	if err != nil && o.err == nil {
		o.err = err
	}
	return n, err
}

// dumper writes objects or rows in one format.
type dumper struct {
	what, format string
	w            *bufio.Writer
	buf          bytes.Buffer
	enc          *json.Encoder // into buf
	csv          *csv.Writer   // into w
	row          []string
	n            int // objects written
}

func (d *dumper) begin() error {
	switch d.format {
	case "json":
		_, err := d.w.WriteString("[")
		return err
	case "csv":
		return d.csv.Write(csvHeaders[d.what])
	}
	return nil
}

func (d *dumper) end() error {
	switch d.format {
	case "json":
		if d.n > 0 {
			d.w.WriteString("\n")
		}
		_, err := d.w.WriteString("]\n")
		return err
	case "csv":
		d.csv.Flush()
		return d.csv.Error()
	}
	return nil
}

// object writes one JSON object (ndjson, json).
func (d *dumper) object(v any) error {
	d.buf.Reset()
	if err := d.enc.Encode(v); err != nil {
		return err
	}
	b := d.buf.Bytes()
	if d.format == "json" {
		sep := ",\n"
		if d.n == 0 {
			sep = "\n"
		}
		d.w.WriteString(sep)
		b = bytes.TrimSuffix(b, []byte("\n"))
	}
	d.n++
	_, err := d.w.Write(b)
	return err
}

// frame writes what the frame holds of d.what.
func (d *dumper) frame(f *record.Frame) error {
	s := f.Snapshot
	moment := f.Time()
	csvOut := d.format == "csv"
	switch d.what {
	case "host":
		if csvOut {
			return d.csv.Write(d.hostRow(s))
		}
		host := *s
		host.Processes, host.Cgroups = nil, nil
		return d.object(&host)
	case "processes":
		if !csvOut {
			procs := s.Processes
			if procs == nil {
				procs = []collector.Process{}
			}
			return d.object(processesJSON{Time: s.Time, ProcessTime: f.ProcessTime, ProcessCount: s.ProcessCount, Processes: procs})
		}
		for i := range s.Processes {
			if err := d.csv.Write(d.processRow(s.Time, f.ProcessTime, &s.Processes[i])); err != nil {
				return err
			}
		}
	case "cgroups":
		if !csvOut {
			groups := s.Cgroups
			if groups == nil {
				groups = []collector.Cgroup{}
			}
			return d.object(cgroupsJSON{Time: s.Time, CgroupTime: f.CgroupTime, Cgroups: groups})
		}
		for i := range s.Cgroups {
			if err := d.csv.Write(d.cgroupRow(s.Time, f.CgroupTime, &s.Cgroups[i])); err != nil {
				return err
			}
		}
	case "checks":
		for _, c := range f.NewChecks {
			j := checkJSONOf(moment, c)
			var err error
			if csvOut {
				err = d.csv.Write(d.checkRow(&j))
			} else {
				err = d.object(&j)
			}
			if err != nil {
				return err
			}
		}
	case "alarms":
		for _, a := range f.Transitions {
			j := alarmJSON{Time: a.Time, Moment: moment, CheckID: a.CheckID, Alarm: a.Alarm, From: a.From, To: a.To, Message: a.Message}
			var err error
			if csvOut {
				d.row = append(d.row[:0], fmtRFC(j.Time), fmtRFC(moment), j.CheckID, j.Alarm, j.From, j.To, j.Message)
				err = d.csv.Write(d.row)
			} else {
				err = d.object(&j)
			}
			if err != nil {
				return err
			}
		}
	case "links":
		for _, l := range f.LinkEvents {
			j := linkJSON{Time: l.Time, Moment: moment, Endpoint: l.Endpoint, State: l.State, Error: l.Error}
			var err error
			if csvOut {
				d.row = append(d.row[:0], fmtRFC(j.Time), fmtRFC(moment), j.Endpoint, j.State, j.Error)
				err = d.csv.Write(d.row)
			} else {
				err = d.object(&j)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// processesJSON is one sample of --what processes.
type processesJSON struct {
	Time         time.Time           `json:"time"`
	ProcessTime  time.Time           `json:"process_time,omitzero"`
	ProcessCount int                 `json:"process_count"`
	Processes    []collector.Process `json:"processes"`
}

// cgroupsJSON is one sample of --what cgroups.
type cgroupsJSON struct {
	Time       time.Time          `json:"time"`
	CgroupTime time.Time          `json:"cgroup_time,omitzero"`
	Cgroups    []collector.Cgroup `json:"cgroups"`
}

// checkResultOut is one check result of --what checks.
type checkResultOut struct {
	Time      time.Time   `json:"time"`
	Moment    time.Time   `json:"moment"`
	CheckID   string      `json:"check_id"`
	Type      string      `json:"type"`
	Label     string      `json:"label"`
	Available bool        `json:"available"`
	Status    string      `json:"status"`
	Metrics   []metricOut `json:"metrics"`
}

type metricOut struct {
	Dimension string `json:"dimension,omitempty"`
	Name      string `json:"name"`
	Type      string `json:"type"`
	Value     string `json:"value"`
	Unit      string `json:"unit,omitempty"`
}

func checkJSONOf(moment time.Time, c record.CheckResult) checkResultOut {
	j := checkResultOut{Time: c.Time, Moment: moment, CheckID: c.CheckID, Type: c.Type, Label: c.Label,
		Available: c.Available, Status: c.Status, Metrics: make([]metricOut, len(c.Metrics))}
	for i, m := range c.Metrics {
		j.Metrics[i] = metricOut(m)
	}
	return j
}

// alarmJSON is one transition of --what alarms.
type alarmJSON struct {
	Time    time.Time `json:"time"`
	Moment  time.Time `json:"moment"`
	CheckID string    `json:"check_id"`
	Alarm   string    `json:"alarm"`
	From    string    `json:"from"`
	To      string    `json:"to"`
	Message string    `json:"message"`
}

// linkJSON is one event of --what links.
type linkJSON struct {
	Time     time.Time `json:"time"`
	Moment   time.Time `json:"moment"`
	Endpoint string    `json:"endpoint"`
	State    string    `json:"state"`
	Error    string    `json:"error,omitempty"`
}

// csvHeaders are the header rows of --format csv.
var csvHeaders = map[string][]string{
	"host": {"time", "elapsed_s", "uptime_s",
		"cpu_usage_pct", "cpu_user_pct", "cpu_system_pct", "cpu_idle_pct", "cpu_iowait_pct", "cpu_steal_pct", "cpu_irq_pct", "cpu_nice_pct", "cpu_cores",
		"mem_total_bytes", "mem_used_bytes", "mem_free_bytes", "mem_available_bytes", "mem_cached_bytes", "mem_buffers_bytes", "mem_used_pct",
		"swap_total_bytes", "swap_used_bytes", "load1", "load5", "load15",
		"disk_read_bps", "disk_write_bps", "disk_read_iops", "disk_write_iops", "net_rx_bps", "net_tx_bps",
		"fs_max_used_pct", "process_count", "errors",
		"psi_cpu_some_avg10", "psi_memory_some_avg10", "psi_memory_full_avg10", "psi_io_some_avg10", "psi_io_full_avg10",
		"temp_max_c", "battery_pct"},
	"processes": {"time", "process_time", "pid", "ppid", "name", "user", "uid", "state", "nice", "threads",
		"cpu_pct", "cpu_time_s", "rss_bytes", "vms_bytes", "mem_pct", "start_time", "cmdline",
		"io_read_bps", "io_write_bps", "cgroup", "container"},
	"cgroups": {"time", "cgroup_time", "path", "name", "kind", "version", "procs", "cpu_pct", "mem_bytes", "mem_limit",
		"io_read_bps", "io_write_bps", "psi_cpu_some_avg10", "psi_memory_some_avg10", "psi_memory_full_avg10",
		"psi_io_some_avg10", "psi_io_full_avg10"},
	"checks": {"time", "moment", "check_id", "type", "label", "available", "status", "metrics"},
	"alarms": {"time", "moment", "check_id", "alarm", "from", "to", "message"},
	"links":  {"time", "moment", "endpoint", "state", "error"},
}

func (d *dumper) hostRow(s *collector.Snapshot) []string {
	var rd, wr, rio, wio, rx, tx, fsMax float64
	for _, k := range s.Disks {
		if !k.Partition {
			rd, wr, rio, wio = rd+k.ReadBps, wr+k.WriteBps, rio+k.ReadIOPS, wio+k.WriteIOPS
		}
	}
	for _, n := range s.Network {
		if n.Name != "lo" {
			rx, tx = rx+n.RxBps, tx+n.TxBps
		}
	}
	for _, f := range s.Filesystems {
		fsMax = math.Max(fsMax, f.UsedPct)
	}
	c, m, l := &s.CPU, &s.Memory, &s.Load
	errs := ""
	if len(s.Errors) > 0 {
		b, _ := json.Marshal(s.Errors)
		errs = string(b)
	}
	d.row = append(d.row[:0], fmtRFC(s.Time), fmtF(s.Elapsed.Seconds()), fmtU(s.Host.UptimeS),
		fmtF(c.UsagePct), fmtF(c.UserPct), fmtF(c.SystemPct), fmtF(c.IdlePct), fmtF(c.IOWaitPct), fmtF(c.StealPct), fmtF(c.IRQPct), fmtF(c.NicePct), fmtI(int64(c.Cores)),
		fmtU(m.TotalBytes), fmtU(m.UsedBytes), fmtU(m.FreeBytes), fmtU(m.AvailableBytes), fmtU(m.CachedBytes), fmtU(m.BuffersBytes), fmtF(m.UsedPct),
		fmtU(m.SwapTotalBytes), fmtU(m.SwapUsedBytes), fmtF(l.Load1), fmtF(l.Load5), fmtF(l.Load15),
		fmtF(round2(rd)), fmtF(round2(wr)), fmtF(round2(rio)), fmtF(round2(wio)), fmtF(round2(rx)), fmtF(round2(tx)),
		fmtF(fsMax), fmtI(int64(s.ProcessCount)), errs)
	d.row = appendPSI(d.row, s.Pressure)
	temp, bat := "", ""
	if len(s.Sensors) > 0 {
		hot := s.Sensors[0].TempC
		for _, x := range s.Sensors {
			hot = math.Max(hot, x.TempC)
		}
		temp = fmtF(hot)
	}
	if len(s.Batteries) > 0 {
		bat = fmtF(s.Batteries[0].Percent)
	}
	d.row = append(d.row, temp, bat)
	return d.row
}

// appendPSI appends the avg10 columns of the CSVs: cpu some, memory some
// and full, io some and full; empty without pressure (not recorded, or a
// kernel without PSI).
func appendPSI(row []string, p *collector.Pressure) []string {
	if p == nil {
		return append(row, "", "", "", "", "")
	}
	return append(row, fmtF(p.CPU.SomeAvg10), fmtF(p.Memory.SomeAvg10), fmtF(p.Memory.FullAvg10), fmtF(p.IO.SomeAvg10), fmtF(p.IO.FullAvg10))
}

func (d *dumper) cgroupRow(t, listTime time.Time, g *collector.Cgroup) []string {
	d.row = append(d.row[:0], fmtRFC(t), fmtRFC(listTime), g.Path, g.Name, g.Kind, fmtI(int64(g.Version)), fmtI(int64(g.Procs)),
		fmtF(g.CPUPct), fmtU(g.MemBytes), fmtU(g.MemLimit), fmtF(g.IOReadBps), fmtF(g.IOWriteBps))
	d.row = appendPSI(d.row, g.Pressure)
	return d.row
}

func (d *dumper) processRow(t, tableTime time.Time, p *collector.Process) []string {
	d.row = append(d.row[:0], fmtRFC(t), fmtRFC(tableTime), fmtI(int64(p.PID)), fmtI(int64(p.PPID)), p.Name, p.User, fmtU(uint64(p.UID)),
		p.State, fmtI(int64(p.Nice)), fmtI(int64(p.Threads)), fmtF(p.CPUPct), fmtF(p.CPUTimeS), fmtU(p.RSSBytes), fmtU(p.VMSBytes),
		fmtF(p.MemPct), fmtRFC(p.StartTime), p.Cmdline)
	if p.IOKnown {
		d.row = append(d.row, fmtF(p.IOReadBps), fmtF(p.IOWriteBps))
	} else {
		d.row = append(d.row, "", "")
	}
	d.row = append(d.row, p.Cgroup, p.Container)
	return d.row
}

// checkRow is a check result's CSV row: its metrics as one JSON object
// of name ("dimension.name" for a dimension's) to value.
func (d *dumper) checkRow(j *checkResultOut) []string {
	d.buf.Reset()
	d.buf.WriteByte('{')
	for i, m := range j.Metrics {
		if i > 0 {
			d.buf.WriteByte(',')
		}
		name := m.Name
		if m.Dimension != "" {
			name = m.Dimension + "." + m.Name
		}
		k, _ := json.Marshal(name)
		v, _ := json.Marshal(m.Value)
		d.buf.Write(k)
		d.buf.WriteByte(':')
		d.buf.Write(v)
	}
	d.buf.WriteByte('}')
	d.row = append(d.row[:0], fmtRFC(j.Time), fmtRFC(j.Moment), j.CheckID, j.Type, j.Label,
		strconv.FormatBool(j.Available), j.Status, d.buf.String())
	return d.row
}

// fmtRFC is a time as RFC 3339 with the fraction Go's JSON gives it; ""
// for the zero time.
func fmtRFC(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

// round2 rounds a sum of recorded figures to their precision (0.01), so
// that float addition prints no 8.600000000000001.
func round2(v float64) float64 { return math.Round(v*100) / 100 }

func fmtF(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
func fmtU(v uint64) string  { return strconv.FormatUint(v, 10) }
func fmtI(v int64) string   { return strconv.FormatInt(v, 10) }
