// Command endpointload measures one `virgo-top endpoint` instance with
// simulated agents (goroutines speaking Virgo's protocol over TLS) and a
// fake output that accepts every remote write and alert post at once. For
// each agent count it reports how fast the agents connected (TLS + hello),
// the endpoint's RSS with them connected and idle, and the posts per second
// acknowledged when every agent posts as fast as it is answered. It prints a
// Markdown section for BENCHMARKS.md (bench/endpoint.sh).
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/virgo-top/virgo-top/fixtures"
	"github.com/virgo-top/virgo-top/protocol"
)

func main() {
	bin := flag.String("bin", "./virgo-top", "the virgo-top binary")
	counts := flag.String("agents", "100,1000", "agent counts, comma-separated")
	duration := flag.Duration("duration", 10*time.Second, "posting time per agent count")
	settle := flag.Duration("settle", 3*time.Second, "idle time before RSS is read")
	flag.Parse()
	if err := run(*bin, *counts, *duration, *settle); err != nil {
		fmt.Fprintln(os.Stderr, "endpointload:", err)
		os.Exit(1)
	}
}

const token = "bench-token-0123456789abcdef"

func run(bin, counts string, duration, settle time.Duration) error {
	dir, err := os.MkdirTemp("", "endpointload")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	tlsDir := filepath.Join(dir, "tls")
	fx, err := fixtures.New(fixtures.Options{TLSDir: tlsDir})
	if err != nil {
		return err
	}
	fx.Close()
	caPEM, err := os.ReadFile(filepath.Join(tlsDir, "ca.pem"))
	if err != nil {
		return err
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)

	// The fake output: every write accepted at once.
	var writes atomic.Int64
	outLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	out := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writes.Add(1)
		_, _ = bufio.NewReader(r.Body).WriteTo(discard{})
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() { _ = out.Serve(outLn) }()
	defer out.Close()

	addr, metrics := freeAddr(), freeAddr()
	if err := os.WriteFile(filepath.Join(dir, "tokens"), []byte(token+" *\n"), 0o600); err != nil {
		return err
	}
	cfg := fmt.Sprintf(`listen: %s
metrics_listen: %s
tls: {cert_file: tls/cert.pem, key_file: tls/key.pem}
token_file: tokens
heartbeat_interval: 30s
limits: {posts_per_minute: 1000000, max_agents: 5000}
outputs:
  remote_write: [{url: http://%s/api/v1/write}]
  alertmanager: {url: http://%s}
`, addr, metrics, outLn.Addr(), outLn.Addr())
	cfgPath := filepath.Join(dir, "endpoint.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return err
	}
	ep := exec.Command(bin, "endpoint", "--config", cfgPath)
	logf, err := os.Create(filepath.Join(dir, "endpoint.log"))
	if err != nil {
		return err
	}
	ep.Stdout, ep.Stderr = logf, logf
	if err := ep.Start(); err != nil {
		return err
	}
	defer func() { _ = ep.Process.Kill(); _ = ep.Wait() }()
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := http.Get("http://" + metrics + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("endpoint did not start")
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(settle)
	base := rssKB(ep.Process.Pid)
	fmt.Printf("| agents | connect (TLS + hello) | agents/s | RSS idle | RSS per agent | posts/s acknowledged | unavailable | output requests/s (writes + alert posts) | RSS posting |\n")
	fmt.Printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, f := range strings.Split(counts, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return fmt.Errorf("bad agent count %q", f)
		}
		tcfg := &tls.Config{RootCAs: roots, ServerName: "localhost", ClientSessionCache: nil}
		start := time.Now()
		agents, err := connect(addr, tcfg, n)
		if err != nil {
			return err
		}
		took := time.Since(start)
		time.Sleep(settle)
		idle := rssKB(ep.Process.Pid)
		w0 := writes.Load()
		acked, unavail, peak := postLoop(agents, duration, ep.Process.Pid)
		w := writes.Load() - w0
		for _, a := range agents {
			a.c.Close()
		}
		fmt.Printf("| %d | %.2f s | %.0f | %.1f MiB | %.1f KiB | %.0f | %d | %.0f | %.1f MiB |\n", n, took.Seconds(), float64(n)/took.Seconds(),
			float64(idle)/1024, float64(idle-base)/float64(n), float64(acked)/duration.Seconds(), unavail, float64(w)/duration.Seconds(), float64(peak)/1024)
		time.Sleep(settle)
	}
	fmt.Printf("\nRSS with no agent: %.1f MiB.\n", float64(base)/1024)
	return nil
}

type agent struct {
	c  *tls.Conn
	r  *bufio.Reader
	id int
}

func connect(addr string, tcfg *tls.Config, n int) ([]*agent, error) {
	agents := make([]*agent, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			d := &net.Dialer{Timeout: 30 * time.Second}
			c, err := tls.DialWithDialer(d, "tcp", addr, tcfg)
			if err != nil {
				errs <- err
				return
			}
			a := &agent{c: c, r: bufio.NewReader(c)}
			p, _ := json.Marshal(protocol.HelloParams{Token: token, AgentID: fmt.Sprintf("sim-%05d", i), AgentName: "endpointload", ProcessVersion: "1.0.0", BundleVersion: "1.0.0"})
			if err := callErr(a.call(protocol.MethodHello, p)); err != nil {
				c.Close()
				errs <- fmt.Errorf("hello: %w", err)
				return
			}
			agents[i] = a
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return nil, err
	}
	return agents, nil
}

// callErr is the error of a call: its transport error, else the
// endpoint's answer if that is an error.
func callErr(r *protocol.Response, err error) error {
	if err != nil {
		return err
	}
	if r.Error != nil {
		return r.Error
	}
	return nil
}

func (a *agent) call(method string, params json.RawMessage) (*protocol.Response, error) {
	a.id++
	req := protocol.Request{V: "1", ID: protocol.NumberID(uint64(a.id)), Source: "sim", Target: "endpoint", Method: method, Params: params}
	b, _ := json.Marshal(req)
	_ = a.c.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := a.c.Write(append(b, '\n')); err != nil {
		return nil, err
	}
	for {
		line, err := a.r.ReadBytes('\n')
		if err != nil {
			return nil, err
		}
		m, err := protocol.Decode(line[:len(line)-1])
		if err != nil {
			return nil, err
		}
		if m.Response != nil && m.Response.ID.String() == strconv.Itoa(a.id) {
			return m.Response, nil
		}
	}
}

// post is an agent.cpu result with its alarm, as a virgo-top agent sends it.
func post(ts int64) json.RawMessage {
	var m protocol.Metrics
	for _, k := range []string{"usage_average", "user_percent_average", "sys_percent_average", "idle_percent_average", "wait_percent_average",
		"irq_percent_average", "stolen_percent_average", "min_cpu_usage", "max_cpu_usage"} {
		m.Add("", k, protocol.Double(12.5, "percent"))
	}
	b, _ := json.Marshal(protocol.MetricsPost{CheckID: "cpu", CheckType: "agent.cpu", State: "available", Status: "ok", Timestamp: ts,
		MinCheckPeriod: 75000, Metrics: m, Alarms: map[string]protocol.AlarmState{"busy": {State: "OK", Message: "fine"}}})
	return b
}

func postLoop(agents []*agent, d time.Duration, pid int) (acked, unavail int64, peakKB int64) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var a1, u1 atomic.Int64
	var wg sync.WaitGroup
	for _, a := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ts := time.Now().UnixMilli()
			for ctx.Err() == nil {
				ts++
				r, err := a.call(protocol.MethodMetricsPost, post(ts))
				switch {
				case err != nil:
					return
				case ctx.Err() != nil:
					// Answered after the measured time: not counted
					// (posts/s is over d).
				case r.Error != nil:
					u1.Add(1)
					select { // an agent's 1 s backoff, cut short by the end
					case <-time.After(time.Second):
					case <-ctx.Done():
					}
				default:
					a1.Add(1)
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-done:
			return a1.Load(), u1.Load(), peakKB
		case <-t.C:
			peakKB = max(peakKB, rssKB(pid))
		}
	}
}

func rssKB(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			v, _ := strconv.ParseInt(f[1], 10, 64)
			return v
		}
	}
	return 0
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
