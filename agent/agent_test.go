package agent

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/alarm"
	"github.com/virgo-top/virgo-top/check"
	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/history"
	"github.com/virgo-top/virgo-top/protocol"
)

var t0 = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func testSnapshot(at time.Time) *collector.Snapshot {
	return &collector.Snapshot{
		Time:    at,
		Elapsed: time.Second,
		CPU: collector.CPU{
			CPUTimes: collector.CPUTimes{UsagePct: 40, UserPct: 30, SystemPct: 10, IdlePct: 60},
			Cores:    2,
			PerCore:  []collector.CPUTimes{{UsagePct: 20}, {UsagePct: 60}},
		},
		Memory:      collector.Memory{TotalBytes: 1000, UsedBytes: 250, UsedPct: 25, SwapTotalBytes: 100, SwapUsedBytes: 10},
		Load:        collector.Load{Load1: 1, Load5: 2, Load15: 3, Cores: 2},
		Filesystems: []collector.Filesystem{{Mount: "/", UsedPct: 50}},
		Disks:       []collector.Disk{{Name: "sda", ReadBps: 100, WriteBps: 200}},
		Network:     []collector.NetIf{{Name: "eth0", RxBps: 10, TxBps: 20}},
	}
}

func TestEachSeries(t *testing.T) {
	got := map[string]float64{}
	EachSeries(testSnapshot(t0), func(name string, v float64) { got[name] = v })
	want := map[string]float64{
		"cpu.usage": 40, "cpu.user": 30, "cpu.system": 10, "cpu.idle": 60, "cpu.iowait": 0, "cpu.steal": 0, "cpu.irq": 0,
		"cpu.core.0": 20, "cpu.core.1": 60,
		"mem.used_pct": 25, "mem.used_bytes": 250, "mem.cached_bytes": 0, "swap.used_bytes": 10, "swap.used_pct": 10,
		"load.1": 1, "load.5": 2, "load.15": 3, "fs./.used_pct": 50,
		"disk.sda.read_bps": 100, "disk.sda.write_bps": 200, "net.eth0.rx_bps": 10, "net.eth0.tx_bps": 20,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("series:\n got %v\nwant %v", got, want)
	}

	// The first sample has no rates: only gauges.
	first := testSnapshot(t0)
	first.Elapsed = 0
	got = map[string]float64{}
	EachSeries(first, func(name string, v float64) { got[name] = v })
	if _, ok := got[SeriesCPUUsage]; ok {
		t.Error("first sample yielded a cpu rate")
	}
	if got[SeriesLoad1] != 1 {
		t.Error("first sample lost the load gauge")
	}
	// A failed source yields nothing.
	failed := testSnapshot(t0)
	failed.Errors = map[string]string{"cpu": "boom", "memory": "boom"}
	got = map[string]float64{}
	EachSeries(failed, func(name string, v float64) { got[name] = v })
	if _, ok := got[SeriesCPUUsage]; ok {
		t.Error("failed cpu source yielded a series")
	}
	if _, ok := got[SeriesMemUsedPct]; ok {
		t.Error("failed memory source yielded a series")
	}
}

// newTestAgent builds an agent without running its sampler loop.
func newTestAgent(t *testing.T, n Notifier, post func(check.Def, check.Result, map[string]protocol.AlarmState)) *Agent {
	t.Helper()
	return New(Options{Interval: time.Second, Notify: n, Post: post, Retention: history.Retention{Raw: 60, Minutes: 60}})
}

func TestCPUWindowFromHistory(t *testing.T) {
	a := newTestAgent(t, nil, nil)
	now := time.Now()
	for i, u := range []float64{10, 20, 30, 40} {
		s := testSnapshot(now.Add(time.Duration(i-4) * time.Second))
		s.CPU.UsagePct, s.CPU.UserPct = u, u/2
		a.publish(s)
	}
	// The last second has no sample yet: the window of the last 4 s holds
	// the three samples that describe it (-3 s covers -4 s to -3 s).
	st, ok := a.CPUWindow(now.Add(-4 * time.Second))
	if !ok {
		t.Fatal("no window")
	}
	want := check.CPUStats{Samples: 3, Usage: 30, User: 15, System: 10, Idle: 60, MinUsage: 20, MaxUsage: 40}
	if st != want {
		t.Fatalf("CPUWindow = %+v, want %+v", st, want)
	}
	// A window of one interval ending at a sample holds that sample only,
	// though the one before was taken exactly one interval earlier.
	st, _ = a.CPUWindow(now.Add(-2 * time.Second))
	if st.Samples != 1 || st.Usage != 40 {
		t.Fatalf("one-interval window = %+v, want the last sample only", st)
	}
	if a.Latest().CPU.UsagePct != 40 {
		t.Fatal("Latest is not the last published snapshot")
	}
}

func TestSubscribeLatestWins(t *testing.T) {
	a := newTestAgent(t, nil, nil)
	ch := a.Subscribe()
	for i := 0; i < 3; i++ {
		a.publish(testSnapshot(t0.Add(time.Duration(i) * time.Second)))
	}
	got := <-ch
	if !got.Time.Equal(t0.Add(2 * time.Second)) {
		t.Fatalf("subscriber got %v, want the newest", got.Time)
	}
	select {
	case s := <-ch:
		t.Fatalf("backlog: %v", s.Time)
	default:
	}
}

type recordNotifier struct {
	mu      sync.Mutex
	changes []AlarmChange
}

func (r *recordNotifier) Notify(c AlarmChange) {
	r.mu.Lock()
	r.changes = append(r.changes, c)
	r.mu.Unlock()
}

func cpuResult(id string, at time.Time, usage string) check.Result {
	r := check.NewResult(check.Def{ID: id, Type: check.TypeCPU}, at)
	r.Add("usage_average", check.TypeDouble, usage, "percent")
	return r
}

func TestAlarmChangesNotifyOnceAndPost(t *testing.T) {
	n := &recordNotifier{}
	var posted []string
	var mu sync.Mutex
	a := newTestAgent(t, n, func(d check.Def, r check.Result, alarms map[string]protocol.AlarmState) {
		mu.Lock()
		posted = append(posted, d.ID+"@"+r.Time.Format("05")+"="+alarms["hot"].State)
		mu.Unlock()
	})
	a.SetChecks([]check.Def{{
		ID: "chCPU", Type: check.TypeCPU, Period: 30 * time.Second, Source: check.SourceEndpoint,
		Alarms: map[string]check.AlarmDef{"hot": {Label: "CPU hot", Criteria: `if (metric['usage_average'] > 90) { return new AlarmStatus(CRITICAL, 'CPU at #{usage_average}%'); } return new AlarmStatus(OK, 'fine');`}},
	}})
	for i, u := range []string{"10", "20", "95", "97", "30"} {
		a.onResult(cpuResult("chCPU", t0.Add(time.Duration(i)*time.Second), u))
	}
	// Unknown -> OK, OK -> CRITICAL, CRITICAL -> OK: three changes for five results.
	var got []string
	for _, c := range n.changes {
		got = append(got, c.Previous.String()+"->"+c.Current.String()+":"+c.Message)
	}
	want := []string{"UNKNOWN->OK:fine", "OK->CRITICAL:CPU at 95%", "CRITICAL->OK:fine"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("changes = %q, want %q", got, want)
	}
	if n.changes[1].AlarmLabel != "CPU hot" || n.changes[1].Check.ID != "chCPU" {
		t.Errorf("change carries %+v", n.changes[1])
	}
	wantPosted := []string{"chCPU@00=OK", "chCPU@01=OK", "chCPU@02=CRITICAL", "chCPU@03=CRITICAL", "chCPU@04=OK"}
	if !reflect.DeepEqual(posted, wantPosted) {
		t.Fatalf("posted %q, want %q", posted, wantPosted)
	}
	// A result of an unknown check (removed meanwhile) is neither judged nor posted.
	a.onResult(cpuResult("gone", t0, "99"))
	if len(posted) != 5 || len(n.changes) != 3 {
		t.Fatal("a result of an unknown check was used")
	}
}

func TestChecksViewWorstStateAndBadCriteria(t *testing.T) {
	a := newTestAgent(t, nil, nil)
	a.SetChecks([]check.Def{
		{ID: "a", Type: check.TypeCPU, Period: 30 * time.Second, Alarms: map[string]check.AlarmDef{
			"ok":   {Criteria: `return new AlarmStatus(OK, 'fine');`},
			"warn": {Criteria: `if (metric['usage_average'] > 50) { return new AlarmStatus(WARNING, 'busy'); } return new AlarmStatus(OK);`},
		}},
		{ID: "b", Type: check.TypeCPU, Period: 30 * time.Second, Alarms: map[string]check.AlarmDef{
			"broken": {Criteria: `if (metric['x'] > ) { return OK; }`},
		}},
		{ID: "c", Type: check.TypeMemory, Period: 30 * time.Second},
	})
	a.onResult(cpuResult("a", t0, "60"))
	a.onResult(cpuResult("b", t0, "60"))
	failed := check.ErrorResult(check.Def{ID: "c", Type: check.TypeMemory}, t0, "No such thing")
	a.onResult(failed)

	views := a.Checks()
	if len(views) != 3 {
		t.Fatalf("%d views", len(views))
	}
	if v := views[0]; v.State != alarm.Warning || v.Message != "busy" || len(v.Alarms) != 2 {
		t.Errorf("a: %v %q %d alarms", v.State, v.Message, len(v.Alarms))
	}
	if v := views[1]; v.State != alarm.Unknown || v.Alarms[0].Err == "" {
		t.Errorf("b: broken criteria should be UNKNOWN with an error, got %v %+v", v.State, v.Alarms)
	}
	if v := views[2]; v.State != alarm.Critical || v.Message != "No such thing" {
		t.Errorf("c: failed check without alarms: %v %q", v.State, v.Message)
	}
	if WorstState(views) != alarm.Critical {
		t.Error("WorstState")
	}
}

func TestEndpointScheduleWinsOverLocal(t *testing.T) {
	a := newTestAgent(t, nil, nil)
	h := Handler{A: a}
	h.ScheduleChanged("ep:1", []protocol.CheckDef{{ID: "chE", Type: "agent.memory", Period: 5}, {ID: "bad", Type: "agent.nope", Period: 5}})
	a.setLocalChecks([]check.Def{{ID: "local", Type: check.TypeCPU, Period: time.Minute}})
	views := a.Checks()
	if len(views) != 1 || views[0].Def.ID != "chE" || views[0].Def.Period != 5*time.Second || views[0].Def.Source != check.SourceEndpoint {
		t.Fatalf("views = %+v", views)
	}
}

func TestWireConversions(t *testing.T) {
	cd := protocol.CheckDef{ID: "ch1", Type: "agent.filesystem", Label: "root", Period: 60, Timeout: 10,
		Details: json.RawMessage(`{"target":"/"}`), Alarms: map[string]protocol.Alarm{"full": {Label: "full", Criteria: "return OK;"}}}
	d, err := DefFromWire(cd, check.SourceEndpoint)
	if err != nil {
		t.Fatal(err)
	}
	want := check.Def{ID: "ch1", Label: "root", Type: "agent.filesystem", Period: time.Minute, Timeout: 10 * time.Second,
		Details: map[string]any{"target": "/"}, Alarms: map[string]check.AlarmDef{"full": {Label: "full", Criteria: "return OK;"}},
		Source: check.SourceEndpoint}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("DefFromWire:\n got %+v\nwant %+v", d, want)
	}
	if _, err := DefFromWire(protocol.CheckDef{ID: "x", Type: "agent.cpu", Details: json.RawMessage(`[1]`)}, ""); err == nil {
		t.Error("details that are not an object were accepted")
	}

	r := check.NewResult(check.Def{ID: "ch1", Type: "agent.plugin"}, time.UnixMilli(1700000000123))
	r.Add("bytes", check.TypeUint64, "42", "bytes")
	r.Metrics = append(r.Metrics, check.Metric{Dimension: "foo", Name: "bar", Type: check.TypeDouble, Value: "1.5"})
	r.SetStatus("all good")
	b, err := json.Marshal(PostFromResult(r))
	if err != nil {
		t.Fatal(err)
	}
	wantJSON := `{"check_id":"ch1","check_type":"agent.plugin","state":"available","status":"all good","timestamp":1700000000123,"min_check_period":0,` +
		`"metrics":[[null,{"bytes":{"t":"uint64","v":"42","u":"bytes"}}],["foo",{"bar":{"t":"double","v":"1.5"}}]]}`
	if string(b) != wantJSON {
		t.Fatalf("post:\n got %s\nwant %s", b, wantJSON)
	}
	r.SetError("No such disk: sdx")
	if p := PostFromResult(r); p.State != protocol.StateUnavailable || p.Status != "No such disk: sdx" || p.Metrics.Len() != 0 {
		t.Fatalf("error post = %+v", p)
	}
}

func TestHandlerAnswers(t *testing.T) {
	a := newTestAgent(t, nil, nil)
	h := Handler{A: a}
	ctx := context.Background()
	// host_info.get always answers a result, as the original does: what
	// failed is in its error (hostinfo/base.lua serialize).
	if r, err := h.HostInfo(ctx, "DISK"); err != nil || r.(protocol.HostInfoResult).Error != "no sample yet" {
		t.Errorf("DISK before the first sample = %+v, %v", r, err)
	}
	a.publish(testSnapshot(t0))
	for _, typ := range h.HostInfoTypes() {
		if r, err := h.HostInfo(ctx, typ); err != nil || r.(protocol.HostInfoResult).Timestamp == 0 {
			t.Errorf("HostInfo(%s) = %+v, %v", typ, r, err)
		}
	}
	if r, err := h.HostInfo(ctx, "NOPE"); err != nil || r.(protocol.HostInfoResult).Error != protocol.HostInfoUnsupported {
		t.Errorf("unknown host info type = %+v, %v", r, err)
	}
	if si, err := h.SystemInfo(ctx); err != nil || len(si.(protocol.SystemInfo).CPUs) == 0 {
		t.Errorf("system.info = %+v, %v", si, err)
	}
	targets, err := h.CheckTargets(ctx, "agent.disk")
	if err != nil || !reflect.DeepEqual(targets, []string{"sda"}) {
		t.Errorf("targets = %v, %v", targets, err)
	}
	res, err := h.CheckTest(ctx, json.RawMessage(`{"id":"t","type":"agent.load_average","period":300}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(res)
	want := `{"metrics":[[null,{"1m":{"t":"double","v":"1"},"5m":{"t":"double","v":"2"},"15m":{"t":"double","v":"3"}}]],"state":"available","status":"success"}`
	if string(b) != want {
		t.Errorf("check.test:\n got %s\nwant %s", b, want)
	}
	if _, err := h.CheckTest(ctx, json.RawMessage(`{"id":`)); err == nil {
		t.Error("malformed check.test accepted")
	}
}

func TestGUIDKeptInStateDir(t *testing.T) {
	dir := t.TempDir()
	g1, err := loadOrCreateGUID(dir)
	if err != nil {
		t.Fatal(err)
	}
	g2, err := loadOrCreateGUID(dir)
	if err != nil || g1 != g2 {
		t.Fatalf("guid changed across loads: %q %q (%v)", g1, g2, err)
	}
	if len(g1) != 36 || g1[14] != '4' {
		t.Fatalf("not a v4 uuid: %q", g1)
	}
}

func TestSchedStateRoundTripAndVirgoFile(t *testing.T) {
	// Virgo's own state file (the peer fixture) loads.
	next, err := loadSchedState("testdata/sample.state")
	if err != nil {
		t.Fatal(err)
	}
	if len(next) != 3 || !next["chH7UgrXOH"].Equal(time.Unix(1337269654, 0)) {
		t.Fatalf("sample.state: %v", next)
	}
	at := time.UnixMilli(1795540000123)
	data, err := encodeSchedState([]CheckView{
		{Status: check.Status{Def: check.Def{ID: "a", Period: 30 * time.Second}, NextRun: at}, State: alarm.Critical},
		{Status: check.Status{Def: check.Def{ID: "idle", Period: time.Minute}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"version":1,"checks":[{"id":"a","state":"CRITICAL","nextrun":1795540000,"nextrun_ms":1795540000123,"period":30}]}`
	if string(data) != want {
		t.Fatalf("encoded:\n got %s\nwant %s", data, want)
	}
	path := filepath.Join(t.TempDir(), "scheduler.state")
	os.WriteFile(path, data, 0o600)
	if next, err := loadSchedState(path); err != nil || !next["a"].Equal(at) {
		t.Fatalf("round trip: %v %v", next, err)
	}
	os.WriteFile(path, []byte("{garbage"), 0o600)
	if _, err := loadSchedState(path); err == nil {
		t.Fatal("corrupt state accepted")
	}
	if next, err := loadSchedState(filepath.Join(t.TempDir(), "none")); err != nil || next != nil {
		t.Fatalf("missing file: %v %v", next, err)
	}
}

// TestNoCheckRunsBeforeSamples: even an overdue resumed check waits for
// the agent's second sample, so it never reports "no sample yet" (which
// would raise a false CRITICAL at every restart).
func TestNoCheckRunsBeforeSamples(t *testing.T) {
	results := make(chan check.Result, 10)
	a := New(Options{Interval: 100 * time.Millisecond, Post: func(_ check.Def, r check.Result, _ map[string]protocol.AlarmState) {
		results <- r
	}})
	a.sched.Resume(map[string]time.Time{"cpu": time.Now().Add(-time.Hour), "mem": time.Now().Add(-time.Hour)})
	a.SetChecks([]check.Def{
		{ID: "cpu", Type: check.TypeCPU, Period: time.Minute},
		{ID: "mem", Type: check.TypeMemory, Period: time.Minute},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	for i := 0; i < 2; i++ {
		select {
		case r := <-results:
			if !r.Available {
				t.Errorf("%s ran before the samples: %q", r.CheckID, r.Status)
			}
		case <-ctx.Done():
			t.Fatal("no result")
		}
	}
	cancel()
	<-done
}

// TestVanishedDeviceSeriesReleased: with container interfaces coming and
// going, a new interface gets its series once the store is full (the
// vanished ones are released), and series of devices gone for
// SeriesStaleAfter are released by the periodic sweep.
func TestVanishedDeviceSeriesReleased(t *testing.T) {
	snap := func(at time.Time, ifname string) *collector.Snapshot {
		s := testSnapshot(at)
		s.Network = []collector.NetIf{{Name: ifname, RxBps: 1, TxBps: 2}}
		return s
	}
	var base int
	EachSeries(snap(t0, "eth0"), func(string, float64) { base++ })
	a := New(Options{Interval: time.Second, MaxSeries: base})
	at := t0
	for i := 0; i < 5; i++ {
		a.publish(snap(at, "eth0"))
		at = at.Add(time.Second)
	}
	// eth0 vanishes, veth1 comes: the store is full.
	for i := 0; i < 6; i++ {
		a.publish(snap(at, "veth1"))
		at = at.Add(time.Second)
	}
	if _, ok := a.History().Latest(SeriesNetRx("veth1")); !ok {
		t.Fatalf("veth1 has no series: the full store never released eth0's (series %v)", a.History().Names())
	}
	if _, ok := a.History().Latest(SeriesNetRx("eth0")); ok {
		t.Error("eth0's series still held after it vanished")
	}
	if _, ok := a.History().Latest(SeriesCPUUsage); !ok {
		t.Error("a live series was released")
	}

	// Without pressure: a device gone for SeriesStaleAfter is released by
	// the minute sweep, one seen recently is kept.
	b := New(Options{Interval: time.Second})
	at = t0
	b.publish(snap(at, "eth0"))
	for i := 0; i < int(SeriesStaleAfter/time.Minute)+2; i++ {
		at = at.Add(time.Minute)
		b.publish(snap(at, "eth1"))
	}
	if _, ok := b.History().Latest(SeriesNetRx("eth0")); ok {
		t.Error("eth0's series kept after it was gone for longer than SeriesStaleAfter")
	}
	if _, ok := b.History().Latest(SeriesNetRx("eth1")); !ok {
		t.Error("eth1's series released while present")
	}
}

// TestWaitSample: a derived check due at `after` waits for the sample
// taken after it, and no longer than one and a half intervals when the
// sampler stalls.
func TestWaitSample(t *testing.T) {
	a := New(Options{Interval: time.Hour})
	a.publish(testSnapshot(t0))
	done := make(chan struct{})
	go func() {
		a.WaitSample(context.Background(), t0)
		close(done)
	}()
	select {
	case <-done:
		t.Fatal("WaitSample returned before a newer sample")
	case <-time.After(20 * time.Millisecond):
	}
	a.publish(testSnapshot(t0.Add(time.Second)))
	<-done
	// Already newer: at once.
	a.WaitSample(context.Background(), t0)
	// A stalled sampler: bounded by the interval.
	b := New(Options{Interval: 10 * time.Millisecond})
	b.WaitSample(context.Background(), t0)
	// ctx ends the wait.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a.WaitSample(ctx, t0.Add(time.Hour))
}

// TestCheckWithoutAlarmsNotifiesAvailability: a check without alarms has
// an implicit availability alarm whose changes are notified (it turned
// CRITICAL in the console, but nobody was told).
func TestCheckWithoutAlarmsNotifiesAvailability(t *testing.T) {
	n := &recordNotifier{}
	var posted []map[string]protocol.AlarmState
	a := newTestAgent(t, n, func(_ check.Def, _ check.Result, alarms map[string]protocol.AlarmState) {
		posted = append(posted, alarms)
	})
	def := check.Def{ID: "chMEM", Type: check.TypeMemory, Label: "memory", Period: 30 * time.Second}
	a.SetChecks([]check.Def{def})
	a.onResult(check.NewResult(def, t0))
	a.onResult(check.ErrorResult(def, t0.Add(time.Second), "Collecting memory failed: boom"))
	a.onResult(check.NewResult(def, t0.Add(2*time.Second)))
	var got []string
	for _, c := range n.changes {
		got = append(got, c.AlarmName+" "+c.Previous.String()+"->"+c.Current.String()+":"+c.Message)
	}
	want := []string{
		"availability UNKNOWN->OK:success",
		"availability OK->CRITICAL:Collecting memory failed: boom",
		"availability CRITICAL->OK:success",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("changes %q, want %q", got, want)
	}
	for _, p := range posted {
		if len(p) != 0 {
			t.Errorf("the implicit alarm reached a post: %v", p)
		}
	}
	if v := a.Checks(); len(v) != 1 || v[0].State != alarm.OK {
		t.Errorf("view %+v", v)
	}
}

// TestObservationKeeps64BitIntegers: a plugin's uint64/int64 metrics reach
// the criteria and the message exactly (float64 rounded 2^53+1 and
// MaxUint64).
func TestObservationKeeps64BitIntegers(t *testing.T) {
	r := check.NewResult(check.Def{ID: "p", Type: check.TypePlugin}, t0)
	r.Add("big", check.TypeUint64, "18446744073709551615", "")
	r.Add("odd", check.TypeInt64, "9007199254740993", "")
	r.Add("hex", check.TypeUint32, "0x10", "")
	r.Add("f", check.TypeDouble, "1.5", "")
	r.Add("s", check.TypeString, "up", "")
	c, err := alarm.Parse(`if (metric['odd'] == 9007199254740993 && metric['big'] > 18446744073709551614 && metric['hex'] == 16) {
  return new AlarmStatus(CRITICAL, '#{big} #{odd}'); }
return new AlarmStatus(OK, 'rounded');`)
	if err != nil {
		t.Fatal(err)
	}
	res := c.Evaluate(Observation(r), nil)
	if res.State != alarm.Critical || res.Message != "18446744073709551615 9007199254740993" {
		t.Fatalf("result %+v", res)
	}
	obs := Observation(r)
	if obs.Metrics["s"].String() != "up" || obs.Metrics["f"].String() != "1.5" {
		t.Errorf("metrics %v", obs.Metrics)
	}
}
