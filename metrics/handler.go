package metrics

import (
	"fmt"
	"net/http"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MinHealthyAge is the least age at which /healthz calls the latest
// snapshot stale; with longer intervals the limit is three intervals.
const MinHealthyAge = 10 * time.Second

// Handler serves /metrics (the Source's state, virgo_build_info, the Go
// runtime and process collectors and promhttp's own counters, from a
// private registry) and /healthz (200 "ok" while the latest snapshot is
// fresh, 503 with the reason otherwise). version labels virgo_build_info.
func Handler(src Source, version string) http.Handler {
	return newHandler(src, version, time.Now)
}

func newHandler(src Source, version string, now func() time.Time) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		newCollector(src, now),
		buildInfo(version),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	metricsHandler := promhttp.InstrumentMetricHandler(reg, promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		// One bad series must not cost the whole scrape.
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	}))

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metricsHandler)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if reason := unhealthy(src, now()); reason != "" {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, reason)
			return
		}
		if reason := degraded(src); reason != "" {
			// Working, but not as configured: a restart would not help
			// (a full disk), so not a failure; monitors read the text or
			// virgo_spool_degraded.
			fmt.Fprintln(w, "degraded: "+reason)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "virgo-top metrics: /metrics (Prometheus text format), /healthz")
	})
	return mux
}

// unhealthy says why the agent is not healthy at now, "" when it is: a
// snapshot must exist and be younger than three sample intervals, or
// MinHealthyAge when that is longer. The interval is the latest
// snapshot's Elapsed, the real time between the last two samples.
func unhealthy(src Source, now time.Time) string {
	snap := src.Latest()
	if snap == nil {
		return "no snapshot yet"
	}
	limit := max(3*snap.Elapsed, MinHealthyAge)
	age := now.Sub(snap.Time)
	if age >= limit {
		return fmt.Sprintf("latest snapshot is stale: %s old (limit %s)", age.Round(time.Millisecond), limit)
	}
	return ""
}

// degraded says why the agent runs degraded, "" when it does not: the
// spool is not (fully) on disk.
func degraded(src Source) string {
	if st, ok := src.Endpoint(); ok {
		return st.Spool.Degraded
	}
	return ""
}

// buildInfo is the constant virgo_build_info gauge.
func buildInfo(version string) prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "virgo_build_info",
		Help: "A metric with a constant '1' value labeled by the virgo-top version and the Go version it was built with.",
		ConstLabels: prometheus.Labels{
			"version":   sanitizeLabel(version),
			"goversion": runtime.Version(),
		},
	})
	g.Set(1)
	return g
}
