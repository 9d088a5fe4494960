package endpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/virgo-top/virgo-top/protocol"
)

type stats struct {
	connections, tlsFailed, refusedFull, hellos, helloRefused, replaced      atomic.Uint64
	posts, postsUnavailable, postsBad, rateLimited, linesBad, linesOversized atomic.Uint64
	outputs                                                                  []outputStats
}

type outputStats struct {
	name                   string
	ok, retryable, refused atomic.Uint64
	lagBits, durBits       atomic.Uint64 // float64 seconds
}

func (st *stats) init(outs []Output) {
	st.outputs = make([]outputStats, len(outs))
	for i, o := range outs {
		st.outputs[i].name = o.Name()
	}
}

// observe counts one send: lag is how old the post's samples were when the
// output accepted them (a draining spool shows here).
func (o *outputStats) observe(err error, permanent bool, took, lag time.Duration) {
	switch {
	case err == nil:
		o.ok.Add(1)
		o.lagBits.Store(math.Float64bits(max(lag.Seconds(), 0)))
	case permanent:
		o.refused.Add(1)
	default:
		o.retryable.Add(1)
	}
	o.durBits.Store(math.Float64bits(took.Seconds()))
}

// Handler serves the endpoint's HTTP API:
//
//	GET /metrics                                   the endpoint's own metrics (Prometheus text)
//	GET /healthz                                   200 "ok", 503 "draining" during a drain
//	GET /api/v1/agents/{id}/host_info?type=T       host_info.get asked of the agent over its
//	                                               connection: 200 with the agent's JSON result,
//	                                               404 when the agent is not connected to this
//	                                               instance, 502 when it answered an error,
//	                                               504 when it did not answer in 30 s
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", s.serveMetrics)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		if s.Draining() {
			http.Error(w, "draining", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /api/v1/agents/{id}/host_info", s.serveHostInfo)
	return mux
}

func (s *Server) serveHostInfo(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	typ := r.URL.Query().Get("type")
	if typ == "" || len(typ) > 64 {
		httpJSONError(w, http.StatusBadRequest, "type: required, at most 64 characters")
		return
	}
	res, err := s.HostInfo(r.Context(), id, typ)
	var perr *protocol.Error
	switch {
	case err == nil:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(res)
	case errors.Is(err, ErrNotConnected):
		httpJSONError(w, http.StatusNotFound, "agent not connected to this instance")
	case errors.As(err, &perr):
		httpJSONError(w, http.StatusBadGateway, err.Error())
	default:
		httpJSONError(w, http.StatusGatewayTimeout, err.Error())
	}
}

func httpJSONError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func (s *Server) serveMetrics(w http.ResponseWriter, _ *http.Request) {
	var b strings.Builder
	metric := func(name, typ, help string, samples ...string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
		for _, smp := range samples {
			fmt.Fprintf(&b, "%s%s\n", name, smp)
		}
	}
	u := func(v uint64) string { return " " + strconv.FormatUint(v, 10) }
	st := &s.stats
	metric("virgo_endpoint_agents_connected", "gauge", "Agents connected to this instance (after their hello).", u(uint64(s.Agents())))
	metric("virgo_endpoint_connections_total", "counter", "TCP connections accepted.", u(st.connections.Load()))
	metric("virgo_endpoint_connections_refused_total", "counter", "Connections refused or dropped before or at the hello.",
		`{reason="tls"}`+u(st.tlsFailed.Load()), `{reason="max_agents"}`+u(st.refusedFull.Load()), `{reason="hello"}`+u(st.helloRefused.Load()))
	metric("virgo_endpoint_connections_replaced_total", "counter", "Older connections closed because the same agent id said hello again.", u(st.replaced.Load()))
	metric("virgo_endpoint_posts_total", "counter", "check_metrics.post acknowledged after the outputs took them (rate() is posts per second).", u(st.posts.Load()))
	metric("virgo_endpoint_posts_refused_total", "counter", "check_metrics.post not acknowledged, by reason.",
		`{reason="unavailable"}`+u(st.postsUnavailable.Load()), `{reason="malformed"}`+u(st.postsBad.Load()), `{reason="rate_limit"}`+u(st.rateLimited.Load()))
	metric("virgo_endpoint_lines_bad_total", "counter", "Received lines that were not messages, or over the line limit.",
		`{reason="malformed"}`+u(st.linesBad.Load()), `{reason="oversized"}`+u(st.linesOversized.Load()))
	var sends, lag, dur []string
	for i := range st.outputs {
		o := &st.outputs[i]
		l := fmt.Sprintf(`{output=%q`, o.name)
		sends = append(sends, l+`,result="ok"}`+u(o.ok.Load()), l+`,result="retryable_error"}`+u(o.retryable.Load()), l+`,result="permanent_error"}`+u(o.refused.Load()))
		lag = append(lag, l+"} "+strconv.FormatFloat(math.Float64frombits(o.lagBits.Load()), 'g', -1, 64))
		dur = append(dur, l+"} "+strconv.FormatFloat(math.Float64frombits(o.durBits.Load()), 'g', -1, 64))
	}
	metric("virgo_endpoint_output_sends_total", "counter", "Posts handed to each output, by result (permanent errors are acknowledged and lost).", sends...)
	metric("virgo_endpoint_output_lag_seconds", "gauge", "Age of the samples of the last post each output accepted.", lag...)
	metric("virgo_endpoint_output_send_seconds", "gauge", "Duration of the last send to each output.", dur...)
	draining := uint64(0)
	if s.Draining() {
		draining = 1
	}
	metric("virgo_endpoint_draining", "gauge", "1 while the instance drains (SIGTERM).", u(draining))
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}
