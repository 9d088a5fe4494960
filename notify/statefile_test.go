package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func enqueueAt(d *Dispatcher, alarm, state string, at time.Time) {
	ev := testEvent()
	ev.AlarmName, ev.Current, ev.Message, ev.Time = alarm, state, alarm+" is "+state, at
	d.Enqueue(ev)
}

// TestRestartTellsOnlyWhatReceiversDidNotHear is issue 12 item 2 on the
// dispatcher's side: a process killed mid-incident (no Close) and started
// again on the same state dir, whose agent re-enqueues every alarm's
// current state, re-sends nothing a receiver heard, still sends what it
// did not, and keeps the rate limit's bucket.
func TestRestartTellsOnlyWhatReceiversDidNotHear(t *testing.T) {
	dir := t.TempDir()
	down := false
	n1 := &fakeNotifier{name: "hook", fail: func(Event) error {
		if down {
			return errors.New("connection refused")
		}
		return nil
	}}
	d1, clock := newTestDispatcher(t, DispatcherOptions{StateDir: dir}, n1)
	enqueueAt(d1, "told", StateCritical, clock.Now())
	enqueueAt(d1, "deferred", StateCritical, clock.Now())
	pump(t, d1)
	clock.Set(fixedNow.Add(time.Second))
	enqueueAt(d1, "deferred", StateWarning, clock.Now()) // held by the rate limit until 1m0s
	down = true
	enqueueAt(d1, "owed", StateCritical, clock.Now()) // the receiver is down
	pump(t, d1)
	if got := delivered(n1.events()); !reflect.DeepEqual(got, []string{"deferred:OK->CRITICAL", "told:OK->CRITICAL"}) {
		t.Fatalf("before the kill: delivered %q", got)
	}
	// SIGKILL: d1 is never closed; the file holds what its worker wrote.
	file := filepath.Join(dir, "notify-hook.json")
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", fi.Mode().Perm())
	}
	if _, err := os.Stat(file + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary file left behind: %v", err)
	}

	clock.Set(fixedNow.Add(10 * time.Second))
	n2 := &fakeNotifier{name: "hook"}
	var logs logBuffer
	d2, err := NewDispatcher([]Notifier{n2}, DispatcherOptions{StateDir: dir, Now: clock.Now, Sleep: clock.Sleep, Logger: logs.logger()})
	if err != nil {
		t.Fatal(err)
	}
	if st := d2.Stats()["hook"]; st.Pending != 2 {
		t.Errorf("restored pending = %d, want 2", st.Pending)
	}
	if s, ok := d2.Told("hook", "web1/chCPU1/told"); s != StateCritical || !ok {
		t.Errorf("restored told = %s, %v", s, ok)
	}
	if !strings.Contains(logs.String(), `msg="notification state restored" notifier=hook alarms=3 pending=2`) {
		t.Errorf("log: %s", logs.String())
	}
	// The agent restores every alarm and enqueues its current state.
	for alarm, state := range map[string]string{"told": StateCritical, "deferred": StateWarning, "owed": StateCritical, "quiet": StateOK} {
		enqueueAt(d2, alarm, state, clock.Now())
	}
	var got []string
	n2.fail = func(ev Event) error {
		got = append(got, stamp(ev, clock.Now()))
		return nil
	}
	advance(t, d2, clock, fixedNow.Add(5*time.Minute))
	want := []string{"owed:OK->CRITICAL@10s", "deferred:CRITICAL->WARNING@1m0s"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after restart sent %q, want %q", got, want)
	}
	// The event sent after the restart is the one recorded before it.
	if evs := n2.events(); len(evs) > 0 && evs[0].Message != "owed is CRITICAL" {
		t.Errorf("owed event message %q", evs[0].Message)
	}
}

// TestStateSavedWhileDeliveryHangs: an Enqueue reaches the state file even
// while the receiver's delivery hangs, and Close leaves what is undelivered
// in the file for the next start.
func TestStateSavedWhileDeliveryHangs(t *testing.T) {
	dir := t.TempDir()
	n := &fakeNotifier{name: "hook", block: make(chan struct{}), started: make(chan struct{}, 4)}
	d, err := NewDispatcher([]Notifier{n}, DispatcherOptions{StateDir: dir, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- d.Run(ctx) }()
	enqueueAt(d, "first", StateCritical, fixedNow)
	<-n.started // the worker is stuck in Notify
	enqueueAt(d, "second", StateWarning, fixedNow)
	file := filepath.Join(dir, "notify-hook.json")
	waitFor(t, "the second alarm in the state file", func() bool {
		data, _ := os.ReadFile(file)
		return bytes.Contains(data, []byte(`"web1/chCPU1/second":{"current":"WARNING"`))
	})
	cancel() // like SIGTERM: abandon the delivery in flight
	if err := <-runErr; err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	alarms, err := decodeState(data, "hook")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"web1/chCPU1/first", "web1/chCPU1/second"} {
		if e := alarms[k]; e == nil || !e.pending() {
			t.Errorf("%s not pending in the saved state", k)
		}
	}
}

// TestLoadCorruptStateFile: a state file that cannot be used is logged,
// renamed aside and replaced; the receiver starts empty; nothing panics.
func TestLoadCorruptStateFile(t *testing.T) {
	valid := func(mod func(*stateFile)) string {
		ev := testEvent()
		ev.Previous = ""
		sf := stateFile{Version: 1, Receiver: "hook", Alarms: map[string]stateEntry{
			ev.Key(): {Current: StateCritical, Latest: &ev, Changes: 1, Since: fixedNow},
		}}
		if mod != nil {
			mod(&sf)
		}
		b, _ := json.Marshal(sf)
		return string(b)
	}
	setEntry := func(f func(*stateEntry)) func(*stateFile) {
		return func(sf *stateFile) {
			for k, e := range sf.Alarms {
				f(&e)
				sf.Alarms[k] = e
			}
		}
	}
	tests := []struct {
		name    string
		content string
		err     string
	}{
		{"not JSON", "garbage\x00", "invalid character"},
		{"truncated", valid(nil)[:40], "unexpected end of JSON input"},
		{"empty", "", "unexpected end of JSON input"},
		{"another version", valid(func(sf *stateFile) { sf.Version = 2 }), "version 2, this program reads 1"},
		{"another receiver", valid(func(sf *stateFile) { sf.Receiver = "email" }), `file is for receiver \"email\"`},
		{"event of another alarm", valid(setEntry(func(e *stateEntry) { e.Latest.AlarmName = "x" })), "latest event disagrees"},
		{"event in another state", valid(setEntry(func(e *stateEntry) { e.Current = StateWarning })), "latest event disagrees"},
		{"owed without its event", valid(setEntry(func(e *stateEntry) { e.Latest = nil })), "owed without its event"},
		{"owed without since", valid(setEntry(func(e *stateEntry) { e.Since = time.Time{} })), "owed without its event or its time"},
		{"negative changes", valid(setEntry(func(e *stateEntry) { e.Changes = -1 })), "negative changes"},
		{"worst not worse than told", valid(setEntry(func(e *stateEntry) { e.Told = StateCritical; w := *e.Latest; e.Worst = &w })), "not worse than told"},
		{"empty state", valid(setEntry(func(e *stateEntry) { e.Current = ""; e.Latest = nil })), "empty key or state"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "notify-hook.json")
			if err := os.WriteFile(file, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			var logs logBuffer
			n := &fakeNotifier{name: "hook"}
			d, _ := newTestDispatcher(t, DispatcherOptions{StateDir: dir, Logger: logs.logger()}, n)
			lines := logs.lines(`level=ERROR msg="notification state file corrupt, moved aside; this receiver starts with nothing told or owed"`)
			if len(lines) != 1 || !strings.Contains(lines[0], tt.err) {
				t.Errorf("log:\n%s\nwant one ERROR containing %q", logs.String(), tt.err)
			}
			if aside, err := os.ReadFile(file + ".corrupt"); err != nil || string(aside) != tt.content {
				t.Errorf("moved aside: %q, %v", aside, err)
			}
			if st := d.Stats()["hook"]; st.Pending != 0 {
				t.Errorf("pending %d after a corrupt file", st.Pending)
			}
			pump(t, d) // writes a fresh file
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := decodeState(data, "hook"); err != nil {
				t.Errorf("fresh file does not decode: %v", err)
			}
		})
	}
	t.Run("too large", func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, "notify-hook.json")
		f, err := os.Create(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(maxStateFile + 1); err != nil { // sparse: cheap
			t.Fatal(err)
		}
		f.Close()
		var logs logBuffer
		newTestDispatcher(t, DispatcherOptions{StateDir: dir, Logger: logs.logger()}, &fakeNotifier{name: "hook"})
		if !strings.Contains(logs.String(), "larger than 67108864 bytes") {
			t.Errorf("log: %s", logs.String())
		}
		if _, err := os.Stat(file + ".corrupt"); err != nil {
			t.Error(err)
		}
	})
}

// TestStateFileUnwritable: a state dir that cannot be written (here a
// path through a regular file, which fails even for root) costs nothing
// but the file: deliveries go on, the state stays in memory, failures are
// counted and logged at most once a minute, and saving resumes once the
// directory is usable.
func TestStateFileUnwritable(t *testing.T) {
	base := t.TempDir()
	blocker := filepath.Join(base, "state")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(blocker, "notify")
	var logs logBuffer
	n := &fakeNotifier{name: "hook"}
	d, clock := newTestDispatcher(t, DispatcherOptions{StateDir: dir, Logger: logs.logger()}, n)
	if len(logs.lines(`level=ERROR msg="notification state dir unusable`)) != 1 {
		t.Errorf("log: %s", logs.String())
	}
	enqueueAt(d, "a", StateCritical, clock.Now())
	pump(t, d)
	if len(n.events()) != 1 {
		t.Fatalf("delivered %d, want 1 despite the state dir", len(n.events()))
	}
	for i := 1; i <= 12; i++ { // two minutes of retries every 10 s
		clock.Set(fixedNow.Add(time.Duration(i) * 10 * time.Second))
		enqueueAt(d, "a", []string{StateOK, StateCritical}[i%2], clock.Now())
		pump(t, d)
	}
	st := d.Stats()["hook"]
	if st.WriteErrors < 13 {
		t.Errorf("write errors %d, want one per try", st.WriteErrors)
	}
	if got := len(logs.lines(`level=ERROR msg="notification state not saved; kept in memory, saving is retried"`)); got != 3 {
		t.Errorf("%d ERROR lines for %d failures over 2 minutes, want 3 (at most one a minute)", got, st.WriteErrors)
	}
	if s, _ := d.Told("hook", "web1/chCPU1/a"); s != StateOK {
		t.Errorf("in memory told %s, want OK", s)
	}
	// The directory becomes usable (space freed, permissions fixed).
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	clock.Set(clock.Now().Add(writeRetry))
	pump(t, d)
	if len(logs.lines(`level=WARN msg="notification state saved again" notifier=hook`)) != 1 {
		t.Errorf("log: %s", logs.String())
	}
	data, err := os.ReadFile(filepath.Join(dir, "notify-hook.json"))
	if err != nil {
		t.Fatal(err)
	}
	alarms, err := decodeState(data, "hook")
	if err != nil || alarms["web1/chCPU1/a"] == nil || alarms["web1/chCPU1/a"].told != StateOK {
		t.Errorf("saved state %v, %v", alarms, err)
	}
}

// TestStateFileIsADirectory: an unreadable state file is logged, not moved,
// and the receiver starts empty and goes on delivering.
func TestStateFileIsADirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "notify-hook.json"), 0o700); err != nil {
		t.Fatal(err)
	}
	var logs logBuffer
	n := &fakeNotifier{name: "hook"}
	d, clock := newTestDispatcher(t, DispatcherOptions{StateDir: dir, Logger: logs.logger()}, n)
	if len(logs.lines(`level=ERROR msg="notification state unreadable; this receiver starts with nothing told or owed"`)) != 1 {
		t.Errorf("log: %s", logs.String())
	}
	enqueueAt(d, "a", StateCritical, clock.Now())
	pump(t, d)
	if len(n.events()) != 1 || d.Stats()["hook"].WriteErrors == 0 {
		t.Errorf("delivered %d, stats %+v", len(n.events()), d.Stats()["hook"])
	}
}

func TestStateFileName(t *testing.T) {
	tests := []struct{ name, want string }{
		{"webhook", "notify-webhook.json"},
		{"sms-2.gateway_x", "notify-sms-2.gateway_x.json"},
		{"a/b", "notify-a_b-c14cddc033f6.json"},
		{"a_b", "notify-a_b.json"},
		{"../../etc/passwd", "notify-.._.._etc_passwd-3754d6cb3a38.json"},
		{"ünï", "notify-_n_-e975a52994d8.json"},
		{strings.Repeat("x", 70), "notify-" + strings.Repeat("x", 48) + "-c71bd109227e.json"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		got := stateFileName(tt.name)
		if got != tt.want {
			t.Errorf("stateFileName(%q) = %q, want %q", tt.name, got, tt.want)
		}
		if strings.ContainsAny(got, "/\\") || seen[got] {
			t.Errorf("stateFileName(%q) = %q: a path or a collision", tt.name, got)
		}
		seen[got] = true
	}
}

// stateSeed is a state file with every kind of entry: told and in sync,
// owed with a worst event, expired, rate limited.
func stateSeed(t testing.TB) []byte {
	n := &fakeNotifier{name: "hook", fail: func(ev Event) error {
		if ev.AlarmName == "down" {
			return errors.New("503")
		}
		return nil
	}}
	clock := newClock()
	d, err := NewDispatcher([]Notifier{n}, DispatcherOptions{Now: clock.Now, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct{ alarm, state string }{{"told", StateWarning}, {"flap", StateCritical}, {"x", StateUnknown}} {
		enqueueAt(d, s.alarm, s.state, clock.Now())
		pumpT(d)
		clock.Set(clock.Now().Add(time.Second))
	}
	for _, s := range []struct{ alarm, state string }{{"flap", StateOK}, {"flap", StateCritical}, {"flap", StateWarning}, {"down", StateCritical}, {"old", StateWarning}} {
		enqueueAt(d, s.alarm, s.state, clock.Now())
	}
	pumpT(d) // flap is held by the rate limit; down fails first, and old waits for the backoff
	enqueueAt(d, "down", StateOK, clock.Now())
	r := d.routes[0]
	r.mu.Lock()
	d.expireLocked(r, "web1/chCPU1/old", r.alarms["web1/chCPU1/old"], clock.Now(), "test")
	sf := r.snapshotLocked()
	r.mu.Unlock()
	b, err := json.Marshal(sf)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pumpT is pump without a *testing.T, for seeds.
func pumpT(d *Dispatcher) {
	for _, r := range d.routes {
		for {
			now := d.o.Now()
			d.housekeep(r, now)
			j, _ := d.next(r, now)
			if j == nil {
				break
			}
			d.finish(r, j, r.n.Notify(context.Background(), j.ev), now)
		}
	}
}

func TestStateSeedRoundTrips(t *testing.T) {
	seed := stateSeed(t)
	alarms, err := decodeState(seed, "hook")
	if err != nil {
		t.Fatalf("%v\n%s", err, seed)
	}
	var kinds []string
	for _, k := range []string{"told", "flap", "down", "old", "x"} {
		e := alarms["web1/chCPU1/"+k]
		if e == nil {
			kinds = append(kinds, k+":-")
			continue
		}
		kinds = append(kinds, k+":"+e.toldState()+"/"+e.latest.Current+map[bool]string{true: " owed", false: ""}[e.pending()]+
			map[bool]string{true: " expired", false: ""}[e.expired]+map[bool]string{true: " worst", false: ""}[e.worst != nil])
	}
	want := []string{"told:WARNING/WARNING", "flap:CRITICAL/WARNING owed", "down:OK/OK owed worst", "old:OK/WARNING expired", "x:UNKNOWN/UNKNOWN"}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("seed holds %q, want %q", kinds, want)
	}
	if again := reencode(t, alarms); !bytes.Equal(again, seed) {
		t.Errorf("re-encoded state differs:\n%s\n%s", seed, again)
	}
}

func reencode(t testing.TB, alarms map[string]*entry) []byte {
	r := newRoute(nil, "hook")
	r.alarms = alarms
	b, err := json.Marshal(r.snapshotLocked())
	if err != nil {
		t.Fatalf("decoded state does not encode: %v", err)
	}
	return b
}

// FuzzDecodeState: the state file decoder never panics, and whatever it
// accepts encodes to a file it accepts again, unchanged from then on.
func FuzzDecodeState(f *testing.F) {
	f.Add(stateSeed(f))
	f.Add([]byte(`{"version":1,"receiver":"hook","alarms":{}}`))
	f.Add([]byte(`{"version":1,"receiver":"hook","alarms":null}`))
	f.Add([]byte(`{"version":1,"receiver":"hook","alarms":{"a//":{"current":"OK","told":"CRITICAL","rate_tat":"2026-11-24T16:00:00Z"}}}`))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`{"version":1,"receiver":"hook","alarms":{"//":{"current":"X","latest":{"current":"X"},"since":"0001-01-01T00:00:01Z","worst":{"current":"CRITICAL"}}}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		alarms, err := decodeState(data, "hook")
		if err != nil {
			return
		}
		once := reencode(t, alarms)
		again, err := decodeState(once, "hook")
		if err != nil {
			t.Fatalf("re-encoded state refused: %v\n%s", err, once)
		}
		if twice := reencode(t, again); !bytes.Equal(once, twice) {
			t.Fatalf("not a fixed point:\n%s\n%s", once, twice)
		}
		for k, e := range again {
			if e.pending() && (e.latest.Key() != k || e.since.IsZero()) {
				t.Fatalf("owed entry %q without its event", k)
			}
		}
	})
}
