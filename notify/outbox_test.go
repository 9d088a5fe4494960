package notify

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// step sets an alarm's state at an offset from fixedNow.
type step struct {
	at    time.Duration
	alarm string // default "al"
	state string
}

// stamp renders a delivered event with the virtual time it was sent at.
func stamp(ev Event, now time.Time) string {
	return delivered([]Event{ev})[0] + "@" + now.Sub(fixedNow).String()
}

// playSteps enqueues steps on d at their times, running the workers'
// logic in between, then runs on until end.
func playSteps(t *testing.T, d *Dispatcher, clock *virtualClock, steps []step, end time.Duration) {
	t.Helper()
	for _, s := range steps {
		advance(t, d, clock, fixedNow.Add(s.at))
		ev := testEvent()
		ev.AlarmName, ev.Current, ev.Message, ev.Time = "al", s.state, "state "+s.state, clock.Now()
		if s.alarm != "" {
			ev.AlarmName = s.alarm
		}
		if !d.Enqueue(ev) {
			t.Fatalf("Enqueue at %s refused", s.at)
		}
	}
	advance(t, d, clock, fixedNow.Add(end))
}

// TestOutboxRateLimitCoalesces drives alarms through state sequences under
// the default limit (1 per minute per alarm) and checks what one receiver
// is sent, when, and what it is left believing.
func TestOutboxRateLimitCoalesces(t *testing.T) {
	const C, W, O, U = StateCritical, StateWarning, StateOK, StateUnknown
	tests := []struct {
		name      string
		o         DispatcherOptions
		steps     []step
		want      []string // alarm:told->[worst->]current (changes)@sent at
		told      string   // what "al" is left told
		coalesced uint64
	}{
		{
			name:  "issue 12: CRITICAL, OK, CRITICAL within 10 s; the last CRITICAL when the window reopens",
			steps: []step{{0, "", C}, {5 * time.Second, "", O}, {10 * time.Second, "", C}},
			want:  []string{"al:OK->CRITICAL@0s", "al:CRITICAL->OK@5s", "al:OK->CRITICAL@1m0s"},
			told:  C,
		},
		{
			name:      "a flap to CRITICAL and back inside the window is still reported",
			steps:     []step{{0, "", C}, {5 * time.Second, "", O}, {10 * time.Second, "", C}, {15 * time.Second, "", O}},
			want:      []string{"al:OK->CRITICAL@0s", "al:CRITICAL->OK@5s", "al:OK->CRITICAL->OK (2)@1m0s"},
			told:      O,
			coalesced: 1,
		},
		{
			name:      "a recovery after a missed CRITICAL goes at once and carries it",
			steps:     []step{{0, "", W}, {5 * time.Second, "", C}, {10 * time.Second, "", O}, {20 * time.Second, "", W}},
			want:      []string{"al:OK->WARNING@0s", "al:WARNING->CRITICAL->OK (2)@10s", "al:OK->WARNING@1m0s"},
			told:      W,
			coalesced: 1,
		},
		{
			name:      "a flap inside the window ends in a third state: worst and current",
			steps:     []step{{0, "", C}, {5 * time.Second, "", O}, {10 * time.Second, "", W}, {15 * time.Second, "", C}, {20 * time.Second, "", W}},
			want:      []string{"al:OK->CRITICAL@0s", "al:CRITICAL->OK@5s", "al:OK->CRITICAL->WARNING (3)@1m0s"},
			told:      W,
			coalesced: 2,
		},
		{
			name:  "an escalation waits for the window",
			steps: []step{{0, "", W}, {10 * time.Second, "", C}},
			want:  []string{"al:OK->WARNING@0s", "al:WARNING->CRITICAL@1m0s"},
			told:  C,
		},
		{
			name:  "a recovery is sent at once",
			steps: []step{{0, "", C}, {10 * time.Second, "", O}},
			want:  []string{"al:OK->CRITICAL@0s", "al:CRITICAL->OK@10s"},
			told:  O,
		},
		{
			name:      "changes that return to what the receiver was told send nothing",
			steps:     []step{{0, "", C}, {5 * time.Second, "", W}, {10 * time.Second, "", C}},
			want:      []string{"al:OK->CRITICAL@0s"},
			told:      C,
			coalesced: 2,
		},
		{
			name:  "a first OK is never sent, nor UNKNOWN -> OK",
			steps: []step{{0, "", O}, {time.Second, "", O}},
			told:  "",
		},
		{
			name:      "UNKNOWN is sent like a state, but a blip of it between OKs is not",
			steps:     []step{{0, "", W}, {5 * time.Second, "", O}, {10 * time.Second, "", U}, {15 * time.Second, "", O}, {2 * time.Minute, "", U}, {4 * time.Minute, "", O}},
			want:      []string{"al:OK->WARNING@0s", "al:WARNING->OK@5s", "al:OK->UNKNOWN@2m0s", "al:UNKNOWN->OK@4m0s"},
			told:      O,
			coalesced: 2,
		},
		{
			name: "a storm of changes: at most one per window plus recoveries",
			steps: func() []step {
				var s []step
				for i := 0; i < 60; i++ {
					s = append(s, step{time.Duration(i) * time.Second, "", []string{C, O}[i%2]})
				}
				return s
			}(),
			want:      []string{"al:OK->CRITICAL@0s", "al:CRITICAL->OK@1s", "al:OK->CRITICAL->OK (58)@1m0s"},
			told:      O,
			coalesced: 57,
		},
		{
			name:  "alarms have their own buckets",
			steps: []step{{0, "", C}, {time.Second, "b", C}, {2 * time.Second, "", W}},
			want:  []string{"al:OK->CRITICAL@0s", "b:OK->CRITICAL@1s", "al:CRITICAL->WARNING@1m0s"},
			told:  W,
		},
		{
			name:  "three per minute",
			o:     DispatcherOptions{RateLimit: 3},
			steps: []step{{0, "", W}, {time.Second, "", C}, {2 * time.Second, "", W}, {3 * time.Second, "", C}},
			want:  []string{"al:OK->WARNING@0s", "al:WARNING->CRITICAL@1s", "al:CRITICAL->WARNING@2s", "al:WARNING->CRITICAL@20s"},
			told:  C,
		},
		{
			name:  "no limit",
			o:     DispatcherOptions{RateLimit: -1},
			steps: []step{{0, "", W}, {time.Second, "", C}, {2 * time.Second, "", W}, {3 * time.Second, "", C}},
			want:  []string{"al:OK->WARNING@0s", "al:WARNING->CRITICAL@1s", "al:CRITICAL->WARNING@2s", "al:WARNING->CRITICAL@3s"},
			told:  C,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			var clock *virtualClock
			n := &fakeNotifier{name: "hook", fail: func(ev Event) error {
				got = append(got, stamp(ev, clock.Now()))
				return nil
			}}
			var d *Dispatcher
			d, clock = newTestDispatcher(t, tt.o, n)
			playSteps(t, d, clock, tt.steps, 10*time.Minute)
			if len(got)+len(tt.want) > 0 && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("sent\n%q\nwant\n%q", got, tt.want)
			}
			if told, _ := d.Told("hook", "web1/chCPU1/al"); told != tt.told && !(tt.told == "" && told == StateOK) {
				t.Errorf("told %q, want %q", told, tt.told)
			}
			st := d.Stats()["hook"]
			if st.Coalesced != tt.coalesced || st.Sent != uint64(len(tt.want)) || st.Pending != 0 {
				t.Errorf("stats %+v, want %d sent, %d coalesced, none pending", st, len(tt.want), tt.coalesced)
			}
		})
	}
}

// TestOutboxPreviousIsWhatEachReceiverWasTold: a receiver that was down
// is sent the change from what it last heard, not the alarm's previous
// state; the other receiver is unaffected by its outage.
func TestOutboxPreviousIsWhatEachReceiverWasTold(t *testing.T) {
	var clock *virtualClock
	down := true
	up := &fakeNotifier{name: "up"}
	flaky := &fakeNotifier{name: "flaky", fail: func(Event) error {
		if down {
			return errors.New("connection refused")
		}
		return nil
	}}
	var d *Dispatcher
	d, clock = newTestDispatcher(t, DispatcherOptions{RateLimit: -1}, up, flaky)
	playSteps(t, d, clock, []step{{0, "", StateWarning}, {10 * time.Second, "", StateCritical}}, 20*time.Second)
	down = false
	advance(t, d, clock, fixedNow.Add(time.Minute))
	if got, want := delivered(up.events()), []string{"al:OK->WARNING", "al:WARNING->CRITICAL"}; !reflect.DeepEqual(got, want) {
		t.Errorf("up got %q, want %q", got, want)
	}
	if got, want := delivered(flaky.events()), []string{"al:OK->CRITICAL (2)"}; !reflect.DeepEqual(got, want) {
		t.Errorf("flaky got %q, want %q", got, want)
	}
}

// TestOutboxOutage: a receiver down for 2 minutes while the alarm flaps
// is retried with capped backoff and then sent one event, the current
// state with the worst one in between; nothing is given up.
func TestOutboxOutage(t *testing.T) {
	tests := []struct {
		name    string
		outage  time.Duration
		o       DispatcherOptions
		waits   []time.Duration // between attempts
		want    []string
		failed  uint64
		retried uint64
	}{
		{
			name:   "2 minutes",
			outage: 2 * time.Minute,
			waits:  []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, 64 * time.Second},
			want:   []string{"al:OK->CRITICAL->WARNING (4)@2m7s"},
			failed: 7, retried: 7,
		},
		{
			name:   "an hour, backoff capped at 5 minutes",
			outage: time.Hour,
			waits: func() []time.Duration {
				w := []time.Duration{1, 2, 4, 8, 16, 32, 64, 128, 256}
				for i := range w {
					w[i] *= time.Second
				}
				for total := 511 * time.Second; total < time.Hour; total += 5 * time.Minute {
					w = append(w, 5*time.Minute)
				}
				return w
			}(),
			want:   []string{"al:OK->CRITICAL->WARNING (4)@1h3m31s"},
			failed: 20, retried: 20,
		},
		{
			name:   "a configured cap",
			outage: 10 * time.Second,
			o:      DispatcherOptions{BaseBackoff: 2 * time.Second, MaxBackoff: 3 * time.Second},
			waits:  []time.Duration{2 * time.Second, 3 * time.Second, 3 * time.Second, 3 * time.Second},
			want:   []string{"al:OK->CRITICAL->WARNING (4)@11s"},
			failed: 4, retried: 4,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var clock *virtualClock
			var tries []time.Time
			var got []string
			n := &fakeNotifier{name: "hook", fail: func(ev Event) error {
				tries = append(tries, clock.Now())
				if clock.Now().Before(fixedNow.Add(tt.outage)) {
					return errors.New("connection refused")
				}
				got = append(got, stamp(ev, clock.Now()))
				return nil
			}}
			var d *Dispatcher
			d, clock = newTestDispatcher(t, tt.o, n)
			playSteps(t, d, clock, []step{{0, "", StateCritical}, {200 * time.Millisecond, "", StateOK}, {400 * time.Millisecond, "", StateCritical}, {600 * time.Millisecond, "", StateWarning}}, 2*tt.outage)
			var waits []time.Duration
			for i := 1; i < len(tries); i++ {
				waits = append(waits, tries[i].Sub(tries[i-1]))
			}
			if !reflect.DeepEqual(waits, tt.waits) {
				t.Errorf("waits between attempts %v\nwant %v", waits, tt.waits)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("sent %q, want %q", got, tt.want)
			}
			want := NotifierStats{Sent: 1, Failed: tt.failed, Retried: tt.retried, Coalesced: 3}
			if st := d.Stats()["hook"]; st != want {
				t.Errorf("stats %+v, want %+v", st, want)
			}
		})
	}
}

// TestOutboxPermanentError: a permanent error is logged at ERROR and
// retried at MaxBackoff (the receiver's configuration may be fixed), and
// an alarm the receiver keeps refusing does not hold the others back.
func TestOutboxPermanentError(t *testing.T) {
	var logs logBuffer
	var clock *virtualClock
	var got []string
	n := &fakeNotifier{name: "hook", fail: func(ev Event) error {
		if ev.AlarmName == "bad" {
			return Permanent(errors.New("HTTP status 422"))
		}
		got = append(got, stamp(ev, clock.Now()))
		return nil
	}}
	var d *Dispatcher
	d, clock = newTestDispatcher(t, DispatcherOptions{Logger: logs.logger()}, n)
	playSteps(t, d, clock, []step{{0, "bad", StateCritical}, {time.Second, "good", StateCritical}}, 12*time.Minute)
	if want := []string{"good:OK->CRITICAL@5m0s"}; !reflect.DeepEqual(got, want) {
		t.Errorf("sent %q, want %q", got, want)
	}
	// bad: tried at 0, 5m (then good), 10m.
	if got := n.attempts(); got != 4 {
		t.Errorf("attempts = %d, want 4", got)
	}
	errs := logs.lines(`level=ERROR msg="notification failed" notifier=hook alarm=web1/chCPU1/bad`)
	if len(errs) != 3 || !strings.Contains(errs[0], `err="HTTP status 422"`) {
		t.Errorf("ERROR lines:\n%s", strings.Join(errs, "\n"))
	}
	if st := d.Stats()["hook"]; st.Pending != 1 || st.Expired != 0 {
		t.Errorf("stats %+v: the refused alarm must stay pending", st)
	}
}

// TestOutboxExpiry: only the outbox bounds give up an undelivered state,
// each logged at ERROR and counted; the alarm is owed again once its
// state changes.
func TestOutboxExpiry(t *testing.T) {
	tests := []struct {
		name    string
		o       DispatcherOptions
		steps   []step
		end     time.Duration
		expired []string // alarms given up, in order
		pending uint64
	}{
		{
			name:    "by age",
			o:       DispatcherOptions{MaxOutboxAge: time.Hour},
			steps:   []step{{0, "a", StateCritical}, {30 * time.Minute, "b", StateWarning}},
			end:     70 * time.Minute,
			expired: []string{"web1/chCPU1/a"},
			pending: 1,
		},
		{
			name:    "by age, default 72 h",
			steps:   []step{{0, "a", StateCritical}},
			end:     72 * time.Hour,
			expired: []string{"web1/chCPU1/a"},
		},
		{
			name:    "by count, oldest first",
			o:       DispatcherOptions{MaxOutboxEntries: 3},
			steps:   []step{{0, "a", StateCritical}, {time.Second, "b", StateCritical}, {2 * time.Second, "c", StateCritical}, {3 * time.Second, "d", StateCritical}, {4 * time.Second, "e", StateCritical}},
			end:     time.Minute,
			expired: []string{"web1/chCPU1/a", "web1/chCPU1/b"},
			pending: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs logBuffer
			tt.o.Logger = logs.logger()
			n := &fakeNotifier{name: "hook", fail: func(Event) error { return errors.New("503") }}
			d, clock := newTestDispatcher(t, tt.o, n)
			playSteps(t, d, clock, tt.steps, tt.end)
			var expired []string
			for _, a := range d.Recent(0) {
				if a.Result == ResultExpired {
					expired = append(expired, a.AlarmKey)
				}
			}
			if !reflect.DeepEqual(expired, tt.expired) {
				t.Errorf("expired %q, want %q", expired, tt.expired)
			}
			lines := logs.lines(`level=ERROR msg="notification expired"`)
			if len(lines) != len(tt.expired) {
				t.Errorf("ERROR lines %q, want %d", lines, len(tt.expired))
			}
			for i, l := range lines {
				if !strings.Contains(l, "alarm="+tt.expired[i]) || !strings.Contains(l, "->CRITICAL") {
					t.Errorf("expiry log %q does not name the alarm and state", l)
				}
			}
			st := d.Stats()["hook"]
			if st.Expired != uint64(len(tt.expired)) || st.Pending != tt.pending {
				t.Errorf("stats %+v, want %d expired, %d pending", st, len(tt.expired), tt.pending)
			}
			// Given up: no more attempts for it while it stays CRITICAL.
			key := tt.expired[0]
			alarm := key[strings.LastIndex(key, "/")+1:]
			triesFor := func() (k int) {
				n.mu.Lock()
				defer n.mu.Unlock()
				for _, ev := range n.calls {
					if ev.AlarmName == alarm {
						k++
					}
				}
				return k
			}
			before := triesFor()
			advance(t, d, clock, clock.Now().Add(time.Hour))
			if triesFor() != before {
				t.Errorf("an expired alarm was tried again")
			}
			// A change makes it owed again.
			n.mu.Lock()
			n.fail = nil
			n.mu.Unlock()
			ev := testEvent()
			ev.AlarmName, ev.Current = alarm, StateWarning
			d.Enqueue(ev)
			advance(t, d, clock, clock.Now().Add(time.Hour))
			if got, _ := d.Told("hook", key); got != StateWarning {
				t.Errorf("after the next change told %q, want WARNING", got)
			}
		})
	}
}

// TestOutboxChangeDuringDelivery: a change recorded while an attempt is in
// flight is owed after it, whether the attempt succeeds or fails.
func TestOutboxChangeDuringDelivery(t *testing.T) {
	tests := []struct {
		name      string
		first     string   // the state being delivered
		err       error    // the attempt's outcome
		then      []string // states recorded while the attempt is in flight
		want      []string // delivered after
		told      string
		coalesced uint64
	}{
		{"success, then a recovery", StateCritical, nil, []string{StateOK}, []string{"al:CRITICAL->OK"}, StateOK, 0},
		{"success, then worse", StateWarning, nil, []string{StateCritical}, []string{"al:WARNING->CRITICAL"}, StateCritical, 0},
		{"success, flap back", StateWarning, nil, []string{StateOK, StateWarning}, nil, StateWarning, 2},
		{"failure, back to what was told: the WARNING in between is still owed", StateWarning, errors.New("503"), []string{StateOK}, []string{"al:OK->WARNING->OK (2)"}, StateOK, 1},
		{"failure, then worse", StateWarning, errors.New("503"), []string{StateCritical}, []string{"al:OK->CRITICAL (2)"}, StateCritical, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d *Dispatcher
			first := true
			n := &fakeNotifier{name: "hook"}
			n.fail = func(Event) error {
				if !first {
					return nil
				}
				first = false
				for _, s := range tt.then {
					ev := testEvent()
					ev.AlarmName, ev.Current = "al", s
					d.Enqueue(ev)
				}
				return tt.err
			}
			d, _ = newTestDispatcher(t, DispatcherOptions{RateLimit: -1}, n)
			ev := testEvent()
			ev.AlarmName, ev.Current = "al", tt.first
			d.Enqueue(ev)
			r := d.routes[0]
			now := d.o.Now()
			j, _ := d.next(r, now)
			err := n.Notify(context.Background(), j.ev)
			d.finish(r, j, err, now)
			r.retryAt = time.Time{} // no backoff wait in this test
			before := len(n.events())
			pump(t, d)
			if got := delivered(n.events()[before:]); !reflect.DeepEqual(got, append([]string{}, tt.want...)) {
				t.Errorf("then sent %q, want %q", got, tt.want)
			}
			told, _ := d.Told("hook", ev.Key())
			if tt.told == "" {
				tt.told = StateOK
			}
			if told != tt.told {
				t.Errorf("told %s, want %s", told, tt.told)
			}
			if st := d.Stats()["hook"]; st.Coalesced != tt.coalesced || st.Pending != 0 {
				t.Errorf("stats %+v, want %d coalesced, nothing pending", st, tt.coalesced)
			}
		})
	}
}

// TestOutboxTold covers Told for known, unknown and never-told alarms.
func TestOutboxTold(t *testing.T) {
	n := &fakeNotifier{name: "hook"}
	d, _ := newTestDispatcher(t, DispatcherOptions{}, n)
	ev := testEvent()
	d.Enqueue(ev)
	if s, ok := d.Told("hook", ev.Key()); s != StateOK || ok {
		t.Errorf("before delivery Told = %q, %v; want OK, false", s, ok)
	}
	if st := d.Stats()["hook"]; st.Pending != 1 {
		t.Errorf("Pending = %d, want 1", st.Pending)
	}
	pump(t, d)
	if s, ok := d.Told("hook", ev.Key()); s != StateCritical || !ok {
		t.Errorf("Told = %q, %v; want CRITICAL, true", s, ok)
	}
	if s, ok := d.Told("nobody", ev.Key()); s != "" || ok {
		t.Errorf("unknown notifier: Told = %q, %v", s, ok)
	}
}

// TestOutboxPrunesForgettableEntries keeps the alarm map bounded when
// alarms come and go: entries told OK with a full bucket are forgotten,
// the others kept; an alarm never told and OK gets no entry at all.
func TestOutboxPrunesForgettableEntries(t *testing.T) {
	n := &fakeNotifier{name: "hook"}
	d, clock := newTestDispatcher(t, DispatcherOptions{}, n)
	enqueue := func(i int, state string) {
		ev := testEvent()
		ev.AlarmName, ev.Current = "al"+strconv.Itoa(i), state
		d.Enqueue(ev)
	}
	for i := 0; i < 1100; i++ {
		enqueue(i, StateCritical)
	}
	pump(t, d)
	for i := 0; i < 1100; i++ {
		if i%100 != 0 {
			enqueue(i, StateOK)
		}
	}
	for i := 0; i < 50; i++ {
		enqueue(5000+i, StateOK) // never told: nothing to remember
	}
	pump(t, d)
	r := d.routes[0]
	if len(r.alarms) != 1100 {
		t.Fatalf("%d alarms kept, want 1100", len(r.alarms))
	}
	clock.Set(fixedNow.Add(time.Minute)) // buckets full again
	r.pruneAt = 0
	pump(t, d)
	if len(r.alarms) != 11 {
		t.Errorf("after pruning %d alarms are kept, want the 11 told CRITICAL", len(r.alarms))
	}
	if s, ok := d.Told("hook", "web1/chCPU1/al1"); s != StateOK || ok {
		t.Errorf("pruned alarm: Told = %s, %v; want OK, false", s, ok)
	}
}
