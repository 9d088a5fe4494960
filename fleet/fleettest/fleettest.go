// Package fleettest is a fake engine for tests of the fleet view: an
// httptest server that answers /api/v1/query and /api/v1/query_range from
// canned per-host values, recognising which of package fleet's queries it
// was sent by the families it names. Tests only; nothing in the binary
// imports it.
package fleettest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Host is one canned host; a nil value leaves the host out of that
// column's answer (partial data).
type Host struct {
	Name                         string
	CPU, Mem, Load, Disk, RX, TX *float64
	WorstAlarm                   *float64 // virgo_alarm_state: -1 UNKNOWN, 0 OK, 1 WARNING, 2 CRITICAL
	NotOK                        *float64
	Link                         *float64
	LastSample                   time.Time             // zero: not answering (DOWN)
	Seen                         time.Time             // last sample within the lookback
	Checks                       map[string]float64    // check_id -> state value
	Alarms                       map[[2]string]float64 // {check_id, alarm} -> state value
	LastOK                       map[[2]string]time.Time
}

// F is a pointer to v, for Host's fields.
func F(v float64) *float64 { return &v }

// Engine is the fake engine.
type Engine struct {
	*httptest.Server
	mu      sync.Mutex
	hosts   []Host
	fail    string // when set: every query answers this error
	warning string // when set: every answer carries this warning
	queries []string
	headers []http.Header
}

// New starts an engine serving hosts.
func New(hosts []Host) *Engine {
	e := &Engine{hosts: hosts}
	e.Server = httptest.NewServer(http.HandlerFunc(e.serve))
	return e
}

// SetFail makes every query fail with msg ("" stops it).
func (e *Engine) SetFail(msg string) { e.mu.Lock(); e.fail = msg; e.mu.Unlock() }

// SetWarning makes every successful answer carry the warning w (partial
// data, as Thanos says when a store is down); "" stops it.
func (e *Engine) SetWarning(w string) { e.mu.Lock(); e.warning = w; e.mu.Unlock() }

// SetHosts replaces the hosts.
func (e *Engine) SetHosts(h []Host) { e.mu.Lock(); e.hosts = h; e.mu.Unlock() }

// Queries returns the queries received so far.
func (e *Engine) Queries() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.queries...)
}

// Headers returns the request headers received so far.
func (e *Engine) Headers() []http.Header {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]http.Header(nil), e.headers...)
}

// Classify names the fleet query q: a column name, "seen", "count",
// "page", "ties" (the hosts whose sort key is the page's edge), "alarms", "since", "checks" or "host_alarms"; "" when unknown.
func Classify(q string) string {
	switch {
	case strings.HasPrefix(q, "count(("):
		return "count"
	case strings.HasPrefix(q, "topk(") || strings.HasPrefix(q, "bottomk("):
		return "page"
	case strings.HasPrefix(q, "(") && strings.Contains(q, ") == "):
		return "ties"
	case strings.HasPrefix(q, "max_over_time(timestamp(virgo_alarm_state"):
		return "since"
	case strings.HasPrefix(q, "min_over_time(timestamp(virgo_alarm_state"):
		return "first_bad"
	case strings.HasPrefix(q, "virgo_alarm_state{") && strings.HasSuffix(q, "!= 0"):
		return "alarms"
	case strings.HasPrefix(q, "virgo_alarm_state{"):
		return "host_alarms"
	case strings.HasPrefix(q, "virgo_check_state{"):
		return "checks"
	case strings.Contains(q, "last_over_time(virgo_snapshot_timestamp_seconds"):
		return "seen"
	case strings.Contains(q, "timestamp(virgo_snapshot_timestamp_seconds"):
		return "age"
	case strings.Contains(q, "virgo_cpu_usage_percent"):
		return "cpu"
	case strings.Contains(q, "node_memory_MemAvailable_bytes"):
		return "mem"
	case strings.Contains(q, "node_load1"):
		return "load"
	case strings.Contains(q, "node_filesystem_avail_bytes"):
		return "disk"
	case strings.Contains(q, "receive_bytes"):
		return "rx"
	case strings.Contains(q, "transmit_bytes"):
		return "tx"
	case strings.Contains(q, "+ 0.25) ^ 2"):
		return "alarm"
	case strings.HasPrefix(q, "count by"):
		return "not_ok"
	case strings.Contains(q, "virgo_endpoint_up"):
		return "link"
	}
	return ""
}

type sample struct {
	Metric map[string]string `json:"metric"`
	Value  []any             `json:"value,omitempty"`
	Values [][]any           `json:"values,omitempty"`
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func (e *Engine) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	q := r.Form.Get("query")
	e.mu.Lock()
	e.queries = append(e.queries, q)
	e.headers = append(e.headers, r.Header.Clone())
	fail, hosts, warning := e.fail, e.hosts, e.warning
	e.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/api/v1/status/buildinfo" {
		fmt.Fprint(w, `{"status":"success","data":{"version":"2.42.0","revision":"fake","goVersion":"go1.24"}}`)
		return
	}
	if fail != "" {
		w.WriteHeader(422)
		json.NewEncoder(w).Encode(map[string]string{"status": "error", "errorType": "execution", "error": fail})
		return
	}
	at, _ := strconv.ParseFloat(r.Form.Get("time"), 64)
	kind := Classify(q)
	if r.URL.Path == "/api/v1/query_range" {
		e.serveRange(w, r, kind, hosts)
		return
	}
	var out []sample
	add := func(labels map[string]string, v float64) {
		out = append(out, sample{Metric: labels, Value: []any{at, num(v)}})
	}
	want := func(h string) bool { return hostMatches(q, h) }
	switch kind {
	case "count":
		n := 0
		for _, h := range hosts {
			if want(h.Name) && (!h.Seen.IsZero() || !h.LastSample.IsZero()) {
				n++
			}
		}
		add(map[string]string{}, float64(n))
	case "alarms", "host_alarms", "since", "first_bad":
		for _, h := range hosts {
			if !want(h.Name) {
				continue
			}
			keys := make([][2]string, 0, len(h.Alarms))
			for k := range h.Alarms {
				keys = append(keys, k)
			}
			sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
			for _, k := range keys {
				v := h.Alarms[k]
				l := map[string]string{"host": h.Name, "check_id": k[0], "alarm": k[1], "instance": "i", "job": "virgo"}
				switch {
				case kind == "since":
					if t, ok := h.LastOK[k]; ok {
						add(l, float64(t.Unix()))
					}
				case kind == "first_bad":
					if _, ok := h.LastOK[k]; !ok && v != 0 {
						add(l, float64(h.Seen.Add(-2*time.Hour).Unix()))
					}
				case kind == "alarms" && v == 0:
				default:
					l["__name__"] = "virgo_alarm_state"
					add(l, v)
				}
			}
		}
	case "checks":
		for _, h := range hosts {
			if !want(h.Name) {
				continue
			}
			for id, v := range h.Checks {
				typ := "agent." + strings.SplitN(id, "-", 2)[0]
				add(map[string]string{"__name__": "virgo_check_state", "host": h.Name, "check_id": id, "check_type": typ}, v)
			}
		}
	case "page":
		// The engine sorts: every matching host with its key, topk or
		// bottomk keeping among ties whichever it meets first (here: the
		// last in the hosts' order, so never by name).
		inner := strings.TrimSuffix(strings.TrimSpace(q[strings.Index(q, ",")+1:]), ")")
		bottom := strings.HasPrefix(q, "bottomk")
		out = keySamples(inner, bottom, hosts, at)
		if k := topK(q); k < len(out) {
			slices.Reverse(out)
			sort.SliceStable(out, func(i, j int) bool {
				a, _ := strconv.ParseFloat(out[i].Value[1].(string), 64)
				b, _ := strconv.ParseFloat(out[j].Value[1].(string), 64)
				if bottom {
					return a < b
				}
				return a > b
			})
			out = out[:k]
		}
	case "ties":
		// "(key) == v": the hosts whose key is v.
		i := strings.LastIndex(q, ") == ")
		v, _ := strconv.ParseFloat(q[i+len(") == "):], 64)
		inner := q[1:i]
		for _, s := range keySamples(inner, strings.HasSuffix(inner, "+ Inf"), hosts, at) {
			if x, _ := strconv.ParseFloat(s.Value[1].(string), 64); x == v {
				out = append(out, s)
			}
		}
	default:
		for _, h := range hosts {
			if !want(h.Name) {
				continue
			}
			if v, ok := value(h, kind); ok {
				add(map[string]string{"host": h.Name}, v)
			}
		}
	}
	if out == nil {
		out = []sample{}
	}
	answer := map[string]any{"status": "success", "data": map[string]any{"resultType": "vector", "result": out}}
	if warning != "" {
		answer["warnings"] = []string{warning}
	}
	json.NewEncoder(w).Encode(answer)
}

// keySamples is every matching host's sort key: the sort expression
// inner of a page query, bottom for an ascending one.
func keySamples(inner string, bottom bool, hosts []Host, at float64) []sample {
	var out []sample
	add := func(h string, v float64) {
		out = append(out, sample{Metric: map[string]string{"host": h}, Value: []any{at, num(v)}})
	}
	col := pageColumn(inner)
	missing := -1e300
	if bottom {
		missing = 1e300
	}
	for _, h := range hosts {
		if !hostMatches(inner, h.Name) {
			continue
		}
		live := !h.LastSample.IsZero()
		switch v, ok := value(h, col); {
		case col == "alarm" && !live && !h.Seen.IsZero():
			add(h.Name, 3) // DOWN, as the engine ranks it
		case col == "alarm" && !ok && live:
			add(h.Name, -1)
		case ok:
			add(h.Name, v)
		case live || !h.Seen.IsZero():
			add(h.Name, missing)
		}
	}
	return out
}

func value(h Host, col string) (float64, bool) {
	p := func(v *float64) (float64, bool) {
		if v == nil {
			return 0, false
		}
		return *v, true
	}
	live := !h.LastSample.IsZero()
	switch col {
	case "seen":
		if h.Seen.IsZero() {
			return 0, false
		}
		return float64(h.Seen.Unix()), true
	case "age":
		if !live {
			return 0, false
		}
		return float64(h.LastSample.Unix()), true
	case "status":
		if live {
			return 1, true
		}
		return 0, !h.Seen.IsZero()
	}
	if !live {
		return 0, false
	}
	switch col {
	case "cpu":
		return p(h.CPU)
	case "mem":
		return p(h.Mem)
	case "load":
		return p(h.Load)
	case "disk":
		return p(h.Disk)
	case "rx":
		return p(h.RX)
	case "tx":
		return p(h.TX)
	case "alarm":
		if h.WorstAlarm == nil {
			return 0, false
		}
		return (*h.WorstAlarm + 0.25) * (*h.WorstAlarm + 0.25), true
	case "not_ok":
		return p(h.NotOK)
	case "link":
		return p(h.Link)
	}
	return 0, false
}

// pageColumn guesses the sort column of a sort expression (a page
// query's) from the first column query it holds.
func pageColumn(inner string) string {
	inner = strings.TrimSpace(inner)
	if strings.HasPrefix(inner, "time() -") {
		return "age"
	}
	// The column's own query comes before the live and seen fallbacks.
	cut := len(inner)
	for _, m := range []string{"last_over_time(virgo_snapshot", "timestamp(virgo_snapshot"} {
		if i := strings.Index(inner, m); i >= 0 && i < cut {
			cut = i
		}
	}
	if c := Classify(inner[:cut]); c != "" {
		return c
	}
	if !strings.Contains(inner[:cut], "virgo_") {
		return "status"
	}
	return "alarm"
}

func topK(q string) int {
	open := strings.Index(q, "(")
	comma := strings.Index(q, ",")
	k, err := strconv.Atoi(strings.TrimSpace(q[open+1 : comma]))
	if err != nil {
		return 1 << 30
	}
	return k
}

// hostMatches applies the host selector of q (host!="", host=~"^(?:a|b)$"
// or a filter) to h, roughly as the engine would.
func hostMatches(q, h string) bool {
	i := strings.Index(q, `host=~"`)
	if i < 0 {
		return true
	}
	rest := q[i+len(`host=~`):]
	s, err := strconv.QuotedPrefix(rest)
	if err != nil {
		return true
	}
	re, _ := strconv.Unquote(s)
	switch {
	case strings.HasPrefix(re, "^(?:"):
		for _, alt := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(re, "^(?:"), ")$"), "|") {
			if unquoteMeta(alt) == h {
				return true
			}
		}
		return false
	case strings.HasPrefix(re, "(?i).*"):
		sub := unquoteMeta(strings.TrimSuffix(strings.TrimPrefix(re, "(?i).*"), ".*"))
		return strings.Contains(strings.ToLower(h), strings.ToLower(sub))
	}
	return true
}

func unquoteMeta(s string) string { return strings.ReplaceAll(s, `\`, "") }

func (e *Engine) serveRange(w http.ResponseWriter, r *http.Request, kind string, hosts []Host) {
	q := r.Form.Get("query")
	start, _ := strconv.ParseFloat(r.Form.Get("start"), 64)
	end, _ := strconv.ParseFloat(r.Form.Get("end"), 64)
	step, _ := strconv.ParseFloat(r.Form.Get("step"), 64)
	var out []sample
	for _, h := range hosts {
		if !hostMatches(q, h.Name) {
			continue
		}
		base, ok := value(Host{CPU: h.CPU, Mem: h.Mem, Disk: h.Disk, RX: h.RX, TX: h.TX, LastSample: time.Unix(1, 0)}, kind)
		if !ok || step <= 0 {
			continue
		}
		s := sample{Metric: map[string]string{"host": h.Name}}
		i := 0
		for t := start; t <= end; t += step {
			// A deterministic wave around the host's value.
			v := base * (0.6 + 0.4*float64((i*7)%10)/10)
			s.Values = append(s.Values, []any{t, num(v)})
			i++
		}
		out = append(out, s)
	}
	if out == nil {
		out = []sample{}
	}
	json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": map[string]any{"resultType": "matrix", "result": out}})
}
