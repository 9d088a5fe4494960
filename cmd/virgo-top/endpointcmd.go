package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/virgo-top/virgo-top/endpoint"
)

const endpointUsage = `Usage: virgo-top endpoint --config FILE [--check-config]

Run a Virgo endpoint: agents (virgo-top daemons and rackspace-monitoring-agent
installs) connect over TLS; their metrics go to Prometheus remote write
(Prometheus, VictoriaMetrics, Mimir, Thanos Receive), their alarm states to
Alertmanager. The endpoint keeps no store: run as many instances as you like
behind a TCP load balancer. Relative file names in the config are read from
the config file's directory. SIGHUP re-reads the token file, the certificate
and the schedules; SIGTERM drains (posts in flight are answered, then agents
are closed so they reconnect to another instance).

See README "Running an endpoint" for a complete example.`

func runEndpoint(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("endpoint", endpointUsage, stdout)
	cfgFile := fs.String("config", "", "the endpoint's YAML config (required)")
	checkOnly := fs.Bool("check-config", false, "validate the config, token file, certificate and schedules, then exit")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *cfgFile == "" {
		return fmt.Errorf("%w: endpoint: --config is required", errUsage)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	st, err := loadEndpoint(*cfgFile)
	if err != nil {
		return err
	}
	for _, e := range st.schedErrs {
		log.Error("schedule file refused", "err", e)
	}
	if *checkOnly {
		if len(st.schedErrs) > 0 {
			return fmt.Errorf("endpoint: %d schedule files refused", len(st.schedErrs))
		}
		fmt.Fprintf(stdout, "%s: ok (%d tokens, %d outputs, listen %s)\n", *cfgFile, st.tokens.Len(), len(st.outputs), st.cfg.Listen)
		return nil
	}
	return serveEndpoint(st, log)
}

// endpointState is what the config file leads to.
type endpointState struct {
	file      string
	cfg       *endpoint.Config
	tokens    *endpoint.Tokens
	cert      *tls.Certificate
	scheds    *endpoint.Schedules
	schedErrs []error
	outputs   []endpoint.Output
}

func loadEndpoint(file string) (*endpointState, error) {
	cfg, err := endpoint.LoadConfig(file)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(file)
	rel := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	rel(&cfg.TokenFile)
	rel(&cfg.TLS.CertFile)
	rel(&cfg.TLS.KeyFile)
	rel(&cfg.ScheduleDir)
	outs := append([]*endpoint.HTTPOutput{}, cfg.Outputs.Alertmanager)
	for i := range cfg.Outputs.RemoteWrite {
		outs = append(outs, &cfg.Outputs.RemoteWrite[i])
	}
	for _, o := range outs {
		if o != nil {
			rel(&o.BearerTokenFile)
			rel(&o.BasicAuthPasswordFile)
			rel(&o.CAFile)
		}
	}
	st := &endpointState{file: file, cfg: cfg}
	if st.tokens, err = endpoint.LoadTokens(cfg.TokenFile); err != nil {
		return nil, err
	}
	if !cfg.InsecurePlaintext {
		if st.cert, err = readCert(cfg); err != nil {
			return nil, err
		}
	}
	if cfg.ScheduleDir != "" {
		if _, err := os.Stat(cfg.ScheduleDir); err != nil {
			return nil, fmt.Errorf("schedule_dir: %w", err)
		}
	}
	st.scheds = endpoint.NewSchedules(cfg.ScheduleDir, cfg.GroupOf)
	_, st.schedErrs = st.scheds.Reload()
	if st.outputs, err = endpoint.NewOutputs(cfg); err != nil {
		return nil, fmt.Errorf("outputs: %w", err)
	}
	return st, nil
}

func readCert(cfg *endpoint.Config) (*tls.Certificate, error) {
	c, err := tls.LoadX509KeyPair(cfg.TLS.CertFile, cfg.TLS.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	return &c, nil
}

func serveEndpoint(st *endpointState, log *slog.Logger) error {
	cfg := st.cfg
	srv := endpoint.New(endpoint.Options{Config: cfg, Tokens: st.tokens, Schedules: st.scheds, Outputs: st.outputs,
		Certificate: st.cert, Logger: log})
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	var hs *http.Server
	var hln net.Listener
	if cfg.MetricsListen != "off" {
		if hln, err = net.Listen("tcp", cfg.MetricsListen); err != nil {
			ln.Close()
			return fmt.Errorf("metrics_listen: %w", err)
		}
		hs = &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	serveErr := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		serveErr <- srv.Serve(ln)
	}()
	if hs != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := hs.Serve(hln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics listener failed", "err", err)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		srv.PollSchedules(ctx, time.Duration(cfg.SchedulePoll))
	}()
	metricsAddr := ""
	if hln != nil {
		metricsAddr = hln.Addr().String()
	}
	log.Info("endpoint listening", "addr", ln.Addr().String(), "metrics", metricsAddr, "tokens", st.tokens.Len(),
		"outputs", len(st.outputs), "tls", st.cert != nil)

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	var result error
loop:
	for {
		select {
		case err := <-serveErr:
			result = err
			serveErr = nil
			break loop
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				reloadEndpoint(st, srv, log)
				continue
			}
			log.Info("draining", "signal", sig.String(), "timeout", time.Duration(cfg.DrainTimeout).String())
			dctx, dcancel := context.WithTimeout(context.Background(), time.Duration(cfg.DrainTimeout))
			if err := srv.Drain(dctx); err != nil {
				log.Warn("drain cut short", "err", err)
			}
			dcancel()
			break loop
		}
	}
	srv.Close()
	cancel()
	if hs != nil {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = hs.Shutdown(sctx)
		scancel()
	}
	wg.Wait()
	if serveErr != nil {
		if err := <-serveErr; err != nil && result == nil {
			result = err
		}
	}
	log.Info("endpoint stopped")
	return result
}

// reloadEndpoint re-reads the token file, the certificate, the schedules
// and the outputs' secret files; whatever fails keeps what it had.
func reloadEndpoint(st *endpointState, srv *endpoint.Server, log *slog.Logger) {
	if t, err := endpoint.LoadTokens(st.cfg.TokenFile); err != nil {
		log.Error("SIGHUP: token file refused, the previous tokens stay", "err", err)
	} else {
		srv.SetTokens(t)
		log.Info("SIGHUP: tokens reloaded", "tokens", t.Len())
	}
	if !st.cfg.InsecurePlaintext {
		if c, err := readCert(st.cfg); err != nil {
			log.Error("SIGHUP: certificate refused, the previous one stays", "err", err)
		} else {
			srv.SetCertificate(c)
			log.Info("SIGHUP: certificate reloaded")
		}
	}
	for _, err := range srv.ReloadSchedules() {
		log.Error("SIGHUP: schedule file refused (the previous schedule stays)", "err", err)
	}
	for _, o := range st.outputs {
		if err := o.Reload(); err != nil {
			log.Error("SIGHUP: output files refused, the previous ones stay", "output", o.Name(), "err", err)
		}
	}
}
