package fleet_test

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/fleet"
	"github.com/virgo-top/virgo-top/fleet/fleettest"
)

var now = time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC)

// cannedHosts: a full OK host, a CRITICAL one, a node_exporter host (no
// alarms), a host with only CPU, and a DOWN host last seen 3h12m ago.
func cannedHosts() []fleettest.Host {
	F := fleettest.F
	return []fleettest.Host{
		{Name: "web1", CPU: F(12.5), Mem: F(40), Load: F(0.25), Disk: F(61), RX: F(2048), TX: F(1 << 20), WorstAlarm: F(0), NotOK: nil, Link: F(1),
			LastSample: now.Add(-2 * time.Second), Seen: now.Add(-2 * time.Second),
			Checks: map[string]float64{"cpu-default": 0, "memory-default": 0}, Alarms: map[[2]string]float64{{"cpu-default", "cpu-usage"}: 0}},
		{Name: "db1", CPU: F(97), Mem: F(91.5), Load: F(3.2), Disk: F(97.4), RX: F(10), TX: F(20), WorstAlarm: F(2), NotOK: F(2), Link: F(0),
			LastSample: now.Add(-1 * time.Second), Seen: now.Add(-1 * time.Second),
			Checks: map[string]float64{"cpu-default": 2, "filesystem-root": 1},
			Alarms: map[[2]string]float64{{"cpu-default", "cpu-usage"}: 2, {"filesystem-root", "fs-usage"}: 1},
			LastOK: map[[2]string]time.Time{{"cpu-default", "cpu-usage"}: now.Add(-10 * time.Minute)}},
		{Name: "node9", CPU: F(5), Mem: F(20), Load: F(0.1), Disk: F(30), RX: F(0), TX: F(0),
			LastSample: now.Add(-3 * time.Second), Seen: now.Add(-3 * time.Second)},
		{Name: "half", CPU: F(50), LastSample: now.Add(-4 * time.Second), Seen: now.Add(-4 * time.Second)},
		{Name: "gone", CPU: F(1), Seen: now.Add(-(3*time.Hour + 12*time.Minute))},
		{Name: "app2", CPU: F(30), Mem: F(50), WorstAlarm: F(1), NotOK: F(1), LastSample: now, Seen: now,
			Alarms: map[[2]string]float64{{"http-x", "slow"}: 1}, LastOK: map[[2]string]time.Time{{"http-x", "slow"}: now.Add(-time.Hour)}},
	}
}

func newFleet(t *testing.T, e *fleettest.Engine) *fleet.Fleet {
	t.Helper()
	c, err := fleet.New(fleet.Config{URL: e.URL})
	if err != nil {
		t.Fatal(err)
	}
	f, err := fleet.NewFleet(c, fleet.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func hostNames(hs []fleet.Host) string {
	var n []string
	for _, h := range hs {
		n = append(n, h.Host)
	}
	return strings.Join(n, ",")
}

func TestTableAllHosts(t *testing.T) {
	e := fleettest.New(cannedHosts())
	defer e.Close()
	f := newFleet(t, e)
	tb, err := f.Table(context.Background(), fleet.DefaultRequest())
	if err != nil {
		t.Fatal(err)
	}
	// Worst first: CRITICAL, DOWN, WARNING, OK, then hosts without alarms by name.
	if got := hostNames(tb.Hosts); got != "db1,gone,app2,web1,half,node9" {
		t.Errorf("order %s", got)
	}
	if tb.Total != 6 {
		t.Errorf("total %d", tb.Total)
	}
	b, _ := json.Marshal(tb.Hosts[0])
	want := `{"host":"db1","status":"UP","cpu":97,"mem":91.5,"load":3.2,"disk":97.4,"rx":10,"tx":20,"alarm":"CRITICAL","not_ok":2,"link":"down","age":1}`
	if string(b) != want {
		t.Errorf("db1 =\n%s\nwant\n%s", b, want)
	}
	byName := map[string]fleet.Host{}
	for _, h := range tb.Hosts {
		byName[h.Host] = h
	}
	if g := byName["gone"]; g.Status != fleet.StatusDown || g.Age == nil || fleet.FormatAge(*g.Age) != "3h12m" || g.CPU != nil {
		t.Errorf("gone = %+v", g)
	}
	if h := byName["half"]; h.CPU == nil || *h.CPU != 50 || h.Mem != nil || h.Alarm != "" || h.NotOK != nil || h.Link != "" {
		t.Errorf("half = %+v", h)
	}
	if w := byName["web1"]; w.Alarm != "OK" || w.NotOK == nil || *w.NotOK != 0 || w.Link != "up" {
		t.Errorf("web1 = %+v", w)
	}
	// One query per column for the whole fleet, never one per host.
	kinds := map[string]int{}
	for _, q := range e.Queries() {
		kinds[fleettest.Classify(q)]++
		if !strings.Contains(q, `host!=""`) {
			t.Errorf("query without the fleet selector: %s", q)
		}
	}
	for _, c := range []string{"cpu", "mem", "load", "disk", "rx", "tx", "alarm", "not_ok", "link", "age", "seen"} {
		if kinds[c] != 1 {
			t.Errorf("%s queried %d times", c, kinds[c])
		}
	}
	if len(e.Queries()) != 11 {
		t.Errorf("%d queries", len(e.Queries()))
	}
}

func TestTableSortAndFilter(t *testing.T) {
	e := fleettest.New(cannedHosts())
	defer e.Close()
	f := newFleet(t, e)
	tests := []struct {
		req  fleet.Request
		want string
	}{
		{fleet.Request{Sort: fleet.ColCPU, Desc: true}, "db1,half,app2,web1,node9,gone"},
		{fleet.Request{Sort: fleet.ColCPU}, "node9,web1,app2,half,db1,gone"},
		{fleet.Request{Sort: fleet.ColMem, Desc: true}, "db1,app2,web1,node9,gone,half"},
		{fleet.Request{Sort: fleet.ColHost}, "app2,db1,gone,half,node9,web1"},
		{fleet.Request{Sort: fleet.ColStatus}, "gone,app2,db1,half,node9,web1"},
		{fleet.Request{Sort: fleet.ColAge, Desc: true}, "gone,half,node9,web1,db1,app2"},
		{fleet.Request{Sort: fleet.ColAlarm, Desc: true, Filter: "1"}, "db1,web1"},
		{fleet.Request{Sort: fleet.ColAlarm, Desc: true, Filter: "NODE"}, "node9"},
	}
	for _, tt := range tests {
		tb, err := f.Table(context.Background(), tt.req)
		if err != nil {
			t.Fatal(err)
		}
		if got := hostNames(tb.Hosts); got != tt.want {
			t.Errorf("%+v: %s, want %s", tt.req, got, tt.want)
		}
	}
	if _, err := f.Table(context.Background(), fleet.Request{Sort: "bogus"}); err == nil {
		t.Error("bogus sort accepted")
	}
}

func TestTablePaged(t *testing.T) {
	e := fleettest.New(cannedHosts())
	defer e.Close()
	f := newFleet(t, e)
	tb, err := f.Table(context.Background(), fleet.Request{Sort: fleet.ColCPU, Desc: true, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := hostNames(tb.Hosts); got != "db1,half" || tb.Total != 6 {
		t.Errorf("page %s of %d", got, tb.Total)
	}
	var pageQ string
	for _, q := range e.Queries() {
		switch fleettest.Classify(q) {
		case "page":
			pageQ = q
		case "count", "ties":
		default:
			// The page's hosts only are fetched in full.
			if !strings.Contains(q, `host=~"^(?:db1|half)$"`) {
				t.Errorf("column query not limited to the page: %.120s", q)
			}
		}
	}
	if !strings.HasPrefix(pageQ, "topk(2, ") {
		t.Errorf("page query %.80s", pageQ)
	}
	tb, err = f.Table(context.Background(), fleet.Request{Sort: fleet.ColHost, Offset: 2, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := hostNames(tb.Hosts); got != "gone,half" || tb.Hosts[0].Status != fleet.StatusDown {
		t.Errorf("by name, second page: %s %+v", got, tb.Hosts)
	}
	tb, err = f.Table(context.Background(), fleet.Request{Sort: fleet.ColCPU, Offset: 10, Limit: 2})
	if err != nil || len(tb.Hosts) != 0 {
		t.Errorf("past the end: %v %v", tb, err)
	}
}

func TestTableEngineError(t *testing.T) {
	e := fleettest.New(cannedHosts())
	defer e.Close()
	e.SetFail("query processing would load too many samples into memory")
	f := newFleet(t, e)
	_, err := f.Table(context.Background(), fleet.DefaultRequest())
	if err == nil || !strings.Contains(err.Error(), "execution: query processing would load too many samples") {
		t.Fatalf("err = %v", err)
	}
}

func TestAlarms(t *testing.T) {
	e := fleettest.New(cannedHosts())
	defer e.Close()
	f := newFleet(t, e)
	al, err := f.Alarms(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range al {
		since := "old"
		if !a.Since.IsZero() {
			since = now.Sub(a.Since).String()
		}
		got = append(got, a.Host+"/"+a.CheckID+"/"+a.Alarm+"/"+a.State+"/"+since)
	}
	// Worst first, then oldest first (an alarm never OK within the lookback: since first seen not OK).
	want := "db1/cpu-default/cpu-usage/CRITICAL/9m0s db1/filesystem-root/fs-usage/WARNING/2h0m1s app2/http-x/slow/WARNING/59m0s"
	if strings.Join(got, " ") != want {
		t.Errorf("alarms\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
}

func TestHostDetail(t *testing.T) {
	e := fleettest.New(cannedHosts())
	defer e.Close()
	f := newFleet(t, e)
	d, err := f.HostDetail(context.Background(), "db1", time.Hour, time.Time{}, 60)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Checks) != 2 || d.Checks[0].CheckID != "cpu-default" || d.Checks[0].State != "CRITICAL" {
		t.Errorf("checks %+v", d.Checks)
	}
	if len(d.Alarms) != 2 || d.Alarms[0].State != "CRITICAL" {
		t.Errorf("alarms %+v", d.Alarms)
	}
	if len(d.Graphs) != 5 || d.Graphs[0].Name != "cpu" || len(d.Graphs[0].Points) != 61 {
		t.Fatalf("graphs %+v", d.Graphs)
	}
	pts := fleet.Points(d.Graphs[0], d.End, d.Span, 60)
	if math.Abs(pts[0]-97*0.6) > 1e-9 || math.IsNaN(pts[59]) {
		t.Errorf("points %v", pts[:3])
	}
}

func TestEngineVersion(t *testing.T) {
	e := fleettest.New(nil)
	defer e.Close()
	f := newFleet(t, e)
	if v, err := f.EngineVersion(context.Background()); err != nil || v != "2.42.0" {
		t.Errorf("version %q, %v", v, err)
	}
}

// Paging through hosts whose sort keys tie (a fleet of OK hosts) shows
// each host once: the engine picks among ties in its own order, not by
// name, so a page is "the first offset+limit less the first offset" as
// the engine ranks them, never a slice of a page re-sorted by name.
func TestTablePagedTies(t *testing.T) {
	F := fleettest.F
	var hosts []fleettest.Host
	for _, n := range []string{"h5", "h3", "h1", "h4", "h2", "h0", "h6"} {
		hosts = append(hosts, fleettest.Host{Name: n, CPU: F(10), WorstAlarm: F(0), LastSample: now, Seen: now})
	}
	e := fleettest.New(hosts)
	defer e.Close()
	f := newFleet(t, e)
	for _, sort := range []string{fleet.ColAlarm, fleet.ColCPU} {
		seen := map[string]int{}
		var order []string
		for off := 0; off < len(hosts); off += 2 {
			tb, err := f.Table(context.Background(), fleet.Request{Sort: sort, Desc: true, Offset: off, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range tb.Hosts {
				seen[h.Host]++
				order = append(order, h.Host)
			}
		}
		if len(order) != len(hosts) || len(seen) != len(hosts) {
			t.Errorf("sort %s: pages showed %v, want each of the %d hosts once", sort, order, len(hosts))
		}
	}
}

// An alarm last OK at the subquery's last step, which ends before the
// evaluation time, turned since: "since" is at most the evaluation time,
// never in the future (a negative "for" on the screen).
func TestAlarmSinceNotInFuture(t *testing.T) {
	F := fleettest.F
	e := fleettest.New([]fleettest.Host{{Name: "a", CPU: F(1), WorstAlarm: F(2), NotOK: F(1), LastSample: now, Seen: now,
		Alarms: map[[2]string]float64{{"c", "x"}: 2}, LastOK: map[[2]string]time.Time{{"c", "x"}: now.Add(-5 * time.Second)}}})
	defer e.Close()
	f := newFleet(t, e)
	al, err := f.Alarms(context.Background(), time.Time{})
	if err != nil || len(al) != 1 {
		t.Fatalf("%v %v", al, err)
	}
	if al[0].Since.After(now) {
		t.Errorf("since %s, after the evaluation time %s", al[0].Since, now)
	}
}

// The engine's warnings reach the table once each, not once per column.
func TestTableWarningsOnce(t *testing.T) {
	e := fleettest.New(cannedHosts())
	defer e.Close()
	e.SetWarning("partial response")
	f := newFleet(t, e)
	for _, req := range []fleet.Request{fleet.DefaultRequest(), {Sort: fleet.ColCPU, Desc: true, Limit: 2}} {
		tb, err := f.Table(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if len(tb.Warnings) != 1 || tb.Warnings[0] != "partial response" {
			t.Errorf("%+v: warnings %q", req, tb.Warnings)
		}
	}
}
