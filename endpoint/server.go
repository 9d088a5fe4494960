package endpoint

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/virgo-top/virgo-top/protocol"
)

// Options configure a Server.
type Options struct {
	Config    *Config
	Tokens    *Tokens
	Schedules *Schedules // nil: empty schedules
	Outputs   []Output
	// TLS is the agents' TLS config (nil: plain TCP, for tests and
	// benchmarks, unless Certificate is set).
	TLS *tls.Config
	// Certificate, when set (and TLS is nil), is presented to agents
	// until SetCertificate replaces it (SIGHUP).
	Certificate *tls.Certificate
	Logger      *slog.Logger
	// Now is the clock of rate limits, alert times and sample times
	// (default time.Now).
	Now func() time.Time
}

// Errors the endpoint answers with (their Message is what the agent logs).
var (
	errHandshakeFirst = &protocol.Error{Code: 400, Message: "handshake.hello must come first"}
	errAuth           = &protocol.Error{Code: 401, Message: "Invalid token or agent id"}
)

// Per-connection bounds that are not config keys.
const (
	writeTimeout      = 10 * time.Second // one reply; a peer that does not read is dropped
	maxBadLines       = 32               // garbage or oversized lines before the connection is dropped
	connPostWorkers   = 4                // posts of one connection handled at once
	requestsPerMinute = 600              // non-post requests per connection (heartbeats, schedule gets, ...)
	maxCheckPeriods   = 4096             // checks whose post interval a connection remembers
	hostInfoTimeout   = 30 * time.Second // default wait for a host_info.get answer
	connReadBuffer    = 4 << 10          // per connection; longer lines are still read whole
	maxBeforeHello    = 16 << 10         // bytes a connection may send until its hello is accepted
)

// helloTimeout bounds the TLS handshake plus the hello, counted from the
// accept: a peer that has not said hello by then is dropped, whatever it
// sent meanwhile (a variable for tests).
var helloTimeout = 30 * time.Second

// Server is one endpoint instance: agents over TLS, outputs, and the HTTP
// API (Handler). It keeps no state another instance needs.
type Server struct {
	cfg    *Config
	log    *slog.Logger
	now    func() time.Time
	tlsCfg *tls.Config
	outs   []Output
	scheds *Schedules

	tokens   atomic.Pointer[Tokens]
	cert     atomic.Pointer[tls.Certificate]
	postSem  chan struct{}
	ctx      context.Context // canceled on a forced close
	cancel   context.CancelFunc
	draining atomic.Bool
	stats    stats

	mu       sync.Mutex
	lns      []net.Listener
	conns    map[*conn]struct{}
	agents   map[string]*conn   // agent id -> the newest connection on this instance
	limiters map[string]*bucket // agent id -> post rate
	wg       sync.WaitGroup     // one per connection goroutine
	senders  []*sender          // one per output (batch.go)
	senderWG sync.WaitGroup
	closed   bool
}

// New returns a server; Serve accepts agents on a listener.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Schedules == nil {
		o.Schedules = NewSchedules("", nil)
	}
	cfg := o.Config
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg: cfg, log: o.Logger, now: o.Now, tlsCfg: o.TLS, outs: o.Outputs, scheds: o.Schedules,
		postSem: make(chan struct{}, max(cfg.Limits.MaxInflightPosts, 1)),
		ctx:     ctx, cancel: cancel,
		conns: map[*conn]struct{}{}, agents: map[string]*conn{}, limiters: map[string]*bucket{},
	}
	s.stats.init(o.Outputs)
	s.startSenders()
	if o.TLS == nil && o.Certificate != nil {
		s.cert.Store(o.Certificate)
		s.tlsCfg = s.CertificateTLS()
	}
	s.tokens.Store(o.Tokens)
	return s
}

// SetTokens replaces the accepted tokens (SIGHUP); connected agents stay.
func (s *Server) SetTokens(t *Tokens) { s.tokens.Store(t) }

// SetCertificate replaces the certificate new TLS handshakes present.
func (s *Server) SetCertificate(c *tls.Certificate) { s.cert.Store(c) }

// CertificateTLS returns a TLS config that presents the certificate last
// given to SetCertificate.
func (s *Server) CertificateTLS() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			if c := s.cert.Load(); c != nil {
				return c, nil
			}
			return nil, errors.New("no certificate")
		},
	}
}

// Serve accepts agents on ln until Drain or Close. It returns nil then.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed || s.draining.Load() {
		s.mu.Unlock()
		ln.Close()
		return nil
	}
	s.lns = append(s.lns, ln)
	s.mu.Unlock()
	var backoff time.Duration
	for {
		raw, err := ln.Accept()
		if err != nil {
			if s.draining.Load() || s.isClosed() {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("accept: %w", err)
			}
			// Out of file descriptors (a flood of connections), a
			// connection reset before the accept...: wait and accept
			// again, as net/http does; returning would stop the
			// endpoint for every agent.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn("accept failed: retrying", "err", err, "retry_in", backoff)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-s.ctx.Done():
				t.Stop()
			}
			continue
		}
		backoff = 0
		s.mu.Lock()
		if s.closed || s.draining.Load() {
			s.mu.Unlock()
			raw.Close()
			continue
		}
		if len(s.conns) >= s.cfg.Limits.MaxAgents {
			s.mu.Unlock()
			s.stats.refusedFull.Add(1)
			raw.Close()
			continue
		}
		c := newConn(s, raw)
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		s.stats.connections.Add(1)
		go func() {
			defer s.wg.Done()
			c.serve()
			s.forget(c)
		}()
	}
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// register makes c the connection of its agent id on this instance and
// closes an older one with the same id (agents connect to every endpoint,
// so one id per instance is the normal case; a second one here is a
// reconnect whose old socket has not timed out yet, or a replayed token).
func (s *Server) register(c *conn) {
	s.mu.Lock()
	old := s.agents[c.agentID]
	s.agents[c.agentID] = c
	s.mu.Unlock()
	if old != nil && old != c {
		s.stats.replaced.Add(1)
		s.log.Warn("agent connected again: closing its older connection", "agent_id", c.agentID,
			"old_remote", old.remote, "new_remote", c.remote)
		old.close()
	}
}

func (s *Server) forget(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	if c.agentID != "" && s.agents[c.agentID] == c {
		delete(s.agents, c.agentID)
	}
	s.mu.Unlock()
}

// agent returns the connection of an agent id on this instance.
func (s *Server) agent(id string) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.agents[id]
}

// allowPost spends one of the agent's posts per minute.
func (s *Server) allowPost(agentID string) bool {
	per := s.cfg.Limits.PostsPerMinute
	if per <= 0 {
		return true
	}
	now := s.now()
	s.mu.Lock()
	b := s.limiters[agentID]
	if b == nil {
		if limit := 2 * s.cfg.Limits.MaxAgents; len(s.limiters) >= limit {
			// Forget the buckets that refilled (nothing to remember),
			// then, if agent ids keep coming (a token with a wide glob,
			// a slow posts_per_minute), those of agents not connected
			// here: the map stays within twice max_agents.
			for id, ob := range s.limiters {
				if ob.full(now) {
					delete(s.limiters, id)
				}
			}
			for id := range s.limiters {
				if len(s.limiters) < limit {
					break
				}
				if s.agents[id] == nil {
					delete(s.limiters, id)
				}
			}
		}
		b = newBucket(per, per, now)
		s.limiters[agentID] = b
	}
	s.mu.Unlock()
	return b.take(now)
}

// Agents returns the number of agents that said hello and are connected.
func (s *Server) Agents() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.agents)
}

// ReloadSchedules re-reads the schedule dir and pushes
// check_schedule.changed to each connected agent whose schedule changed.
// It returns the files that failed (their directories keep their checks).
func (s *Server) ReloadSchedules() []error {
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.agents))
	for _, c := range s.agents {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	// The schedules before, compared agent by agent only when they
	// changed: a poll that finds nothing new costs no agent anything.
	old := s.scheds.snapshot()
	changed, errs := s.scheds.Reload()
	if !changed {
		return errs
	}
	now := s.scheds.snapshot()
	pushed := 0
	var wg sync.WaitGroup
	slots := make(chan struct{}, 64) // a slow agent holds one slot for at most writeTimeout
	for _, c := range conns {
		before, _ := s.scheds.getFrom(old, c.agentID)
		after, _ := s.scheds.getFrom(now, c.agentID)
		if sameChecks(before, after) {
			continue
		}
		pushed++
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			c.notify(protocol.MethodScheduleChanged)
		}()
	}
	wg.Wait()
	s.log.Info("schedules changed", "agents_told", pushed)
	return errs
}

// PollSchedules calls ReloadSchedules every interval until ctx ends,
// logging what failed.
func (s *Server) PollSchedules(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for _, err := range s.ReloadSchedules() {
				s.log.Error("schedule file refused (the previous schedule stays)", "err", err)
			}
		}
	}
}

// Drain stops accepting agents, stops reading from the connected ones,
// lets the posts in flight finish and be acknowledged, then closes every
// connection (the agents reconnect to another instance). When ctx ends
// first, the rest is closed at once (posts not acknowledged are sent again
// by their agents). Drain returns when every connection is closed.
func (s *Server) Drain(ctx context.Context) error {
	s.draining.Store(true)
	conns := s.closeListeners(false)
	for _, c := range conns {
		c.stopReading()
	}
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.Close()
		<-done
		return fmt.Errorf("drain: %w: %d connections closed before their posts finished", ctx.Err(), len(conns))
	}
}

// closeListeners closes the listeners (and marks the server closed when
// closed is set) and returns the connections open at that moment: no
// connection is added after it (Serve checks draining and closed).
func (s *Server) closeListeners(closed bool) []*conn {
	s.mu.Lock()
	if closed {
		s.closed = true
	}
	lns := s.lns
	s.lns = nil
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, ln := range lns {
		ln.Close()
	}
	return conns
}

// Close closes the listeners and every connection at once and cancels the
// writes in flight. It waits for the connection goroutines.
func (s *Server) Close() error {
	conns := s.closeListeners(true)
	s.cancel()
	for _, c := range conns {
		c.close()
	}
	s.wg.Wait()
	s.senderWG.Wait()
	return nil
}

// Draining reports whether Drain was called.
func (s *Server) Draining() bool { return s.draining.Load() }

// HostInfo asks a connected agent for host_info.get of type typ and
// returns its result. ErrNotConnected: no such agent on this instance.
func (s *Server) HostInfo(ctx context.Context, agentID, typ string) (json.RawMessage, error) {
	c := s.agent(agentID)
	if c == nil || c.stop.Load() {
		// A connection that no longer reads (drain, rate limit) would
		// never see the answer: the agent is on its way elsewhere.
		return nil, ErrNotConnected
	}
	return c.call(ctx, protocol.MethodHostInfo, protocol.HostInfoParams{Type: typ})
}

// ErrNotConnected is HostInfo's error for an agent not connected here.
var ErrNotConnected = errors.New("agent not connected to this instance")

// sendPost hands a post to every output at once and says how to answer
// it: nil (acknowledge) when every output accepted it or refused it for
// good, else the retryable "unavailable" error.
func (s *Server) sendPost(ctx context.Context, p Post, period time.Duration) *protocol.Error {
	now := s.now()
	sampled := now // the samples' time: PostSeries stamps a post without one now
	if p.Timestamp > 0 {
		sampled = time.UnixMilli(p.Timestamp)
	}
	series := PostSeries(p, now)
	alerts := PostAlerts(p, period, now)
	errs := make([]error, len(s.outs))
	var wg sync.WaitGroup
	for i, o := range s.outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			errs[i] = s.senders[i].send(ctx, series, alerts)
			s.stats.outputs[i].observe(errs[i], o.Permanent(errs[i]), time.Since(start), s.now().Sub(sampled))
		}()
	}
	wg.Wait()
	var retry []string
	for i, err := range errs {
		switch {
		case err == nil:
		case s.outs[i].Permanent(err):
			s.log.Warn("output refused a post for good: acknowledged, not stored", "output", s.outs[i].Name(),
				"agent_id", p.AgentID, "check_id", p.CheckID, "err", err)
		default:
			retry = append(retry, s.outs[i].Name())
			s.log.Warn("output unavailable: post answered unavailable (the agent retries)", "output", s.outs[i].Name(),
				"agent_id", p.AgentID, "check_id", p.CheckID, "err", err)
		}
	}
	if len(retry) > 0 {
		return &protocol.Error{Code: 400, Type: protocol.ErrorTypeUnavailable, Message: fmt.Sprintf("storage unavailable (%v): try again later", retry)}
	}
	return nil
}

// conn is one agent connection.
type conn struct {
	s      *Server
	raw    net.Conn
	nc     net.Conn // raw, or the TLS connection over it
	remote string
	codec  *protocol.Codec

	// Set once by the reader at hello, before register publishes c.
	agentID string
	hello   bool
	helloBy time.Time // accept + helloTimeout: the hello must have come by then

	wmu      sync.Mutex // one write at a time (deadline + write)
	ctx      context.Context
	cancel   context.CancelFunc
	posts    chan struct{} // post workers' slots
	inflight sync.WaitGroup
	reqs     *bucket
	stop     atomic.Bool // stop reading (drain, rate limit)
	lastBad  bool        // the reader's last line was garbage (reader only)

	pmu     sync.Mutex
	pending map[string]chan *protocol.Response
	nextID  uint64
	periods map[string]int64 // check id -> last post timestamp (ms)
	period  map[string]time.Duration
}

func newConn(s *Server, raw net.Conn) *conn {
	ctx, cancel := context.WithCancel(s.ctx)
	return &conn{
		s: s, raw: raw, nc: raw, remote: raw.RemoteAddr().String(),
		ctx: ctx, cancel: cancel, posts: make(chan struct{}, connPostWorkers), helloBy: time.Now().Add(helloTimeout),
		reqs:    newBucket(requestsPerMinute, requestsPerMinute/4, s.now()),
		pending: map[string]chan *protocol.Response{},
		periods: map[string]int64{}, period: map[string]time.Duration{},
	}
}

// close drops the connection at once.
func (c *conn) close() {
	c.stop.Store(true)
	c.cancel()
	c.raw.Close()
}

// stopReading makes the reader return after the line it is reading; the
// posts in flight still get their answers.
func (c *conn) stopReading() {
	c.stop.Store(true)
	_ = c.raw.SetReadDeadline(time.Now())
}

func (c *conn) serve() {
	s := c.s
	defer c.raw.Close()
	defer c.cancel()
	if s.tlsCfg != nil {
		tc := tls.Server(c.raw, s.tlsCfg)
		_ = c.raw.SetDeadline(c.helloBy)
		if err := tc.HandshakeContext(c.ctx); err != nil {
			s.stats.tlsFailed.Add(1)
			s.log.Debug("TLS handshake failed", "remote", c.remote, "err", err)
			return
		}
		c.nc = tc
	}
	c.codec = protocol.NewCodecSize(struct {
		io.Reader
		io.Writer
	}{&helloReader{c: c, left: maxBeforeHello}, c.nc}, s.cfg.Limits.MaxLineSize, connReadBuffer)
	c.readLoop()
	// Let the posts in flight finish and be answered, then say goodbye.
	c.inflight.Wait()
	if tc, ok := c.nc.(*tls.Conn); ok {
		_ = c.raw.SetWriteDeadline(time.Now().Add(time.Second))
		_ = tc.Close()
	}
	c.pmu.Lock()
	for id, ch := range c.pending {
		close(ch)
		delete(c.pending, id)
	}
	c.pmu.Unlock()
	if c.hello {
		s.log.Info("agent disconnected", "agent_id", c.agentID, "remote", c.remote)
	}
}

// readDeadline is when the reader gives up waiting for a line: before the
// hello, helloBy, the same for every line (a peer trickling garbage or
// responses, one line at a time, must not hold one of max_agents slots
// for ever without a token); after it, heartbeats come every
// heartbeat_interval.
func (c *conn) readDeadline() time.Time {
	if !c.hello {
		return c.helloBy
	}
	return time.Now().Add(3*time.Duration(c.s.cfg.HeartbeatInterval) + 10*time.Second)
}

func (c *conn) readLoop() {
	s := c.s
	bad := 0
	for !c.stop.Load() {
		_ = c.raw.SetReadDeadline(c.readDeadline())
		if c.stop.Load() {
			// stopReading ran between the check above and the deadline
			// just set, which overrode its own.
			return
		}
		line, err := c.codec.ReadLine()
		if err != nil {
			var fe *protocol.FrameError
			if errors.As(err, &fe) {
				s.stats.linesOversized.Add(1)
				bad++
				s.log.Warn("oversized line from agent discarded", "agent_id", c.agentID, "remote", c.remote, "bytes", fe.Size, "limit", fe.Limit)
				if bad > maxBadLines {
					s.log.Warn("too many bad lines: connection dropped", "agent_id", c.agentID, "remote", c.remote)
					return
				}
				continue
			}
			return
		}
		if !c.handleLine(line) {
			return
		}
		c.codec.ReleaseLine(connReadBuffer) // a long line's buffer is not kept for the connection's life
		if c.badLines(&bad) {
			return
		}
	}
}

// badLines is set by handleLine through lastBad; kept separate so that the
// fuzz target can drive handleLine alone.
func (c *conn) badLines(bad *int) bool {
	if c.lastBad {
		c.lastBad = false
		*bad++
		if *bad > maxBadLines {
			c.s.log.Warn("too many bad lines: connection dropped", "agent_id", c.agentID, "remote", c.remote)
			return true
		}
	}
	return false
}

// errBeforeHello ends a connection that sent more than maxBeforeHello
// bytes without a hello accepted.
var errBeforeHello = errors.New("too much sent before the hello")

// helloReader is the connection's reader, capped to maxBeforeHello bytes
// until the hello is accepted: a peer without a token must not make the
// endpoint hold max_line_size (1 MiB) for each of max_agents connections
// (20 GiB); a hello is well under 1 KiB. It is read by the reader only,
// which also sets hello.
type helloReader struct {
	c    *conn
	left int
}

func (h *helloReader) Read(p []byte) (int, error) {
	if h.c.hello {
		return h.c.nc.Read(p)
	}
	if h.left <= 0 {
		return 0, errBeforeHello
	}
	if len(p) > h.left {
		p = p[:h.left]
	}
	n, err := h.c.nc.Read(p)
	h.left -= n
	return n, err
}
