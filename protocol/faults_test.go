package protocol_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/fixtures"
	"github.com/virgo-top/virgo-top/protocol"
)

// producer posts one metric every tick until stopped, with timestamps
// 1, 2, 3, ... so that loss, duplicates and reordering show.
type producer struct {
	m    *protocol.Manager
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	n    int64
}

func startProducer(t *testing.T, m *protocol.Manager) *producer {
	p := &producer{m: m, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		tick := time.NewTicker(3 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
			p.mu.Lock()
			p.n++
			n := p.n
			p.mu.Unlock()
			if err := m.Post(post("chMEM000001", n)); err != nil {
				t.Errorf("post %d: %v", n, err)
			}
		}
	}()
	return p
}

func (p *producer) Stop() int64 {
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

func TestManagerSurvivesFaults(t *testing.T) {
	tlsDir := t.TempDir()
	srv := startServer(t, fixtures.Options{TLSDir: tlsDir})
	o := clientOptions(t, srv)
	o.MaxLineSize = 4096
	o.HandshakeTimeout = 500 * time.Millisecond
	m, err := protocol.NewManager(o, nil)
	if err != nil {
		t.Fatal(err)
	}
	runManager(t, m)
	prod := startProducer(t, m)

	accepted := func() int { return len(srv.AcceptedPosts()) }
	hellos := func() int { return srv.Stats().Hellos }
	progress := func(what string) {
		t.Helper()
		n := accepted()
		eventually(t, what, func() bool { return accepted() >= n+10 })
	}
	reconnected := func(what string, want int) {
		t.Helper()
		eventually(t, what, func() bool { return hellos() >= want && m.Status().Endpoints[0].State == protocol.StateConnected })
		progress(what + ": metrics flow again")
	}

	progress("first metrics")
	if srv.DropConnections() != 1 {
		t.Fatal("no connection to drop")
	}
	reconnected("reconnect after a drop", 2)

	srv.SendGarbage()
	reconnected("reconnect after garbage", 3)
	if !strings.Contains(m.Status().Endpoints[0].LastError, "malformed message") {
		t.Errorf("last error after garbage: %q", m.Status().Endpoints[0].LastError)
	}

	srv.SendOversized(10000)
	reconnected("reconnect after an oversized line", 4)
	if !strings.Contains(m.Status().Endpoints[0].LastError, "exceeds the 4096 byte limit") {
		t.Errorf("last error after an oversized line: %q", m.Status().Endpoints[0].LastError)
	}

	responses := srv.Stats().Responses
	srv.Push("no.such.method", nil)
	eventually(t, "reply to an unknown method", func() bool { return srv.Stats().Responses > responses })
	progress("metrics after an unknown method")

	srv.SetFaults(fixtures.Faults{ErrorMethod: protocol.MethodMetricsPost, ErrorCode: 400, ErrorCount: 2})
	eventually(t, "2 rejected posts", func() bool { return m.Status().Spool.Rejected == 2 })
	progress("metrics after 400s")
	if hellos() != 4 {
		t.Fatalf("a 400 error dropped the connection: %d hellos", hellos())
	}

	srv.SetFaults(fixtures.Faults{ErrorMethod: protocol.MethodMetricsPost, ErrorCode: 500, ErrorCount: 1})
	reconnected("reconnect after a 500", 5)

	reconnects := m.Status().Endpoints[0].Reconnects
	srv.SetFaults(fixtures.Faults{Mute: true})
	eventually(t, "heartbeat timeout", func() bool { return m.Status().Endpoints[0].Reconnects > reconnects })
	// Whichever fires first on a loaded machine: the heartbeat's own
	// timeout, a post's, or the reader's idle timeout; each names itself.
	if e := m.Status().Endpoints[0].LastError; !strings.Contains(e, "heartbeat") && !strings.Contains(e, "check_metrics.post") {
		t.Errorf("last error after muting: %q", e)
	}
	srv.SetFaults(fixtures.Faults{})
	reconnected("reconnect after the endpoint answers again", 6)

	srv.SetFaults(fixtures.Faults{BadVersion: true})
	eventually(t, "version mismatch", func() bool {
		return strings.Contains(m.Status().Endpoints[0].LastError, "Version mismatch: message_version=1 response_version=2147483647")
	})
	srv.SetFaults(fixtures.Faults{})
	reconnected("reconnect after a version mismatch", 7)

	// Restart the endpoint on the same address with the same TLS dir: the
	// agent trusts it again and carries on.
	addr := srv.Addr()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	first := srv.AcceptedPosts()
	eventually(t, "spool fills while the endpoint is down", func() bool { return m.Status().Spool.Depth > 20 })
	srv2 := startServer(t, fixtures.Options{TLSDir: tlsDir, Listen: addr})
	eventually(t, "reconnect after a restart", func() bool { return srv2.Stats().Hellos == 1 })
	eventually(t, "metrics after a restart", func() bool { return len(srv2.AcceptedPosts()) > 20 })

	n := prod.Stop()
	eventually(t, "spool drained", func() bool { return m.Status().Spool.Depth == 0 })
	// The fixture lists the posts it answered with a 400 too; the agent
	// sent those again later, as it did the one refused with a 500.
	var delivered []fixtures.AcceptedPost
	for _, p := range append(first, srv2.AcceptedPosts()...) {
		if p.Code == 0 {
			delivered = append(delivered, p)
		}
	}
	checkDeliveredOnce(t, n, delivered, 3)
	st := m.Status().Spool
	if st.Sent != uint64(n) || st.Rejected != 3 || st.Dead != 0 || st.Dropped != 0 {
		t.Errorf("spool stats %+v for %d posts", st, n)
	}
}

// checkDeliveredOnce asserts that the posts delivered are timestamps 1..n
// each exactly once, in order except for at most late refused posts: a
// refused post waits for its retry while the posts behind it go on.
func checkDeliveredOnce(t *testing.T, n int64, posts []fixtures.AcceptedPost, late int) {
	t.Helper()
	seen := map[int64]int{}
	var maxTS int64
	var overtaken []int64
	for _, p := range posts {
		ts := p.Post.Timestamp
		seen[ts]++
		if ts < maxTS {
			overtaken = append(overtaken, ts)
		}
		maxTS = max(maxTS, ts)
	}
	for ts := int64(1); ts <= n; ts++ {
		if seen[ts] != 1 {
			t.Errorf("timestamp %d delivered %d times", ts, seen[ts])
		}
	}
	if int64(len(posts)) != n {
		t.Errorf("%d posts delivered, %d produced", len(posts), n)
	}
	if len(overtaken) > late {
		t.Errorf("posts %v delivered after newer ones; only %d were refused", overtaken, late)
	}
}

func TestManagerFailsOver(t *testing.T) {
	a := startServer(t, fixtures.Options{})
	b := startServer(t, fixtures.Options{})
	o := clientOptions(t, a, b)
	m, err := protocol.NewManager(o, nil)
	if err != nil {
		t.Fatal(err)
	}
	runManager(t, m)
	eventually(t, "both connected with RTTs", func() bool {
		st := m.Status()
		return st.Endpoints[0].RTTKnown && st.Endpoints[1].RTTKnown
	})
	prod := startProducer(t, m)
	total := func() int { return len(a.AcceptedPosts()) + len(b.AcceptedPosts()) }
	eventually(t, "metrics", func() bool { return total() > 20 })
	active, other := a, b
	if len(b.AcceptedPosts()) > len(a.AcceptedPosts()) {
		active, other = b, a
	}
	if err := active.Close(); err != nil {
		t.Fatal(err)
	}
	before := active.AcceptedPosts()
	eventually(t, "metrics to the other endpoint", func() bool { return len(other.AcceptedPosts()) > len(before)+20 })
	n := prod.Stop()
	eventually(t, "spool drained", func() bool { return m.Status().Spool.Depth == 0 })
	// Metrics never went to both at once: the closed endpoint's posts, then
	// the other's, are 1..n in order (the other may have had a few early on
	// while RTTs were equal, so merge by timestamp and require no gaps).
	all := append(before, other.AcceptedPosts()...)
	seen := map[int64]int{}
	for _, p := range all {
		seen[p.Post.Timestamp]++
	}
	for i := int64(1); i <= n; i++ {
		if seen[i] != 1 {
			t.Fatalf("timestamp %d accepted %d times", i, seen[i])
		}
	}
	if int64(len(all)) != n {
		t.Fatalf("%d accepted for %d produced", len(all), n)
	}
	st := m.Status()
	var activeCount int
	for _, e := range st.Endpoints {
		if e.Active {
			activeCount++
			if e.Endpoint != other.Addr() {
				t.Errorf("active endpoint %s, want %s", e.Endpoint, other.Addr())
			}
		}
	}
	if activeCount != 1 {
		t.Errorf("%d active endpoints", activeCount)
	}
}

// TestManagerReconnectsOnA400RateLimit: the fixture's rate-limit error has
// code 400, which the original logs without acting on it
// (protocol/connection.lua:205); the endpoint closes the connection and
// the agent reconnects. Nothing stops, no post is lost or counted as
// refused.
func TestManagerReconnectsOnA400RateLimit(t *testing.T) {
	srv := startServer(t, fixtures.Options{RateLimit: 3})
	logs := &syncBuffer{}
	o := clientOptions(t, srv)
	o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	m, err := protocol.NewManager(o, nil)
	if err != nil {
		t.Fatal(err)
	}
	errc, _ := runManager(t, m)
	for i := 1; i <= 5; i++ {
		if err := m.Post(post("chMEM000001", int64(i))); err != nil {
			t.Fatal(err)
		}
	}
	// hello + 2 posts per connection: 5 posts need 3 connections.
	eventually(t, "5 posts accepted", func() bool { return len(srv.AcceptedPosts()) == 5 })
	select {
	case err := <-errc:
		t.Fatalf("Run returned %v on a 400 rate limit", err)
	default:
	}
	st := m.Status()
	if st.Spool.Rejected != 0 || st.Spool.Dead != 0 || st.Endpoints[0].Reconnects < 2 {
		t.Errorf("status after 400 rate limits: %+v", st)
	}
	if !strings.Contains(logs.String(), "rate limit reached (code 400)") {
		t.Errorf("the 400 rate limit was not logged:\n%s", logs.String())
	}
}

// sleepClock is the real clock, except that a wait of exactly sleep is
// announced on asleep and ends only when the test sends on wake.
type sleepClock struct {
	sleep  time.Duration
	asleep chan struct{}
	wake   chan time.Time
}

func (c *sleepClock) Now() time.Time { return time.Now() }
func (c *sleepClock) After(d time.Duration) <-chan time.Time {
	if d == c.sleep {
		c.asleep <- struct{}{}
		return c.wake
	}
	return time.After(d)
}

// TestManagerStopsOnANon400RateLimit: a rateLimitReached with another code
// is emitted and stops the original (client.lua:135, connection_stream.lua:
// 259): it disconnects, sleeps RATE_LIMIT_SLEEP and exits 2 (agent.lua:
// 192-196). Run closes every connection, waits RateLimitSleep, then
// returns the *RateLimitError; the post stays spooled.
func TestManagerStopsOnANon400RateLimit(t *testing.T) {
	srv := startServer(t, fixtures.Options{Faults: fixtures.Faults{
		RefuseCheck: "chMEM000001", RefuseCode: 429, RefuseType: protocol.ErrorTypeRateLimit}})
	o := clientOptions(t, srv)
	clk := &sleepClock{sleep: 17 * time.Second, asleep: make(chan struct{}, 1), wake: make(chan time.Time)}
	o.Clock, o.RateLimitSleep = clk, clk.sleep
	m, err := protocol.NewManager(o, nil)
	if err != nil {
		t.Fatal(err)
	}
	errc, _ := runManager(t, m)
	if err := m.Post(post("chMEM000001", 1)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-clk.asleep:
	case err := <-errc:
		t.Fatalf("Run returned %v before its rate-limit sleep", err)
	case <-time.After(15 * time.Second):
		t.Fatal("no rate-limit sleep")
	}
	// Asleep: every connection closed, Run not returned.
	eventually(t, "connections closed", func() bool { return srv.Stats().Open == 0 })
	select {
	case err := <-errc:
		t.Fatalf("Run returned %v during its rate-limit sleep", err)
	default:
	}
	clk.wake <- time.Now()
	err = <-errc
	var rl *protocol.RateLimitError
	if !errors.As(err, &rl) || rl.Err.Code != 429 || rl.Endpoint != srv.Addr() {
		t.Fatalf("Run returned %v, want *RateLimitError", err)
	}
	if st := m.Status(); st.Spool.Depth != 1 || st.Endpoints[0].State != protocol.StateOffline {
		t.Fatalf("status after the rate limit: %+v", st)
	}
}

func TestDialHandshakeStall(t *testing.T) {
	srv := startServer(t, fixtures.Options{Faults: fixtures.Faults{StallHandshake: true}})
	o := clientOptions(t, srv)
	o.HandshakeTimeout = 200 * time.Millisecond
	_, err := protocol.Dial(context.Background(), srv.Addr(), o)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "TLS handshake") {
		t.Fatalf("dial to a stalled endpoint: %v", err)
	}
	srv.SetFaults(fixtures.Faults{})
	// A healthy endpoint on a loaded machine may need more than 200 ms.
	o.HandshakeTimeout = 30 * time.Second
	c, err := protocol.Dial(context.Background(), srv.Addr(), o)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

func TestDialHelloErrors(t *testing.T) {
	srv := startServer(t, fixtures.Options{Faults: fixtures.Faults{ErrorMethod: protocol.MethodHello, ErrorCode: 400}})
	o := clientOptions(t, srv)
	_, err := protocol.Dial(context.Background(), srv.Addr(), o)
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != 400 || !strings.Contains(err.Error(), "handshake.hello") {
		t.Fatalf("hello rejected: %v", err)
	}
	if strings.Contains(err.Error(), testToken) {
		t.Fatal("token in an error")
	}
}
