package metrics

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"time"
)

// MinHealthyAge is the least age at which /healthz calls the latest
// snapshot stale; with longer intervals the limit is three intervals.
const MinHealthyAge = 10 * time.Second

// Scrape limits: at most MaxScrapes scrapes of /metrics at once (more get
// 503), each answered within ScrapeTimeout (or 503).
const (
	MaxScrapes    = 4
	ScrapeTimeout = 10 * time.Second
)

// scrapeTimeout is ScrapeTimeout; tests shorten it.
var scrapeTimeout = ScrapeTimeout

// maxSizeHint bounds the buffer a scrape starts with (lastSize).
const maxSizeHint = 16 << 20

// contentType is the text exposition format's media type.
const contentType = "text/plain; version=0.0.4; charset=utf-8"

// Handler is NewHandler with Options{Version: version}: the host label is
// the host name and virgo_agent_info's agent_id is empty.
func Handler(src Source, version string) http.Handler {
	return NewHandler(src, Options{Version: version})
}

// NewHandler serves /metrics (the Source's state, virgo_agent_info,
// virgo_build_info and the agent's own Go runtime and process families,
// every series with the host label, in the Prometheus text format 0.0.4,
// gzipped when the client accepts it) and /healthz (200 "ok" while the
// latest snapshot is fresh, 503 with the reason otherwise).
func NewHandler(src Source, o Options) http.Handler {
	return newHandler(src, o, time.Now)
}

func newHandler(src Source, o Options, now func() time.Time) http.Handler {
	metricsHandler := http.TimeoutHandler(newMetricsHandler(src, o, now), scrapeTimeout,
		fmt.Sprintf("Exceeded configured timeout of %v.\n", scrapeTimeout))

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

// metricsHandler serves /metrics.
type metricsHandler struct {
	c     *Collector
	self  *selfFamilies
	build *family
	ver   string
	slots chan struct{} // one per scrape in flight
	// lastSize is the previous scrape's length: the next one's buffer
	// starts that big instead of doubling its way there.
	lastSize atomic.Int64
}

func newMetricsHandler(src Source, o Options, now func() time.Time) *metricsHandler {
	h := &metricsHandler{
		c:     newCollector(src, o, now),
		self:  newSelfFamilies(),
		build: buildInfoFamily(),
		ver:   o.Version,
		slots: make(chan struct{}, MaxScrapes),
	}
	withHost(h.build)
	return h
}

func buildInfoFamily() *family {
	return gauge("virgo_build_info",
		"A metric with a constant '1' value labeled by the virgo-top version and the Go version it was built with.",
		"goversion", "version")
}

func (h *metricsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case h.slots <- struct{}{}:
		defer func() { <-h.slots }()
	default:
		http.Error(w, fmt.Sprintf("Limit of concurrent requests reached (%d), try again later.", MaxScrapes),
			http.StatusServiceUnavailable)
		return
	}
	x := newExposition()
	e := h.c.newEmitter(x)
	e.emit(h.build, 1, runtime.Version(), h.ver)
	h.c.collect(e)
	h.self.collectGo(e)
	h.self.collectProcess(e)

	// Written to a buffer first: writeText cannot fail on one, and the
	// status is only sent once the body is complete.
	var buf bytes.Buffer
	buf.Grow(int(min(h.lastSize.Load(), maxSizeHint)))
	_ = x.writeText(&buf)
	h.lastSize.Store(int64(buf.Len()))
	w.Header().Set("Content-Type", contentType)
	if acceptsGzip(r) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Add("Vary", "Accept-Encoding")
		gz := gzip.NewWriter(w)
		_, _ = buf.WriteTo(gz)
		_ = gz.Close()
		return
	}
	_, _ = buf.WriteTo(w)
}

// acceptsGzip reports whether r's Accept-Encoding lists gzip (without
// q=0).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}
