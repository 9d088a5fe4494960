package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Dispatcher defaults.
const (
	DefaultBaseBackoff      = time.Second
	DefaultMaxBackoff       = 5 * time.Minute
	DefaultJitter           = 0.2
	DefaultAttemptTimeout   = time.Minute
	DefaultRateLimit        = 1
	DefaultRateWindow       = time.Minute
	DefaultHistorySize      = 256
	DefaultMaxOutboxEntries = 1000
	DefaultMaxOutboxAge     = 72 * time.Hour
)

// Results in the attempt history (Attempt.Result).
const (
	ResultSent     = "sent"     // delivered
	ResultRetry    = "retry"    // failed; tried again after a backoff
	ResultFailed   = "failed"   // permanent error; tried again after MaxBackoff in case the receiver is fixed
	ResultDeferred = "deferred" // held by the rate limit; the alarm's state is sent when the window reopens
	ResultExpired  = "expired"  // undelivered state given up at an outbox bound
)

// DispatcherOptions configures a Dispatcher. Zero values take the defaults.
type DispatcherOptions struct {
	// BaseBackoff is the wait after a receiver's first failed attempt; it
	// doubles after each further failure up to MaxBackoff, and delivery to
	// that receiver is retried for as long as the failures last. A
	// permanent error (IsPermanent) waits MaxBackoff.
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// Jitter randomises each wait by ±Jitter of it (0.2: 0.8x to 1.2x);
	// default DefaultJitter, negative for none.
	Jitter float64
	// AttemptTimeout bounds one Notify call whatever the notifier does.
	AttemptTimeout time.Duration
	// RateLimit and RateWindow bound notifications per alarm (Event.Key)
	// per receiver: a token bucket holding RateLimit tokens, refilled at
	// RateLimit per RateWindow. Default one per minute; negative RateLimit
	// disables limiting. The limit delays, it never drops: when the bucket
	// refills, the receiver is sent the alarm's state then. A return to OK
	// is sent at once when the receiver was last told another state.
	RateLimit  int
	RateWindow time.Duration
	// MaxOutboxEntries bounds, per receiver, the alarms whose state it has
	// not been told; MaxOutboxAge how long one may stay so, counted from
	// when it first became undelivered. An entry past either bound is given
	// up: logged at ERROR and counted in NotifierStats.Expired. Defaults
	// DefaultMaxOutboxEntries and DefaultMaxOutboxAge.
	MaxOutboxEntries int
	MaxOutboxAge     time.Duration
	// StateDir, when set, keeps each receiver's outbox and what it was last
	// told in StateDir/notify-<receiver>.json, so a restarted process
	// neither repeats what receivers heard nor forgets what they did not.
	// Empty keeps it in memory only.
	StateDir string
	// HistorySize bounds the attempts kept for Recent.
	HistorySize int
	// Logger receives one record per attempt, deferral and expiry; default
	// slog.Default().
	Logger *slog.Logger
	// Now, Sleep and Rand replace the clock, the wait for the next due
	// delivery and the jitter source (a float in [0,1)) in tests. Sleep
	// must return early, with ctx's error, when ctx ends.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	Rand  func() float64
}

// Attempt is one entry of the delivery history: a try, a deferral or an
// expiry.
type Attempt struct {
	Time     time.Time `json:"time"`
	Notifier string    `json:"notifier"`
	AlarmKey string    `json:"alarm_key"`
	// Event is Event.Summary() of what was (or would have been) sent.
	Event string `json:"event"`
	// Try counts the attempts for this alarm since it last had nothing
	// undelivered, from 1; 0 for deferrals and expiries.
	Try      int           `json:"try"`
	Result   string        `json:"result"`
	Err      string        `json:"err,omitempty"`
	Duration time.Duration `json:"duration_ns"`
	// Final is true when the alarm's undelivered state is settled: sent or
	// expired.
	Final bool `json:"final"`
}

// NotifierStats counts one receiver's outcomes since the Dispatcher was
// made. Every state change Enqueue records for an alarm ends up sent (one
// notification may stand for several changes), coalesced, expired, or
// still pending.
type NotifierStats struct {
	Sent    uint64 `json:"sent"`    // notifications delivered
	Failed  uint64 `json:"failed"`  // failed delivery attempts
	Retried uint64 `json:"retried"` // attempts that followed a failed one for the same alarm
	// Coalesced counts state changes not sent as a notification of their
	// own: folded into a later one, or cancelled by a return to what the
	// receiver was last told.
	Coalesced uint64 `json:"coalesced"`
	// Expired counts undelivered states given up at an outbox bound.
	Expired uint64 `json:"expired"`
	// Pending is the number of alarms whose state the receiver has not been
	// told yet (a gauge).
	Pending uint64 `json:"pending"`
	// WriteErrors counts failed writes of the receiver's state file.
	WriteErrors uint64 `json:"write_errors"`
}

// Dispatcher tells receivers (notifiers) the state of alarms. It is level
// triggered: Enqueue records an alarm's current state, and each receiver's
// worker goroutine delivers whatever differs from what that receiver was
// last told, under a per-alarm rate limit, retrying for as long as the
// receiver fails. A slow or failing receiver delays only itself.
type Dispatcher struct {
	routes []*route
	byName map[string]*route
	o      DispatcherOptions
	log    *slog.Logger

	base  context.Context // cancelled to abandon deliveries
	abort context.CancelFunc
	stop  chan struct{} // closed when no more events are accepted
	done  chan struct{} // closed when the workers have exited

	mu      sync.RWMutex // guards closed and running; Enqueue holds it shared
	closed  bool
	running bool

	histMu sync.Mutex
	hist   []Attempt // ring
	histN  int       // entries written, ever
}

// NewDispatcher returns a Dispatcher for notifiers, whose names must be
// unique and non-empty. With a StateDir it loads each receiver's state
// file; a file it cannot use is logged (a corrupt one is renamed aside to
// .corrupt) and that receiver starts empty. Call Run to start delivering.
func NewDispatcher(notifiers []Notifier, o DispatcherOptions) (*Dispatcher, error) {
	if o.BaseBackoff < 0 || o.MaxBackoff < 0 || o.AttemptTimeout < 0 || o.RateWindow < 0 ||
		o.HistorySize < 0 || o.MaxOutboxEntries < 0 || o.MaxOutboxAge < 0 {
		return nil, errors.New("notify: dispatcher options must not be negative (except Jitter and RateLimit)")
	}
	if o.Jitter >= 1 {
		return nil, fmt.Errorf("notify: jitter must be below 1, got %g", o.Jitter)
	}
	setDefault(&o.BaseBackoff, DefaultBaseBackoff)
	setDefault(&o.MaxBackoff, DefaultMaxBackoff)
	setDefault(&o.Jitter, DefaultJitter)
	setDefault(&o.AttemptTimeout, DefaultAttemptTimeout)
	setDefault(&o.RateLimit, DefaultRateLimit)
	setDefault(&o.RateWindow, DefaultRateWindow)
	setDefault(&o.HistorySize, DefaultHistorySize)
	setDefault(&o.MaxOutboxEntries, DefaultMaxOutboxEntries)
	setDefault(&o.MaxOutboxAge, DefaultMaxOutboxAge)
	if o.MaxBackoff < o.BaseBackoff {
		o.MaxBackoff = o.BaseBackoff
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleepContext
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	d := &Dispatcher{
		o: o, log: o.Logger, byName: map[string]*route{},
		stop: make(chan struct{}), done: make(chan struct{}),
		hist: make([]Attempt, o.HistorySize),
	}
	d.base, d.abort = context.WithCancel(context.Background())
	files := map[string]string{}
	for i, n := range notifiers {
		if n == nil {
			return nil, fmt.Errorf("notify: notifier %d is nil", i)
		}
		name := n.Name()
		if name == "" {
			return nil, fmt.Errorf("notify: notifier %d has an empty name", i)
		}
		if d.byName[name] != nil {
			return nil, fmt.Errorf("notify: two notifiers are named %q", name)
		}
		r := newRoute(n, name)
		if o.StateDir != "" {
			r.file = filepath.Join(o.StateDir, stateFileName(name))
			if other, ok := files[r.file]; ok {
				return nil, fmt.Errorf("notify: notifiers %q and %q share the state file %s", other, name, r.file)
			}
			files[r.file] = name
		}
		d.routes = append(d.routes, r)
		d.byName[name] = r
	}
	if o.StateDir != "" {
		if err := os.MkdirAll(o.StateDir, 0o700); err != nil {
			d.log.Error("notification state dir unusable; receivers' state is kept in memory and saving is retried", "dir", o.StateDir, "err", err)
		}
		for _, r := range d.routes {
			d.load(r)
		}
	}
	return d, nil
}

func setDefault[T int | float64 | time.Duration](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Enqueue records that alarm ev.Key() is now in state ev.Current, with ev's
// message, metrics and time. It never blocks, does no I/O and drops
// nothing: each receiver's worker then delivers the state if it differs
// from what that receiver was last told. ev.Previous is ignored (each
// receiver is sent what it was last told as Previous), and so are
// ev.Changes and ev.Worst. Enqueue copies ev.Metrics, so the caller may
// reuse it. It returns false, and records nothing, once the Dispatcher is
// closed (Close, or the end of Run's context). Safe for concurrent use.
func (d *Dispatcher) Enqueue(ev Event) bool {
	ev.Metrics = maps.Clone(ev.Metrics)
	ev.Previous, ev.Changes, ev.Worst = "", 0, nil
	key := ev.Key()
	d.mu.RLock()
	if d.closed {
		d.mu.RUnlock()
		d.log.Warn("notification state after close not recorded", "alarm", key, "state", ev.Current)
		return false
	}
	now := d.o.Now()
	for _, r := range d.routes {
		r.mu.Lock()
		look := d.recordLocked(r, key, ev, now)
		r.mu.Unlock()
		if look {
			r.poke()
		}
	}
	d.mu.RUnlock()
	return true
}

// Run delivers until ctx ends or Close has delivered what was due, then
// returns nil. When ctx ends, no more events are accepted, deliveries in
// flight are cancelled and each receiver's state is saved; what is
// undelivered stays in the state file for the next start. Run returns
// ErrClosed at once if Close came first, and an error if already running.
func (d *Dispatcher) Run(ctx context.Context) error {
	d.mu.Lock()
	switch {
	case d.closed:
		d.mu.Unlock()
		return ErrClosed
	case d.running:
		d.mu.Unlock()
		return errors.New("notify: dispatcher is already running")
	}
	d.running = true
	d.mu.Unlock()

	stop := context.AfterFunc(ctx, func() {
		d.stopAccepting()
		d.abort()
	})
	defer stop()
	d.runWorkers()
	return nil
}

// Close stops accepting events and waits, until ctx ends, for each
// receiver to be sent what is due now (a delivery held by the rate limit or
// a backoff is not waited for) and for its state to be saved. If Run was
// never called, Close runs the workers itself. When ctx ends first it
// cancels the deliveries in flight, waits for the workers to save their
// state and exit, and returns ctx's error. Undelivered states stay in the
// state files for the next start. Calling Close again waits the same way.
func (d *Dispatcher) Close(ctx context.Context) error {
	d.stopAccepting()
	d.mu.Lock()
	startHere := !d.running
	d.running = true
	d.mu.Unlock()
	if startHere {
		go d.runWorkers()
	}
	select {
	case <-d.done:
		return nil
	case <-ctx.Done():
		d.abort()
		<-d.done
		return fmt.Errorf("notify: close: deliveries abandoned: %w", ctx.Err())
	}
}

// stopAccepting marks the dispatcher closed, once. Enqueue holds d.mu
// shared while recording, so once this returns every accepted event is in
// the routes, where the workers' final save finds it.
func (d *Dispatcher) stopAccepting() {
	d.mu.Lock()
	if !d.closed {
		d.closed = true
		close(d.stop)
	}
	d.mu.Unlock()
}

// runWorkers runs one worker per receiver until they exit, then closes
// d.done. It runs once, from Run or from Close.
func (d *Dispatcher) runWorkers() {
	var wg sync.WaitGroup
	for _, r := range d.routes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.work(r)
		}()
	}
	wg.Wait()
	close(d.done)
}

// inflight is a delivery attempt running in its own goroutine, which the
// worker always waits for.
type inflight struct {
	job  *job
	done chan error
}

// work is r's worker: the only goroutine that sends to r's notifier and
// writes r's state file. Each turn it gives up what passed an outbox bound,
// saves the state if it changed, starts the next due delivery, and waits
// for an Enqueue, the attempt in flight, or the time the next delivery is
// due. Once the dispatcher stops accepting events it delivers what is due
// now, saves, and returns; once aborted it only waits for the attempt in
// flight.
func (d *Dispatcher) work(r *route) {
	var fl *inflight
	for {
		now := d.o.Now()
		if fl == nil {
			d.housekeep(r, now)
		}
		d.persist(r, now, false)
		stopping, aborted := isClosed(d.stop), d.base.Err() != nil
		var wakeAt time.Time
		if fl == nil && !aborted {
			var j *job
			if j, wakeAt = d.next(r, now); j != nil {
				fl = d.launch(r, j)
			}
		}
		if fl == nil && (stopping || aborted) {
			d.persist(r, d.o.Now(), true)
			return
		}
		if stopping {
			wakeAt = time.Time{} // nothing is waited for but the attempt in flight
		}

		var sleepDone chan error
		cancelSleep := func() {}
		if fl == nil && !wakeAt.IsZero() {
			ctx, cancel := context.WithCancel(d.base)
			sleepDone, cancelSleep = make(chan error, 1), cancel
			go func() { sleepDone <- d.o.Sleep(ctx, wakeAt.Sub(now)) }()
		}
		var flDone <-chan error
		if fl != nil {
			flDone = fl.done
		}
		var stopCh, abortCh <-chan struct{}
		if !stopping {
			stopCh = d.stop
		}
		if !aborted {
			abortCh = d.base.Done()
		}
		select {
		case <-r.wake:
		case err := <-flDone:
			d.finish(r, fl.job, err, d.o.Now())
			fl = nil
		case <-sleepDone:
			sleepDone = nil
		case <-stopCh:
		case <-abortCh:
		}
		cancelSleep()
		if sleepDone != nil {
			<-sleepDone
		}
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// launch starts one attempt of j; the worker receives its result from
// the returned inflight before doing anything else with r's notifier.
func (d *Dispatcher) launch(r *route, j *job) *inflight {
	fl := &inflight{job: j, done: make(chan error, 1)}
	go func() {
		ctx, cancel := context.WithTimeout(d.base, d.o.AttemptTimeout)
		defer cancel()
		fl.done <- r.n.Notify(ctx, j.ev)
	}()
	return fl
}

// backoff is the wait after a receiver's failed attempt n (from 1) in a
// row: BaseBackoff·2^(n-1), capped at MaxBackoff, then ±Jitter.
func (d *Dispatcher) backoff(n int) time.Duration {
	w := float64(d.o.BaseBackoff) * math.Pow(2, float64(n-1))
	return d.jitter(time.Duration(math.Min(w, float64(d.o.MaxBackoff))))
}

func (d *Dispatcher) jitter(w time.Duration) time.Duration {
	if d.o.Jitter > 0 {
		return time.Duration(float64(w) * (1 + d.o.Jitter*(2*d.o.Rand()-1)))
	}
	return w
}

// note keeps a in the history ring and logs it.
func (d *Dispatcher) note(level slog.Level, a Attempt) {
	d.histMu.Lock()
	if len(d.hist) > 0 {
		d.hist[d.histN%len(d.hist)] = a
		d.histN++
	}
	d.histMu.Unlock()
	attrs := []slog.Attr{
		slog.String("notifier", a.Notifier),
		slog.String("alarm", a.AlarmKey),
		slog.String("event", a.Event),
	}
	if a.Try > 0 {
		attrs = append(attrs, slog.Int("try", a.Try), slog.Duration("duration", a.Duration))
	}
	if a.Err != "" {
		attrs = append(attrs, slog.String("err", a.Err))
	}
	d.log.LogAttrs(context.Background(), level, "notification "+a.Result, attrs...)
}

// Recent returns up to n of the latest history entries, oldest first; n <= 0
// returns all that are kept.
func (d *Dispatcher) Recent(n int) []Attempt {
	d.histMu.Lock()
	defer d.histMu.Unlock()
	kept := min(d.histN, len(d.hist))
	if n <= 0 || n > kept {
		n = kept
	}
	out := make([]Attempt, n)
	for i := range out {
		out[i] = d.hist[(d.histN-n+i)%len(d.hist)]
	}
	return out
}

// Stats returns each receiver's counters, by notifier name.
func (d *Dispatcher) Stats() map[string]NotifierStats {
	m := make(map[string]NotifierStats, len(d.routes))
	for _, r := range d.routes {
		m[r.name] = NotifierStats{
			Sent:        r.sent.Load(),
			Failed:      r.failed.Load(),
			Retried:     r.retried.Load(),
			Coalesced:   r.coalesced.Load(),
			Expired:     r.expired.Load(),
			Pending:     uint64(r.npending.Load()),
			WriteErrors: r.writeErrors.Load(),
		}
	}
	return m
}

// Told returns the state notifier last delivered for the alarm key
// (Event.Key). ok is false when the notifier holds no record of the alarm
// (never told, or told OK and since forgotten): the receiver then counts
// as told OK, and state is StateOK. An unknown notifier gives "", false.
func (d *Dispatcher) Told(notifier, key string) (state string, ok bool) {
	r := d.byName[notifier]
	if r == nil {
		return "", false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if e := r.alarms[key]; e != nil && e.told != "" {
		return e.told, true
	}
	return StateOK, false
}

// Notifiers returns the names of the notifiers, in the order given.
func (d *Dispatcher) Notifiers() []string {
	names := make([]string, len(d.routes))
	for i, r := range d.routes {
		names[i] = r.name
	}
	return names
}
