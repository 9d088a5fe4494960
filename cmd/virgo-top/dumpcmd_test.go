package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/record"
	"github.com/virgo-top/virgo-top/record/recordtest"
)

// recStart is when synthetic recordings start.
var recStart = time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC)

// synthRecording writes span of a synthetic host into a temp dir: samples
// every 5 s with procs processes, checks every 30 s, a CPU burner from 10
// to 15 minutes in (alarm transitions) and a link drop at the 4th sample.
func synthRecording(t testing.TB, span time.Duration, procs int) string {
	t.Helper()
	dir := t.TempDir()
	w, err := record.OpenWriter(record.Options{Dir: dir, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	h := recordtest.New(recordtest.Config{Start: recStart, Processes: procs, Seed: 3,
		BurnAt: 10 * time.Minute, BurnFor: 5 * time.Minute})
	for n := 1; !h.Now().After(recStart.Add(span)); n++ {
		st := h.Next()
		w.Sample(st.Snapshot)
		for _, c := range st.Checks {
			w.Check(c)
		}
		for _, a := range st.Alarms {
			w.Alarm(a)
		}
		for _, l := range st.Links {
			w.Link(l)
		}
		if n == 4 {
			w.Link(record.LinkEvent{Time: st.Snapshot.Time, Endpoint: "ep.example:443", State: "disconnected", Error: "reset, by peer"})
		}
		if n%30 == 0 {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// recordingSpan is the time of the first and the last sample of dir.
func recordingSpan(t *testing.T, dir string) (first, last time.Time) {
	t.Helper()
	r, err := record.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if first, last, err = r.Span(); err != nil {
		t.Fatal(err)
	}
	return first, last
}

// recCounts is what a recording holds in a window, read with Range: what
// dump must print.
type recCounts struct {
	times                          []time.Time
	procRows, checks, alarms, link int
	tables                         int
	cgRows, cgTables, pressure     int
}

func countRecording(t *testing.T, dir string, from, to time.Time) recCounts {
	t.Helper()
	r, err := record.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var c recCounts
	var lastTable, lastCg time.Time
	err = r.Range(from, to, func(f *record.Frame) error {
		c.times = append(c.times, f.Time())
		c.procRows += len(f.Snapshot.Processes)
		c.cgRows += len(f.Snapshot.Cgroups)
		if !f.CgroupTime.IsZero() && !f.CgroupTime.Equal(lastCg) {
			c.cgTables++
			lastCg = f.CgroupTime
		}
		if f.Snapshot.Pressure != nil {
			c.pressure++
		}
		c.checks += len(f.NewChecks)
		c.alarms += len(f.Transitions)
		c.link += len(f.LinkEvents)
		if !f.ProcessTime.IsZero() && !f.ProcessTime.Equal(lastTable) {
			c.tables++
			lastTable = f.ProcessTime
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (c recCounts) rows(what string) int {
	switch what {
	case "host":
		return len(c.times)
	case "processes":
		return c.procRows
	case "cgroups":
		return c.cgRows
	case "checks":
		return c.checks
	case "alarms":
		return c.alarms
	}
	return c.link
}

// TestDumpWhatFormat: every --what in every --format prints what the
// recording holds: ndjson one object a line, json the same objects in one
// array, csv the header and one row per object (per process for
// processes).
func TestDumpWhatFormat(t *testing.T) {
	dir := synthRecording(t, 20*time.Minute, 50)
	all := countRecording(t, dir, recStart, recStart.Add(time.Hour))
	if len(all.times) != 241 || all.checks == 0 || all.alarms == 0 || all.link == 0 {
		t.Fatalf("synthetic recording: %d samples, %d checks, %d transitions, %d link events", len(all.times), all.checks, all.alarms, all.link)
	}
	firstKey := map[string]string{"host": "time", "processes": "time", "cgroups": "time", "checks": "time", "alarms": "time", "links": "time"}
	for _, what := range dumpWhats {
		var ndjson []map[string]any
		for _, format := range []string{"ndjson", "json", "csv"} {
			t.Run(what+"/"+format, func(t *testing.T) {
				code, out, errOut := runCLI(t, "dump", "--record", dir, "--what", what, "--format", format)
				if code != 0 || errOut != "" {
					t.Fatalf("exit %d: %s", code, errOut)
				}
				objs := 0
				switch format {
				case "ndjson":
					for line := range strings.Lines(out) {
						var m map[string]any
						if err := json.Unmarshal([]byte(line), &m); err != nil {
							t.Fatalf("line %d: %v: %.200s", objs+1, err, line)
						}
						if _, ok := m[firstKey[what]]; !ok {
							t.Fatalf("line %d has no %q: %.200s", objs+1, firstKey[what], line)
						}
						ndjson = append(ndjson, m)
						objs++
					}
					if what == "processes" || what == "host" || what == "cgroups" {
						if objs != len(all.times) {
							t.Errorf("%d objects, want one per sample: %d", objs, len(all.times))
						}
					} else if objs != all.rows(what) {
						t.Errorf("%d objects, want %d", objs, all.rows(what))
					}
				case "json":
					var arr []map[string]any
					if err := json.Unmarshal([]byte(out), &arr); err != nil {
						t.Fatalf("not one JSON array: %v", err)
					}
					if !reflect.DeepEqual(arr, ndjson) {
						t.Errorf("json: %d objects, not those of ndjson (%d)", len(arr), len(ndjson))
					}
				case "csv":
					rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
					if err != nil {
						t.Fatal(err)
					}
					if len(rows) == 0 || !slices.Equal(rows[0], csvHeaders[what]) {
						t.Fatalf("header %v, want %v", rows[0], csvHeaders[what])
					}
					if got := len(rows) - 1; got != all.rows(what) {
						t.Errorf("%d rows, want %d", got, all.rows(what))
					}
					if what == "host" {
						// Figures have the recording's precision, 0.01,
						// sums included (no 8.600000000000001).
						for _, row := range rows[1:] {
							for i, v := range row {
								if _, frac, ok := strings.Cut(v, "."); ok && len(frac) > 2 && rows[0][i] != "elapsed_s" && rows[0][i] != "time" {
									t.Fatalf("%s = %s", rows[0][i], v)
								}
							}
						}
					}
				}
			})
		}
	}
}

// TestDumpCSVRow: the header and one row of each CSV, field by field.
func TestDumpCSVRow(t *testing.T) {
	dir := synthRecording(t, 2*time.Minute, 50)
	r, err := record.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	at := recStart.Add(time.Minute)
	f, err := r.At(at)
	if err != nil {
		t.Fatal(err)
	}
	s := f.Snapshot
	p := s.Processes[0]
	g := s.Cgroups[0]
	ts := func(t time.Time) string { return t.Format(time.RFC3339Nano) }
	hot := 0.0
	for _, x := range s.Sensors {
		hot = max(hot, x.TempC)
	}
	if s.Pressure == nil || g.Pressure == nil || hot == 0 || !p.IOKnown {
		t.Fatalf("the synthetic recording lacks pressure, sensors or I/O: %+v", s)
	}
	tests := []struct {
		what string
		want map[string]string // column -> value in the first row
	}{
		{"host", map[string]string{"time": ts(s.Time), "cpu_usage_pct": fmtF(s.CPU.UsagePct), "mem_used_bytes": fmtU(s.Memory.UsedBytes),
			"load1": fmtF(s.Load.Load1), "process_count": fmtI(int64(s.ProcessCount)), "uptime_s": fmtU(s.Host.UptimeS),
			"psi_cpu_some_avg10": fmtF(s.Pressure.CPU.SomeAvg10), "psi_memory_full_avg10": fmtF(s.Pressure.Memory.FullAvg10),
			"psi_io_some_avg10": fmtF(s.Pressure.IO.SomeAvg10), "temp_max_c": fmtF(hot), "battery_pct": ""}},
		{"processes", map[string]string{"time": ts(s.Time), "process_time": ts(f.ProcessTime), "pid": fmtI(int64(p.PID)),
			"ppid": fmtI(int64(p.PPID)), "user": p.User, "state": p.State, "cpu_pct": fmtF(p.CPUPct), "rss_bytes": fmtU(p.RSSBytes),
			"threads": fmtI(int64(p.Threads)), "cmdline": p.Cmdline, "name": p.Name,
			"io_read_bps": fmtF(p.IOReadBps), "io_write_bps": fmtF(p.IOWriteBps), "cgroup": p.Cgroup, "container": p.Container}},
		{"cgroups", map[string]string{"time": ts(s.Time), "cgroup_time": ts(f.CgroupTime), "path": g.Path, "name": g.Name, "kind": g.Kind,
			"version": fmtI(int64(g.Version)), "procs": fmtI(int64(g.Procs)), "cpu_pct": fmtF(g.CPUPct), "mem_bytes": fmtU(g.MemBytes),
			"mem_limit": fmtU(g.MemLimit), "io_read_bps": fmtF(g.IOReadBps), "psi_cpu_some_avg10": fmtF(g.Pressure.CPU.SomeAvg10)}},
	}
	for _, tt := range tests {
		t.Run(tt.what, func(t *testing.T) {
			code, out, errOut := runCLI(t, "dump", "--record", dir, "--what", tt.what, "--format", "csv", "--from", at.Format(time.RFC3339), "--to", at.Format(time.RFC3339))
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			if err != nil || len(rows) < 2 {
				t.Fatalf("%v: %q", err, out)
			}
			for col, want := range tt.want {
				i := slices.Index(rows[0], col)
				if i < 0 {
					t.Fatalf("no column %q in %v", col, rows[0])
				}
				if rows[1][i] != want {
					t.Errorf("%s = %q, want %q", col, rows[1][i], want)
				}
			}
		})
	}
	// checks and alarms: a row of each, against the recording's.
	var c record.CheckResult
	var a record.AlarmTransition
	var cm, am time.Time
	r.Range(recStart, recStart.Add(time.Hour), func(f *record.Frame) error {
		if len(f.NewChecks) > 0 && cm.IsZero() {
			c, cm = f.NewChecks[0], f.Time()
		}
		return nil
	})
	dir2 := synthRecording(t, 20*time.Minute, 50)
	r2, _ := record.Open(dir2)
	r2.Range(recStart, recStart.Add(time.Hour), func(f *record.Frame) error {
		if len(f.Transitions) > 0 && am.IsZero() {
			a, am = f.Transitions[0], f.Time()
		}
		return nil
	})
	_, out, _ := runCLI(t, "dump", "--record", dir, "--what", "checks", "--format", "csv")
	rows, _ := csv.NewReader(strings.NewReader(out)).ReadAll()
	m := c.Metrics[0]
	metrics, _ := json.Marshal(map[string]string{strings.TrimPrefix(m.Dimension+"."+m.Name, "."): m.Value})
	if len(rows) < 2 || rows[1][0] != ts(c.Time) || rows[1][1] != ts(cm) || rows[1][2] != c.CheckID || rows[1][3] != c.Type ||
		rows[1][5] != fmt.Sprint(c.Available) || !strings.HasPrefix(rows[1][7], strings.TrimSuffix(string(metrics), "}")) {
		t.Errorf("checks row %q, want %+v at %s", rows[1], c, cm)
	}
	_, out, _ = runCLI(t, "dump", "--record", dir2, "--what", "alarms", "--format", "csv")
	rows, _ = csv.NewReader(strings.NewReader(out)).ReadAll()
	want := []string{ts(a.Time), ts(am), a.CheckID, a.Alarm, a.From, a.To, a.Message}
	if len(rows) < 2 || !slices.Equal(rows[1], want) {
		t.Errorf("alarms row %q, want %q", rows[1], want)
	}
}

// TestDumpFieldNamesAreSnapshotJSON: --what host prints the keys of
// `snapshot --json`, and --what processes the keys of its processes, at
// every level (keys a struct tag marks omitempty may be absent in either).
func TestDumpFieldNamesAreSnapshotJSON(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("snapshot reads /proc")
	}
	code, live, errOut := runCLI(t, "snapshot", "--json", "--interval", "100ms")
	if code != 0 {
		t.Fatalf("snapshot: %d %s", code, errOut)
	}
	var snap map[string]any
	if err := json.Unmarshal([]byte(live), &snap); err != nil {
		t.Fatal(err)
	}
	dir := synthRecording(t, time.Minute, 50)
	var host, procs map[string]any
	for what, dst := range map[string]*map[string]any{"host": &host, "processes": &procs} {
		code, out, errOut := runCLI(t, "dump", "--record", dir, "--what", what)
		if code != 0 {
			t.Fatalf("dump: %d %s", code, errOut)
		}
		line, _, _ := strings.Cut(out, "\n")
		if err := json.Unmarshal([]byte(line), dst); err != nil {
			t.Fatal(err)
		}
	}
	optional := omitemptyKeys(reflect.TypeFor[collector.Snapshot](), map[string]bool{})
	compareKeys(t, "host", host, snap, optional)
	if tm, ok := host["time"].(string); !ok {
		t.Errorf("time %v, want RFC 3339 text", host["time"])
	} else if _, err := time.Parse(time.RFC3339, tm); err != nil {
		t.Errorf("time %q: %v", tm, err)
	}
	if host["processes"] != nil {
		t.Errorf("host: processes = %.100v, want null", host["processes"])
	}
	dp, lp := procs["processes"].([]any), snap["processes"].([]any)
	if len(dp) == 0 || len(lp) == 0 {
		t.Fatalf("processes: %d recorded, %d live", len(dp), len(lp))
	}
	compareKeys(t, "processes[0]", dp[0].(map[string]any), lp[0].(map[string]any), optional)
	if _, err := time.Parse(time.RFC3339, procs["time"].(string)); err != nil {
		t.Errorf("processes time: %v", err)
	}
}

// omitemptyKeys collects the JSON names tagged omitempty in t's structs.
func omitemptyKeys(t reflect.Type, out map[string]bool) map[string]bool {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t.PkgPath() == "time" {
		return out
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if strings.Contains(opts, "omitempty") {
			out[name] = true
		}
		omitemptyKeys(f.Type, out)
	}
	return out
}

// compareKeys compares the keys of two decoded objects, and of the
// objects (and first elements of lists) under them.
func compareKeys(t *testing.T, path string, got, want map[string]any, optional map[string]bool) {
	t.Helper()
	for k, wv := range want {
		gv, ok := got[k]
		if !ok {
			if !optional[k] {
				t.Errorf("%s.%s: in snapshot --json, not in dump", path, k)
			}
			continue
		}
		switch w := wv.(type) {
		case map[string]any:
			if g, ok := gv.(map[string]any); ok && k != "errors" && k != "durations_ns" {
				compareKeys(t, path+"."+k, g, w, optional)
			}
		case []any:
			if g, ok := gv.([]any); ok && len(g) > 0 && len(w) > 0 {
				gm, gok := g[0].(map[string]any)
				wm, wok := w[0].(map[string]any)
				if gok && wok {
					compareKeys(t, path+"."+k+"[0]", gm, wm, optional)
				}
			}
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok && !optional[k] {
			t.Errorf("%s.%s: in dump, not in snapshot --json", path, k)
		}
	}
}

// TestDumpSince10mProcesses is the "done when", literally: on a
// recording of more than 10 minutes, `dump --since 10m --what processes
// --format ndjson` prints one line per sample of the last 10 minutes.
func TestDumpSince10mProcesses(t *testing.T) {
	dir := synthRecording(t, 25*time.Minute, 50)
	_, last := recordingSpan(t, dir)
	code, out, errOut := runCLI(t, "dump", "--record", dir, "--since", "10m", "--what", "processes", "--format", "ndjson")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 121 { // 10 minutes of 5 s samples, both ends included
		t.Fatalf("%d lines, want 121 (one per sample)", len(lines))
	}
	var prev time.Time
	for i, line := range lines {
		var s struct {
			Time         time.Time           `json:"time"`
			ProcessTime  time.Time           `json:"process_time"`
			ProcessCount int                 `json:"process_count"`
			Processes    []collector.Process `json:"processes"`
		}
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		want := last.Add(-10*time.Minute + time.Duration(i)*5*time.Second)
		if !s.Time.Equal(want) || !s.Time.After(prev) {
			t.Errorf("line %d: time %s, want %s", i+1, s.Time, want)
		}
		if len(s.Processes) < 45 || s.ProcessTime.After(s.Time) || s.Processes[0].PID == 0 {
			t.Errorf("line %d: %d processes recorded at %s", i+1, len(s.Processes), s.ProcessTime)
		}
		prev = s.Time
	}
}

// TestDumpWindow: how --from, --to and --since make the window, and their
// errors (usage errors exit 2; a window outside the recording exits 1).
func TestDumpWindow(t *testing.T) {
	loc := time.FixedZone("X", 2*3600)
	first := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC) // 03:00 in loc
	last := first.Add(2 * time.Hour)
	now := last.Add(30 * time.Minute)
	tests := []struct {
		name             string
		df               dumpFlags
		from, to         time.Time
		usage, outOfSpan bool
	}{
		{name: "all", from: first, to: last},
		{name: "since: before the last sample, not now", df: dumpFlags{since: "10m"}, from: last.Add(-10 * time.Minute), to: last},
		{name: "since in days", df: dumpFlags{since: "1d"}, from: last.Add(-24 * time.Hour), to: last},
		{name: "since 1h30m ago", df: dumpFlags{since: "1h30m ago"}, from: last.Add(-90 * time.Minute), to: last},
		{name: "since before to", df: dumpFlags{since: "15m", to: "2026-03-02T02:00:00Z"}, from: first.Add(45 * time.Minute), to: first.Add(time.Hour)},
		{name: "from to RFC 3339", df: dumpFlags{from: "2026-03-02T01:10:00Z", to: "2026-03-02T01:20:00Z"}, from: first.Add(10 * time.Minute), to: first.Add(20 * time.Minute)},
		{name: "local time in loc", df: dumpFlags{from: "2026-03-02 03:30"}, from: first.Add(30 * time.Minute), to: last},
		{name: "HH:MM latest past", df: dumpFlags{from: "04:00", to: "04:15"}, from: first.Add(time.Hour), to: first.Add(75 * time.Minute)},
		{name: "ago is from now", df: dumpFlags{from: "1h ago"}, from: now.Add(-time.Hour), to: last},
		{name: "window larger than the span", df: dumpFlags{from: "2026-03-01", to: "2026-03-03"}, from: time.Date(2026, 3, 1, 0, 0, 0, 0, loc), to: time.Date(2026, 3, 3, 0, 0, 0, 0, loc)},
		{name: "from after to", df: dumpFlags{from: "2026-03-02T02:00:00Z", to: "2026-03-02T01:00:00Z"}, usage: true},
		{name: "bad from", df: dumpFlags{from: "yesterday-ish"}, usage: true},
		{name: "bad to", df: dumpFlags{to: "25:99"}, usage: true},
		{name: "before the recording", df: dumpFlags{to: "2026-03-01T00:00:00Z"}, outOfSpan: true},
		{name: "after the recording", df: dumpFlags{from: "2026-03-02T04:00:00Z"}, outOfSpan: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to, err := tt.df.window(first, last, now, loc)
			switch {
			case tt.usage || tt.outOfSpan:
				if err == nil || errors.Is(err, errUsage) != tt.usage {
					t.Fatalf("err %v, want usage %v", err, tt.usage)
				}
				if tt.outOfSpan && !strings.Contains(err.Error(), "the recording spans") {
					t.Errorf("err %v does not give the span", err)
				}
			case err != nil:
				t.Fatal(err)
			case !from.Equal(tt.from) || !to.Equal(tt.to):
				t.Errorf("window %s to %s, want %s to %s", from, to, tt.from, tt.to)
			}
		})
	}
	for _, df := range []dumpFlags{
		{since: "10m", from: "03:00", what: "host", format: "ndjson"},
		{since: "-5m", what: "host", format: "ndjson"},
		{since: "0s", what: "host", format: "ndjson"},
		{since: "soon", what: "host", format: "ndjson"},
		{what: "everything", format: "ndjson"},
		{what: "host", format: "xml"},
	} {
		if err := df.check(); !errors.Is(err, errUsage) {
			t.Errorf("%+v: %v, want a usage error", df, err)
		}
	}
}

// TestDumpWindowOutput: the printed samples are those of the window, both
// ends included.
func TestDumpWindowOutput(t *testing.T) {
	dir := synthRecording(t, 15*time.Minute, 50)
	first, last := recordingSpan(t, dir)
	tests := []struct {
		args     []string
		from, to time.Time
	}{
		{[]string{"--from", "2026-03-02T03:05:00Z", "--to", "2026-03-02T03:06:00Z"}, recStart.Add(5 * time.Minute), recStart.Add(6 * time.Minute)},
		{[]string{"--since", "30s"}, last.Add(-30 * time.Second), last},
		{[]string{"--since", "1m", "--to", "2026-03-02T03:02:00Z"}, recStart.Add(time.Minute), recStart.Add(2 * time.Minute)},
		{[]string{"--to", "2026-03-02T03:00:30Z"}, first, recStart.Add(30 * time.Second)},
		{[]string{"--from", "2026-03-02T03:14:00Z"}, recStart.Add(14 * time.Minute), last},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"dump", "--record", dir, "--format", "csv"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			want := countRecording(t, dir, tt.from, tt.to).times
			var got []time.Time
			for _, row := range rows[1:] {
				ts, err := time.Parse(time.RFC3339Nano, row[0])
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, ts)
			}
			if len(got) == 0 || !slices.EqualFunc(got, want, time.Time.Equal) || !got[0].Equal(tt.from) || !got[len(got)-1].Equal(tt.to) {
				t.Errorf("times %v, want %v (%s to %s)", got, want, tt.from, tt.to)
			}
		})
	}
}

// epipeWriter takes n bytes, then fails as a closed pipe does.
type epipeWriter struct{ n int }

func (w *epipeWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, &os.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.EPIPE}
	}
	w.n -= len(p)
	return len(p), nil
}

// failWriter fails every write with err.
type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

// TestDumpOutputErrors: a closed pipe ends the dump quietly with exit 0
// (whatever the format, however early); another write error is one line
// and exit 1.
func TestDumpOutputErrors(t *testing.T) {
	dir := synthRecording(t, 10*time.Minute, 50)
	for _, format := range dumpFormats {
		for _, n := range []int{0, 100, 70 << 10} {
			var stderr bytes.Buffer
			code := run([]string{"dump", "--record", dir, "--what", "processes", "--format", format}, &epipeWriter{n: n}, &stderr)
			if code != 0 || stderr.Len() != 0 {
				t.Errorf("%s, pipe closed after %d bytes: exit %d, stderr %q", format, n, code, stderr.String())
			}
		}
	}
	var stderr bytes.Buffer
	code := run([]string{"dump", "--record", dir}, failWriter{syscall.ENOSPC}, &stderr)
	if code != 1 || stderr.String() != "virgo-top: dump: writing the output: no space left on device\n" {
		t.Errorf("full disk: exit %d, stderr %q", code, stderr.String())
	}
}

// TestDumpClosedPipeProcess: `virgo-top dump | head -3` as a process:
// standard output is a pipe whose reader goes away; the dump ends with
// exit 0 and prints nothing on stderr (not killed by SIGPIPE).
func TestDumpClosedPipeProcess(t *testing.T) {
	if dir := os.Getenv("VIRGO_TOP_TEST_DUMP_CHILD"); dir != "" {
		os.Exit(run([]string{"dump", "--record", dir, "--what", "processes"}, os.Stdout, os.Stderr))
	}
	if runtime.GOOS == "windows" {
		t.Skip("no SIGPIPE")
	}
	dir := synthRecording(t, 10*time.Minute, 100) // about 4 MB of output
	cmd := exec.Command(os.Args[0], "-test.run=^TestDumpClosedPipeProcess$")
	cmd.Env = append(os.Environ(), "VIRGO_TOP_TEST_DUMP_CHILD="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(out)
	for range 3 {
		if _, err := br.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	out.Close()
	err = cmd.Wait()
	if err != nil || stderr.Len() != 0 {
		t.Errorf("after the reader went away: %v (%s), stderr %q", err, cmd.ProcessState, stderr.String())
	}
}

// heapWriter discards what it is given and records the live heap (after
// a GC) every MiB.
type heapWriter struct {
	n, next int
	peak    uint64
}

func (w *heapWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	if w.n >= w.next {
		w.next = w.n + 1<<20
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		w.peak = max(w.peak, ms.HeapAlloc)
	}
	return len(p), nil
}

// TestDumpMemoryDoesNotGrowWithSpan: dumping 4 hours of process tables
// takes no more live heap than dumping 20 minutes: dump streams.
func TestDumpMemoryDoesNotGrowWithSpan(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesises 4 hours")
	}
	dir := synthRecording(t, 4*time.Hour, 60)
	r, err := record.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	peak := func(span time.Duration) (uint64, int) {
		w := &heapWriter{}
		n, err := dumpRecording(r, recStart, recStart.Add(span), "processes", "ndjson", w)
		if err != nil {
			t.Fatal(err)
		}
		return w.peak, n
	}
	peak(20 * time.Minute) // warm up: what is allocated once
	short, ns := peak(20 * time.Minute)
	long, nl := peak(4 * time.Hour)
	t.Logf("live heap: %d frames %.1f MiB, %d frames %.1f MiB", ns, float64(short)/(1<<20), nl, float64(long)/(1<<20))
	if nl < 10*ns {
		t.Fatalf("%d and %d frames", ns, nl)
	}
	// 12 times the frames (about 200 MB of JSON); were they kept, the
	// heap would grow by far more than 4 MiB.
	if long > short+4<<20 {
		t.Errorf("live heap %.1f MiB for 4 h, %.1f MiB for 20 min: it grows with the span", float64(long)/(1<<20), float64(short)/(1<<20))
	}
}

// TestDumpVersion1Recording: a recording of format version 1 (before
// pressure, cgroups, sensors and I/O were recorded) dumps as before, the
// new fields empty: no cgroups, empty PSI, temperature and I/O columns.
func TestDumpVersion1Recording(t *testing.T) {
	dir := filepath.Join("..", "..", "record", "testdata", "v1")
	code, out, errOut := runCLI(t, "dump", "--record", dir, "--what", "cgroups", "--since", "1m")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := 0
	for line := range strings.Lines(out) {
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatal(err)
		}
		if g, ok := obj["cgroups"].([]any); !ok || len(g) != 0 || obj["cgroup_time"] != nil {
			t.Errorf("version 1 cgroups: %s", line)
		}
		lines++
	}
	if lines != 13 {
		t.Errorf("%d samples in the last minute, want 13", lines)
	}
	for what, cols := range map[string][]string{
		"host":      {"psi_cpu_some_avg10", "psi_io_full_avg10", "temp_max_c", "battery_pct"},
		"processes": {"io_read_bps", "io_write_bps", "cgroup", "container"},
	} {
		code, out, errOut := runCLI(t, "dump", "--record", dir, "--what", what, "--format", "csv", "--since", "10s")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", what, code, errOut)
		}
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || len(rows) < 2 {
			t.Fatalf("%s: %v, %d rows", what, err, len(rows))
		}
		for _, col := range cols {
			i := slices.Index(rows[0], col)
			if i < 0 || rows[1][i] != "" {
				t.Errorf("%s: column %s (%d) = %q, want empty", what, col, i, rows[1][max(i, 0)])
			}
		}
	}
}
