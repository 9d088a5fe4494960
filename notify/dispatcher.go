package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Dispatcher defaults.
const (
	DefaultQueueSize      = 64
	DefaultMaxAttempts    = 5
	DefaultBaseBackoff    = time.Second
	DefaultMaxBackoff     = time.Minute
	DefaultJitter         = 0.2
	DefaultAttemptTimeout = time.Minute
	DefaultRateLimit      = 1
	DefaultRateWindow     = time.Minute
	DefaultHistorySize    = 256
)

// Attempt results.
const (
	ResultSent       = "sent"       // delivered
	ResultRetry      = "retry"      // failed, will be retried
	ResultFailed     = "failed"     // failed, given up
	ResultSuppressed = "suppressed" // not sent: rate limit
	ResultDropped    = "dropped"    // not sent: queue full or dispatcher stopped
)

// DispatcherOptions configures a Dispatcher. Zero values take the defaults.
type DispatcherOptions struct {
	// QueueSize bounds each notifier's queue; an event that finds it full is
	// dropped and counted. Default DefaultQueueSize.
	QueueSize int
	// MaxAttempts is how many times one event is tried per notifier.
	MaxAttempts int
	// BaseBackoff is the wait after the first failure; it doubles after
	// each further failure up to MaxBackoff.
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// Jitter randomises each wait by ±Jitter of it (0.2: 0.8x to 1.2x);
	// default DefaultJitter, negative for none.
	Jitter float64
	// AttemptTimeout bounds one Notify call whatever the notifier does.
	AttemptTimeout time.Duration
	// RateLimit and RateWindow bound notifications per alarm (Event.Key)
	// per notifier: a token bucket holding RateLimit tokens, refilled at
	// RateLimit per RateWindow. Default one per minute; negative RateLimit
	// disables limiting. A change to OK is always sent when this notifier was
	// last told of a non-OK state, so a recovery is never suppressed.
	RateLimit  int
	RateWindow time.Duration
	// HistorySize bounds the attempts kept for Recent.
	HistorySize int
	// Logger receives one record per attempt, suppression and drop; default
	// slog.Default().
	Logger *slog.Logger
	// Now, Sleep and Rand replace the clock, the backoff wait and the jitter
	// source (a float in [0,1)) in tests. Sleep must return ctx's error when
	// ctx ends first.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	Rand  func() float64
}

// Attempt is one entry of the delivery history: a try, a suppression or a
// drop.
type Attempt struct {
	Time     time.Time `json:"time"`
	Notifier string    `json:"notifier"`
	AlarmKey string    `json:"alarm_key"`
	// Event is Event.Summary().
	Event string `json:"event"`
	// Try counts from 1; it is 0 for suppressed and dropped events.
	Try      int           `json:"try"`
	Result   string        `json:"result"`
	Err      string        `json:"err,omitempty"`
	Duration time.Duration `json:"duration_ns"`
	// Final is true on the last entry for this event and notifier.
	Final bool `json:"final"`
}

// NotifierStats counts one notifier's outcomes since the Dispatcher started.
type NotifierStats struct {
	Sent       uint64 `json:"sent"`       // events delivered
	Failed     uint64 `json:"failed"`     // events given up on
	Retried    uint64 `json:"retried"`    // retries scheduled
	Dropped    uint64 `json:"dropped"`    // events lost to a full queue or shutdown
	Suppressed uint64 `json:"suppressed"` // events held back by the rate limit
}

// Dispatcher fans alarm state changes out to notifiers. Enqueue never
// blocks; each notifier has its own bounded queue and goroutine, so a slow
// or failing destination delays only itself, and events reach each notifier
// in order.
type Dispatcher struct {
	routes []*route
	o      DispatcherOptions
	log    *slog.Logger

	base  context.Context // cancelled to abandon deliveries
	abort context.CancelFunc
	done  chan struct{} // closed when Run's workers have exited

	mu      sync.Mutex // guards closed, running, buckets
	closed  bool
	running bool

	histMu sync.Mutex
	hist   []Attempt // ring
	histN  int       // entries written, ever
}

// route is one notifier's queue, limiter state and counters.
type route struct {
	n       Notifier
	name    string
	queue   chan Event
	buckets map[string]*bucket
	pruneAt int

	sent, failed, retried, dropped, suppressed atomic.Uint64
}

// bucket is the rate limit state of one (notifier, alarm).
type bucket struct {
	tokens float64
	last   time.Time
	told   string // state of the last event let through
}

// NewDispatcher returns a Dispatcher for notifiers, whose names must be
// unique and non-empty. Call Run to start delivering.
func NewDispatcher(notifiers []Notifier, o DispatcherOptions) (*Dispatcher, error) {
	if o.QueueSize < 0 || o.MaxAttempts < 0 || o.BaseBackoff < 0 || o.MaxBackoff < 0 ||
		o.AttemptTimeout < 0 || o.RateWindow < 0 || o.HistorySize < 0 {
		return nil, errors.New("notify: dispatcher options must not be negative (except Jitter and RateLimit)")
	}
	if o.Jitter >= 1 {
		return nil, fmt.Errorf("notify: jitter must be below 1, got %g", o.Jitter)
	}
	setDefault(&o.QueueSize, DefaultQueueSize)
	setDefault(&o.MaxAttempts, DefaultMaxAttempts)
	setDefault(&o.BaseBackoff, DefaultBaseBackoff)
	setDefault(&o.MaxBackoff, DefaultMaxBackoff)
	setDefault(&o.Jitter, DefaultJitter)
	setDefault(&o.AttemptTimeout, DefaultAttemptTimeout)
	setDefault(&o.RateLimit, DefaultRateLimit)
	setDefault(&o.RateWindow, DefaultRateWindow)
	setDefault(&o.HistorySize, DefaultHistorySize)
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
	d := &Dispatcher{o: o, log: o.Logger, done: make(chan struct{}), hist: make([]Attempt, o.HistorySize)}
	d.base, d.abort = context.WithCancel(context.Background())
	seen := map[string]bool{}
	for i, n := range notifiers {
		if n == nil {
			return nil, fmt.Errorf("notify: notifier %d is nil", i)
		}
		name := n.Name()
		if name == "" {
			return nil, fmt.Errorf("notify: notifier %d has an empty name", i)
		}
		if seen[name] {
			return nil, fmt.Errorf("notify: two notifiers are named %q", name)
		}
		seen[name] = true
		d.routes = append(d.routes, &route{n: n, name: name, queue: make(chan Event, o.QueueSize), buckets: map[string]*bucket{}, pruneAt: 1024})
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

// Enqueue hands ev to every notifier without blocking. For each notifier the
// event is suppressed by the rate limit, queued, or dropped when that
// notifier's queue is full or the dispatcher is closed; all three are
// counted and logged. It reports whether no notifier dropped it. Enqueue is
// safe for concurrent use; it copies ev.Metrics, so the caller may reuse it.
func (d *Dispatcher) Enqueue(ev Event) bool {
	now := d.o.Now()
	ev.Metrics = maps.Clone(ev.Metrics)
	key, summary := ev.Key(), ev.Summary()
	type note struct {
		level slog.Level
		a     Attempt
	}
	var notes []note // recorded after unlocking: logging must not hold up other checks
	d.mu.Lock()
	for _, r := range d.routes {
		skip := Attempt{Time: now, Notifier: r.name, AlarmKey: key, Event: summary, Final: true}
		if d.closed {
			r.dropped.Add(1)
			skip.Result, skip.Err = ResultDropped, "dispatcher closed"
			notes = append(notes, note{slog.LevelWarn, skip})
			continue
		}
		b, prev, admitted := d.admit(r, ev, now)
		if !admitted {
			r.suppressed.Add(1)
			skip.Result, skip.Err = ResultSuppressed, "rate limit"
			notes = append(notes, note{slog.LevelInfo, skip})
			continue
		}
		select {
		case r.queue <- ev:
		default:
			// Not queued: undo the limiter so it tracks what was sent.
			*b = prev
			r.dropped.Add(1)
			skip.Result, skip.Err = ResultDropped, "queue full"
			notes = append(notes, note{slog.LevelWarn, skip})
		}
	}
	d.mu.Unlock()
	ok := true
	for _, n := range notes {
		ok = ok && n.a.Result != ResultDropped
		d.record(n.level, n.a)
	}
	return ok
}

func (d *Dispatcher) dropped(r *route, ev Event, now time.Time, why string) {
	r.dropped.Add(1)
	d.record(slog.LevelWarn, Attempt{Time: now, Notifier: r.name, AlarmKey: ev.Key(), Event: ev.Summary(),
		Result: ResultDropped, Err: why, Final: true})
}

// admit applies r's rate limit to ev. It returns the bucket and its state
// before the decision so a failed enqueue can undo it. Callers hold d.mu.
func (d *Dispatcher) admit(r *route, ev Event, now time.Time) (*bucket, bucket, bool) {
	if d.o.RateLimit < 0 {
		return &bucket{}, bucket{}, true
	}
	limit := float64(d.o.RateLimit)
	key := ev.Key()
	b := r.buckets[key]
	if b == nil {
		if len(r.buckets) >= r.pruneAt {
			d.prune(r, now)
		}
		b = &bucket{tokens: limit, last: now}
		r.buckets[key] = b
	}
	b.refill(now, limit, d.o.RateWindow)
	prev := *b
	recovery := ev.Current == StateOK && b.told != "" && b.told != StateOK
	switch {
	case b.tokens >= 1:
		b.tokens--
	case !recovery:
		return b, prev, false
	}
	b.told = ev.Current
	return b, prev, true
}

func (b *bucket) refill(now time.Time, limit float64, window time.Duration) {
	if el := now.Sub(b.last); el > 0 {
		b.tokens = math.Min(limit, b.tokens+limit*float64(el)/float64(window))
		b.last = now
	}
}

// prune forgets buckets that hold nothing a new bucket would not: full of
// tokens and not owing a recovery. It keeps the map bounded when alarms come
// and go.
func (d *Dispatcher) prune(r *route, now time.Time) {
	limit := float64(d.o.RateLimit)
	for k, b := range r.buckets {
		b.refill(now, limit, d.o.RateWindow)
		if b.tokens >= limit && (b.told == "" || b.told == StateOK) {
			delete(r.buckets, k)
		}
	}
	r.pruneAt = max(1024, 2*len(r.buckets))
}

// Run delivers queued events until ctx ends or Close has drained the
// queues, then returns nil. When ctx ends, deliveries in flight are
// cancelled and events still queued are dropped (and counted). Run returns
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

	stop := context.AfterFunc(ctx, d.abort)
	defer stop()
	d.runWorkers()
	return nil
}

// runWorkers runs one worker per notifier until they exit, then refuses new
// events, counts what is left as dropped and closes d.done. It runs once,
// from Run or from Close.
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
	d.mu.Lock()
	d.closeQueuesLocked()
	d.mu.Unlock()
	d.drain()
	close(d.done)
}

// Close stops accepting events and waits, until ctx ends, for the queued
// and in-flight deliveries (retries included) to finish; if Run was never
// called, Close delivers the queued events itself. When ctx ends first it
// cancels the deliveries, counts still-queued events as dropped and returns
// ctx's error. Calling Close again waits the same way.
func (d *Dispatcher) Close(ctx context.Context) error {
	d.mu.Lock()
	d.closeQueuesLocked()
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

// closeQueuesLocked marks the dispatcher closed and closes every queue,
// once. Callers hold d.mu.
func (d *Dispatcher) closeQueuesLocked() {
	if !d.closed {
		d.closed = true
		for _, r := range d.routes {
			close(r.queue)
		}
	}
}

// drain counts events left in closed queues as dropped.
func (d *Dispatcher) drain() {
	now := d.o.Now()
	for _, r := range d.routes {
		for ev := range r.queue {
			d.dropped(r, ev, now, "dispatcher stopped")
		}
	}
}

func (d *Dispatcher) work(r *route) {
	for {
		select {
		case <-d.base.Done():
			return
		case ev, ok := <-r.queue:
			if !ok {
				return
			}
			d.deliver(r, ev)
		}
	}
}

// deliver tries ev on r's notifier until it succeeds, fails permanently,
// runs out of attempts or the dispatcher is aborted.
func (d *Dispatcher) deliver(r *route, ev Event) {
	if d.base.Err() != nil {
		d.dropped(r, ev, d.o.Now(), "dispatcher stopped")
		return
	}
	base := Attempt{Notifier: r.name, AlarmKey: ev.Key(), Event: ev.Summary()}
	for try := 1; ; try++ {
		ctx, cancel := context.WithTimeout(d.base, d.o.AttemptTimeout)
		start := d.o.Now()
		err := r.n.Notify(ctx, ev)
		cancel()
		a := base
		a.Time, a.Try, a.Duration = start, try, d.o.Now().Sub(start)
		if err == nil {
			a.Result, a.Final = ResultSent, true
			r.sent.Add(1)
			d.record(slog.LevelInfo, a)
			return
		}
		a.Err = err.Error()
		if IsPermanent(err) || try >= d.o.MaxAttempts || d.base.Err() != nil {
			a.Result, a.Final = ResultFailed, true
			r.failed.Add(1)
			d.record(slog.LevelError, a)
			return
		}
		a.Result = ResultRetry
		r.retried.Add(1)
		d.record(slog.LevelWarn, a)
		if err := d.o.Sleep(d.base, d.backoff(try)); err != nil {
			r.failed.Add(1)
			d.record(slog.LevelError, Attempt{Time: d.o.Now(), Notifier: r.name, AlarmKey: base.AlarmKey, Event: base.Event,
				Try: try, Result: ResultFailed, Err: "stopped before retry: " + err.Error(), Final: true})
			return
		}
	}
}

// backoff is the wait after failed try n (from 1): BaseBackoff·2^(n-1),
// capped at MaxBackoff, then ±Jitter.
func (d *Dispatcher) backoff(n int) time.Duration {
	w := float64(d.o.BaseBackoff) * math.Pow(2, float64(n-1))
	w = math.Min(w, float64(d.o.MaxBackoff))
	if d.o.Jitter > 0 {
		w *= 1 + d.o.Jitter*(2*d.o.Rand()-1)
	}
	return time.Duration(w)
}

// record keeps a in the history ring and logs it.
func (d *Dispatcher) record(level slog.Level, a Attempt) {
	d.histMu.Lock()
	if len(d.hist) > 0 {
		d.hist[d.histN%len(d.hist)] = a
		d.histN++
	}
	d.histMu.Unlock()
	msg := "notification " + a.Result
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
	d.log.LogAttrs(context.Background(), level, msg, attrs...)
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

// Stats returns each notifier's counters, by notifier name.
func (d *Dispatcher) Stats() map[string]NotifierStats {
	m := make(map[string]NotifierStats, len(d.routes))
	for _, r := range d.routes {
		m[r.name] = NotifierStats{
			Sent:       r.sent.Load(),
			Failed:     r.failed.Load(),
			Retried:    r.retried.Load(),
			Dropped:    r.dropped.Load(),
			Suppressed: r.suppressed.Load(),
		}
	}
	return m
}

// Notifiers returns the names of the notifiers, in the order given.
func (d *Dispatcher) Notifiers() []string {
	names := make([]string, len(d.routes))
	for i, r := range d.routes {
		names[i] = r.name
	}
	return names
}
