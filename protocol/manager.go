package protocol

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

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
	Endpoint       string
	State          ConnState
	Active         bool          // metrics currently go here
	RTT            time.Duration // last heartbeat round trip
	RTTKnown       bool
	ClockOffset    time.Duration // endpoint clock minus ours
	EntityID       string
	LastError      string // the last reason the connection dropped or failed
	Reconnects     int    // connection attempts after the first
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
// endpoint with the lowest heartbeat RTT. Each endpoint reconnects on its own
// with exponential backoff and full jitter, reset after a good handshake.
type Manager struct {
	opts  Options
	spool *Spool
	log   *slog.Logger

	mu      sync.Mutex
	eps     []*endpointState
	changed chan struct{} // signalled when a client connects
	stopErr error         // a *RateLimitError that stopped Run
	cancel  context.CancelFunc
}

type endpointState struct {
	endpoint       string
	state          ConnState
	client         *Client
	lastErr        error
	reconnects     int
	nextRetry      time.Time
	connectedSince time.Time
	entityID       string
}

// NewManager returns a manager for opts.Endpoints that sends from spool (a
// new in-memory spool with default bounds if nil).
func NewManager(opts Options, spool *Spool) (*Manager, error) {
	if len(opts.Endpoints) == 0 {
		return nil, errors.New("protocol: no endpoints configured")
	}
	opts = opts.withDefaults()
	if spool == nil {
		var err error
		if spool, err = NewSpool(SpoolOptions{}); err != nil {
			return nil, err
		}
	}
	m := &Manager{opts: opts, spool: spool, log: opts.Logger, changed: make(chan struct{}, 1)}
	seen := map[string]bool{}
	for _, ep := range opts.Endpoints {
		if _, _, err := net.SplitHostPort(ep); err != nil {
			return nil, fmt.Errorf("protocol: endpoint %q: want host:port: %w", ep, err)
		}
		if seen[ep] {
			return nil, fmt.Errorf("protocol: endpoint %s listed twice", ep)
		}
		seen[ep] = true
		m.eps = append(m.eps, &endpointState{endpoint: ep, state: StateOffline})
	}
	return m, nil
}

// Spool returns the manager's spool.
func (m *Manager) Spool() *Spool { return m.spool }

// Post queues a check result for the endpoints. It never blocks on the
// network; see Spool for the bound.
func (m *Manager) Post(p MetricsPost) error { return m.spool.Push(p) }

// Run connects to every endpoint and sends metrics until ctx is done or an
// endpoint reports its rate limit: then it returns the *RateLimitError (the
// daemon exits with 2). Otherwise it returns ctx.Err(). Version mismatches,
// malformed lines and dropped connections only reconnect.
func (m *Manager) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
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
	defer m.mu.Unlock()
	for _, ep := range m.eps {
		ep.state, ep.client = StateOffline, nil
	}
	if m.stopErr != nil {
		return m.stopErr
	}
	return ctx.Err()
}

func (m *Manager) stop(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopErr == nil {
		m.stopErr = err
		m.log.Error("stopping: endpoint rate limit reached", "err", err)
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
		c, err := dial(ctx, ep.endpoint, m.opts, func() { m.setState(ep, StateHandshaking) })
		if err == nil {
			attempt = 0
			m.mu.Lock()
			ep.state, ep.client, ep.connectedSince, ep.entityID = StateConnected, c, m.opts.Clock.Now(), c.Hello().EntityID
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
			ep.client = nil
			m.mu.Unlock()
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

// best returns the connected client with the lowest known heartbeat RTT, or,
// when none has one yet, the first connected client in configuration order.
func (m *Manager) best() *Client {
	m.mu.Lock()
	defer m.mu.Unlock()
	var best, first *Client
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
		if first == nil {
			first = c
		}
		if rtt, ok := c.RTT(); ok && (best == nil || rtt < bestRTT) {
			best, bestRTT = c, rtt
		}
	}
	if best != nil {
		return best
	}
	return first
}

// sendLoop posts the spool's oldest entry to the best client, one at a time:
// an entry leaves the spool only on a reply, so a drop resends it on the
// next connection and a reply is never followed by a resend.
func (m *Manager) sendLoop(ctx context.Context) {
	for {
		e, ok := m.spool.Peek()
		if !ok {
			select {
			case <-m.spool.Ready():
				continue
			case <-ctx.Done():
				return
			}
		}
		c := m.best()
		if c == nil {
			select {
			case <-m.changed:
				continue
			case <-ctx.Done():
				return
			}
		}
		pctx, cancel := context.WithTimeout(ctx, m.opts.PostTimeout)
		err := c.Call(pctx, MethodMetricsPost, e.Post, nil)
		cancel()
		var perr *Error
		var rl *RateLimitError
		switch {
		case err == nil:
			m.spool.Ack(e.Seq, false)
		case errors.As(err, &rl):
			m.stop(rl)
			return
		case errors.As(err, &perr) && !perr.Fatal():
			m.log.Warn("endpoint rejected metrics", "endpoint", c.Endpoint(), "seq", e.Seq, "err", perr)
			m.spool.Ack(e.Seq, true)
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

// Status reports every endpoint and the spool.
func (m *Manager) Status() Status {
	best := m.best()
	m.mu.Lock()
	defer m.mu.Unlock()
	st := Status{Spool: m.spool.Stats()}
	for _, ep := range m.eps {
		es := EndpointStatus{
			Endpoint:   ep.endpoint,
			State:      ep.state,
			Reconnects: ep.reconnects,
			EntityID:   ep.entityID,
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
