package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// ShutdownTimeout bounds how long Serve waits for scrapes in flight once
// its context is done.
const ShutdownTimeout = 5 * time.Second

// Serve listens on addr (host:port, bound exactly as given) and serves h
// until ctx is done, then shuts down gracefully. /metrics has no
// authentication, so an address that is not loopback is logged as a
// warning. It returns nil after a clean shutdown.
func Serve(ctx context.Context, addr string, h http.Handler, log *slog.Logger) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics listen %s: %w", addr, err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if !isLoopback(addr) {
		log.Warn("metrics endpoint listens beyond loopback; /metrics is unauthenticated", "addr", ln.Addr().String())
	}
	return ServeListener(ctx, ln, h, log)
}

// ServeListener serves h on ln until ctx is done, then shuts down
// gracefully (at most ShutdownTimeout) and closes ln. Serve calls it; it
// is exported for callers that bind the listener themselves.
func ServeListener(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("metrics listening", "addr", ln.Addr().String())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("metrics serve: %w", err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(shutCtx)
	if serveErr := <-done; serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("metrics serve: %w", serveErr)
	}
	if err != nil {
		return fmt.Errorf("metrics shutdown: %w", err)
	}
	log.Info("metrics stopped")
	return nil
}

// isLoopback reports whether addr's host can only be reached from this
// machine: a loopback IP or "localhost". An empty host (":9100") means
// every interface.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
