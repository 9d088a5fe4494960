package notify

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// runDispatcher starts d.Run and returns a function that closes d and
// returns Run's result.
func runDispatcher(t *testing.T, d *Dispatcher) func() error {
	t.Helper()
	runErr := make(chan error, 1)
	go func() { runErr <- d.Run(context.Background()) }()
	waitRunning(d)
	return func() error {
		if err := d.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
		return <-runErr
	}
}

// waitRunning returns once Run has claimed d, so a following Close drains
// through Run rather than starting the workers itself.
func waitRunning(d *Dispatcher) {
	for {
		d.mu.Lock()
		r := d.running
		d.mu.Unlock()
		if r {
			return
		}
		runtime.Gosched()
	}
}

func newTestDispatcher(t *testing.T, o DispatcherOptions, ns ...Notifier) (*Dispatcher, *fakeSleep) {
	t.Helper()
	sl := &fakeSleep{}
	if o.Sleep == nil {
		o.Sleep = sl.Sleep
	}
	if o.Now == nil {
		o.Now = func() time.Time { return fixedNow }
	}
	if o.Rand == nil {
		o.Rand = func() float64 { return 0.5 }
	}
	if o.Logger == nil {
		o.Logger = discardLogger()
	}
	d, err := NewDispatcher(ns, o)
	if err != nil {
		t.Fatal(err)
	}
	return d, sl
}

// results renders attempts compactly for table comparisons.
func results(as []Attempt) []string {
	var out []string
	for _, a := range as {
		s := a.Notifier + " " + a.Result + " try=" + strconv.Itoa(a.Try)
		if a.Final {
			s += " final"
		}
		if a.Err != "" {
			s += " err=" + a.Err
		}
		out = append(out, s)
	}
	return out
}

func TestDispatcherRetriesWithBackoffThenSucceeds(t *testing.T) {
	n := &fakeNotifier{name: "fake", errs: []error{errors.New("boom 1"), errors.New("boom 2")}}
	d, sl := newTestDispatcher(t, DispatcherOptions{}, n)
	stop := runDispatcher(t, d)
	if !d.Enqueue(testEvent()) {
		t.Fatal("Enqueue dropped the event")
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got, want := sl.get(), []time.Duration{time.Second, 2 * time.Second}; !reflect.DeepEqual(got, want) {
		t.Errorf("backoff waits = %v, want %v", got, want)
	}
	if got := len(n.events()); got != 3 {
		t.Errorf("Notify called %d times, want 3", got)
	}
	want := []string{"fake retry try=1 err=boom 1", "fake retry try=2 err=boom 2", "fake sent try=3 final"}
	if got := results(d.Recent(0)); !reflect.DeepEqual(got, want) {
		t.Errorf("Recent = %q, want %q", got, want)
	}
	if got, want := d.Stats(), map[string]NotifierStats{"fake": {Sent: 1, Retried: 2}}; !reflect.DeepEqual(got, want) {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
	a := d.Recent(1)[0]
	wantA := Attempt{Time: fixedNow, Notifier: "fake", AlarmKey: "web1/chCPU1/alHighCPU", Event: "web1 cpu WARNING->CRITICAL", Try: 3, Result: ResultSent, Final: true}
	if a != wantA {
		t.Errorf("last attempt = %+v, want %+v", a, wantA)
	}
}

func TestDispatcherGivesUp(t *testing.T) {
	tests := []struct {
		name    string
		errs    []error
		max     int
		waits   []time.Duration
		results []string
		stats   NotifierStats
	}{
		{
			name:    "attempts exhausted",
			errs:    []error{errors.New("e1"), errors.New("e2"), errors.New("e3")},
			max:     3,
			waits:   []time.Duration{time.Second, 2 * time.Second},
			results: []string{"fake retry try=1 err=e1", "fake retry try=2 err=e2", "fake failed try=3 final err=e3"},
			stats:   NotifierStats{Failed: 1, Retried: 2},
		},
		{
			name:    "permanent error",
			errs:    []error{Permanent(errors.New("400 bad"))},
			max:     5,
			results: []string{"fake failed try=1 final err=400 bad"},
			stats:   NotifierStats{Failed: 1},
		},
		{
			name:    "permanent after a retry",
			errs:    []error{errors.New("503"), Permanent(errors.New("404"))},
			max:     5,
			waits:   []time.Duration{time.Second},
			results: []string{"fake retry try=1 err=503", "fake failed try=2 final err=404"},
			stats:   NotifierStats{Failed: 1, Retried: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := &fakeNotifier{name: "fake", errs: tt.errs}
			d, sl := newTestDispatcher(t, DispatcherOptions{MaxAttempts: tt.max}, n)
			stop := runDispatcher(t, d)
			d.Enqueue(testEvent())
			_ = stop()
			if got := sl.get(); !reflect.DeepEqual(got, tt.waits) {
				t.Errorf("waits = %v, want %v", got, tt.waits)
			}
			if got := results(d.Recent(0)); !reflect.DeepEqual(got, tt.results) {
				t.Errorf("Recent = %q, want %q", got, tt.results)
			}
			if got := d.Stats()["fake"]; got != tt.stats {
				t.Errorf("Stats = %+v, want %+v", got, tt.stats)
			}
		})
	}
}

func TestDispatcherBackoff(t *testing.T) {
	tests := []struct {
		name string
		o    DispatcherOptions
		rand float64
		want []time.Duration
	}{
		{"doubling, no jitter at 0.5", DispatcherOptions{}, 0.5, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}},
		{"capped", DispatcherOptions{MaxBackoff: 3 * time.Second}, 0.5, []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second}},
		{"jitter low end", DispatcherOptions{}, 0, []time.Duration{800 * time.Millisecond, 1600 * time.Millisecond, 3200 * time.Millisecond, 6400 * time.Millisecond}},
		{"jitter high end", DispatcherOptions{Jitter: 0.5}, 0.75, []time.Duration{1250 * time.Millisecond, 2500 * time.Millisecond, 5 * time.Second, 10 * time.Second}},
		{"no jitter", DispatcherOptions{Jitter: -1, BaseBackoff: 100 * time.Millisecond}, 0, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			o.Rand = func() float64 { return tt.rand }
			d, _ := newTestDispatcher(t, o)
			var got []time.Duration
			for n := 1; n <= 4; n++ {
				got = append(got, d.backoff(n))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("backoff = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDispatcherRateLimitPerAlarm(t *testing.T) {
	clock := &fakeClock{t: fixedNow}
	a, b := &fakeNotifier{name: "a"}, &fakeNotifier{name: "b"}
	d, _ := newTestDispatcher(t, DispatcherOptions{Now: clock.Now}, a, b)
	ev := func(alarm, prev, cur string) Event {
		e := testEvent()
		e.AlarmName, e.Previous, e.Current = alarm, prev, cur
		return e
	}
	steps := []struct {
		at   time.Duration // since fixedNow
		ev   Event
		sent bool
	}{
		{0, ev("al1", "OK", "CRITICAL"), true},
		{10 * time.Second, ev("al1", "CRITICAL", "WARNING"), false}, // no token
		{10 * time.Second, ev("al2", "OK", "WARNING"), true},        // other alarm, own bucket
		{20 * time.Second, ev("al1", "WARNING", "OK"), true},        // recovery after CRITICAL was sent: always
		{30 * time.Second, ev("al1", "OK", "CRITICAL"), false},      // no token
		{40 * time.Second, ev("al1", "CRITICAL", "OK"), false},      // receivers already think OK
		{100 * time.Second, ev("al1", "OK", "WARNING"), true},       // refilled
		{110 * time.Second, ev("al1", "WARNING", "OK"), true},       // recovery
	}
	var want []Event
	for _, s := range steps {
		clock.t = fixedNow.Add(s.at)
		d.Enqueue(s.ev)
		if s.sent {
			want = append(want, s.ev)
		}
	}
	stop := runDispatcher(t, d)
	_ = stop()
	for _, n := range []*fakeNotifier{a, b} {
		if got := n.events(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s got %d events %v, want %d %v", n.name, len(got), summaries(got), len(want), summaries(want))
		}
	}
	wantStats := NotifierStats{Sent: 5, Suppressed: 3}
	if got := d.Stats(); !reflect.DeepEqual(got, map[string]NotifierStats{"a": wantStats, "b": wantStats}) {
		t.Errorf("Stats = %+v", got)
	}
	var suppressed []string
	for _, at := range d.Recent(0) {
		if at.Result == ResultSuppressed {
			suppressed = append(suppressed, at.Notifier+" "+at.Event+" "+at.Time.Sub(fixedNow).String())
		}
	}
	wantSup := []string{
		"a web1 cpu CRITICAL->WARNING 10s", "b web1 cpu CRITICAL->WARNING 10s",
		"a web1 cpu OK->CRITICAL 30s", "b web1 cpu OK->CRITICAL 30s",
		"a web1 cpu CRITICAL->OK 40s", "b web1 cpu CRITICAL->OK 40s",
	}
	if !reflect.DeepEqual(suppressed, wantSup) {
		t.Errorf("suppressed = %q, want %q", suppressed, wantSup)
	}
}

func TestDispatcherRateLimitBurstAndDisable(t *testing.T) {
	tests := []struct {
		limit  int
		window time.Duration
		sent   uint64
	}{
		{limit: 3, window: time.Minute, sent: 3},
		{limit: -1, sent: 10},
		{limit: 1, window: time.Second, sent: 10}, // 1 per second, events 1 s apart
	}
	for _, tt := range tests {
		clock := &fakeClock{t: fixedNow}
		n := &fakeNotifier{name: "n"}
		d, _ := newTestDispatcher(t, DispatcherOptions{Now: clock.Now, RateLimit: tt.limit, RateWindow: tt.window}, n)
		for i := 0; i < 10; i++ {
			e := testEvent()
			e.Current = []string{StateWarning, StateCritical}[i%2]
			d.Enqueue(e)
			clock.Advance(time.Second)
		}
		stop := runDispatcher(t, d)
		_ = stop()
		if got := d.Stats()["n"]; got.Sent != tt.sent || got.Suppressed != 10-tt.sent {
			t.Errorf("limit %d/%s: stats %+v, want %d sent", tt.limit, tt.window, got, tt.sent)
		}
	}
}

func TestDispatcherRateLimitPrunesIdleBuckets(t *testing.T) {
	clock := &fakeClock{t: fixedNow}
	d, _ := newTestDispatcher(t, DispatcherOptions{Now: clock.Now, QueueSize: 1}, &fakeNotifier{name: "n"})
	r := d.routes[0]
	for i := 0; i < 1024; i++ {
		e := testEvent()
		e.AlarmName = "al" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26))
		e.Current = StateOK
		d.Enqueue(e)
	}
	if len(r.buckets) != 1024 {
		t.Fatalf("buckets = %d, want 1024", len(r.buckets))
	}
	clock.Advance(time.Hour)
	e := testEvent()
	e.AlarmName = "fresh"
	d.Enqueue(e)
	if len(r.buckets) != 1 {
		t.Errorf("after an idle hour, buckets = %d, want 1 (the new one)", len(r.buckets))
	}
	_ = d.Close(context.Background())
}

func summaries(evs []Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.AlarmName+":"+e.Previous+"->"+e.Current)
	}
	return out
}

func TestDispatcherQueueOverflowIsCountedNotBlocking(t *testing.T) {
	n := &fakeNotifier{name: "slow", block: make(chan struct{}), started: make(chan struct{}, 10)}
	other := &fakeNotifier{name: "fast"}
	d, _ := newTestDispatcher(t, DispatcherOptions{QueueSize: 2, RateLimit: -1}, n, other)
	stop := runDispatcher(t, d)
	if !d.Enqueue(testEvent()) {
		t.Fatal("first event dropped")
	}
	<-n.started // the worker holds event 1; the queue is empty again
	for i := 0; i < 2; i++ {
		if !d.Enqueue(testEvent()) {
			t.Fatalf("event %d dropped", i+2)
		}
	}
	if d.Enqueue(testEvent()) {
		t.Fatal("fourth event fitted in a full queue")
	}
	close(n.block)
	_ = stop()
	st := d.Stats()
	if want := (NotifierStats{Sent: 3, Dropped: 1}); st["slow"] != want {
		t.Errorf("slow stats = %+v, want %+v", st["slow"], want)
	}
	// The fast notifier's queue drains while the slow one blocks; it may or
	// may not have been full, but every event is accounted for.
	if f := st["fast"]; f.Sent+f.Dropped != 4 || f.Failed != 0 {
		t.Errorf("fast stats = %+v, want 4 sent or dropped", f)
	}
	var dropped []string
	for _, a := range d.Recent(0) {
		if a.Result == ResultDropped && a.Notifier == "slow" {
			dropped = append(dropped, a.Err)
		}
	}
	if !reflect.DeepEqual(dropped, []string{"queue full"}) {
		t.Errorf("dropped entries = %q", dropped)
	}
}

func TestDispatcherCloseWithoutRunDelivers(t *testing.T) {
	n := &fakeNotifier{name: "n"}
	d, _ := newTestDispatcher(t, DispatcherOptions{QueueSize: 2, RateLimit: -1}, n)
	d.Enqueue(testEvent())
	d.Enqueue(testEvent())
	if d.Enqueue(testEvent()) {
		t.Error("third event fitted in a queue of two")
	}
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d.Enqueue(testEvent()) {
		t.Error("Enqueue after Close accepted the event")
	}
	if got := d.Stats()["n"]; got != (NotifierStats{Sent: 2, Dropped: 2}) {
		t.Errorf("Stats = %+v, want 2 sent, 2 dropped", got)
	}
	want := []string{"n dropped try=0 final err=queue full", "n sent try=1 final",
		"n sent try=1 final", "n dropped try=0 final err=dispatcher closed"}
	if got := results(d.Recent(0)); !reflect.DeepEqual(got, want) {
		t.Errorf("Recent = %q, want %q", got, want)
	}
	if err := d.Run(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Run after Close = %v, want ErrClosed", err)
	}
	if err := d.Close(context.Background()); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

func TestDispatcherCloseWaitsForInFlight(t *testing.T) {
	n := &fakeNotifier{name: "n", block: make(chan struct{}), started: make(chan struct{}, 1)}
	d, _ := newTestDispatcher(t, DispatcherOptions{}, n)
	runErr := make(chan error, 1)
	go func() { runErr <- d.Run(context.Background()) }()
	waitRunning(d)
	d.Enqueue(testEvent())
	<-n.started
	closed := make(chan error, 1)
	go func() { closed <- d.Close(context.Background()) }()
	close(n.block)
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-runErr; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := d.Stats()["n"]; got != (NotifierStats{Sent: 1}) {
		t.Errorf("Stats = %+v, want 1 sent", got)
	}
}

func TestDispatcherCloseDeadlineAbandonsDeliveries(t *testing.T) {
	n := &fakeNotifier{name: "n", block: make(chan struct{}), started: make(chan struct{}, 1)}
	d, _ := newTestDispatcher(t, DispatcherOptions{RateLimit: -1}, n)
	runErr := make(chan error, 1)
	go func() { runErr <- d.Run(context.Background()) }()
	waitRunning(d)
	d.Enqueue(testEvent())
	d.Enqueue(testEvent())
	<-n.started
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the deadline has already passed
	err := d.Close(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Close = %v, want context.Canceled", err)
	}
	if err := <-runErr; err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := NotifierStats{Failed: 1, Dropped: 1}
	if got := d.Stats()["n"]; got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
	want2 := []string{"n failed try=1 final err=context canceled", "n dropped try=0 final err=dispatcher stopped"}
	if got := results(d.Recent(0)); !reflect.DeepEqual(got, want2) {
		t.Errorf("Recent = %q, want %q", got, want2)
	}
}

func TestDispatcherRunStopsWithContext(t *testing.T) {
	n := &fakeNotifier{name: "n", errs: []error{errors.New("down")}}
	block := make(chan struct{})
	sleepStarted := make(chan struct{})
	o := DispatcherOptions{Sleep: func(ctx context.Context, d time.Duration) error {
		close(sleepStarted)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-block:
			return nil
		}
	}}
	d, _ := newTestDispatcher(t, o, n)
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- d.Run(ctx) }()
	waitRunning(d)
	d.Enqueue(testEvent())
	<-sleepStarted // waiting to retry
	cancel()
	if err := <-runErr; err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	want := []string{"n retry try=1 err=down", "n failed try=1 final err=stopped before retry: context canceled"}
	if got := results(d.Recent(0)); !reflect.DeepEqual(got, want) {
		t.Errorf("Recent = %q, want %q", got, want)
	}
	if d.Enqueue(testEvent()) {
		t.Error("Enqueue after Run stopped accepted the event")
	}
	if err := d.Close(context.Background()); err != nil {
		t.Errorf("Close after Run stopped = %v", err)
	}
	if err := d.Run(context.Background()); err == nil {
		t.Error("second Run succeeded")
	}
}

func TestDispatcherRecentIsBounded(t *testing.T) {
	n := &fakeNotifier{name: "n"}
	d, _ := newTestDispatcher(t, DispatcherOptions{HistorySize: 3, RateLimit: -1}, n)
	if got := d.Recent(5); len(got) != 0 {
		t.Errorf("empty Recent = %v", got)
	}
	stop := runDispatcher(t, d)
	for _, cur := range []string{"A", "B", "C", "D", "E"} {
		e := testEvent()
		e.Current = cur
		d.Enqueue(e)
	}
	_ = stop()
	events := func(as []Attempt) (out []string) {
		for _, a := range as {
			out = append(out, a.Event)
		}
		return out
	}
	if got, want := events(d.Recent(0)), []string{"web1 cpu WARNING->C", "web1 cpu WARNING->D", "web1 cpu WARNING->E"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Recent(0) = %q, want %q", got, want)
	}
	if got, want := events(d.Recent(2)), []string{"web1 cpu WARNING->D", "web1 cpu WARNING->E"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Recent(2) = %q, want %q", got, want)
	}
}

func TestDispatcherLogs(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	n := &fakeNotifier{name: "hook", errs: []error{Permanent(errors.New("HTTP status 400"))}}
	d, _ := newTestDispatcher(t, DispatcherOptions{Logger: logger}, n)
	stop := runDispatcher(t, d)
	d.Enqueue(testEvent())
	d.Enqueue(testEvent())
	_ = stop()
	want := `level=INFO msg="notification suppressed" notifier=hook alarm=web1/chCPU1/alHighCPU event="web1 cpu WARNING->CRITICAL" err="rate limit"` + "\n"
	want2 := `level=ERROR msg="notification failed" notifier=hook alarm=web1/chCPU1/alHighCPU event="web1 cpu WARNING->CRITICAL" try=1 duration=0s err="HTTP status 400"` + "\n"
	got := buf.String()
	if !strings.Contains(got, want) || !strings.Contains(got, want2) || strings.Count(got, "\n") != 2 {
		t.Errorf("log =\n%s\nwant lines\n%s%s", got, want, want2)
	}
}

func TestNewDispatcherRejects(t *testing.T) {
	tests := []struct {
		ns   []Notifier
		o    DispatcherOptions
		want string
	}{
		{[]Notifier{&fakeNotifier{name: "a"}, &fakeNotifier{name: "a"}}, DispatcherOptions{}, `notify: two notifiers are named "a"`},
		{[]Notifier{nil}, DispatcherOptions{}, "notify: notifier 0 is nil"},
		{[]Notifier{&fakeNotifier{}}, DispatcherOptions{}, "notify: notifier 0 has an empty name"},
		{nil, DispatcherOptions{QueueSize: -1}, "notify: dispatcher options must not be negative (except Jitter and RateLimit)"},
		{nil, DispatcherOptions{Jitter: 1}, "notify: jitter must be below 1, got 1"},
	}
	for _, tt := range tests {
		_, err := NewDispatcher(tt.ns, tt.o)
		if err == nil || err.Error() != tt.want {
			t.Errorf("err = %v, want %q", err, tt.want)
		}
	}
	d, err := NewDispatcher([]Notifier{&fakeNotifier{name: "x"}, &fakeNotifier{name: "y"}}, DispatcherOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Notifiers(); !reflect.DeepEqual(got, []string{"x", "y"}) {
		t.Errorf("Notifiers = %v", got)
	}
}
