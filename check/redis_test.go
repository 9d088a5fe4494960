package check

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestRedisAgainstRedisServer starts redis-server with a password and
// compares every metric with what the server itself says (redis-cli
// INFO, just before and just after the check), and the original's
// statuses for a missing and a wrong password.
func TestRedisAgainstRedisServer(t *testing.T) {
	bin := serverBinary(t, "redis-server")
	cli := serverBinary(t, "redis-cli")
	dir := t.TempDir()
	port := freePort(t)
	const password = "s3cret pass"
	p := startServer(t, dir, bin, "--port", itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--requirepass", password)
	addr := "127.0.0.1:" + itoa(port)
	serverInfo := func() map[string]string {
		t.Helper()
		out, err := exec.Command(cli, "-h", "127.0.0.1", "-p", itoa(port), "--no-auth-warning", "-a", password, "INFO").Output()
		if err != nil {
			t.Fatalf("redis-cli INFO: %v", err)
		}
		return parseRedisInfo(string(out))
	}
	p.waitReady(t, "redis-server", func(ctx context.Context) error {
		if _, err := redisFetchInfo(ctx, addr, password, 5e9); err != nil {
			return err
		}
		return nil
	})

	before := serverInfo()
	r := runDetails(t, TypeRedis, map[string]any{"host": "127.0.0.1", "port": float64(port), "password": password})
	after := serverInfo()
	if !r.Available || r.Status != StatusSuccess {
		t.Fatalf("result %v %q, want available success", r.Available, r.Status)
	}
	got := metricMap(r)
	want := map[string]bool{}
	for _, m := range redisMetrics {
		b, ok := before[m.field]
		if !ok {
			continue
		}
		want[m.name] = true
		g, ok := got[m.name]
		if !ok {
			t.Errorf("INFO has %s=%s but no metric %s", m.field, b, m.name)
			continue
		}
		if g.Type != m.typ || g.Unit != "" {
			t.Errorf("%s: type %q unit %q, want %q and none", m.name, g.Type, g.Unit, m.typ)
		}
		a := after[m.field]
		switch m.field {
		case "redis_version":
			if g.Value != b {
				t.Errorf("version %q, server says %q", g.Value, b)
			}
		case "used_memory":
			// Allocations move with every connection: within 10 % of the
			// server's readings around the run.
			v, lo, hi := num(t, g.Value), num(t, b), num(t, a)
			lo, hi = min(lo, hi), max(lo, hi)
			if v < lo*0.9 || v > hi*1.1 {
				t.Errorf("used_memory %v, server said %v then %v", v, b, a)
			}
		default:
			// Counters lie between the readings before and after;
			// levels (clients, flags) are the same in both.
			v, lo, hi := num(t, g.Value), num(t, b), num(t, a)
			if v < lo || v > hi {
				t.Errorf("%s (%s) = %v, server said %v then %v", m.name, m.field, v, b, a)
			}
		}
	}
	for name := range got {
		if !want[name] {
			t.Errorf("metric %s not in the server's INFO", name)
		}
	}
	// Redis 7 sends the renamed fields; the original's names carry them.
	for _, name := range []string{"version", "bgsave_in_progress", "changes_since_last_save", "bgrewriteaof_in_progress", "expired_key", "used_memory", "total_commands_processed"} {
		if _, ok := got[name]; !ok {
			t.Errorf("no %s metric", name)
		}
	}

	for _, tc := range []struct {
		name, password, status string
	}{
		{"no password", "", msgRedisMissingPass},
		{"wrong password", "not " + password, msgRedisInvalidPass},
	} {
		r := runDetails(t, TypeRedis, map[string]any{"host": "127.0.0.1", "port": itoa(port), "password": tc.password})
		if r.Available || r.Status != tc.status || len(r.Metrics) != 0 {
			t.Errorf("%s: %v %q %d metrics, want unavailable %q", tc.name, r.Available, r.Status, len(r.Metrics), tc.status)
		}
		if tc.password != "" && strings.Contains(r.Status, tc.password) {
			t.Errorf("%s: the status quotes the password", tc.name)
		}
	}
}

func num(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("%q is not a number", s)
	}
	return f
}

// fakeRedis answers each connection with reply, after reading the
// client's first line, and records what the client sent. Stop waits for
// its goroutines.
type fakeRedis struct {
	l    net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	sent []string
}

func newFakeRedis(t *testing.T, reply string) *fakeRedis {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeRedis{l: l}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				defer c.Close()
				br := bufio.NewReader(c)
				if _, err := br.ReadString('\n'); err != nil {
					return
				}
				_, _ = io.WriteString(c, reply)
				_ = c.(*net.TCPConn).CloseWrite()
				rest, _ := io.ReadAll(io.LimitReader(br, 1<<16))
				f.mu.Lock()
				f.sent = append(f.sent, string(rest))
				f.mu.Unlock()
			}()
		}
	}()
	t.Cleanup(func() { l.Close(); f.wg.Wait() })
	return f
}

func (f *fakeRedis) port() int { return f.l.Addr().(*net.TCPAddr).Port }

func bulk(s string) string { return fmt.Sprintf("$%d\r\n%s\r\n", len(s), s) }

// redis24Info is INFO as Redis 2.4 words it: no sections, the old field
// names, CRLF line ends.
const redis24Info = "redis_version:2.4.8\r\nredis_git_sha1:00000000\r\narch_bits:64\r\nuptime_in_seconds:1234\r\n" +
	"connected_clients:3\r\nblocked_clients:0\r\nused_memory:7126416\r\nused_memory_human:6.80M\r\n" +
	"changes_since_last_save:12\r\nbgsave_in_progress:0\r\nlast_save_time:1348723746\r\n" +
	"bgrewriteaof_in_progress:1\r\ntotal_connections_received:1\r\ntotal_commands_processed:99\r\n" +
	"expired_keys:5\r\nevicted_keys:2\r\npubsub_channels:0\r\npubsub_patterns:7\r\nrole:master\r\ndb0:keys=1,expires=0\r\n"

// TestRedisReplies table-tests the check on canned replies: the metrics
// and types of the original's METRICS_MAP, and its statuses for the
// error replies of old and new Redis.
func TestRedisReplies(t *testing.T) {
	want24 := []Metric{
		m("version", TypeString, "2.4.8", ""),
		m("uptime_in_seconds", TypeUint32, "1234", ""),
		m("connected_clients", TypeUint32, "3", ""),
		m("blocked_clients", TypeUint32, "0", ""),
		m("used_memory", TypeUint64, "7126416", ""),
		m("bgsave_in_progress", TypeUint32, "0", ""),
		m("changes_since_last_save", TypeUint32, "12", ""),
		m("bgrewriteaof_in_progress", TypeUint32, "1", ""),
		m("total_connections_received", TypeGauge, "1", ""),
		m("total_commands_processed", TypeGauge, "99", ""),
		m("expired_key", TypeUint32, "5", ""),
		m("evicted_keys", TypeUint32, "2", ""),
		m("pubsub_patterns", TypeUint32, "7", ""),
	}
	for _, tc := range []struct {
		name     string
		password string
		reply    string
		status   string // "" = success with want
		want     []Metric
	}{
		{name: "redis 2.4", reply: bulk(redis24Info) + "+OK\r\n", want: want24},
		{name: "with auth", password: "valid", reply: "+OK\r\n" + bulk(redis24Info), want: want24},
		{name: "LF line ends, renamed fields", reply: bulk("# Server\nredis_version:7.0.15\n# Persistence\nrdb_changes_since_last_save:4\nrdb_bgsave_in_progress:1\naof_rewrite_in_progress:0\n"),
			want: []Metric{m("version", TypeString, "7.0.15", ""), m("bgsave_in_progress", TypeUint32, "1", ""),
				m("changes_since_last_save", TypeUint32, "4", ""), m("bgrewriteaof_in_progress", TypeUint32, "0", "")}},
		{name: "numbers that are not", reply: bulk("redis_version:x\nused_memory:lots\nconnected_clients:-1\nuptime_in_seconds:4294967296\n"),
			want: []Metric{m("version", TypeString, "x", "")}},
		{name: "old missing password", reply: "-ERR operation not permitted\r\n", status: msgRedisMissingPass},
		{name: "new missing password", reply: "-NOAUTH Authentication required.\r\n", status: msgRedisMissingPass},
		{name: "old invalid password", password: "invalid", reply: "-ERR invalid password\r\n", status: msgRedisInvalidPass},
		{name: "new invalid password", password: "invalid", reply: "-WRONGPASS invalid username-password pair or user is disabled.\r\n", status: msgRedisInvalidPass},
		{name: "other auth error", password: "hunter2", reply: "-ERR AUTH hunter2 called without any password configured\r\n",
			status: "Redis error: ERR AUTH ******** called without any password configured"},
		{name: "reply over 1 MiB", reply: "$" + itoa(redisMaxReply+1) + "\r\n", status: msgRedisMaxBuffer},
		{name: "line over 1 MiB", password: "xyzzy", reply: strings.Repeat("a", redisMaxReply+1), status: msgRedisMaxBuffer},
		{name: "cut short", reply: "$100\r\nredis_version:1\r\n", status: "Connection closed by Redis"},
		{name: "not RESP", reply: "HTTP/1.0 400 Bad Request\r\n", status: `Unexpected reply from Redis: "HTTP/1.0 400 Bad Request"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeRedis(t, tc.reply)
			r := runDetails(t, TypeRedis, map[string]any{"host": "127.0.0.1", "port": f.port(), "password": tc.password})
			if tc.status != "" {
				if r.Available || r.Status != tc.status || len(r.Metrics) != 0 {
					t.Fatalf("got %v %q %v, want unavailable %q", r.Available, r.Status, r.Metrics, tc.status)
				}
			} else {
				if !r.Available || r.Status != StatusSuccess {
					t.Fatalf("got %v %q", r.Available, r.Status)
				}
				if fmt.Sprint(r.Metrics) != fmt.Sprint(tc.want) {
					t.Errorf("metrics\n got %v\nwant %v", r.Metrics, tc.want)
				}
			}
			if tc.password != "" && strings.Contains(r.Status, tc.password) {
				t.Errorf("status %q quotes the password", r.Status)
			}
		})
	}
}

// TestRedisSendsAuthAsOneArgument: a password with spaces stays one
// argument of AUTH (multibulk), and INFO and QUIT follow.
func TestRedisSendsAuthAsOneArgument(t *testing.T) {
	f := newFakeRedis(t, "+OK\r\n"+bulk("redis_version:7\r\n"))
	r := runDetails(t, TypeRedis, map[string]any{"host": "127.0.0.1", "port": f.port(), "password": "a b\r\nc"})
	if !r.Available {
		t.Fatalf("status %q", r.Status)
	}
	f.l.Close()
	f.wg.Wait()
	// The fake read the first line, "*2", before replying.
	want := "$4\r\nAUTH\r\n$6\r\na b\r\nc\r\n*1\r\n$4\r\nINFO\r\n*1\r\n$4\r\nQUIT\r\n"
	if len(f.sent) != 1 || f.sent[0] != want {
		t.Errorf("sent %q, want %q", f.sent, want)
	}
}

// TestRedisDefaultsAndBadDetails: the original's defaults, and a port
// that is no port.
func TestRedisDefaultsAndBadDetails(t *testing.T) {
	r := runDetails(t, TypeRedis, map[string]any{"port": "http"})
	if r.Available || r.Status != "Invalid port http" {
		t.Errorf("got %v %q", r.Available, r.Status)
	}
	// Nothing listens on a fresh port: a connection error, unavailable.
	r = runDetails(t, TypeRedis, map[string]any{"host": "127.0.0.1", "port": freePort(t), "password": "pw"})
	if r.Available || !strings.HasPrefix(r.Status, "Connecting to 127.0.0.1:") {
		t.Errorf("got %v %q", r.Available, r.Status)
	}
}

func FuzzParseRedisInfo(f *testing.F) {
	f.Add(redis24Info)
	f.Add("# Server\nredis_version:7.0.15\n\n:\n::x\nk:v:w\n")
	f.Fuzz(func(t *testing.T, s string) {
		info := parseRedisInfo(s)
		var r Result
		addRedisMetrics(&r, info)
		for _, m := range r.Metrics {
			if m.Type != TypeString {
				if _, err := strconv.ParseUint(m.Value, 10, 64); err != nil {
					t.Fatalf("%s=%q is not a number", m.Name, m.Value)
				}
			}
		}
	})
}

func FuzzReadRESPBulk(f *testing.F) {
	f.Add([]byte(bulk(redis24Info)))
	f.Add([]byte("-ERR x\r\n"))
	f.Add([]byte("$-1\r\n"))
	f.Add([]byte("$99999999999999999999\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := readRESPBulk(bufio.NewReader(strings.NewReader(string(b))), "pw")
		if err == nil && len(s) > redisMaxReply {
			t.Fatalf("accepted %d bytes", len(s))
		}
	})
}
