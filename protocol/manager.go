package protocol

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrorTypeUnavailable is the Error.Type of the one retryable refusal: the
// endpoint cannot store metrics right now (its storage is down). The post
// is kept and sent again after a backoff, and the refusal does not count
// against it.
const ErrorTypeUnavailable = "unavailable"

// healthyAfter is how long a connection must stay up, without an
// acknowledged post, before its drop resets the reconnect backoff.
const healthyAfter = time.Minute

// ConnState is the state of one endpoint's connection.
type ConnState string

// Connection states reported by Manager.Status.
const (
	StateConnecting  ConnState = "connecting"  // TCP (and proxy) connect
	StateHandshaking ConnState = "handshaking" // TLS handshake and handshake.hello
	StateConnected   ConnState = "connected"
	StateBackoff     ConnState = "backoff" // waiting until NextRetry
	StateOffline     ConnState = "offline" // stopped (Run returned)
)

// EndpointStatus is one endpoint's line of Manager.Status.
type EndpointStatus struct {
	Endpoint       string // host:port, or "SRV:name"
	Address        string // host:port of the current or last attempt ("" before an SRV name resolved)
	State          ConnState
	Active         bool          // metrics currently go here
	RTT            time.Duration // last heartbeat round trip
	RTTKnown       bool
	ClockOffset    time.Duration // endpoint clock minus ours
	EntityID       string
	LastError      string // the last reason the connection dropped or failed
	Reconnects     int    // connection attempts after the first
	Unavailable    uint64 // "unavailable" replies to posts (retried, not counted against them)
	NextRetry      time.Time
	ConnectedSince time.Time
}

// Status is the Manager's state for the status line and /metrics.
type Status struct {
	Endpoints []EndpointStatus
	Spool     SpoolStats
}

// Manager keeps one connection per configured endpoint, all at once, and
// sends the spooled metrics, in order and one at a time, to the connected
// endpoint with the lowest heartbeat RTT. A refused post waits for its
// retry while the posts behind it go on (see the package doc for what each
// reply does). Each endpoint reconnects on its own with exponential backoff
// and full jitter, reset only after a connection proved healthy (an
// acknowledged post, or healthyAfter up).
type Manager struct {
	opts     Options
	spool    *Spool
	log      *slog.Logger
	envelope int // bytes of a check_metrics.post request line besides its params

	mu      sync.Mutex
	eps     []*endpointState
	changed chan struct{} // signalled when a client connects
	// connected is closed (and replaced) whenever a client connects, for
	// CallBound's waiters.
	connected chan struct{}
	stopErr   error // a *RateLimitError that stopped Run
	cancel    context.CancelFunc
}

type endpointState struct {
	endpoint       string // host:port, or "SRV:name" (the original's tostring)
	srv            string // the SRV name to resolve before each attempt ("": none)
	address        string // host:port of the current or last attempt
	state          ConnState
	client         *Client
	lastErr        error
	reconnects     int
	nextRetry      time.Time
	connectedSince time.Time
	entityID       string
	acked          bool // a post was acknowledged on this connection
	unavailable    uint64
}

// NewManager returns a manager for opts.Endpoints that sends from spool (a
// new in-memory spool with default bounds if nil).
func NewManager(opts Options, spool *Spool) (*Manager, error) {
	if len(opts.Endpoints) == 0 && len(opts.SRVNames) == 0 {
		return nil, errors.New("protocol: no endpoints configured")
	}
	opts = opts.withDefaults()
	if spool == nil {
		var err error
		if spool, err = NewSpool(SpoolOptions{}); err != nil {
			return nil, err
		}
	}
	m := &Manager{opts: opts, spool: spool, log: opts.Logger, changed: make(chan struct{}, 1), connected: make(chan struct{})}
	env, err := json.Marshal(Request{V: Version, ID: NumberID(math.MaxUint64), Source: opts.GUID,
		Target: TargetEndpoint, Method: MethodMetricsPost, Params: json.RawMessage("{}")})
	if err != nil {
		return nil, fmt.Errorf("protocol: encode request envelope: %w", err)
	}
	m.envelope = len(env) - len("{}")
	seen := map[string]bool{}
	for _, ep := range opts.Endpoints {
		if _, _, err := net.SplitHostPort(ep); err != nil {
			return nil, fmt.Errorf("protocol: endpoint %q: want host:port: %w", ep, err)
		}
		if seen[ep] {
			return nil, fmt.Errorf("protocol: endpoint %s listed twice", ep)
		}
		seen[ep] = true
		m.eps = append(m.eps, &endpointState{endpoint: ep, address: ep, state: StateOffline})
	}
	for _, name := range opts.SRVNames {
		key := "SRV:" + name
		if name == "" || seen[key] {
			return nil, fmt.Errorf("protocol: SRV name %q empty or listed twice", name)
		}
		seen[key] = true
		m.eps = append(m.eps, &endpointState{endpoint: key, srv: name, state: StateOffline})
	}
	return m, nil
}

// Spool returns the manager's spool.
func (m *Manager) Spool() *Spool { return m.spool }

// Post queues a check result for the endpoints. It never blocks on the
// network; see Spool for the bound.
func (m *Manager) Post(p MetricsPost) error { return m.spool.Push(p) }

// Run connects to every endpoint and sends metrics until ctx is done or an
// endpoint reports a rate limit that stops the agent (Error.StopsAgent):
// then it closes every connection, waits Options.RateLimitSleep (or until
// ctx is done) and returns the *RateLimitError (the daemon exits with 2), as
// the original disconnects and exits after RATE_LIMIT_SLEEP (agent.lua:
// 183-203). Otherwise it returns ctx.Err(). A 400 rate limit, version
// mismatches, malformed lines and dropped connections only reconnect.
func (m *Manager) Run(parent context.Context) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	m.mu.Lock()
	m.cancel = cancel
	m.mu.Unlock()
	var wg sync.WaitGroup
	for _, ep := range m.eps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.runEndpoint(ctx, ep)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		m.sendLoop(ctx)
	}()
	<-ctx.Done()
	wg.Wait()
	m.mu.Lock()
	for _, ep := range m.eps {
		ep.state, ep.client = StateOffline, nil
	}
	stopErr := m.stopErr
	m.mu.Unlock()
	if stopErr != nil {
		// Disconnected; wait as the original does before it exits, so
		// that a supervisor restarting the agent does not busy-loop.
		select {
		case <-m.opts.Clock.After(m.opts.RateLimitSleep):
		case <-parent.Done():
		}
		return stopErr
	}
	return ctx.Err()
}

func (m *Manager) stop(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopErr == nil {
		m.stopErr = err
		m.log.Error("stopping: endpoint rate limit reached; contact support if you need an increased rate limit", "err", err, "exit_in", m.opts.RateLimitSleep)
	}
	if m.cancel != nil {
		m.cancel()
	}
}

func (m *Manager) setState(ep *endpointState, st ConnState) {
	m.mu.Lock()
	ep.state = st
	m.mu.Unlock()
}

func (m *Manager) runEndpoint(ctx context.Context, ep *endpointState) {
	attempt := 0
	for {
		m.setState(ep, StateConnecting)
		addr, err := m.resolve(ctx, ep)
		var c *Client
		if err == nil {
			c, err = dial(ctx, addr, m.opts, func() { m.setState(ep, StateHandshaking) })
		}
		if err == nil {
			since := m.opts.Clock.Now()
			m.mu.Lock()
			ep.state, ep.client, ep.connectedSince, ep.entityID = StateConnected, c, since, c.Hello().EntityID
			ep.acked = false
			close(m.connected)
			m.connected = make(chan struct{})
			m.mu.Unlock()
			select {
			case m.changed <- struct{}{}:
			default:
			}
			select {
			case <-c.Done():
			case <-ctx.Done():
				c.Close()
			}
			err = c.Err()
			m.mu.Lock()
			healthy := ep.acked
			ep.client = nil
			m.mu.Unlock()
			// An endpoint that accepts the handshake and then drops the
			// connection must not get a reconnect a second.
			if healthy || m.opts.Clock.Now().Sub(since) >= healthyAfter {
				attempt = 0
			}
		}
		if ctx.Err() != nil {
			return
		}
		var rl *RateLimitError
		if errors.As(err, &rl) {
			m.stop(rl)
			return
		}
		delay := Backoff(m.opts.BackoffInitial, m.opts.BackoffMax, attempt, m.opts.Rand())
		attempt++
		m.mu.Lock()
		ep.state, ep.lastErr, ep.nextRetry = StateBackoff, err, m.opts.Clock.Now().Add(delay)
		ep.reconnects++
		m.mu.Unlock()
		m.log.Info("reconnecting", "endpoint", ep.endpoint, "in", delay, "err", err)
		select {
		case <-m.opts.Clock.After(delay):
		case <-ctx.Done():
			return
		}
	}
}

// srvLookupTimeout bounds one SRV lookup.
const srvLookupTimeout = 10 * time.Second

// resolve returns the host:port to dial for ep: its own, or its SRV name's
// first record looked up now (the target's trailing dot dropped).
func (m *Manager) resolve(ctx context.Context, ep *endpointState) (string, error) {
	if ep.srv == "" {
		return ep.endpoint, nil
	}
	lctx, cancel := context.WithTimeout(ctx, srvLookupTimeout)
	_, addrs, err := m.opts.Resolver.LookupSRV(lctx, "", "", ep.srv)
	cancel()
	if err == nil && len(addrs) == 0 {
		err = errors.New("no records")
	}
	if err != nil {
		return "", fmt.Errorf("SRV lookup %s: %w", ep.srv, err)
	}
	host := strings.TrimSuffix(addrs[0].Target, ".")
	if host == "" {
		return "", fmt.Errorf("SRV lookup %s: empty target", ep.srv)
	}
	addr := net.JoinHostPort(host, strconv.Itoa(int(addrs[0].Port)))
	m.mu.Lock()
	ep.address = addr
	m.mu.Unlock()
	m.log.Debug("SRV resolved", "name", ep.srv, "address", addr)
	return addr, nil
}

// best returns the connected client with the lowest known heartbeat RTT, or,
// when none has one yet, the first connected client in configuration order,
// with its endpoint.
func (m *Manager) best() (*Client, *endpointState) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var best, first *endpointState
	var bestRTT time.Duration
	for _, ep := range m.eps {
		c := ep.client
		if c == nil {
			continue
		}
		select {
		case <-c.Done():
			continue
		default:
		}
		if c.Err() != nil {
			continue // closing: Done closes once its goroutines are gone
		}
		if first == nil {
			first = ep
		}
		if rtt, ok := c.RTT(); ok && (best == nil || rtt < bestRTT) {
			best, bestRTT = ep, rtt
		}
	}
	if best == nil {
		best = first
	}
	if best == nil {
		return nil, nil
	}
	return best.client, best
}

// sendLoop posts the spool's oldest entry that may go to the best client,
// one at a time: an entry leaves the spool only on a reply, so a drop
// resends it on the next connection and a reply is never followed by a
// resend. What each reply does is the table in the package doc.
func (m *Manager) sendLoop(ctx context.Context) {
	unavailable := 0 // consecutive "unavailable" replies
	var lastClient *Client
	for {
		now := m.opts.Clock.Now()
		// On a connection that has not acknowledged a post yet, a post
		// never refused goes first (see Spool.NextUnrefused).
		next := m.spool.Next
		if c, ep := m.best(); c != nil && !m.hasAcked(ep, c) {
			next = m.spool.NextUnrefused
		}
		e, ok, wake := next(now)
		if !ok {
			var retry <-chan time.Time
			if !wake.IsZero() {
				retry = m.opts.Clock.After(wake.Sub(now))
			}
			select {
			case <-m.spool.Ready():
			case <-retry:
			case <-ctx.Done():
				return
			}
			continue
		}
		if why := m.unsendable(e); why != "" {
			m.log.Warn("metrics can never be sent; moving them to the dead letter", "seq", e.Seq, "reason", why)
			m.spool.Bury(e.Seq, Refusal{Time: now, Error: why})
			continue
		}
		c, ep := m.best()
		if c == nil {
			select {
			case <-m.changed:
				continue
			case <-ctx.Done():
				return
			}
		}
		if c != lastClient {
			// Another connection (or endpoint): its storage may be up.
			unavailable, lastClient = 0, c
		}
		pctx, cancel := context.WithTimeout(ctx, m.opts.PostTimeout)
		err := c.Call(pctx, MethodMetricsPost, e.Post, nil)
		cancel()
		var perr *Error
		var rl *RateLimitError
		switch {
		case err == nil:
			unavailable = 0
			m.spool.Ack(e.Seq)
			m.mu.Lock()
			if ep.client == c {
				ep.acked = true
			}
			m.mu.Unlock()
		case errors.As(err, &rl):
			m.stop(rl)
			return
		case errors.As(err, &perr) && perr.RateLimited():
			// Code 400 (a stopping one is a *RateLimitError): the client
			// drops the connection and the post goes again on the next
			// one, not counted against it.
			c.closeWith(fmt.Errorf("check_metrics.post: %w", perr))
		case errors.As(err, &perr) && perr.Type == ErrorTypeUnavailable:
			if perr.Fatal() {
				c.closeWith(fmt.Errorf("check_metrics.post: %w", perr))
			}
			delay := Backoff(m.opts.BackoffInitial, m.opts.BackoffMax, unavailable, m.opts.Rand())
			unavailable++
			m.mu.Lock()
			ep.unavailable++
			m.mu.Unlock()
			m.log.Warn("endpoint cannot store metrics now; retrying", "endpoint", c.Endpoint(), "seq", e.Seq, "in", delay, "err", perr)
			select {
			case <-m.opts.Clock.After(delay):
			case <-m.changed:
				// A new connection: try it at once.
			case <-ctx.Done():
				return
			}
		case errors.As(err, &perr):
			if perr.Fatal() {
				// The client drops the connection after this reply; make
				// sure it has, so that no post goes on a connection
				// whose answers will never be read (a needless resend).
				c.closeWith(fmt.Errorf("check_metrics.post: %w", perr))
			}
			r := Refusal{Time: m.opts.Clock.Now(), Endpoint: c.Endpoint(), Code: perr.Code, Type: perr.Type, Error: perr.Message}
			n, dead := m.spool.Refuse(e.Seq, r, m.refusalBackoff)
			if dead {
				m.log.Warn("endpoint refused metrics; giving up (see the dead letter)", "endpoint", c.Endpoint(), "seq", e.Seq, "refusals", n, "err", perr)
			} else {
				m.log.Warn("endpoint refused metrics; will retry", "endpoint", c.Endpoint(), "seq", e.Seq, "refusals", n, "in", m.refusalBackoff(n), "err", perr)
			}
		default:
			if ctx.Err() != nil {
				return
			}
			// No reply: the connection is no good. Close it (a timeout
			// leaves it open) and resend the entry on the next one.
			c.closeWith(fmt.Errorf("check_metrics.post: %w", err))
		}
	}
}

// CallBound waits until an endpoint is connected whose hello named an
// entity, then makes one call on that connection, as the original posts its
// conf.d files on the promoted connection of an agent bound to an entity
// (confd.lua:115-123, agent.lua:152-157). It returns the endpoint called.
// It gives up when ctx is done; an error reply is returned as *Error.
func (m *Manager) CallBound(ctx context.Context, method string, params, result any) (string, error) {
	for {
		m.mu.Lock()
		var c *Client
		for _, ep := range m.eps {
			if ep.client != nil && ep.entityID != "" && ep.client.Err() == nil {
				c = ep.client
				break
			}
		}
		wake := m.connected
		m.mu.Unlock()
		if c != nil {
			return c.Endpoint(), c.Call(ctx, method, params, result)
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

// hasAcked reports whether ep's connection c has acknowledged a post.
func (m *Manager) hasAcked(ep *endpointState, c *Client) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return ep.client == c && ep.acked
}

// unsendable says why entry e can never be sent ("" when it can): its
// request would be over the line limit, or its post is not JSON.
func (m *Manager) unsendable(e SpoolEntry) string {
	if n := m.envelope + len(e.Post); n > m.opts.MaxLineSize {
		return fmt.Sprintf("request of %d bytes is over the %d byte line limit", n, m.opts.MaxLineSize)
	}
	if !json.Valid(e.Post) {
		return "post is not valid JSON"
	}
	return ""
}

// refusalBackoff is how long a post waits after its n-th refusal:
// BackoffInitial doubled each time, at most BackoffMax (1, 2, 4, 8 s by
// default, so a post refused for good reaches the dead letter in 15 s).
func (m *Manager) refusalBackoff(n int) time.Duration {
	return Backoff(m.opts.BackoffInitial, m.opts.BackoffMax, n-1, 1)
}

// Status reports every endpoint and the spool.
func (m *Manager) Status() Status {
	best, _ := m.best()
	m.mu.Lock()
	defer m.mu.Unlock()
	st := Status{Spool: m.spool.Stats()}
	for _, ep := range m.eps {
		es := EndpointStatus{
			Endpoint:    ep.endpoint,
			Address:     ep.address,
			State:       ep.state,
			Reconnects:  ep.reconnects,
			Unavailable: ep.unavailable,
			EntityID:    ep.entityID,
		}
		if ep.lastErr != nil {
			es.LastError = ep.lastErr.Error()
		}
		if ep.state == StateBackoff {
			es.NextRetry = ep.nextRetry
		}
		if c := ep.client; c != nil {
			es.RTT, es.RTTKnown = c.RTT()
			es.ClockOffset = c.ClockOffset()
			es.ConnectedSince = ep.connectedSince
			es.Active = c == best
		}
		st.Endpoints = append(st.Endpoints, es)
	}
	return st
}
