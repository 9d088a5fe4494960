package protocol

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Limits on the endpoint's requests. check.test may run a plugin for
// seconds, so they are served by a fixed set of workers, never by the reader.
const (
	serveWorkers = 8  // endpoint requests handled at once
	serveQueue   = 16 // endpoint requests waiting for a worker; past that: busy
	// writeQueue bounds the lines waiting for the writer. Calls and workers
	// wait for room; the reader never waits: when its reply (busy, or the
	// ack of check_schedule.changed) finds the queue full, the endpoint is
	// sending requests without reading our replies, and the connection is
	// closed (errWritesStalled).
	writeQueue = 64
)

// ErrorTypeBusy is the Error.Type of the reply (code 400, non-fatal) to an
// endpoint request that arrives while every worker is busy and serveQueue
// requests are already waiting. The endpoint may send it again later.
const ErrorTypeBusy = "busy"

// errWritesStalled closes a connection whose endpoint sends requests faster
// than it reads the replies.
var errWritesStalled = errors.New("write queue full: the endpoint sends requests but does not read the replies")

// Client is one connection to one endpoint, after a good handshake. Its
// goroutines, after net/rpc's client:
//   - the reader only reads and delivers: a response to the pending call
//     with its id, a request onto a bounded queue (a full queue answers
//     "busy"), check_schedule.changed into a "refresh wanted" flag. It never
//     runs handler code and never waits on a write;
//   - the writer owns every write on the connection, one line at a time
//     from a bounded queue, each under a write deadline (HeartbeatTimeout);
//   - serveWorkers workers answer the endpoint's requests through Handler;
//   - the schedule refresher fetches check_schedule.get whenever a refresh
//     is wanted (several changes during one fetch make one more fetch);
//   - the heartbeat loop.
//
// Any timeout, read or write error, malformed line, version mismatch or
// fatal error response closes it. Done is closed once the connection is
// closed and every one of these goroutines has returned, and Err says why.
// A Client is not reused: dial a new one to reconnect.
type Client struct {
	endpoint string
	opts     Options
	log      *slog.Logger
	conn     net.Conn
	codec    *Codec
	hello    HelloResult
	idle     atomic.Int64 // read timeout in ns; 0 before the handshake

	// ctx is cancelled by closeWith: it stops every goroutine and is the
	// parent of the contexts handed to Handler.
	ctx    context.Context
	cancel context.CancelFunc

	requests chan *Request // reader -> workers
	writes   chan outgoing // everyone -> writer
	refresh  chan struct{} // capacity 1: a schedule refresh is wanted
	busy     bool          // the reader refused the last request (reader only)

	mu      sync.Mutex
	pending map[string]chan *Response
	nextID  uint64
	closed  bool
	err     error
	rtt     time.Duration
	offset  time.Duration
	haveRTT bool

	wg   sync.WaitGroup // every goroutine but the reader; Add under mu, never after closed
	done chan struct{}  // closed by the reader after wg.Wait
}

// outgoing is one line for the writer.
type outgoing struct {
	msg  any    // *Request or *Response
	what string // names the write in the error that closes the connection
}

// Dial connects to endpoint (host:port), through a proxy if configured, does
// the TLS handshake and handshake.hello, and starts heartbeats. The returned
// client also fetches the schedule for opts.Handler when the hello result
// names an entity (entity_id). An error from the
// endpoint's hello reply is returned as *Error (or *RateLimitError). Every
// goroutine it started has returned when it returns an error.
func Dial(ctx context.Context, endpoint string, opts Options) (*Client, error) {
	return dial(ctx, endpoint, opts.withDefaults(), nil)
}

func dial(ctx context.Context, endpoint string, opts Options, onHandshake func()) (*Client, error) {
	log := opts.Logger.With("endpoint", endpoint)
	tcfg, err := TLSConfig(endpoint, opts.ServerName, opts.CAFile, opts.CAPEM, opts.Insecure)
	if err != nil {
		return nil, err
	}
	if opts.Insecure {
		log.Warn("TLS certificate verification is disabled (insecure)")
	}
	proxy := opts.proxyFor(endpoint)
	cctx, cancel := context.WithTimeout(ctx, opts.ConnectTimeout)
	raw, err := dialTCP(cctx, endpoint, proxy, opts.ProxyRootCAs)
	cancel()
	if err != nil {
		return nil, err
	}
	if proxy != "" {
		log.Debug("connected through proxy", "proxy", MaskProxyURL(proxy))
	}
	if onHandshake != nil {
		onHandshake()
	}
	hctx, cancel := context.WithTimeout(ctx, opts.HandshakeTimeout)
	defer cancel()
	conn := tls.Client(raw, tcfg)
	if err := conn.HandshakeContext(hctx); err != nil {
		raw.Close()
		return nil, describeTLSError(err, endpoint, tcfg.ServerName)
	}
	if dl, ok := hctx.Deadline(); ok {
		_ = conn.SetReadDeadline(dl)
	}
	c := newClient(endpoint, conn, opts, log)
	features := opts.Features
	if features == nil {
		features = []Feature{}
	}
	var hello HelloResult
	err = c.Call(hctx, MethodHello, HelloParams{
		Token:          opts.Token,
		AgentID:        opts.AgentID,
		AgentName:      opts.AgentName,
		ProcessVersion: opts.ProcessVersion,
		BundleVersion:  opts.BundleVersion,
		Features:       features,
	}, &hello)
	if err != nil {
		c.closeWith(fmt.Errorf("handshake.hello: %w", err))
		<-c.done
		if cerr := c.Err(); errors.As(cerr, new(*RateLimitError)) || errors.As(cerr, new(*VersionError)) {
			err = cerr
		}
		return nil, fmt.Errorf("handshake with %s: %w", endpoint, err)
	}
	c.hello = hello
	interval := c.HeartbeatInterval()
	// Virgo's idle timeout is 1.5 x heartbeat_interval, but its own jitter
	// can space heartbeats up to 1.7 x apart: never let the idle timeout
	// fire before a heartbeat that is on time could have been answered.
	idle := time.Duration(float64(interval) * opts.IdleMultiplier)
	idle = max(idle, interval+HeartbeatJitter(interval, 1)+opts.HeartbeatTimeout)
	c.idle.Store(int64(idle))
	_ = conn.SetReadDeadline(time.Now().Add(time.Duration(c.idle.Load())))
	log.Info("connected", "entity_id", hello.EntityID, "heartbeat_interval", interval, "token", MaskToken(opts.Token))
	c.startSession(interval)
	return c, nil
}

// newClient starts the reader, the writer and the workers on conn, ready
// for handshake.hello; startSession starts the rest after it.
func newClient(endpoint string, conn net.Conn, opts Options, log *slog.Logger) *Client {
	ctx, cancel := context.WithCancel(context.Background())
	c := &Client{
		endpoint: endpoint,
		opts:     opts,
		log:      log,
		conn:     conn,
		codec:    NewCodec(conn, opts.MaxLineSize),
		ctx:      ctx,
		cancel:   cancel,
		requests: make(chan *Request, serveQueue),
		writes:   make(chan outgoing, writeQueue),
		refresh:  make(chan struct{}, 1),
		pending:  make(map[string]chan *Response),
		done:     make(chan struct{}),
	}
	c.goroutine(c.writeLoop)
	for range serveWorkers {
		c.goroutine(c.serveLoop)
	}
	go c.run()
	return c
}

// startSession starts heartbeats every interval and, with a Handler, the
// schedule refresher. The first refresh is wanted at once only when the
// hello named an entity, as the original fetches the manifest only for an
// agent bound to one (connection_messages.lua:29-37); an unbound agent
// fetches on check_schedule.changed.
func (c *Client) startSession(interval time.Duration) {
	c.goroutine(func() { c.heartbeatLoop(interval) })
	if c.opts.Handler != nil {
		if c.hello.EntityID != "" {
			c.wantRefresh()
		} else {
			c.log.Info("not fetching the check schedule: the agent is not bound to an entity")
		}
		c.goroutine(c.refreshLoop)
	}
}

// goroutine runs f on a goroutine the reader waits for before it closes
// Done. Once the client is closed it starts nothing: the reader's Wait may
// have begun.
func (c *Client) goroutine(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
}

// run is the reader goroutine: it reads until the connection fails or is
// closed, then waits for every other goroutine and closes Done.
func (c *Client) run() {
	defer close(c.done)
	c.readLoop()
	c.closeWith(ErrClosed) // a no-op when readLoop said why
	c.wg.Wait()
}

// Endpoint returns the host:port this client is connected to.
func (c *Client) Endpoint() string { return c.endpoint }

// Hello returns the endpoint's handshake.hello result.
func (c *Client) Hello() HelloResult { return c.hello }

// HeartbeatInterval is the endpoint's heartbeat_interval (or the default).
func (c *Client) HeartbeatInterval() time.Duration {
	if c.hello.HeartbeatInterval <= 0 {
		return DefaultHeartbeatInterval
	}
	return time.Duration(c.hello.HeartbeatInterval) * time.Millisecond
}

// RTT returns the last heartbeat round trip; ok is false before the first.
func (c *Client) RTT() (rtt time.Duration, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rtt, c.haveRTT
}

// ClockOffset returns the endpoint's clock minus ours, NTP-style from the
// last heartbeat: server_time - (sent + received)/2.
func (c *Client) ClockOffset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset
}

// Done is closed when the connection is closed and every goroutine of the
// client has returned.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err returns why the connection closed (nil while open).
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close closes the connection and returns once every goroutine of the
// client has: pending calls fail with ErrClosed, and the contexts of running
// Handler calls are cancelled (Close waits for them to return, so it must
// not be called from a Handler method).
func (c *Client) Close() error {
	c.closeWith(ErrClosed)
	<-c.done
	return nil
}

// closeWith closes the connection with err as the reason and tells every
// goroutine to stop; it does not wait for them (it is called by them).
func (c *Client) closeWith(err error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.err = err
	c.pending = nil
	c.mu.Unlock()
	c.cancel()
	_ = c.conn.Close()
	if !errors.Is(err, ErrClosed) {
		c.log.Warn("connection dropped", "err", err)
	}
}

// Call sends a request and waits for its response, decoding the result into
// result (if not nil). An error reply comes back as *Error, or as
// *RateLimitError when the endpoint's rate limit is reached; a closed
// connection gives an error wrapping ErrClosed. A call that fails because
// the connection closed returns once Done is closed (or ctx is done), so a
// caller that retries on the best connection does not spin on this one
// while its goroutines finish; so Call must not be made from a Handler
// method.
func (c *Client) Call(ctx context.Context, method string, params, result any) error {
	err := c.call(ctx, method, params, result)
	if err != nil && c.ctx.Err() != nil {
		select {
		case <-c.done:
		case <-ctx.Done():
		}
	}
	return err
}

// call is Call without the wait for Done, for the client's own goroutines
// (Done waits for them).
func (c *Client) call(ctx context.Context, method string, params, result any) error {
	var raw json.RawMessage
	if params != nil {
		b, err := json.Marshal(params)
		if err != nil {
			return fmt.Errorf("%s: encode params: %w", method, err)
		}
		raw = b
	}
	ch := make(chan *Response, 1)
	c.mu.Lock()
	if c.closed {
		err := c.err
		c.mu.Unlock()
		return c.closedErr(method, err)
	}
	id := NumberID(c.nextID)
	c.nextID++
	c.pending[id.String()] = ch
	c.mu.Unlock()

	req := &Request{V: Version, ID: id, Source: c.opts.GUID, Target: TargetEndpoint, Method: method, Params: raw}
	if !c.send(ctx, outgoing{msg: req, what: "send " + method}) {
		c.mu.Lock()
		delete(c.pending, id.String())
		c.mu.Unlock()
		if err := ctx.Err(); err != nil && c.ctx.Err() == nil {
			return fmt.Errorf("%s: %w", method, err)
		}
		return c.closedErr(method, c.Err())
	}
	select {
	case resp := <-ch:
		return c.result(method, resp, result)
	case <-ctx.Done():
		c.mu.Lock()
		_, waiting := c.pending[id.String()]
		delete(c.pending, id.String())
		c.mu.Unlock()
		if !waiting { // the reader delivered the response meanwhile
			select {
			case resp := <-ch:
				return c.result(method, resp, result)
			default:
			}
		}
		return fmt.Errorf("%s: %w", method, ctx.Err())
	case <-c.ctx.Done():
		// A response read just before the connection closed still counts:
		// the reader hands it over before it closes the connection.
		select {
		case resp := <-ch:
			return c.result(method, resp, result)
		default:
		}
		return c.closedErr(method, c.Err())
	}
}

// send queues m for the writer, waiting for room until ctx is done or the
// client closes; it reports whether m was queued.
func (c *Client) send(ctx context.Context, m outgoing) bool {
	select {
	case c.writes <- m:
		return true
	case <-c.ctx.Done():
		return false
	case <-ctx.Done():
		return false
	}
}

// writeLoop is the writer: the only goroutine that writes on the connection.
func (c *Client) writeLoop() {
	for {
		var m outgoing
		select {
		case <-c.ctx.Done():
			return
		case m = <-c.writes:
		}
		_ = c.conn.SetWriteDeadline(time.Now().Add(c.opts.HeartbeatTimeout))
		if err := c.codec.Write(m.msg); err != nil {
			c.closeWith(fmt.Errorf("%s: %w", m.what, err))
			return
		}
	}
}

func (c *Client) result(method string, resp *Response, result any) error {
	if resp.Error != nil {
		if resp.Error.StopsAgent() {
			return &RateLimitError{Endpoint: c.endpoint, Err: resp.Error}
		}
		return resp.Error
	}
	if result != nil && len(resp.Result) > 0 && string(resp.Result) != "null" {
		if err := json.Unmarshal(resp.Result, result); err != nil {
			return fmt.Errorf("%s: decode result: %w", method, err)
		}
	}
	return nil
}

func (c *Client) closedErr(method string, cause error) error {
	var rl *RateLimitError
	if errors.As(cause, &rl) {
		return rl
	}
	if cause == nil || errors.Is(cause, ErrClosed) {
		return fmt.Errorf("%s: %w", method, ErrClosed)
	}
	return fmt.Errorf("%s: %w (%v)", method, ErrClosed, cause)
}

// readLoop reads until the connection fails and delivers what it reads; it
// never waits on anything but the read (net/rpc's input).
func (c *Client) readLoop() {
	for {
		if idle := time.Duration(c.idle.Load()); idle > 0 {
			_ = c.conn.SetReadDeadline(time.Now().Add(idle))
		}
		msg, err := c.codec.Read()
		if err != nil {
			var ve *VersionError
			switch {
			case errors.As(err, &ve):
				c.closeWith(err)
			case errors.Is(err, net.ErrClosed), c.ctx.Err() != nil:
				c.closeWith(ErrClosed)
			case errors.Is(err, os.ErrDeadlineExceeded):
				// The endpoint sent nothing, not even a heartbeat reply,
				// for the idle timeout: a muted or stalled peer.
				c.closeWith(fmt.Errorf("endpoint silent for %s (idle timeout; heartbeats unanswered): %w",
					time.Duration(c.idle.Load()).Round(time.Millisecond), err))
			default:
				c.closeWith(fmt.Errorf("read: %w", err))
			}
			return
		}
		if msg.Request != nil {
			if !c.deliverRequest(msg.Request) {
				return
			}
			continue
		}
		if !c.deliverResponse(msg.Response) {
			return
		}
	}
}

// deliverResponse hands resp to its pending call; it reports false when the
// response closed the connection.
func (c *Client) deliverResponse(resp *Response) bool {
	c.mu.Lock()
	ch := c.pending[resp.ID.String()]
	if ch != nil {
		// Under the lock, so that a caller that gives up sees either
		// its pending entry or its response (ch has room for one).
		delete(c.pending, resp.ID.String())
		ch <- resp
	}
	c.mu.Unlock()
	if ch == nil {
		c.log.Debug("response matches no pending request", "id", resp.ID.String())
	}
	if e := resp.Error; e != nil {
		switch {
		case e.StopsAgent():
			c.closeWith(&RateLimitError{Endpoint: c.endpoint, Err: e})
			return false
		case e.RateLimited():
			// Code 400: logged, and the agent reconnects (the original logs
			// it and the endpoint closes the connection).
			c.log.Error("endpoint rate limit reached (code 400): reconnecting", "message", e.Message)
			c.closeWith(fmt.Errorf("response to id %s: %w", resp.ID.String(), e))
			return false
		case e.Fatal():
			c.closeWith(fmt.Errorf("response to id %s: %w", resp.ID.String(), e))
			return false
		default:
			c.log.Warn("non-fatal error from endpoint", "code", e.Code, "message", e.Message)
		}
	}
	return true
}

// deliverRequest hands an endpoint request to the workers without waiting:
// check_schedule.changed is acknowledged at once and becomes a wanted
// refresh; a request that finds the queue full is answered busy. It reports
// false when the connection closed.
func (c *Client) deliverRequest(req *Request) bool {
	if req.Method == MethodScheduleChanged {
		// Acknowledged first, then fetched, as the original does
		// (connection_messages.lua:96 responds, its callback fetches): the
		// ack is queued before the refresher can queue its request.
		if !c.replyNow(c.response(req, struct{}{}, nil)) {
			return false
		}
		if c.opts.Handler != nil {
			c.wantRefresh()
		}
		return true
	}
	select {
	case c.requests <- req:
		c.busy = false
		return true
	default:
	}
	if !c.busy { // once per busy spell: a flood must not flood the log
		c.log.Warn("endpoint requests refused: busy", "method", req.Method, "running", serveWorkers, "queued", serveQueue)
		c.busy = true
	}
	return c.replyNow(c.response(req, nil, &Error{
		Code:    CodeNonFatal,
		Message: fmt.Sprintf("busy: %d endpoint requests running and %d queued; try again later", serveWorkers, serveQueue),
		Type:    ErrorTypeBusy,
	}))
}

// replyNow queues the reader's own reply without waiting: a full write
// queue closes the connection (errWritesStalled). It reports whether the
// reply was queued.
func (c *Client) replyNow(resp *Response) bool {
	select {
	case c.writes <- outgoing{msg: resp, what: "reply"}:
		return true
	default:
		c.closeWith(errWritesStalled)
		return false
	}
}

func (c *Client) heartbeatLoop(interval time.Duration) {
	for {
		select {
		case <-c.opts.Clock.After(interval + HeartbeatJitter(interval, c.opts.Rand())):
		case <-c.ctx.Done():
			return
		}
		ctx, cancel := context.WithTimeout(c.ctx, c.opts.HeartbeatTimeout)
		sent := c.opts.Clock.Now()
		var r HeartbeatResult
		err := c.call(ctx, MethodHeartbeat, HeartbeatParams{Timestamp: sent.UnixMilli()}, &r)
		cancel()
		recv := c.opts.Clock.Now()
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				err = fmt.Errorf("no heartbeat reply within %v", c.opts.HeartbeatTimeout)
			}
			c.closeWith(fmt.Errorf("heartbeat: %w", err))
			return
		}
		rtt, offset := heartbeatSample(sent, recv, r.Timestamp)
		c.mu.Lock()
		c.rtt, c.offset, c.haveRTT = rtt, offset, true
		c.mu.Unlock()
	}
}

// heartbeatSample returns the round trip and the NTP-style clock offset of
// one heartbeat: the endpoint stamps one time, used as both t1 and t2.
func heartbeatSample(sent, recv time.Time, serverMS int64) (rtt, offset time.Duration) {
	rtt = recv.Sub(sent)
	if serverMS == 0 {
		return rtt, 0
	}
	server := time.UnixMilli(serverMS)
	mid := sent.Add(rtt / 2)
	return rtt, server.Sub(mid).Truncate(time.Millisecond)
}

// wantRefresh raises the "refresh wanted" flag; raising it while it is up
// is a no-op, so any number of check_schedule.changed coalesce into one
// fetch after the one in progress.
func (c *Client) wantRefresh() {
	select {
	case c.refresh <- struct{}{}:
	default:
	}
}

// refreshLoop fetches the schedule whenever a refresh is wanted. It is not a
// worker, so a flood of endpoint requests cannot hold a schedule change up.
func (c *Client) refreshLoop() {
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-c.refresh:
		}
		c.refreshSchedule()
	}
}

// refreshSchedule fetches check_schedule.get and hands it to the handler.
// No reply in time closes the connection (the next connection fetches the
// schedule after its hello, so the change is not lost); an error reply keeps
// the schedule the agent has.
func (c *Client) refreshSchedule() {
	ctx, cancel := context.WithTimeout(c.ctx, c.opts.PostTimeout)
	defer cancel()
	var s Schedule
	err := c.call(ctx, MethodScheduleGet, struct{}{}, &s)
	switch {
	case err == nil:
	case c.ctx.Err() != nil:
		return
	case errors.Is(err, context.DeadlineExceeded):
		c.closeWith(fmt.Errorf("%s: no reply within %v", MethodScheduleGet, c.opts.PostTimeout))
		return
	default:
		c.log.Warn("fetch check schedule", "err", err)
		return
	}
	c.log.Info("check schedule", "checks", len(s.Checks))
	c.opts.Handler.ScheduleChanged(c.endpoint, s.Checks)
}

// serveLoop is one worker: it answers queued endpoint requests until the
// client closes.
func (c *Client) serveLoop() {
	for {
		select {
		case <-c.ctx.Done():
			return
		case req := <-c.requests:
			if c.ctx.Err() != nil {
				return
			}
			c.serve(req)
		}
	}
}

// serve answers one endpoint request; the handler's context ends with the
// connection or after HandshakeTimeout.
func (c *Client) serve(req *Request) {
	ctx, cancel := context.WithTimeout(c.ctx, c.opts.HandshakeTimeout)
	defer cancel()
	result, err := c.dispatch(ctx, req)
	if err != nil {
		c.log.Info("endpoint request failed", "method", req.Method, "err", err)
	}
	c.send(c.ctx, outgoing{msg: c.response(req, result, err), what: "reply to " + req.Method})
}

// response builds the reply to req: result, or err as an error object.
func (c *Client) response(req *Request, result any, err error) *Response {
	source := req.Target
	if source == "" {
		source = c.opts.GUID
	}
	resp := &Response{V: Version, ID: req.ID, Source: source, Target: req.Source}
	if err != nil {
		var pe *Error
		if !errors.As(err, &pe) {
			pe = &Error{Code: CodeNonFatal, Message: err.Error()}
		}
		resp.Error = pe
		return resp
	}
	if result == nil {
		result = struct{}{}
	}
	b, merr := json.Marshal(result)
	if merr != nil {
		resp.Error = &Error{Code: CodeNonFatal, Message: fmt.Sprintf("encode result: %v", merr)}
	} else {
		resp.Result = b
	}
	return resp
}

func (c *Client) dispatch(ctx context.Context, req *Request) (any, error) {
	h := c.opts.Handler
	switch req.Method {
	case MethodBundleUpgradeAvail, MethodBinaryUpgradeAvail, MethodUpgradeRequest:
		c.log.Info("endpoint offers an upgrade; upgrades are not supported", "method", req.Method)
		return struct{}{}, nil
	}
	known := map[string]bool{MethodHostInfoTypes: true, MethodHostInfo: true, MethodCheckTargets: true, MethodCheckTest: true, MethodSystemInfo: true}
	if !known[req.Method] {
		return nil, &Error{Code: CodeNonFatal, Message: "unknown method " + req.Method, Type: "unknownMethod"}
	}
	if h == nil {
		return nil, &Error{Code: CodeNonFatal, Message: req.Method + " not supported by this agent"}
	}
	switch req.Method {
	case MethodHostInfoTypes:
		return HostInfoTypesResult{Types: h.HostInfoTypes()}, nil
	case MethodHostInfo:
		var p HostInfoParams
		if err := decodeParams(req.Params, &p); err != nil {
			return nil, err
		}
		return h.HostInfo(ctx, p.Type)
	case MethodCheckTargets:
		var p CheckTargetsParams
		if err := decodeParams(req.Params, &p); err != nil {
			return nil, err
		}
		targets, err := h.CheckTargets(ctx, p.Type)
		if err != nil {
			return nil, err
		}
		if targets == nil {
			targets = []string{}
		}
		return CheckTargetsResult{Targets: targets}, nil
	case MethodCheckTest:
		var p CheckTestParams
		if err := decodeParams(req.Params, &p); err != nil {
			return nil, err
		}
		if !json.Valid([]byte(p.CheckParams)) {
			return nil, &Error{Code: CodeNonFatal, Message: "checkParams is not a JSON document"}
		}
		return h.CheckTest(ctx, json.RawMessage(p.CheckParams))
	default: // MethodSystemInfo
		return h.SystemInfo(ctx)
	}
}

func decodeParams(raw json.RawMessage, v any) error {
	if len(raw) == 0 || string(raw) == "null" {
		return &Error{Code: CodeNonFatal, Message: "missing params"}
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return &Error{Code: CodeNonFatal, Message: "bad params: " + err.Error()}
	}
	return nil
}
