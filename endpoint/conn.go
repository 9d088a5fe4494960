package endpoint

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/virgo-top/virgo-top/protocol"
)

// handleLine handles one received line; false ends the connection.
func (c *conn) handleLine(line []byte) bool {
	s := c.s
	m, err := protocol.Decode(line)
	if err != nil {
		var ve *protocol.VersionError
		if errors.As(err, &ve) && m.Request != nil {
			// Answered (the agent logs why), and counted as a bad line:
			// else a flood of them would escape both the bad-line limit
			// and the request rate limit.
			s.stats.linesBad.Add(1)
			c.lastBad = true
			c.reply(m.Request, nil, &protocol.Error{Code: 400, Message: ve.Error()})
			return true
		}
		s.stats.linesBad.Add(1)
		c.lastBad = true
		s.log.Debug("malformed line from agent", "agent_id", c.agentID, "remote", c.remote, "err", err)
		return true
	}
	if m.Response != nil {
		// An answer nobody waits for (to a notify, or made up) counts
		// against the request rate: else a flood of them would cost
		// decoding without limit.
		if !c.deliver(m.Response) && !c.reqs.take(s.now()) {
			s.stats.rateLimited.Add(1)
			s.log.Warn("agent over its request rate with responses: connection dropped", "agent_id", c.agentID, "remote", c.remote)
			return false
		}
		return true
	}
	req := m.Request
	if !c.hello {
		if req.Method != protocol.MethodHello {
			s.stats.linesBad.Add(1)
			c.reply(req, nil, errHandshakeFirst)
			return false
		}
		return c.handleHello(req)
	}
	if req.Method == protocol.MethodMetricsPost {
		return c.handlePost(req)
	}
	if !c.reqs.take(s.now()) {
		s.stats.rateLimited.Add(1)
		c.reply(req, nil, c.rateLimitError(requestsPerMinute))
		return false
	}
	switch req.Method {
	case protocol.MethodHello:
		c.reply(req, nil, &protocol.Error{Code: 400, Message: "handshake.hello: already done on this connection"})
	case protocol.MethodHeartbeat:
		var p protocol.HeartbeatParams
		_ = json.Unmarshal(req.Params, &p)
		c.reply(req, protocol.HeartbeatResult{Timestamp: s.now().UnixMilli()}, nil)
	case protocol.MethodScheduleGet:
		sched, _ := s.scheds.Get(c.agentID)
		c.reply(req, protocol.Schedule{Checks: sched}, nil)
	case protocol.MethodConfigFilePost:
		var p protocol.ConfigFilePost
		if err := json.Unmarshal(req.Params, &p); err != nil {
			c.reply(req, nil, &protocol.Error{Code: 400, Message: "config_file.post: params are not an object"})
			break
		}
		// The endpoint keeps no store: the files are acknowledged as the
		// original's endpoint does, and not kept.
		r := protocol.ConfigFileResult{Success: true, Values: []protocol.ConfigFileValue{}}
		for _, name := range sortedKeys(p.ConfigData) {
			r.Values = append(r.Values, protocol.ConfigFileValue{Success: true, Type: "check", Location: name, Handle: name})
		}
		c.reply(req, r, nil)
	default:
		c.reply(req, nil, &protocol.Error{Code: 400, Type: "unknownMethod", Message: "unknown method " + strconv.Quote(truncate(req.Method, 64))})
	}
	return true
}

func (c *conn) handleHello(req *protocol.Request) bool {
	s := c.s
	var p protocol.HelloParams
	if err := json.Unmarshal(req.Params, &p); err != nil {
		s.stats.helloRefused.Add(1)
		c.reply(req, nil, &protocol.Error{Code: 400, Message: "handshake.hello: params are not an object"})
		return false
	}
	if p.AgentID == "" || len(p.AgentID) > 255 {
		s.stats.helloRefused.Add(1)
		c.reply(req, nil, &protocol.Error{Code: 400, Message: "handshake.hello: agent_id must be 1 to 255 characters"})
		return false
	}
	toks := s.tokens.Load()
	err := ErrBadToken
	if toks != nil {
		err = toks.Check(p.Token, p.AgentID)
	}
	if err != nil {
		// Never the token, not even masked: a token that is a typo of a
		// real one would show most of it.
		s.stats.helloRefused.Add(1)
		s.log.Warn("handshake refused", "agent_id", p.AgentID, "remote", c.remote, "reason", err)
		c.reply(req, nil, errAuth)
		return false
	}
	c.agentID, c.hello = p.AgentID, true
	s.register(c)
	s.stats.hellos.Add(1)
	s.log.Info("agent connected", "agent_id", c.agentID, "remote", c.remote, "agent_name", truncate(p.AgentName, 64),
		"version", truncate(p.ProcessVersion, 32))
	c.reply(req, protocol.HelloResult{HeartbeatInterval: time.Duration(s.cfg.HeartbeatInterval).Milliseconds(), EntityID: c.agentID}, nil)
	return true
}

func (c *conn) rateLimitError(perMinute int) *protocol.Error {
	return &protocol.Error{Code: 400, Type: protocol.ErrorTypeRateLimit,
		Message: fmt.Sprintf("Rate limit has been reached (%d requests per minute), please try again later.", perMinute)}
}

// handlePost checks a post and hands it to a worker; the answer comes once
// the outputs took it.
func (c *conn) handlePost(req *protocol.Request) bool {
	s := c.s
	if !s.allowPost(c.agentID) {
		s.stats.rateLimited.Add(1)
		s.log.Warn("agent over its post rate: rateLimitReached", "agent_id", c.agentID, "remote", c.remote)
		c.reply(req, nil, c.rateLimitError(s.cfg.Limits.PostsPerMinute))
		// As the original endpoint, close after a rate limit; the agent
		// reconnects with backoff and sends the post again.
		return false
	}
	var mp protocol.MetricsPost
	if err := json.Unmarshal(req.Params, &mp); err != nil || mp.CheckID == "" {
		s.stats.postsBad.Add(1)
		msg := "check_metrics.post: missing check_id"
		if err != nil {
			msg = "check_metrics.post: " + truncate(err.Error(), 200)
		}
		c.reply(req, nil, &protocol.Error{Code: 400, Message: msg})
		return true
	}
	p := Post{AgentID: c.agentID, Host: c.agentID, MetricsPost: mp}
	period := c.checkPeriod(mp)
	select {
	case c.posts <- struct{}{}:
	case <-c.ctx.Done():
		return false
	}
	c.inflight.Add(1)
	go func() {
		defer c.inflight.Done()
		defer func() { <-c.posts }()
		select {
		case s.postSem <- struct{}{}:
		default:
			s.stats.postsUnavailable.Add(1)
			c.reply(req, nil, &protocol.Error{Code: 400, Type: protocol.ErrorTypeUnavailable, Message: "endpoint busy: try again later"})
			return
		}
		perr := s.sendPost(c.ctx, p, period)
		<-s.postSem
		if perr != nil {
			s.stats.postsUnavailable.Add(1)
			c.reply(req, nil, perr)
			return
		}
		s.stats.posts.Add(1)
		c.reply(req, 0, nil)
	}()
	return true
}

// checkPeriod is the period a post's alerts last for (x3): the check's
// period in the schedule served, else the interval since the check's
// newest post on this connection (at most a day, protocol.MaxCheckPeriod),
// else min_check_period, else a minute. Only newer posts move the newest
// timestamp: a spooled post sent between two live ones (an agent draining
// its spool) must not make the next live post's interval hours long, which
// would keep its alerts firing for hours after the agent died.
func (c *conn) checkPeriod(mp protocol.MetricsPost) time.Duration {
	if p := c.s.scheds.Period(c.agentID, mp.CheckID); p > 0 {
		return p
	}
	c.pmu.Lock()
	defer c.pmu.Unlock()
	last, ok := c.periods[mp.CheckID]
	if ok && mp.Timestamp > last {
		c.period[mp.CheckID] = time.Duration(min(mp.Timestamp-last, protocol.MaxCheckPeriod)) * time.Millisecond
	}
	if ok && mp.Timestamp > last || !ok && len(c.periods) < maxCheckPeriods {
		c.periods[mp.CheckID] = mp.Timestamp
	}
	if p := c.period[mp.CheckID]; p > 0 {
		return p
	}
	if mp.MinCheckPeriod > 0 && mp.MinCheckPeriod < protocol.MaxCheckPeriod {
		return time.Duration(mp.MinCheckPeriod) * time.Millisecond
	}
	return time.Minute
}

// reply answers req (result or error).
func (c *conn) reply(req *protocol.Request, result any, perr *protocol.Error) {
	resp := protocol.Response{V: protocol.Version, ID: req.ID, Source: protocol.TargetEndpoint, Target: req.Source, Error: perr}
	if perr == nil {
		b, err := json.Marshal(result)
		if err != nil {
			resp.Error = &protocol.Error{Code: 500, Message: "endpoint: cannot encode the result"}
		} else {
			resp.Result = b
		}
	}
	c.write(resp)
}

func (c *conn) write(v any) bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.raw.SetWriteDeadline(time.Now().Add(writeTimeout))
	if err := c.codec.Write(v); err != nil {
		c.s.log.Debug("write to agent failed: connection closed", "agent_id", c.agentID, "remote", c.remote, "err", err)
		c.close()
		return false
	}
	return true
}

// notify sends an endpoint request whose answer nobody waits for.
func (c *conn) notify(method string) {
	c.pmu.Lock()
	c.nextID++
	id := c.nextID
	c.pmu.Unlock()
	c.write(protocol.Request{V: protocol.Version, ID: protocol.StringID("e" + strconv.FormatUint(id, 10)),
		Source: protocol.TargetEndpoint, Target: c.agentID, Method: method})
}

// call sends an endpoint request and waits for the agent's answer.
func (c *conn) call(ctx context.Context, method string, params any) (json.RawMessage, error) {
	raw, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	ch := make(chan *protocol.Response, 1)
	c.pmu.Lock()
	if len(c.pending) >= 64 {
		c.pmu.Unlock()
		return nil, errors.New("too many requests waiting on this agent")
	}
	c.nextID++
	key := "e" + strconv.FormatUint(c.nextID, 10)
	c.pending[key] = ch
	c.pmu.Unlock()
	defer func() {
		c.pmu.Lock()
		delete(c.pending, key)
		c.pmu.Unlock()
	}()
	if !c.write(protocol.Request{V: protocol.Version, ID: protocol.StringID(key), Source: protocol.TargetEndpoint,
		Target: c.agentID, Method: method, Params: raw}) {
		return nil, ErrNotConnected
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, hostInfoTimeout)
		defer cancel()
	}
	select {
	case resp, ok := <-ch:
		if !ok {
			return nil, ErrNotConnected
		}
		if resp.Error != nil {
			return nil, resp.Error
		}
		return resp.Result, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.ctx.Done():
		return nil, ErrNotConnected
	}
}

// deliver hands an agent's response to the call waiting for it and
// reports whether one was; others (answers to notify) are dropped.
func (c *conn) deliver(r *protocol.Response) bool {
	c.pmu.Lock()
	ch := c.pending[r.ID.String()]
	delete(c.pending, r.ID.String())
	c.pmu.Unlock()
	if ch != nil {
		ch <- r
	}
	return ch != nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
