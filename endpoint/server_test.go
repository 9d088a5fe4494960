package endpoint

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/endpoint/alertmanager"
	"github.com/virgo-top/virgo-top/endpoint/remotewrite"
	"github.com/virgo-top/virgo-top/protocol"
)

func TestHello(t *testing.T) {
	te := startEndpoint(t, nil, nil)
	tests := []struct {
		name    string
		token   string
		agent   string
		code    int
		wantLog string
	}{
		{"good", tokenA, "agent-a1", 0, "agent connected"},
		{"good glob second token", tokenB, "agent-b", 0, "agent connected"},
		{"bad token", "not-a-token-at-all-xxxxxxxx", "agent-a1", 401, "reason=\"unknown token\""},
		{"token of another agent", tokenB, "agent-a1", 401, "reason=\"agent id not allowed for this token\""},
		{"empty agent id", tokenA, "", 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := dialAgent(t, te.addr)
			r := a.hello(tt.token, tt.agent)
			if tt.code == 0 {
				if r.Error != nil {
					t.Fatalf("refused: %v", r.Error)
				}
				var h protocol.HelloResult
				if err := json.Unmarshal(r.Result, &h); err != nil || h.HeartbeatInterval != 30000 || h.EntityID != tt.agent {
					t.Fatalf("hello result %s (%v)", r.Result, err)
				}
				return
			}
			if r.Error == nil || r.Error.Code != tt.code {
				t.Fatalf("want error %d, got %+v", tt.code, r)
			}
			a.expectClosed()
		})
		if tt.wantLog != "" && !strings.Contains(te.log.String(), tt.wantLog) {
			t.Errorf("%s: log lacks %q", tt.name, tt.wantLog)
		}
	}
	for _, tok := range []string{tokenA, tokenB, "not-a-token-at-all"} {
		if strings.Contains(te.log.String(), tok) || strings.Contains(te.log.String(), tok[len(tok)-4:]) {
			t.Errorf("a token (or its last 4 characters) is in the log:\n%s", te.log.String())
		}
	}
}

func TestRequestBeforeHelloRefused(t *testing.T) {
	te := startEndpoint(t, nil, nil)
	a := dialAgent(t, te.addr)
	r := a.call(protocol.MethodMetricsPost, cpuPost("ch1", 1, nil))
	if r.Error == nil || r.Error.Code != 400 {
		t.Fatalf("want 400, got %+v", r)
	}
	a.expectClosed()
	if s, _ := te.out.taken(); len(s) != 0 {
		t.Fatalf("a post before the hello reached the output: %v", s)
	}
}

func TestPostAcknowledgedAfterOutputs(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		permanent bool
		wantType  string // "" = acknowledged with a result
		wantSent  string // reason counted in /metrics
	}{
		{"accepted", nil, false, "", `virgo_endpoint_output_sends_total{output="fake",result="ok"} 1`},
		{"engine down", errRetry, false, protocol.ErrorTypeUnavailable, `virgo_endpoint_output_sends_total{output="fake",result="retryable_error"} 1`},
		{"refused for good", errRetry, true, "", `virgo_endpoint_output_sends_total{output="fake",result="permanent_error"} 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			te := startEndpoint(t, nil, nil)
			te.out.err, te.out.permanent = tt.err, tt.permanent
			a := dialAgent(t, te.addr)
			if r := a.hello(tokenA, "agent-a1"); r.Error != nil {
				t.Fatal(r.Error)
			}
			r := a.call(protocol.MethodMetricsPost, cpuPost("chCPU", 1_800_000_000_000, nil))
			switch {
			case tt.wantType == "" && r.Error != nil:
				t.Fatalf("not acknowledged: %v", r.Error)
			case tt.wantType != "" && (r.Error == nil || r.Error.Type != tt.wantType || r.Error.Code != 400):
				t.Fatalf("want a 400 %q error, got %+v", tt.wantType, r)
			}
			if m := scrape(t, te.srv); !strings.Contains(m, tt.wantSent) {
				t.Errorf("/metrics lacks %s:\n%s", tt.wantSent, m)
			}
			// The connection lives on in every case.
			if r := a.call(protocol.MethodHeartbeat, protocol.HeartbeatParams{Timestamp: 1}); r.Error != nil {
				t.Fatalf("heartbeat after the post: %v", r.Error)
			}
		})
	}
}

func TestPostAnsweredOnlyAfterOutputReturns(t *testing.T) {
	te := startEndpoint(t, nil, nil)
	te.out.gate, te.out.entered = make(chan struct{}), make(chan struct{}, 1)
	a := dialAgent(t, te.addr)
	a.hello(tokenA, "agent-a1")
	id := a.request(protocol.MethodMetricsPost, cpuPost("chCPU", 1_800_000_000_000, nil))
	<-te.out.entered
	// While the output holds the post, heartbeats are still answered.
	if r := a.call(protocol.MethodHeartbeat, protocol.HeartbeatParams{Timestamp: 1}); r.Error != nil {
		t.Fatal(r.Error)
	}
	var released atomic.Bool
	released.Store(true)
	close(te.out.gate)
	r := a.response(id)
	if r.Error != nil || !released.Load() {
		t.Fatalf("post answered %+v", r)
	}
	if s, _ := te.out.taken(); len(s) == 0 {
		t.Fatal("acknowledged but the output has nothing")
	}
}

func TestPostLabelledWithTheHelloAgentID(t *testing.T) {
	te := startEndpoint(t, nil, nil)
	a := dialAgent(t, te.addr)
	a.hello(tokenA, "agent-a1")
	// A post that claims another source is still agent-a1's.
	a.send(`{"v":"1","id":7,"source":"agent-b","target":"endpoint","method":"check_metrics.post","params":{"check_id":"c","check_type":"agent.cpu","state":"available","status":"","timestamp":5,"metrics":[[null,{"usage_average":{"t":"double","v":"1"}}]]}}`)
	if r := a.response(7); r.Error != nil {
		t.Fatal(r.Error)
	}
	series, _ := te.out.taken()
	for _, s := range series {
		for _, l := range s.Labels {
			if l.Name == "agent_id" && l.Value != "agent-a1" {
				t.Fatalf("series labelled %v", s.Labels)
			}
		}
	}
}

func TestNewerConnectionReplacesOlder(t *testing.T) {
	te := startEndpoint(t, nil, nil)
	old := dialAgent(t, te.addr)
	old.hello(tokenA, "agent-a1")
	other := dialAgent(t, te.addr)
	other.hello(tokenA, "agent-a2")
	newer := dialAgent(t, te.addr)
	if r := newer.hello(tokenA, "agent-a1"); r.Error != nil {
		t.Fatal(r.Error)
	}
	old.expectClosed()
	if r := other.call(protocol.MethodHeartbeat, protocol.HeartbeatParams{}); r.Error != nil {
		t.Fatalf("another agent was disturbed: %v", r.Error)
	}
	if r := newer.call(protocol.MethodHeartbeat, protocol.HeartbeatParams{}); r.Error != nil {
		t.Fatal(r.Error)
	}
	if n := te.srv.Agents(); n != 2 {
		t.Fatalf("agents = %d, want 2", n)
	}
}

func TestRateLimit(t *testing.T) {
	cfg := testConfig()
	cfg.Limits.PostsPerMinute = 2
	te := startEndpoint(t, cfg, nil)
	a := dialAgent(t, te.addr)
	a.hello(tokenA, "agent-a1")
	for i := range 2 {
		if r := a.call(protocol.MethodMetricsPost, cpuPost("c", int64(i+1), nil)); r.Error != nil {
			t.Fatalf("post %d: %v", i, r.Error)
		}
	}
	r := a.call(protocol.MethodMetricsPost, cpuPost("c", 3, nil))
	if r.Error == nil || r.Error.Type != protocol.ErrorTypeRateLimit || r.Error.Code != 400 {
		t.Fatalf("want rateLimitReached 400, got %+v", r)
	}
	if r.Error.StopsAgent() {
		t.Fatal("the error would stop the agent")
	}
	a.expectClosed()
	// The bucket belongs to the agent id: a reconnect does not refill it...
	b := dialAgent(t, te.addr)
	b.hello(tokenA, "agent-a1")
	if r := b.call(protocol.MethodMetricsPost, cpuPost("c", 4, nil)); r.Error == nil {
		t.Fatal("reconnect refilled the bucket")
	}
	// ...time does (30 s is one post at 2 a minute).
	te.clock.Advance(30 * time.Second)
	c := dialAgent(t, te.addr)
	c.hello(tokenA, "agent-a1")
	if r := c.call(protocol.MethodMetricsPost, cpuPost("c", 5, nil)); r.Error != nil {
		t.Fatalf("after 30 s: %v", r.Error)
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name   string
		lines  []string
		closed bool
	}{
		{"garbage", []string{"this is not JSON {", "\x00\xff\xfe", "[]", `{"v":"1"}`, `{"id":1}`}, false},
		{"oversized", []string{`{"v":"1","id":1,"method":"heartbeat.post","params":"` + strings.Repeat("x", 70<<10) + `"}`}, false},
		{"wrong version", []string{`{"v":"2","id":99,"source":"x","target":"endpoint","method":"heartbeat.post"}`}, false},
		{"unknown method", []string{`{"v":"1","id":98,"source":"x","target":"endpoint","method":"no.such"}`}, false},
		{"post without check id", []string{`{"v":"1","id":97,"source":"x","target":"endpoint","method":"check_metrics.post","params":{"metrics":5}}`}, false},
		{"flood of wrong versions", func() []string {
			l := make([]string, maxBadLines+5)
			for i := range l {
				l[i] = `{"v":"2","id":99,"source":"x","target":"endpoint","method":"heartbeat.post"}`
			}
			return l
		}(), true},
		{"flood of garbage", func() []string {
			l := make([]string, maxBadLines+5)
			for i := range l {
				l[i] = "garbage"
			}
			return l
		}(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			te := startEndpoint(t, nil, nil)
			bystander := dialAgent(t, te.addr)
			bystander.hello(tokenA, "agent-a2")
			a := dialAgent(t, te.addr)
			a.hello(tokenA, "agent-a1")
			for _, l := range tt.lines {
				a.send(l)
			}
			if tt.closed {
				a.expectClosed()
			} else if r := a.call(protocol.MethodHeartbeat, protocol.HeartbeatParams{}); r.Error != nil {
				t.Fatalf("heartbeat after bad input: %v", r.Error)
			}
			if r := bystander.call(protocol.MethodHeartbeat, protocol.HeartbeatParams{}); r.Error != nil {
				t.Fatalf("bystander: %v", r.Error)
			}
			if s, _ := te.out.taken(); len(s) != 0 {
				t.Fatalf("bad input reached the output: %v", s)
			}
		})
	}
}

// A peer without a token cannot hold a connection (one of max_agents)
// by sending a line now and then: the hello is due helloTimeout after the
// accept, whatever came before it.
func TestHelloDueFromAccept(t *testing.T) {
	old := helloTimeout
	helloTimeout = 300 * time.Millisecond
	t.Cleanup(func() { helloTimeout = old })
	te := startEndpoint(t, nil, nil)
	for _, line := range []string{
		`{"v":"1","id":"e1","source":"x","target":"endpoint","result":0}`, // a response: no reply, not bad
		"garbage",
	} {
		a := dialAgent(t, te.addr)
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			t := time.NewTicker(50 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					if _, err := a.c.Write([]byte(line + "\n")); err != nil {
						return
					}
				}
			}
		}()
		a.expectClosed() // dialAgent's 20 s deadline fails the test if it stays open
		close(stop)
		<-done
	}
}

// TestLongLineBeforeHello: a peer without a token cannot make the endpoint
// buffer a line of max_line_size (20000 of them: 20 GiB); past
// maxBeforeHello bytes without a hello it is dropped.
func TestLongLineBeforeHello(t *testing.T) {
	te := startEndpoint(t, nil, nil)
	a := dialAgent(t, te.addr)
	go func() {
		_, _ = a.c.Write([]byte(`{"v":"1","id":1,"method":"handshake.hello","params":{"x":"` + strings.Repeat("x", 60<<10)))
	}()
	a.expectClosed()
	// An agent's hello is well within the bound.
	b := dialAgent(t, te.addr)
	if r := b.hello(tokenA, "agent-a1"); r.Error != nil {
		t.Fatal(r.Error)
	}
	if r := b.call(protocol.MethodMetricsPost, cpuPost("c", 1, nil)); r.Error != nil {
		t.Fatalf("post after the hello: %v", r.Error)
	}
}

func TestBadInputReplies(t *testing.T) {
	te := startEndpoint(t, nil, nil)
	a := dialAgent(t, te.addr)
	a.hello(tokenA, "agent-a1")
	for _, tt := range []struct {
		line string
		id   int
		typ  string
	}{
		{`{"v":"2","id":99,"source":"x","target":"endpoint","method":"heartbeat.post"}`, 99, ""},
		{`{"v":"1","id":98,"source":"x","target":"endpoint","method":"no.such"}`, 98, "unknownMethod"},
		{`{"v":"1","id":97,"source":"x","target":"endpoint","method":"check_metrics.post","params":{"metrics":5}}`, 97, ""},
	} {
		a.send(tt.line)
		r := a.response(tt.id)
		if r.Error == nil || r.Error.Code != 400 || r.Error.Type != tt.typ {
			t.Errorf("%s: got %+v", tt.line, r.Error)
		}
	}
}

func TestScheduleServedAndChangePushed(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, text string) {
		t.Helper()
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("default/cpu.yaml", "type: agent.cpu\nperiod: 30\n")
	write("agents/agent-a1/mem.yaml", "type: agent.memory\nperiod: 10\n")
	cfg := testConfig()
	scheds := NewSchedules(dir, cfg.GroupOf)
	if _, errs := scheds.Reload(); len(errs) > 0 {
		t.Fatal(errs)
	}
	te := startEndpoint(t, cfg, scheds)
	a := dialAgent(t, te.addr)
	a.hello(tokenA, "agent-a1")
	b := dialAgent(t, te.addr)
	b.hello(tokenA, "agent-a2")
	ids := func(c *agentConn) string {
		r := c.call(protocol.MethodScheduleGet, nil)
		var s protocol.Schedule
		if r.Error != nil || json.Unmarshal(r.Result, &s) != nil {
			t.Fatalf("schedule: %+v", r)
		}
		var out []string
		for _, c := range s.Checks {
			out = append(out, c.ID+":"+c.Type)
		}
		return strings.Join(out, ",")
	}
	if got := ids(a); got != "mem:agent.memory" {
		t.Errorf("agent-a1 got %q", got)
	}
	if got := ids(b); got != "cpu:agent.cpu" {
		t.Errorf("agent-a2 got %q", got)
	}
	// A change of agent-a1's dir is pushed to agent-a1 only; a bad file
	// keeps the old checks.
	write("agents/agent-a1/disk.yaml", "type: agent.disk\nperiod: 20\ndetails:\n  target: sda\n")
	write("default/broken.yaml", "type: no.such.type\n")
	errs := te.srv.ReloadSchedules()
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "broken.yaml") {
		t.Fatalf("errors %v", errs)
	}
	m, err := a.read()
	if err != nil || m.Request == nil || m.Request.Method != protocol.MethodScheduleChanged {
		t.Fatalf("want check_schedule.changed, got %+v %v", m, err)
	}
	a.send(`{"v":"1","id":"` + m.Request.ID.String() + `","source":"x","target":"endpoint","result":{}}`)
	if got := ids(a); !strings.Contains(got, "mem:agent.memory") {
		t.Errorf("agent-a1 after the change got %q", got)
	}
	if got := ids(b); got != "cpu:agent.cpu" {
		t.Errorf("agent-a2 after a bad file got %q (the old schedule must stay)", got)
	}
}

func TestHostInfoAPI(t *testing.T) {
	te := startEndpoint(t, nil, nil)
	a := dialAgent(t, te.addr)
	a.hello(tokenA, "agent-a1")
	h := httptest.NewServer(te.srv.Handler())
	defer h.Close()
	type result struct {
		code int
		body string
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get(h.URL + "/api/v1/agents/agent-a1/host_info?type=MEMORY")
		if err != nil {
			got <- result{0, err.Error()}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- result{resp.StatusCode, string(b)}
	}()
	m, err := a.read()
	if err != nil || m.Request == nil || m.Request.Method != protocol.MethodHostInfo || !strings.Contains(string(m.Request.Params), "MEMORY") {
		t.Fatalf("want host_info.get, got %+v %v", m.Request, err)
	}
	idJSON, _ := json.Marshal(m.Request.ID)
	a.send(`{"v":"1","id":` + string(idJSON) + `,"source":"x","target":"endpoint","result":{"metrics":{"total":1},"timestamp":1,"error":null}}`)
	r := <-got
	if r.code != 200 || !strings.Contains(r.body, `"total":1`) {
		t.Fatalf("got %d %s", r.code, r.body)
	}
	for u, want := range map[string]int{
		"/api/v1/agents/agent-zz/host_info?type=MEMORY": 404, // not connected here
		"/api/v1/agents/agent-a1/host_info":             400, // no type
	} {
		resp, err := http.Get(h.URL + u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", u, resp.StatusCode, want)
		}
	}
}

func TestDrainAnswersInFlightThenCloses(t *testing.T) {
	te := startEndpoint(t, nil, nil)
	te.out.gate, te.out.entered = make(chan struct{}), make(chan struct{}, 1)
	a := dialAgent(t, te.addr)
	a.hello(tokenA, "agent-a1")
	id := a.request(protocol.MethodMetricsPost, cpuPost("chCPU", 1_800_000_000_000, nil))
	<-te.out.entered
	drained := make(chan error, 1)
	go func() { drained <- te.srv.Drain(context.Background()) }()
	h := httptest.NewServer(te.srv.Handler())
	defer h.Close()
	for !te.srv.Draining() {
		time.Sleep(time.Millisecond)
	}
	if resp, err := http.Get(h.URL + "/healthz"); err != nil || resp.StatusCode != 503 {
		t.Fatalf("healthz during drain: %v %v", resp, err)
	}
	close(te.out.gate)
	if r := a.response(id); r.Error != nil {
		t.Fatalf("in-flight post: %v", r.Error)
	}
	a.expectClosed()
	if err := <-drained; err != nil {
		t.Fatal(err)
	}
}

func TestDrainTimeoutClosesTheRest(t *testing.T) {
	te := startEndpoint(t, nil, nil)
	te.out.gate, te.out.entered = make(chan struct{}), make(chan struct{}, 1)
	a := dialAgent(t, te.addr)
	a.hello(tokenA, "agent-a1")
	id := a.request(protocol.MethodMetricsPost, cpuPost("chCPU", 1, nil))
	<-te.out.entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := te.srv.Drain(ctx); err == nil {
		t.Fatal("want the drain timeout reported")
	}
	// The post cut short is not acknowledged (its agent sends it again):
	// no answer, or a retryable one.
	for {
		m, err := a.read()
		if err != nil {
			break
		}
		if r := m.Response; r != nil && r.ID.String() == strconv.Itoa(id) && (r.Error == nil || r.Error.Type != protocol.ErrorTypeUnavailable) {
			t.Fatalf("the post cut short by the drain timeout was answered %+v", r)
		}
	}
	if s, _ := te.out.taken(); len(s) != 0 {
		t.Fatalf("the output took %d series", len(s))
	}
}

func scrape(t *testing.T, s *Server) string {
	t.Helper()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

func TestFloods(t *testing.T) {
	t.Run("heartbeats past the request rate", func(t *testing.T) {
		te := startEndpoint(t, nil, nil)
		bystander := dialAgent(t, te.addr)
		bystander.hello(tokenA, "agent-a2")
		a := dialAgent(t, te.addr)
		a.hello(tokenA, "agent-a1")
		// The clock stands still: the bucket's burst is all there is.
		var last *protocol.Response
		for range requestsPerMinute {
			last = a.call(protocol.MethodHeartbeat, protocol.HeartbeatParams{})
			if last.Error != nil {
				break
			}
		}
		if last.Error == nil || last.Error.Type != protocol.ErrorTypeRateLimit || last.Error.Code != 400 {
			t.Fatalf("want rateLimitReached 400, got %+v", last)
		}
		a.expectClosed()
		if r := bystander.call(protocol.MethodHeartbeat, protocol.HeartbeatParams{}); r.Error != nil {
			t.Fatalf("bystander: %v", r.Error)
		}
	})
	t.Run("responses nobody asked for", func(t *testing.T) {
		te := startEndpoint(t, nil, nil)
		a := dialAgent(t, te.addr)
		a.hello(tokenA, "agent-a1")
		// The clock stands still: the request bucket's burst is all
		// there is.
		var lines strings.Builder
		for i := range requestsPerMinute {
			fmt.Fprintf(&lines, `{"v":"1","id":"x%d","source":"a","target":"endpoint","result":0}`+"\n", i)
		}
		go func() { _, _ = a.c.Write([]byte(lines.String())) }()
		a.expectClosed()
	})
	t.Run("pipelined posts are all answered", func(t *testing.T) {
		te := startEndpoint(t, nil, nil)
		a := dialAgent(t, te.addr)
		a.hello(tokenA, "agent-a1")
		const n = 200
		var lines strings.Builder
		for i := range n {
			b, _ := json.Marshal(map[string]any{"v": "1", "id": 1000 + i, "source": "g", "target": "endpoint", "method": "check_metrics.post",
				"params": cpuPost("c", int64(i+1), nil)})
			lines.Write(append(b, '\n'))
		}
		go func() { _, _ = a.c.Write([]byte(lines.String())) }()
		seen := map[string]bool{}
		for len(seen) < n {
			m, err := a.read()
			if err != nil {
				t.Fatalf("after %d answers: %v", len(seen), err)
			}
			if m.Response == nil || m.Response.Error != nil {
				t.Fatalf("answer %+v", m.Response)
			}
			seen[m.Response.ID.String()] = true
		}
		if s, _ := te.out.taken(); len(s) != n*2 { // one metric + virgo_check_available per post
			t.Fatalf("%d series for %d posts", len(s), n)
		}
	})
}

// TestPostsBatchedWhileOutputBusy: posts that arrive while every sender
// waits on the engine go out together in the next requests, and each is
// answered with its request's result.
func TestPostsBatchedWhileOutputBusy(t *testing.T) {
	te := startEndpoint(t, nil, nil)
	te.out.gate, te.out.entered = make(chan struct{}), make(chan struct{}, 100)
	const agents, each = 6, connPostWorkers
	conns := make([]*agentConn, agents)
	var ids [][]int
	for i := range conns {
		conns[i] = dialAgent(t, te.addr)
		conns[i].hello(tokenA, "agent-a"+strconv.Itoa(i))
		var mine []int
		for j := range each {
			mine = append(mine, conns[i].request(protocol.MethodMetricsPost, cpuPost("c", int64(j+1), nil)))
		}
		ids = append(ids, mine)
	}
	for range sendersPerOutput {
		<-te.out.entered
	}
	for len(te.srv.senders[0].items) < agents*each-sendersPerOutput {
		time.Sleep(time.Millisecond) // waiting for the posts to queue, not timing them
	}
	close(te.out.gate)
	for i, c := range conns { // answers come in any order
		for range ids[i] {
			m, err := c.read()
			if err != nil || m.Response == nil || m.Response.Error != nil {
				t.Fatalf("agent %d: %+v %v", i, m.Response, err)
			}
		}
	}
	te.out.mu.Lock()
	calls := te.out.calls
	te.out.mu.Unlock()
	if series, _ := te.out.taken(); len(series) != agents*each*2 || calls > 2*sendersPerOutput {
		t.Fatalf("%d series in %d sends for %d posts", len(series), calls, agents*each)
	}
	t.Logf("%d posts in %d sends", agents*each, calls)
}

// poisonOutput refuses for good any request holding a sample at
// timestamp 666 (as Prometheus rolls back a remote write with one
// out-of-order sample) and keeps the rest.
type poisonOutput struct {
	fakeOutput
}

var errPoison = errors.New("out of order sample")

func (p *poisonOutput) Send(ctx context.Context, s []remotewrite.Series, a []alertmanager.Alert) error {
	for _, sr := range s {
		for _, smp := range sr.Samples {
			if smp.TimestampMs == 666 {
				p.mu.Lock()
				p.calls++
				p.mu.Unlock()
				return errPoison
			}
		}
	}
	return p.fakeOutput.Send(ctx, s, a)
}
func (p *poisonOutput) Permanent(err error) bool { return errors.Is(err, errPoison) }

func TestPermanentRefusalOfABatchCostsOnlyTheBadPost(t *testing.T) {
	te := startEndpoint(t, nil, nil)
	po := &poisonOutput{}
	po.name = "poison"
	te.srv.outs[0] = po
	te.srv.senders[0].out = po
	// Hold the senders so that the posts below queue into one batch.
	po.gate, po.entered = make(chan struct{}), make(chan struct{}, 100)
	warm := dialAgent(t, te.addr)
	warm.hello(tokenA, "agent-a9")
	for i := range sendersPerOutput {
		warm.request(protocol.MethodMetricsPost, cpuPost("w", int64(100+i), nil))
	}
	for range sendersPerOutput {
		<-po.entered
	}
	a := dialAgent(t, te.addr)
	a.hello(tokenA, "agent-a1")
	for _, ts := range []int64{1, 666, 2} {
		a.request(protocol.MethodMetricsPost, cpuPost("c", ts, nil))
	}
	for len(te.srv.senders[0].items) < 3 {
		time.Sleep(time.Millisecond) // waiting for the posts to queue, not timing them
	}
	close(po.gate)
	for range 3 {
		m, err := a.read()
		if err != nil || m.Response == nil || m.Response.Error != nil {
			t.Fatalf("%+v %v", m.Response, err)
		}
	}
	stored := map[int64]bool{}
	series, _ := po.taken()
	for _, s := range series {
		stored[s.Samples[0].TimestampMs] = true
	}
	if !stored[1] || !stored[2] || stored[666] {
		t.Fatalf("stored timestamps %v: want 1 and 2, not 666", stored)
	}
	if m := scrape(t, te.srv); !strings.Contains(m, `virgo_endpoint_output_sends_total{output="fake",result="permanent_error"} 1`) {
		t.Errorf("/metrics:\n%s", m)
	}
}

// failingListener fails its first Accepts the way a process out of file
// descriptors does.
type failingListener struct {
	net.Listener
	fails atomic.Int32
}

func (l *failingListener) Accept() (net.Conn, error) {
	if l.fails.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

// TestServeSurvivesAcceptErrors: running out of file descriptors (a
// connection flood) does not stop the endpoint: it accepts again once
// descriptors are free.
func TestServeSurvivesAcceptErrors(t *testing.T) {
	srv := New(Options{Config: testConfig(), Outputs: []Output{&fakeOutput{name: "fake"}}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fl := &failingListener{Listener: ln}
	fl.fails.Store(3)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(fl) }()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	// The endpoint answers (a request before the hello is refused), so
	// the connection was accepted.
	if _, err := c.Write([]byte(`{"v":"1","id":1,"source":"a","target":"endpoint","method":"heartbeat.post","params":{}}` + "\n")); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.Contains(line, "handshake.hello must come first") {
		t.Fatalf("got %q %v (Serve: %v)", line, err, func() error {
			select {
			case err := <-done:
				return err
			default:
				return nil
			}
		}())
	}
	srv.Close()
	if err := <-done; err != nil {
		t.Fatalf("Serve after Close: %v", err)
	}
}

// TestOutputLag: the lag gauge is the age of the samples the output took;
// a post without a timestamp is stamped on arrival, so its lag is 0, not
// the time since 1970.
func TestOutputLag(t *testing.T) {
	te := startEndpoint(t, nil, nil)
	a := dialAgent(t, te.addr)
	a.hello(tokenA, "agent-a1")
	now := te.clock.Now().UnixMilli()
	for _, tt := range []struct {
		ts   int64
		want string
	}{
		{now - 90_000, `virgo_endpoint_output_lag_seconds{output="fake"} 90` + "\n"},
		{0, `virgo_endpoint_output_lag_seconds{output="fake"} 0` + "\n"},
	} {
		if r := a.call(protocol.MethodMetricsPost, cpuPost("chCPU", tt.ts, nil)); r.Error != nil {
			t.Fatal(r.Error)
		}
		if m := scrape(t, te.srv); !strings.Contains(m, tt.want) {
			t.Errorf("post at %d: /metrics lacks %q:\n%s", tt.ts, tt.want, m)
		}
	}
}

// TestReloadSchedulesUnchangedIsCheap: a poll that finds the schedule dir
// unchanged does no work per connected agent (it marshalled every agent's
// schedule every 5 s: 20000 agents, 20000 encodings a poll).
func TestReloadSchedulesUnchangedIsCheap(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "default"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "default", "cpu.yaml"), []byte("type: agent.cpu\nperiod: 30\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	scheds := NewSchedules(dir, nil)
	if _, errs := scheds.Reload(); len(errs) > 0 {
		t.Fatal(errs)
	}
	s := New(Options{Config: testConfig(), Schedules: scheds})
	defer s.Close()
	const agents = 2000
	s.mu.Lock()
	for i := range agents {
		id := "agent-" + strconv.Itoa(i)
		s.agents[id] = &conn{s: s, agentID: id}
	}
	s.mu.Unlock()
	allocs := testing.AllocsPerRun(5, func() {
		if errs := s.ReloadSchedules(); len(errs) > 0 {
			t.Fatal(errs)
		}
	})
	if allocs > agents/4 {
		t.Fatalf("%.0f allocations for an unchanged dir and %d agents", allocs, agents)
	}
}

// TestPostLimitersBounded: agents that come and go under ever new ids (a
// token with a wide glob) do not grow the per-agent rate limits without
// bound, even when their buckets refill slowly.
func TestPostLimitersBounded(t *testing.T) {
	cfg := testConfig()
	cfg.Limits.MaxAgents, cfg.Limits.PostsPerMinute = 2, 1 // the clock stands still: nothing refills
	te := startEndpoint(t, cfg, nil)
	for i := range 10 {
		a := dialAgent(t, te.addr)
		if r := a.hello(tokenA, "agent-a"+strconv.Itoa(i)); r.Error != nil {
			t.Fatal(r.Error)
		}
		if r := a.call(protocol.MethodMetricsPost, cpuPost("c", 1, nil)); r.Error != nil {
			t.Fatalf("post %d: %v", i, r.Error)
		}
		a.c.Close()
		for te.srv.Agents() > 0 { // the endpoint saw it go
			time.Sleep(time.Millisecond)
		}
	}
	te.srv.mu.Lock()
	n := len(te.srv.limiters)
	te.srv.mu.Unlock()
	if n > 2*cfg.Limits.MaxAgents {
		t.Fatalf("%d rate limiters kept for max_agents %d", n, cfg.Limits.MaxAgents)
	}
}

// TestHostInfoOfADrainingAgent: an agent whose connection no longer reads
// (the instance drains) is not asked: its answer would never be read.
func TestHostInfoOfADrainingAgent(t *testing.T) {
	te := startEndpoint(t, nil, nil)
	te.out.gate, te.out.entered = make(chan struct{}), make(chan struct{}, 1)
	defer close(te.out.gate)
	a := dialAgent(t, te.addr)
	a.hello(tokenA, "agent-a1")
	a.request(protocol.MethodMetricsPost, cpuPost("chCPU", 1, nil)) // keeps the connection open through the drain
	<-te.out.entered
	go func() { _ = te.srv.Drain(context.Background()) }()
	for !te.srv.agent("agent-a1").stop.Load() {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := te.srv.HostInfo(ctx, "agent-a1", "MEMORY"); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("HostInfo of a draining agent: %v, want ErrNotConnected", err)
	}
}
