package endpoint

import (
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/endpoint/remotewrite"
	"github.com/virgo-top/virgo-top/protocol"
)

func TestParseTokens(t *testing.T) {
	tests := []struct {
		name, file, err string
	}{
		{"ok", "# comment\n\n" + tokenA + "  web-* db-1\n", ""},
		{"short", "short web\n", "line 1: the token is shorter"},
		{"no globs", tokenA + "\n", "line 1: no agent id glob"},
		{"bad glob", tokenA + " [x\n", `line 1: bad agent id glob "[x"`},
		{"twice", tokenA + " a\n" + tokenA + " b\n", "line 2: the token of line 1 again"},
		{"empty", "# nothing\n", "no token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTokens([]byte(tt.file))
			if (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("err = %v, want %q", err, tt.err)
			}
			if err != nil && strings.Contains(err.Error(), tokenA) {
				t.Fatal("the error shows the token")
			}
		})
	}
}

func TestTokensCheck(t *testing.T) {
	toks, err := ParseTokens([]byte(tokenA + " web-* db-1\n" + tokenB + " *\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		token, agent string
		want         error
	}{
		{tokenA, "web-7", nil},
		{tokenA, "db-1", nil},
		{tokenA, "db-2", ErrAgentNotAllowed},
		{tokenB, "anything", nil},
		{tokenA + "x", "web-7", ErrBadToken},
		{"", "web-7", ErrBadToken},
	}
	for _, tt := range tests {
		if got := toks.Check(tt.token, tt.agent); !errors.Is(got, tt.want) && got != tt.want {
			t.Errorf("Check(%s, %s) = %v, want %v", tt.token[:min(4, len(tt.token))], tt.agent, got, tt.want)
		}
	}
}

func TestParseConfig(t *testing.T) {
	base := "token_file: t\noutputs:\n  remote_write:\n    - url: http://127.0.0.1:9090/api/v1/write\n"
	tests := []struct {
		name, yaml, err string
	}{
		{"tls", base + "tls: {cert_file: c, key_file: k}\n", ""},
		{"insecure", base + "insecure_plaintext: true\n", ""},
		{"no tls", base, "cert_file and key_file are required"},
		{"both", base + "insecure_plaintext: true\ntls: {cert_file: c, key_file: k}\n", "not both"},
		{"unknown key", base + "insecure_plaintext: true\nlisen: x\n", "field lisen not found"},
		{"no outputs", "token_file: t\ninsecure_plaintext: true\n", "at least one remote_write"},
		{"bad duration", base + "insecure_plaintext: true\ndrain_timeout: soon\n", "want a duration"},
		{"bad group", base + "insecure_plaintext: true\ngroups: [{name: ../x, agents: [a]}]\n", "groups[0]: name"},
		{"bad glob", base + "insecure_plaintext: true\ngroups: [{name: web, agents: ['[x']}]\n", "bad glob"},
		{"no token file", "insecure_plaintext: true\noutputs: {alertmanager: {url: http://x}}\n", "token_file: required"},
		{"same output twice", "token_file: t\ninsecure_plaintext: true\noutputs: {remote_write: [{url: 'http://a:1/w'}, {url: 'http://a:1/x'}]}\n", "a second output named"},
		{"tiny line", base + "insecure_plaintext: true\nlimits: {max_line_size: 10}\n", "max_line_size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tt.yaml))
			if (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("err = %v, want %q", err, tt.err)
			}
			if err == nil && (c.Listen != DefaultListen || time.Duration(c.DrainTimeout) != DefaultDrainTimeout || c.Limits.PostsPerMinute != DefaultPostsPerMinute) {
				t.Fatalf("defaults not set: %+v", c)
			}
		})
	}
}

func TestGroupOf(t *testing.T) {
	c := &Config{Groups: []Group{{Name: "web", Agents: []string{"web-*"}}, {Name: "all", Agents: []string{"*"}}}}
	for agent, want := range map[string]string{"web-1": "web", "db-1": "all"} {
		if got := c.GroupOf(agent); got != want {
			t.Errorf("GroupOf(%s) = %s, want %s", agent, got, want)
		}
	}
}

func seriesText(ss []remotewrite.Series) []string {
	var out []string
	for _, s := range ss {
		var b strings.Builder
		for _, l := range s.Labels {
			b.WriteString(l.Name + "=" + l.Value + " ")
		}
		for _, smp := range s.Samples {
			b.WriteString(strconv.FormatInt(smp.TimestampMs, 10) + " " + strconv.FormatFloat(smp.Value, 'g', -1, 64))
		}
		out = append(out, b.String())
	}
	return out
}

func TestPostSeries(t *testing.T) {
	var m protocol.Metrics
	m.Add("", "usage_average", protocol.Double(42.5, "percent"))
	m.Add("sda", "rtime", protocol.Uint64(1500, "ms"))
	m.Add("", "used", protocol.Uint64(2, "kilobytes"))
	m.Add("", "name", protocol.String("x"))
	m.Add("", "bad", protocol.MetricValue{Type: protocol.TypeDouble, Value: "NaN?"})
	p := Post{AgentID: "a1", Host: "a1", MetricsPost: protocol.MetricsPost{CheckID: "ch", CheckType: "agent.disk", State: "available",
		Timestamp: 1_800_000_000_000, Metrics: m,
		Alarms: map[string]protocol.AlarmState{"hot": {State: "CRITICAL"}, "warm": {State: "WARNING"}}}}
	got := seriesText(PostSeries(p, time.Unix(0, 0)))
	want := []string{
		"__name__=virgo_check_metric agent_id=a1 check_id=ch check_type=agent.disk host=a1 metric=usage_average 1800000000000 42.5",
		"__name__=virgo_check_metric_bytes agent_id=a1 check_id=ch check_type=agent.disk host=a1 metric=used 1800000000000 2048",
		"__name__=virgo_check_metric_seconds_total agent_id=a1 check_id=ch check_type=agent.disk host=a1 metric=sda.rtime 1800000000000 1.5",
		"__name__=virgo_check_available agent_id=a1 check_id=ch check_type=agent.disk host=a1 1800000000000 1",
		"__name__=virgo_alarm_state agent_id=a1 alarm=hot check_id=ch check_type=agent.disk host=a1 1800000000000 2",
		"__name__=virgo_alarm_state agent_id=a1 alarm=warm check_id=ch check_type=agent.disk host=a1 1800000000000 1",
		"__name__=virgo_check_state agent_id=a1 check_id=ch check_type=agent.disk host=a1 1800000000000 2",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The original agent's posts carry no alarms: no state series.
	p.Alarms, p.State = nil, "unavailable"
	got = seriesText(PostSeries(p, time.Unix(0, 0)))
	if last := got[len(got)-1]; !strings.HasPrefix(last, "__name__=virgo_check_available") || !strings.HasSuffix(last, " 0") || len(got) != 4 {
		t.Fatalf("without alarms: %v", got)
	}
}

func TestPostAlerts(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	tests := []struct {
		state  string
		firing string // severity whose alert lasts 3 periods; "" none
	}{
		{"CRITICAL", "critical"},
		{"WARNING", "warning"},
		{"UNKNOWN", "unknown"},
		{"OK", ""},
		{"weird", "unknown"},
	}
	for _, tt := range tests {
		p := Post{AgentID: "a1", Host: "a1", MetricsPost: protocol.MetricsPost{CheckID: "ch", CheckType: "agent.cpu",
			Alarms: map[string]protocol.AlarmState{"hot": {State: tt.state, Message: "cpu at 99"}}}}
		alerts := PostAlerts(p, 30*time.Second, now)
		if len(alerts) != len(Severities) {
			t.Fatalf("%s: %d alerts", tt.state, len(alerts))
		}
		for _, a := range alerts {
			want := now
			if a.Labels["severity"] == tt.firing {
				want = now.Add(90 * time.Second)
			}
			if !a.EndsAt.Equal(want) || a.Labels["alertname"] != "hot" || a.Labels["agent_id"] != "a1" || a.Labels["check_type"] != "agent.cpu" ||
				a.Annotations["summary"] != "cpu at 99" {
				t.Errorf("%s: %+v", tt.state, a)
			}
		}
	}
	if a := PostAlerts(Post{}, time.Minute, now); a != nil {
		t.Fatalf("no alarms gave %v", a)
	}
}

// FuzzEndpointLine drives one connection's line handling with arbitrary
// lines, before and after a hello: it must never panic, and nothing but a
// well-formed post of the hello's agent reaches the output.
func FuzzEndpointLine(f *testing.F) {
	for _, s := range []string{
		`{"v":"1","id":1,"source":"a","target":"endpoint","method":"handshake.hello","params":{"token":"` + tokenA + `","agent_id":"agent-a1"}}`,
		`{"v":"1","id":2,"source":"a","target":"endpoint","method":"heartbeat.post","params":{"timestamp":1}}`,
		`{"v":"1","id":"3","source":"a","target":"endpoint","method":"check_metrics.post","params":{"check_id":"c","check_type":"agent.cpu","state":"available","timestamp":1,"metrics":[[null,{"u":{"t":"double","v":"0x1f"}}]],"alarms":{"x":{"state":"CRITICAL"}}}}`,
		`{"v":"1","id":4,"source":"a","target":"endpoint","method":"check_schedule.get"}`,
		`{"v":"1","id":5,"source":"a","target":"endpoint","method":"config_file.post","params":{"config_data":{"a.yaml":"x"}}}`,
		`{"v":"1","id":"e1","source":"a","target":"endpoint","result":{},"error":null,}`,
		`{"v":"2","id":6,"method":"x"}`,
		`not json`, `{}`, `[]`, `null`, `{"id":null}`,
	} {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, line []byte, helloFirst bool) {
		toks, _ := ParseTokens([]byte(tokenA + " agent-a1\n"))
		out := &fakeOutput{name: "fake"}
		cfg := testConfig()
		s := New(Options{Config: cfg, Tokens: toks, Outputs: []Output{out}})
		defer s.Close()
		server, client := net.Pipe()
		go func() { _, _ = bytes.NewBuffer(nil).ReadFrom(client) }()
		defer client.Close()
		c := newConn(s, server)
		c.codec = protocol.NewCodec(server, cfg.Limits.MaxLineSize)
		if helloFirst {
			c.handleLine([]byte(`{"v":"1","id":1,"source":"a","target":"endpoint","method":"handshake.hello","params":{"token":"` + tokenA + `","agent_id":"agent-a1"}}`))
		}
		c.handleLine(line)
		c.inflight.Wait()
		series, _ := out.taken()
		for _, sr := range series {
			for _, l := range sr.Labels {
				if l.Name == "agent_id" && l.Value != "agent-a1" {
					t.Fatalf("series of %q", l.Value)
				}
			}
		}
		if !helloFirst && !bytes.Contains(line, []byte("handshake.hello")) && len(series) > 0 {
			t.Fatal("a post before the hello reached the output")
		}
	})
}

// TestCheckPeriod: the interval between a check's posts, measured from its
// newest post (a spooled post in between does not stretch it), at most a
// day (hostile timestamps do not overflow it).
func TestCheckPeriod(t *testing.T) {
	s := New(Options{Config: testConfig()})
	defer s.Close()
	c := &conn{s: s, agentID: "a", periods: map[string]int64{}, period: map[string]time.Duration{}}
	post := func(ts int64) time.Duration {
		return c.checkPeriod(protocol.MetricsPost{CheckID: "ch", Timestamp: ts})
	}
	const t0 = 1_800_000_000_000
	if got := post(t0); got != time.Minute {
		t.Errorf("first post: %v, want the default minute", got)
	}
	if got := post(t0 + 30_000); got != 30*time.Second {
		t.Errorf("second post 30 s later: %v", got)
	}
	post(t0 - 2*3600_000) // from the spool, two hours old
	if got := post(t0 + 60_000); got != 30*time.Second {
		t.Errorf("live post after a spooled one: %v, want 30s (from the newest post)", got)
	}
	if got := post(1 << 62); got != 24*time.Hour {
		t.Errorf("a timestamp centuries ahead: %v, want at most a day", got)
	}
}

func TestLoadTokens(t *testing.T) {
	dir := t.TempDir()
	good, big := filepath.Join(dir, "tokens"), filepath.Join(dir, "big")
	if err := os.WriteFile(good, []byte(tokenA+" agent-*\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, bytes.Repeat([]byte("# comment\n"), MaxConfigFile/10+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if toks, err := LoadTokens(good); err != nil || toks.Check(tokenA, "agent-1") != nil {
		t.Fatalf("LoadTokens: %v", err)
	}
	for file, want := range map[string]string{big: "larger than", filepath.Join(dir, "missing"): "token_file:"} {
		if _, err := LoadTokens(file); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("LoadTokens(%s) = %v, want %q", file, err, want)
		}
	}
}
