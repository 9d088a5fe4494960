package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/fixtures"
	"github.com/virgo-top/virgo-top/protocol"
)

const fixtureUsage = `Usage: virgo-top fixture-server [flags]

Run the bundled fixture endpoint: Virgo's protocol over TLS with a throwaway
CA, a lively check schedule, a record of every message received (token
masked), and fault switches for demos and tests.

Example:
  virgo-top fixture-server --listen 127.0.0.1:50041 --ca-out ca.pem --record rec.jsonl
  virgo-top --daemon --endpoint 127.0.0.1:50041 --ca-file ca.pem --agent-id web1 --token T`

func runFixtureServer(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("fixture-server", fixtureUsage, stdout)
	listen := fs.String("listen", "127.0.0.1:50041", "address to listen on")
	caOut := fs.String("ca-out", "", "write the CA certificate (PEM) here for agents to trust")
	record := fs.String("record", "", "append every message received to this JSONL file")
	tlsDir := fs.String("tls-dir", "", "keep the generated CA and certificate here and reuse them on restart")
	dropAfter := fs.Duration("drop-after", 0, "close each connection after a random time up to this")
	rateLimit := fs.Int("rate-limit", 0, "requests per connection before the rate-limit error (0: none)")
	schedule := fs.String("schedule", "", "a JSON file with the check schedule to serve ([{id,type,period,...}])")
	push := fs.Duration("push-schedule-changed", 0, "send check_schedule.changed this often (0: never)")
	hb := fs.Duration("heartbeat-interval", 0, "heartbeat_interval handed to agents (default 1s, Virgo's fixture)")
	iface := fs.String("interface", "", "target of the default agent.network check (default: this host's default interface)")
	disk := fs.String("disk", "", "target of the default agent.disk check (default: the disk behind /)")
	var faults fixtures.Faults
	fs.BoolVar(&faults.Mute, "mute", false, "fault: read and record requests but answer none (heartbeats time out)")
	fs.BoolVar(&faults.StallHandshake, "stall-handshake", false, "fault: accept TCP but never complete TLS")
	fs.BoolVar(&faults.BadVersion, "bad-version", false, `fault: answer with "v":"2147483647" (a version error)`)
	fs.Func("error", "fault: answer METHOD with error CODE, COUNT times (0: always), as METHOD=CODE[:COUNT]", func(v string) error {
		m, rest, ok := strings.Cut(v, "=")
		codeS, countS, _ := strings.Cut(rest, ":")
		code, err := strconv.Atoi(codeS)
		if !ok || m == "" || err != nil {
			return fmt.Errorf("want METHOD=CODE[:COUNT], got %q", v)
		}
		count := 0
		if countS != "" {
			if count, err = strconv.Atoi(countS); err != nil || count < 0 {
				return fmt.Errorf("want METHOD=CODE[:COUNT], got %q", v)
			}
		}
		faults.ErrorMethod, faults.ErrorCode, faults.ErrorCount = m, code, count
		return nil
	})
	fs.Func("refuse-check", "fault: refuse every check_metrics.post of check ID with error CODE (and TYPE, e.g. unavailable), as ID=CODE[:TYPE]; "+
		"a CODE other than 400 drops the connection unless TYPE is unavailable", func(v string) error {
		id, rest, ok := strings.Cut(v, "=")
		codeS, typ, _ := strings.Cut(rest, ":")
		code, err := strconv.Atoi(codeS)
		if !ok || id == "" || err != nil || code <= 0 {
			return fmt.Errorf("want ID=CODE[:TYPE], got %q", v)
		}
		faults.RefuseCheck, faults.RefuseCode, faults.RefuseType = id, code, typ
		return nil
	})
	garbageEvery := fs.Duration("garbage-every", 0, "fault: send a line that is not JSON to every connection this often")
	oversizedEvery := fs.Duration("oversized-every", 0, "fault: send a 2 MiB line to every connection this often")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(stderr, nil))

	opts := fixtures.Options{
		Listen: *listen, TLSDir: *tlsDir, RecordPath: *record, DropAfter: *dropAfter,
		RateLimit: *rateLimit, PushScheduleChanged: *push, HeartbeatInterval: *hb,
		DefaultInterface: *iface, DefaultDisk: *disk, Logger: log, Faults: faults,
	}
	if opts.DefaultInterface == "" {
		opts.DefaultInterface = collector.DefaultInterface(collector.Options{})
	}
	if opts.DefaultDisk == "" {
		opts.DefaultDisk = rootDisk(ctx, collector.Options{})
	}
	if *schedule != "" {
		data, err := os.ReadFile(*schedule)
		if err != nil {
			return fmt.Errorf("%w: fixture-server: --schedule: %v", errUsage, err)
		}
		var checks []protocol.CheckDef
		if err := json.Unmarshal(data, &checks); err != nil {
			return fmt.Errorf("%w: fixture-server: --schedule %s: %v", errUsage, *schedule, err)
		}
		opts.Schedule = checks
	}
	srv, err := fixtures.New(opts)
	if err != nil {
		return err
	}
	defer srv.Close()
	if *caOut != "" {
		if err := srv.WriteCA(*caOut); err != nil {
			return err
		}
	}
	log.Info("fixture endpoint listening", "addr", srv.Addr(), "ca", *caOut, "record", *record)
	every(ctx, *garbageEvery, func() { log.Info("fault: garbage line sent", "connections", srv.SendGarbage()) })
	every(ctx, *oversizedEvery, func() { log.Info("fault: oversized line sent", "connections", srv.SendOversized(2<<20)) })
	err = srv.Serve(ctx)
	st := srv.Stats()
	posts := 0
	for _, n := range st.MetricPosts {
		posts += n
	}
	log.Info("fixture endpoint stopped", "connections", st.Connections, "hellos", st.Hellos,
		"heartbeats", st.Heartbeats, "schedule_gets", st.ScheduleGets, "metric_posts", posts)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// every calls f every d until ctx is done (d <= 0: never).
func every(ctx context.Context, d time.Duration, f func()) {
	if d <= 0 {
		return
	}
	go func() {
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				f()
			}
		}
	}()
}
