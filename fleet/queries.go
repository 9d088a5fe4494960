package fleet

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/virgo-top/virgo-top/internal/schema"
)

// Column names: the host table's columns, its JSON field names and (upper
// cased) the console's headers.
const (
	ColHost   = "host"
	ColStatus = "status" // UP or DOWN
	ColCPU    = "cpu"    // percent of all cores busy
	ColMem    = "mem"    // percent of memory in use
	ColLoad   = "load"   // 1-minute load average per core
	ColDisk   = "disk"   // fullest filesystem, percent used
	ColRX     = "rx"     // network receive, bytes/s
	ColTX     = "tx"     // network transmit, bytes/s
	ColAlarm  = "alarm"  // worst alarm state
	ColNotOK  = "not_ok" // alarms not OK
	ColLink   = "link"   // endpoint link: up, down
	ColAge    = "age"    // seconds since the host's last sample
)

// Columns lists the columns in table order.
var Columns = []string{ColHost, ColStatus, ColCPU, ColMem, ColLoad, ColDisk, ColRX, ColTX, ColAlarm, ColNotOK, ColLink, ColAge}

// Host statuses.
const (
	StatusUp   = "UP"
	StatusDown = "DOWN"
)

// Host is one row of the host table. A nil number or empty string is a
// value the engine has no series for (a blank, not an error).
type Host struct {
	Host   string   `json:"host"`
	Status string   `json:"status"`
	CPU    *float64 `json:"cpu"`
	Mem    *float64 `json:"mem"`
	Load   *float64 `json:"load"`
	Disk   *float64 `json:"disk"`
	RX     *float64 `json:"rx"`
	TX     *float64 `json:"tx"`
	Alarm  string   `json:"alarm"`
	NotOK  *int     `json:"not_ok"`
	Link   string   `json:"link"`
	Age    *float64 `json:"age"`
}

// Options shape the queries.
type Options struct {
	HostLabel  string        // default schema.LabelHost
	Lookback   time.Duration // hosts seen this far back stay (DOWN); default 24 h
	RateWindow time.Duration // rate() window; default 2 m
	Now        func() time.Time
}

func (o Options) withDefaults() Options {
	if o.HostLabel == "" {
		o.HostLabel = schema.LabelHost
	}
	if o.Lookback <= 0 {
		o.Lookback = 24 * time.Hour
	}
	if o.RateWindow <= 0 {
		o.RateWindow = 2 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

var labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// ValidLabel reports whether s can be a Prometheus label name.
func ValidLabel(s string) bool { return labelNameRE.MatchString(s) && !strings.HasPrefix(s, "__") }

// Fleet runs the fleet's queries on one engine.
type Fleet struct {
	c   *Client
	opt Options
}

// NewFleet returns the fleet view of c.
func NewFleet(c *Client, opt Options) (*Fleet, error) {
	opt = opt.withDefaults()
	if !ValidLabel(opt.HostLabel) {
		return nil, fmt.Errorf("host label %q is not a label name", opt.HostLabel)
	}
	return &Fleet{c: c, opt: opt}, nil
}

// Client is the engine's client.
func (f *Fleet) Client() *Client { return f.c }

// EngineVersion is the engine's version from /api/v1/status/buildinfo;
// engines without it (some Thanos and VictoriaMetrics versions) give an
// error, which is no reason not to query them.
func (f *Fleet) EngineVersion(ctx context.Context) (string, error) {
	bi, err := f.c.BuildInfo(ctx)
	if err != nil {
		return "", err
	}
	if bi.Version == "" {
		return "", errors.New("buildinfo names no version")
	}
	return bi.Version, nil
}

// scope selects hosts: sel goes inside the braces of host-labelled
// series, nsel inside node_uname_info's.
type scope struct{ sel, nsel string }

func (f *Fleet) allHosts(filter string) scope {
	h := f.opt.HostLabel
	if filter == "" {
		return scope{sel: h + `!=""`, nsel: `nodename!=""`}
	}
	re := strconv.Quote("(?i).*" + regexp.QuoteMeta(filter) + ".*")
	return scope{sel: h + "=~" + re, nsel: "nodename=~" + re}
}

func (f *Fleet) someHosts(hosts []string) scope {
	q := make([]string, len(hosts))
	for i, h := range hosts {
		q[i] = regexp.QuoteMeta(h)
	}
	re := strconv.Quote("^(?:" + strings.Join(q, "|") + ")$")
	return scope{sel: f.opt.HostLabel + "=~" + re, nsel: "nodename=~" + re}
}

// expand fills a query template: $H the host label, $S and $N the host
// selectors, $R the rate window, $L the lookback, $U node_uname_info
// mapped to the host label, unique per instance and job, $Z series
// without a host label (node_exporter's: the only ones the join can name).
func (f *Fleet) expand(tmpl string, s scope, rate time.Duration) string {
	un := `topk by (instance, job) (1, label_replace(max by (instance, job, nodename) (node_uname_info{$N}), "$H", "$1", "nodename", "(.+)"))`
	r := strings.NewReplacer(
		"$U", un,
	)
	tmpl = r.Replace(tmpl)
	r = strings.NewReplacer(
		"$H", f.opt.HostLabel,
		"$S", s.sel,
		"$N", s.nsel,
		"$Z", f.opt.HostLabel+`=""`,
		"$R", promDuration(rate),
		"$L", promDuration(f.opt.Lookback),
	)
	return r.Replace(tmpl)
}

func promDuration(d time.Duration) string {
	if d%time.Second != 0 || d < time.Second {
		return strconv.FormatInt(max(d.Milliseconds(), 1), 10) + "ms"
	}
	return strconv.FormatInt(int64(d/time.Second), 10) + "s"
}

// join maps node_exporter series (no host label) to hosts.
const join = ` * on (instance, job) group_left ($H) $U`

const fsSel = `fstype!~"tmpfs|ramfs|devtmpfs|overlay|squashfs|nsfs|autofs|proc|sysfs|fuse.*"`

// Column queries: each one query for the whole fleet, aggregated by host.
// CPU: virgo_* terms first, then node_* by host label, then node_* through
// node_uname_info. Memory, disk and network: node_* by host label first
// (an agent's /metrics has them for every filesystem and interface), then
// the check metrics an agent reporting through the endpoint sends (only the
// filesystems and interfaces its checks target), then node_* through
// node_uname_info: the fullest filesystem of a host must not depend on
// whether it also runs an agent.filesystem check.
var columnQuery = map[string]string{
	ColCPU: `max by ($H) (virgo_cpu_usage_percent{mode="total",$S})` +
		` or avg by ($H) (virgo_check_metric{check_type="agent.cpu",metric="usage_average",$S})` +
		` or 100 * (1 - avg by ($H) (rate(node_cpu_seconds_total{mode="idle",$S}[$R])))` +
		` or 100 * (1 - avg by ($H) (rate(node_cpu_seconds_total{mode="idle",$Z}[$R])` + join + `))`,
	ColMem: `100 * (1 - max by ($H) (node_memory_MemAvailable_bytes{$S}) / max by ($H) (node_memory_MemTotal_bytes{$S} > 0))` +
		` or 100 * max by ($H) (virgo_check_metric_bytes{check_type="agent.memory",metric="actual_used",$S}) / max by ($H) (virgo_check_metric_bytes{check_type="agent.memory",metric="total",$S} > 0)` +
		` or 100 * (1 - max by ($H) (node_memory_MemAvailable_bytes{$Z}` + join + `) / max by ($H) ((node_memory_MemTotal_bytes{$Z} > 0)` + join + `))`,
	ColLoad: `max by ($H) (node_load1{$S}) / (count by ($H) (virgo_cpu_core_usage_percent{$S}) or count by ($H) (node_cpu_seconds_total{mode="idle",$S}))` +
		` or max by ($H) (node_load1{$Z}` + join + `) / count by ($H) (node_cpu_seconds_total{mode="idle",$Z}` + join + `)`,
	ColDisk: `max by ($H) (100 * (1 - node_filesystem_avail_bytes{` + fsSel + `,$S} / (node_filesystem_size_bytes{` + fsSel + `,$S} > 0)))` +
		` or max by ($H) (100 * virgo_check_metric_bytes{check_type="agent.filesystem",metric="used",$S} / ignoring (metric) (virgo_check_metric_bytes{check_type="agent.filesystem",metric="total",$S} > 0))` +
		` or max by ($H) (100 * (1 - node_filesystem_avail_bytes{` + fsSel + `,$Z} / (node_filesystem_size_bytes{` + fsSel + `,$Z} > 0))` + join + `)`,
	ColRX: `sum by ($H) (rate(node_network_receive_bytes_total{device!="lo",$S}[$R]))` +
		` or sum by ($H) (rate(virgo_check_metric_bytes_total{check_type="agent.network",metric="rx_bytes",$S}[$R]))` +
		` or sum by ($H) (rate(node_network_receive_bytes_total{device!="lo",$Z}[$R])` + join + `)`,
	ColTX: `sum by ($H) (rate(node_network_transmit_bytes_total{device!="lo",$S}[$R]))` +
		` or sum by ($H) (rate(virgo_check_metric_bytes_total{check_type="agent.network",metric="tx_bytes",$S}[$R]))` +
		` or sum by ($H) (rate(node_network_transmit_bytes_total{device!="lo",$Z}[$R])` + join + `)`,
	// The worst alarm as a rank, (state + 0.25)^2: OK 0.0625, UNKNOWN
	// 0.5625, WARNING 1.5625, CRITICAL 5.0625 (the state encoding puts
	// UNKNOWN at -1, below OK; this orders it between OK and WARNING with
	// one selector).
	ColAlarm: `max by ($H) ((` + schema.AlarmState + `{$S} + 0.25) ^ 2)`,
	ColNotOK: `count by ($H) (` + schema.AlarmState + `{$S} != 0)`,
	ColLink:  `max by ($H) (virgo_endpoint_up{$S})`,
	// The time of the last sample of a per-host series.
	ColAge: `max by ($H) (timestamp(virgo_snapshot_timestamp_seconds{$S}))` +
		` or max by ($H) (timestamp(` + schema.AgentInfo + `{$S}))` +
		` or max by ($H) (timestamp(virgo_check_metric{check_type="agent.cpu",metric="usage_average",$S}))` +
		` or max by ($H) (timestamp(node_time_seconds{$S}))` +
		` or max by ($H) (label_replace(timestamp(node_uname_info{$Z,$N}), "$H", "$1", "nodename", "(.+)"))`,
}

// seenQuery is the last time each host was seen within the lookback: the
// value of a series whose value is a time, so no subquery is needed.
const seenQuery = `max by ($H) (last_over_time(virgo_snapshot_timestamp_seconds{$S}[$L]))` +
	` or max by ($H) (last_over_time(virgo_check_last_run_timestamp_seconds{$S}[$L]))` +
	` or max by ($H) (last_over_time(node_time_seconds{$S}[$L]))` +
	` or max by ($H) (label_replace(last_over_time(node_time_seconds{$Z}[$L]) * on (instance, job) group_left (nodename) topk by (instance, job) (1, max by (instance, job, nodename) (last_over_time(node_uname_info{$N}[$L]))), "$H", "$1", "nodename", "(.+)"))`

// Rank values of the alarm column and the default sort: (state+0.25)^2,
// DOWN between WARNING and CRITICAL.
const (
	rankNone     = 0
	rankOK       = 0.0625
	rankUnknown  = 0.5625
	rankWarning  = 1.5625
	rankDown     = 3
	rankCritical = 5.0625
)

func rankState(r float64) string {
	switch {
	case r >= rankCritical:
		return "CRITICAL"
	case r >= rankWarning:
		return "WARNING"
	case r >= rankUnknown:
		return "UNKNOWN"
	case r >= rankOK:
		return "OK"
	}
	return ""
}

// StateRank orders alarm states worst first: CRITICAL, WARNING, UNKNOWN,
// OK, none.
func StateRank(state string) float64 {
	switch state {
	case "CRITICAL":
		return rankCritical
	case "WARNING":
		return rankWarning
	case "UNKNOWN":
		return rankUnknown
	case "OK":
		return rankOK
	}
	return rankNone
}

// Request says which part of the table to fetch.
type Request struct {
	Sort   string // a column; default ColAlarm (worst first)
	Desc   bool   // with the default sort, true
	Filter string // hosts whose name holds this (no case)
	Offset int
	Limit  int // 0: every host, all in full
	At     time.Time
}

// DefaultRequest is worst alarm first, every host.
func DefaultRequest() Request { return Request{Sort: ColAlarm, Desc: true} }

// Table is the host table.
type Table struct {
	Hosts    []Host        // the page, in order
	Total    int           // hosts matching the filter
	At       time.Time     // evaluation time
	Took     time.Duration // by Options.Now
	Warnings []string
}

// warn adds the engine's warnings, each once (every column's query
// carries the same ones).
func (t *Table) warn(ws []string) {
	for _, w := range ws {
		if !slices.Contains(t.Warnings, w) {
			t.Warnings = append(t.Warnings, w)
		}
	}
}

// query runs one instant query and indexes its samples by host.
func (f *Fleet) query(ctx context.Context, q string, at time.Time) (map[string]float64, []string, error) {
	r, err := f.c.Query(ctx, q, at)
	if err != nil {
		return nil, nil, err
	}
	out := make(map[string]float64, len(r.Vector))
	for _, s := range r.Vector {
		h := s.Labels[f.opt.HostLabel]
		if h == "" || math.IsNaN(s.Value) {
			continue
		}
		if old, ok := out[h]; !ok || s.Value > old {
			out[h] = s.Value
		}
	}
	return out, r.Warnings, nil
}

// multi runs queries concurrently; every goroutine is waited for. The
// first error (by name order) wins.
func (f *Fleet) multi(ctx context.Context, qs map[string]string, at time.Time) (map[string]map[string]float64, []string, error) {
	type res struct {
		v    map[string]float64
		warn []string
		err  error
	}
	out := make(map[string]res, len(qs))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, q := range qs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, w, err := f.query(ctx, q, at)
			mu.Lock()
			out[name] = res{v, w, err}
			mu.Unlock()
		}()
	}
	wg.Wait()
	names := make([]string, 0, len(out))
	for n := range out {
		names = append(names, n)
	}
	sort.Strings(names)
	vals := make(map[string]map[string]float64, len(out))
	var warns []string
	for _, n := range names {
		if out[n].err != nil {
			return nil, nil, fmt.Errorf("%s: %w", n, out[n].err)
		}
		vals[n] = out[n].v
		warns = append(warns, out[n].warn...)
	}
	return vals, warns, nil
}

// sortExpr is the PromQL for ordering hosts by col; hosts without a value
// get -Inf (desc) or +Inf (asc) so they come last, DOWN hosts rank just
// below CRITICAL on the alarm column. It ends in "- Inf" or "+ Inf" for
// the other columns (fleettest reads the direction from it).
func (f *Fleet) sortExpr(col string, desc bool, s scope) string {
	missing := "+Inf"
	if desc {
		missing = "-Inf"
	}
	live := "(" + f.expand(columnQuery[ColAge], s, f.opt.RateWindow) + ")"
	seen := "(" + f.expand(seenQuery, s, f.opt.RateWindow) + ")"
	switch col {
	case ColAlarm:
		return "(" + f.expand(columnQuery[ColAlarm], s, f.opt.RateWindow) + ") or " + live + " * 0 - 1 or " + seen + " * 0 + " + strconv.FormatFloat(rankDown, 'f', -1, 64)
	case ColStatus:
		// UP 1, DOWN 0.
		return live + " * 0 + 1 or " + seen + " * 0"
	case ColAge:
		return "time() - " + live + " or time() - " + seen
	}
	// Every host, live or seen, has a key: agents through an endpoint
	// (no series whose value is a time) are live but never seen.
	return "(" + f.expand(columnQuery[col], s, f.opt.RateWindow) + ") or (" + live + " or " + seen + ") * 0 " + missing[:1] + " Inf"
}

// ErrBadColumn is returned for a sort column that does not exist.
var ErrBadColumn = errors.New("no such column")

// Table fetches the host table: every host seen within the lookback, with
// every column, sorted and paged.
func (f *Fleet) Table(ctx context.Context, req Request) (*Table, error) {
	start := f.opt.Now()
	if req.Sort == "" {
		req.Sort, req.Desc = ColAlarm, true
	}
	if !validColumn(req.Sort) {
		return nil, fmt.Errorf("sort %q: %w", req.Sort, ErrBadColumn)
	}
	at := req.At
	if at.IsZero() {
		at = f.opt.Now()
	}
	all := f.allHosts(req.Filter)
	t := &Table{At: at}
	var page []string
	if req.Limit > 0 && req.Sort != ColHost {
		// Phase 1: the count and the page's hosts, sorted in the engine:
		// the order is the key, then the name. topk keeps, among hosts
		// whose keys tie at the edge of the first offset+limit (a fleet
		// of OK hosts), whichever it meets first, and engines differ in
		// that (VictoriaMetrics' choice changes with k): a page cut from
		// it shows some hosts twice and others never. So the hosts tied
		// at the edge are asked for in full ("key == edge": one value a
		// host, as sorting by name asks) and ordered by name here.
		fn := "bottomk"
		if req.Desc {
			fn = "topk"
		}
		key := f.sortExpr(req.Sort, req.Desc, all)
		k := req.Offset + req.Limit
		// count() has no host label: read it raw, beside the page.
		var cr *Result
		var cerr error
		done := make(chan struct{})
		go func() {
			defer close(done)
			cr, cerr = f.c.Query(ctx, f.expand("count(("+columnQuery[ColAge]+") or ("+seenQuery+"))", all, f.opt.RateWindow), at)
		}()
		vals, warns, err := f.multi(ctx, map[string]string{"page": fmt.Sprintf("%s(%d, %s)", fn, k, key)}, at)
		<-done
		if err != nil {
			return nil, err
		}
		if cerr != nil {
			return nil, fmt.Errorf("count: %w", cerr)
		}
		for _, s := range cr.Vector {
			t.Total = int(s.Value)
		}
		t.warn(cr.Warnings)
		t.warn(warns)
		first := vals["page"]
		if edge, ok := edgeValue(first, req.Desc); ok && len(first) >= k {
			tied, warns, err := f.multi(ctx, map[string]string{"ties": "(" + key + ") == " + strconv.FormatFloat(edge, 'g', -1, 64)}, at)
			if err != nil {
				return nil, err
			}
			t.warn(warns)
			// The tie group joins topk's own hosts at the edge, not
			// replaces them: an engine that prints values rounded
			// (VictoriaMetrics) matches no host with "== edge".
			for h := range tied["ties"] {
				first[h] = edge
			}
		}
		page = sortHosts(first, req.Desc)
		if req.Offset < len(page) {
			page = page[req.Offset:]
		} else {
			page = nil
		}
		if len(page) > req.Limit {
			page = page[:req.Limit]
		}
		if len(page) == 0 {
			t.Took = f.opt.Now().Sub(start)
			return t, nil
		}
	} else if req.Limit > 0 {
		// Sorted by name: the host list is small (one value per host);
		// page it here, then fetch the page in full.
		vals, warns, err := f.multi(ctx, map[string]string{"hosts": f.expand("("+columnQuery[ColAge]+") or ("+seenQuery+")", all, f.opt.RateWindow)}, at)
		if err != nil {
			return nil, err
		}
		t.warn(warns)
		names := make([]string, 0, len(vals["hosts"]))
		for h := range vals["hosts"] {
			names = append(names, h)
		}
		sort.Strings(names)
		if req.Desc {
			reverse(names)
		}
		t.Total = len(names)
		if req.Offset >= len(names) {
			t.Took = f.opt.Now().Sub(start)
			return t, nil
		}
		names = names[req.Offset:]
		page = names[:min(len(names), req.Limit)]
	}
	s := all
	if page != nil {
		s = f.someHosts(page)
	}
	qs := map[string]string{"seen": f.expand(seenQuery, s, f.opt.RateWindow)}
	for _, col := range Columns {
		if q, ok := columnQuery[col]; ok {
			qs[col] = f.expand(q, s, f.opt.RateWindow)
		}
	}
	vals, warns, err := f.multi(ctx, qs, at)
	if err != nil {
		return nil, err
	}
	t.warn(warns)
	rows := buildRows(vals, at)
	if page != nil {
		byName := make(map[string]Host, len(rows))
		for _, r := range rows {
			byName[r.Host] = r
		}
		t.Hosts = make([]Host, 0, len(page))
		for _, h := range page {
			r, ok := byName[h]
			if !ok {
				r = Host{Host: h, Status: StatusDown}
			}
			t.Hosts = append(t.Hosts, r)
		}
	} else {
		SortHosts(rows, req.Sort, req.Desc)
		t.Total = len(rows)
		t.Hosts = rows
	}
	t.Took = f.opt.Now().Sub(start)
	return t, nil
}

func validColumn(c string) bool {
	for _, x := range Columns {
		if x == c {
			return true
		}
	}
	return false
}

func reverse(s []string) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

// edgeValue is the last key of a topk (the least) or bottomk (the
// greatest) answer; false when there is none or it is NaN.
func edgeValue(v map[string]float64, desc bool) (float64, bool) {
	edge, ok := 0.0, false
	for _, x := range v {
		if math.IsNaN(x) {
			return 0, false
		}
		if !ok || desc && x < edge || !desc && x > edge {
			edge, ok = x, true
		}
	}
	return edge, ok
}

// sortHosts orders the hosts of a topk/bottomk answer (its order is not
// kept by the API), ties by name.
func sortHosts(v map[string]float64, desc bool) []string {
	out := make([]string, 0, len(v))
	for h := range v {
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := v[out[i]], v[out[j]]
		if a != b {
			if desc {
				return a > b
			}
			return a < b
		}
		return out[i] < out[j]
	})
	return out
}

func buildRows(vals map[string]map[string]float64, at time.Time) []Host {
	names := map[string]bool{}
	for h := range vals["seen"] {
		names[h] = true
	}
	for h := range vals[ColAge] {
		names[h] = true
	}
	rows := make([]Host, 0, len(names))
	now := float64(at.UnixMilli()) / 1000
	num := func(col, h string) *float64 {
		v, ok := vals[col][h]
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return &v
	}
	for h := range names {
		r := Host{Host: h, Status: StatusUp}
		if ts, ok := vals[ColAge][h]; ok {
			a := math.Max(0, now-ts)
			r.Age = &a
		} else {
			r.Status = StatusDown
			if ts, ok := vals["seen"][h]; ok {
				a := math.Max(0, now-ts)
				r.Age = &a
			}
		}
		if r.Status == StatusDown {
			// rate() still sees the samples before the host stopped:
			// a DOWN host's figures are blanks, not its last rates.
			rows = append(rows, r)
			continue
		}
		r.CPU, r.Mem, r.Load, r.Disk = num(ColCPU, h), num(ColMem, h), num(ColLoad, h), num(ColDisk, h)
		r.RX, r.TX = num(ColRX, h), num(ColTX, h)
		if v, ok := vals[ColAlarm][h]; ok {
			r.Alarm = rankState(v)
			n := 0
			r.NotOK = &n
		}
		if v, ok := vals[ColNotOK][h]; ok {
			n := int(v)
			r.NotOK = &n
		}
		if v, ok := vals[ColLink][h]; ok {
			r.Link = "down"
			if v >= 1 {
				r.Link = "up"
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// SortKey is a row's value in a column for sorting (the engine's order
// for the same column); ok is false for a blank.
func SortKey(h Host, col string) (float64, bool) {
	p := func(v *float64) (float64, bool) {
		if v == nil {
			return 0, false
		}
		return *v, true
	}
	switch col {
	case ColCPU:
		return p(h.CPU)
	case ColMem:
		return p(h.Mem)
	case ColLoad:
		return p(h.Load)
	case ColDisk:
		return p(h.Disk)
	case ColRX:
		return p(h.RX)
	case ColTX:
		return p(h.TX)
	case ColAge:
		return p(h.Age)
	case ColNotOK:
		if h.NotOK == nil {
			return 0, false
		}
		return float64(*h.NotOK), true
	case ColLink:
		switch h.Link {
		case "up":
			return 1, true
		case "down":
			return 0, true
		}
		return 0, false
	case ColStatus:
		if h.Status == StatusDown {
			return 0, true
		}
		return 1, true
	case ColAlarm:
		if h.Status == StatusDown {
			return rankDown, true
		}
		return StateRank(h.Alarm), true
	}
	return 0, false
}

// SortHosts sorts rows by col as the engine would: blanks last, ties by
// host name.
func SortHosts(rows []Host, col string, desc bool) {
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if col != ColHost {
			ka, oka := SortKey(a, col)
			kb, okb := SortKey(b, col)
			if oka != okb {
				return oka
			}
			if ka != kb {
				if desc {
					return ka > kb
				}
				return ka < kb
			}
			return a.Host < b.Host
		}
		if desc {
			return a.Host > b.Host
		}
		return a.Host < b.Host
	})
}

// Cells formats a row for a text table, in Columns order; blanks are "".
// The host's name is made Printable.
func Cells(h Host) []string {
	f := func(v *float64, prec int, unit string) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', prec, 64) + unit
	}
	rate := func(v *float64) string {
		if v == nil {
			return ""
		}
		return FormatRate(*v)
	}
	notOK := ""
	if h.NotOK != nil {
		notOK = strconv.Itoa(*h.NotOK)
	}
	age := ""
	if h.Age != nil {
		age = FormatAge(*h.Age)
	}
	return []string{Printable(h.Host), h.Status, f(h.CPU, 1, ""), f(h.Mem, 1, ""), f(h.Load, 2, ""), f(h.Disk, 1, ""),
		rate(h.RX), rate(h.TX), h.Alarm, notOK, h.Link, age}
}

// FormatRate prints bytes per second: 512B, 12.3K, 4.5M, 1.2G (per second).
func FormatRate(v float64) string {
	units := []string{"B", "K", "M", "G", "T"}
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if i == 0 {
		return strconv.FormatFloat(v, 'f', 0, 64) + units[i]
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + units[i]
}
