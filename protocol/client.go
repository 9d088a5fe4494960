package protocol

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Client is one connection to one endpoint, after a good handshake. It has
// one reader goroutine that matches responses to pending calls by id and
// serves the endpoint's requests, and one heartbeat goroutine. Any timeout,
// read error, malformed line, version mismatch or fatal error response closes
// it; Done is closed then and Err says why. A Client is not reused: dial a
// new one to reconnect.
type Client struct {
	endpoint string
	opts     Options
	log      *slog.Logger
	conn     net.Conn
	codec    *Codec
	hello    HelloResult
	idle     atomic.Int64 // read timeout in ns; 0 before the handshake

	mu      sync.Mutex
	pending map[string]chan *Response
	nextID  uint64
	closed  bool
	err     error
	rtt     time.Duration
	offset  time.Duration
	haveRTT bool

	done    chan struct{}
	serving chan struct{} // bounds concurrent endpoint requests
}

// Dial connects to endpoint (host:port), through a proxy if configured, does
// the TLS handshake and handshake.hello, and starts heartbeats. The returned
// client also fetches the schedule for opts.Handler. An error from the
// endpoint's hello reply is returned as *Error (or *RateLimitError).
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
	proxy := opts.proxy()
	cctx, cancel := context.WithTimeout(ctx, opts.ConnectTimeout)
	raw, err := dialTCP(cctx, endpoint, proxy)
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
	c := &Client{
		endpoint: endpoint,
		opts:     opts,
		log:      log,
		conn:     conn,
		codec:    NewCodec(conn, opts.MaxLineSize),
		pending:  make(map[string]chan *Response),
		done:     make(chan struct{}),
		serving:  make(chan struct{}, 8),
	}
	go c.readLoop()
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
	go c.heartbeatLoop(interval)
	if opts.Handler != nil {
		go c.refreshSchedule()
	}
	return c, nil
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

// Done is closed when the connection is closed.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err returns why the connection closed (nil while open).
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close closes the connection; pending calls fail with ErrClosed.
func (c *Client) Close() error {
	c.closeWith(ErrClosed)
	return nil
}

func (c *Client) closeWith(err error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.err = err
	c.pending = nil
	close(c.done)
	c.mu.Unlock()
	_ = c.conn.Close()
	if !errors.Is(err, ErrClosed) {
		c.log.Warn("connection dropped", "err", err)
	}
}

// Call sends a request and waits for its response, decoding the result into
// result (if not nil). An error reply comes back as *Error, or as
// *RateLimitError when the endpoint's rate limit is reached; a closed
// connection gives an error wrapping ErrClosed.
func (c *Client) Call(ctx context.Context, method string, params, result any) error {
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

	req := Request{V: Version, ID: id, Source: c.opts.GUID, Target: TargetEndpoint, Method: method, Params: raw}
	_ = c.conn.SetWriteDeadline(time.Now().Add(c.opts.HeartbeatTimeout))
	if err := c.codec.Write(req); err != nil {
		c.closeWith(fmt.Errorf("send %s: %w", method, err))
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
	case <-c.done:
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

func (c *Client) result(method string, resp *Response, result any) error {
	if resp.Error != nil {
		if resp.Error.RateLimited() {
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
			case errors.Is(err, net.ErrClosed):
				c.closeWith(ErrClosed)
			default:
				c.closeWith(fmt.Errorf("read: %w", err))
			}
			return
		}
		if msg.Request != nil {
			select {
			case c.serving <- struct{}{}:
				go func() {
					defer func() { <-c.serving }()
					c.serve(msg.Request)
				}()
			default: // too many at once: serve inline, which slows the reader
				c.serve(msg.Request)
			}
			continue
		}
		resp := msg.Response
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
			case e.RateLimited():
				c.closeWith(&RateLimitError{Endpoint: c.endpoint, Err: e})
				return
			case e.Fatal():
				c.closeWith(fmt.Errorf("response to id %s: %w", resp.ID.String(), e))
				return
			default:
				c.log.Warn("non-fatal error from endpoint", "code", e.Code, "message", e.Message)
			}
		}
	}
}

func (c *Client) heartbeatLoop(interval time.Duration) {
	for {
		select {
		case <-c.opts.Clock.After(interval + HeartbeatJitter(interval, c.opts.Rand())):
		case <-c.done:
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), c.opts.HeartbeatTimeout)
		sent := c.opts.Clock.Now()
		var r HeartbeatResult
		err := c.Call(ctx, MethodHeartbeat, HeartbeatParams{Timestamp: sent.UnixMilli()}, &r)
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

// refreshSchedule fetches check_schedule.get and hands it to the handler.
func (c *Client) refreshSchedule() {
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.PostTimeout)
	defer cancel()
	var s Schedule
	if err := c.Call(ctx, MethodScheduleGet, struct{}{}, &s); err != nil {
		c.log.Warn("fetch check schedule", "err", err)
		return
	}
	c.log.Info("check schedule", "checks", len(s.Checks))
	c.opts.Handler.ScheduleChanged(c.endpoint, s.Checks)
}

// serve answers one endpoint request.
func (c *Client) serve(req *Request) {
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.HandshakeTimeout)
	defer cancel()
	go func() {
		select {
		case <-c.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	result, err := c.dispatch(ctx, req)
	source := req.Target
	if source == "" {
		source = c.opts.GUID
	}
	resp := Response{V: Version, ID: req.ID, Source: source, Target: req.Source}
	if err != nil {
		var pe *Error
		if !errors.As(err, &pe) {
			pe = &Error{Code: CodeNonFatal, Message: err.Error()}
		}
		resp.Error = pe
		c.log.Info("endpoint request failed", "method", req.Method, "err", err)
	} else {
		if result == nil {
			result = struct{}{}
		}
		b, err := json.Marshal(result)
		if err != nil {
			resp.Error = &Error{Code: CodeNonFatal, Message: fmt.Sprintf("encode result: %v", err)}
		} else {
			resp.Result = b
		}
	}
	_ = c.conn.SetWriteDeadline(time.Now().Add(c.opts.HeartbeatTimeout))
	if err := c.codec.Write(resp); err != nil {
		c.closeWith(fmt.Errorf("reply to %s: %w", req.Method, err))
		return
	}
	if req.Method == MethodScheduleChanged && c.opts.Handler != nil {
		c.refreshSchedule()
	}
}

func (c *Client) dispatch(ctx context.Context, req *Request) (any, error) {
	h := c.opts.Handler
	switch req.Method {
	case MethodScheduleChanged:
		return struct{}{}, nil
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
