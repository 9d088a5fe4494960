package notify

import (
	"context"
	"errors"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

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
	d, clock := newTestDispatcher(t, DispatcherOptions{}, n)
	stop := runDispatcher(t, d)
	if !d.Enqueue(testEvent()) {
		t.Fatal("Enqueue refused the event")
	}
	waitFor(t, "the delivery", func() bool { return d.Stats()["fake"].Sent == 1 })
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got, want := clock.slept(), []time.Duration{time.Second, 2 * time.Second}; !reflect.DeepEqual(got, want) {
		t.Errorf("backoff waits = %v, want %v", got, want)
	}
	want := []string{"fake retry try=1 err=boom 1", "fake retry try=2 err=boom 2", "fake sent try=3 final"}
	if got := results(d.Recent(0)); !reflect.DeepEqual(got, want) {
		t.Errorf("Recent = %q, want %q", got, want)
	}
	if got, want := d.Stats()["fake"], (NotifierStats{Sent: 1, Failed: 2, Retried: 2}); got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
	a := d.Recent(1)[0]
	wantA := Attempt{Time: fixedNow.Add(3 * time.Second), Notifier: "fake", AlarmKey: "web1/chCPU1/alHighCPU", Event: "web1 cpu OK->CRITICAL", Try: 3, Result: ResultSent, Final: true}
	if a != wantA {
		t.Errorf("last attempt = %+v, want %+v", a, wantA)
	}
	ev := n.events()[0]
	if ev.Previous != StateOK || ev.Changes != 1 || ev.Worst != nil {
		t.Errorf("delivered %+v: Previous must be what the receiver was told (OK)", ev)
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
	d, _ := newTestDispatcher(t, DispatcherOptions{})
	if got := d.backoff(64); got != DefaultMaxBackoff {
		t.Errorf("backoff(64) = %s, want the cap %s", got, DefaultMaxBackoff)
	}
}

// TestDispatcherCloseWithoutRunDeliversWhatIsDue: Close delivers what is
// due now, does not wait for the rate limit, and keeps the rest pending.
func TestDispatcherCloseWithoutRunDeliversWhatIsDue(t *testing.T) {
	n := &fakeNotifier{name: "n"}
	d, _ := newTestDispatcher(t, DispatcherOptions{}, n)
	a := testEvent()
	b := testEvent()
	b.AlarmName = "other"
	d.Enqueue(a)
	d.Enqueue(b)
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := delivered(n.events()); len(got) != 2 {
		t.Errorf("delivered %q, want both alarms", got)
	}
	if d.Enqueue(testEvent()) {
		t.Error("Enqueue after Close accepted the event")
	}
	if err := d.Run(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Run after Close = %v, want ErrClosed", err)
	}
	if err := d.Close(context.Background()); err != nil {
		t.Errorf("second Close = %v", err)
	}

	// A change held by the rate limit is not waited for: it stays pending.
	n2 := &fakeNotifier{name: "n"}
	d2, clock := newTestDispatcher(t, DispatcherOptions{}, n2)
	d2.Enqueue(a)
	pump(t, d2)
	clock.Set(fixedNow.Add(time.Second))
	a.Current = StateWarning
	d2.Enqueue(a)
	if err := d2.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := d2.Stats()["n"]; st.Sent != 1 || st.Pending != 1 {
		t.Errorf("stats %+v, want 1 sent, 1 pending", st)
	}
}

func TestDispatcherCloseWaitsForInFlight(t *testing.T) {
	n := &fakeNotifier{name: "n", block: make(chan struct{}), started: make(chan struct{}, 1)}
	d, _ := newTestDispatcher(t, DispatcherOptions{}, n)
	runErr := make(chan error, 1)
	go func() { runErr <- d.Run(context.Background()) }()
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
	d, _ := newTestDispatcher(t, DispatcherOptions{}, n)
	runErr := make(chan error, 1)
	go func() { runErr <- d.Run(context.Background()) }()
	d.Enqueue(testEvent())
	<-n.started
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the deadline has already passed
	if err := d.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close = %v, want context.Canceled", err)
	}
	if err := <-runErr; err != nil {
		t.Fatalf("Run: %v", err)
	}
	// Not lost: still owed, for the next start when there is a state dir.
	if got, want := d.Stats()["n"], (NotifierStats{Failed: 1, Pending: 1}); got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
	if got, want := results(d.Recent(0)), []string{"n retry try=1 err=context canceled"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Recent = %q, want %q", got, want)
	}
}

func TestDispatcherRunStopsWithContext(t *testing.T) {
	n := &fakeNotifier{name: "n", errs: []error{errors.New("down")}}
	block := make(chan struct{})
	sleeping := make(chan struct{}, 1)
	o := DispatcherOptions{Sleep: func(ctx context.Context, _ time.Duration) error {
		sleeping <- struct{}{}
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
	d.Enqueue(testEvent())
	<-sleeping // backing off
	cancel()
	if err := <-runErr; err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if got, want := results(d.Recent(0)), []string{"n retry try=1 err=down"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Recent = %q, want %q", got, want)
	}
	if st := d.Stats()["n"]; st.Pending != 1 {
		t.Errorf("stats %+v: the undelivered state must stay pending", st)
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

// TestDispatcherConcurrency runs Enqueue from many goroutines against two
// receivers (one slow) with a state dir, under -race: every alarm's last
// state reaches both, the counters add up, and no goroutine outlives
// Close.
func TestDispatcherConcurrency(t *testing.T) {
	before := runtime.NumGoroutine()
	fast := &fakeNotifier{name: "fast"}
	slow := &fakeNotifier{name: "slow", fail: func(Event) error {
		time.Sleep(50 * time.Microsecond)
		return nil
	}}
	d, err := NewDispatcher([]Notifier{fast, slow}, DispatcherOptions{RateLimit: -1, StateDir: t.TempDir(), Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	runErr := make(chan error, 1)
	go func() { runErr <- d.Run(context.Background()) }()
	const writers, perWriter = 8, 300
	states := []string{StateOK, StateWarning, StateCritical}
	var wg sync.WaitGroup
	changes := 0
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				ev := testEvent()
				ev.AlarmName = "al" + strconv.Itoa(w)
				ev.Current = states[(i+1)%3]
				d.Enqueue(ev)
				_ = d.Stats()
				_, _ = d.Told("fast", ev.Key())
			}
		}()
		changes += perWriter
	}
	wg.Wait()
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-runErr; err != nil {
		t.Fatal(err)
	}
	last := states[perWriter%3]
	for _, name := range []string{"fast", "slow"} {
		for w := 0; w < writers; w++ {
			key := "web1/chCPU1/al" + strconv.Itoa(w)
			if told, _ := d.Told(name, key); told != last {
				t.Errorf("%s told %s for %s, want %s", name, told, key, last)
			}
		}
		st := d.Stats()[name]
		// The last state of every writer is OK again after 300 changes
		// from OK, so each change was either sent or coalesced.
		if st.Pending != 0 || st.Sent+st.Coalesced != uint64(changes) {
			t.Errorf("%s stats %+v: sent+coalesced want %d", name, st, changes)
		}
	}
	waitFor(t, "the goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}

func TestDispatcherLogs(t *testing.T) {
	var logs logBuffer
	n := &fakeNotifier{name: "hook", errs: []error{Permanent(errors.New("HTTP status 400"))}}
	d, clock := newTestDispatcher(t, DispatcherOptions{Logger: logs.logger()}, n)
	ev := testEvent()
	d.Enqueue(ev)
	pump(t, d) // fails
	clock.Set(fixedNow.Add(5 * time.Minute))
	pump(t, d) // sent
	clock.Set(fixedNow.Add(5*time.Minute + time.Second))
	ev.Current = StateWarning
	d.Enqueue(ev)
	pump(t, d) // deferred
	want := []string{
		`level=ERROR msg="notification failed" notifier=hook alarm=web1/chCPU1/alHighCPU event="web1 cpu OK->CRITICAL" try=1 duration=0s err="HTTP status 400"`,
		`level=INFO msg="notification sent" notifier=hook alarm=web1/chCPU1/alHighCPU event="web1 cpu OK->CRITICAL" try=2 duration=0s`,
		`level=INFO msg="notification deferred" notifier=hook alarm=web1/chCPU1/alHighCPU event="web1 cpu CRITICAL->WARNING" err="rate limit until 2026-11-24T16:06:00Z"`,
	}
	got := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("log =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestDispatcherRecentIsBounded(t *testing.T) {
	n := &fakeNotifier{name: "n"}
	d, _ := newTestDispatcher(t, DispatcherOptions{HistorySize: 3, RateLimit: -1}, n)
	if got := d.Recent(5); len(got) != 0 {
		t.Errorf("empty Recent = %v", got)
	}
	for _, cur := range []string{"A", "B", "C", "D", "E"} {
		e := testEvent()
		e.Current = cur
		d.Enqueue(e)
		pump(t, d)
	}
	events := func(as []Attempt) (out []string) {
		for _, a := range as {
			out = append(out, a.Event)
		}
		return out
	}
	if got, want := events(d.Recent(0)), []string{"web1 cpu B->C", "web1 cpu C->D", "web1 cpu D->E"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Recent(0) = %q, want %q", got, want)
	}
	if got, want := events(d.Recent(2)), []string{"web1 cpu C->D", "web1 cpu D->E"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Recent(2) = %q, want %q", got, want)
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
		{nil, DispatcherOptions{MaxOutboxEntries: -1}, "notify: dispatcher options must not be negative (except Jitter and RateLimit)"},
		{nil, DispatcherOptions{MaxOutboxAge: -time.Hour}, "notify: dispatcher options must not be negative (except Jitter and RateLimit)"},
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
