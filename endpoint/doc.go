// Package endpoint is `virgo-top endpoint`: a stateless gateway that
// speaks Virgo's protocol to agents (virgo-top daemons and unmodified
// rackspace-monitoring-agent installs) and hands their data to engines that
// already scale: metrics by Prometheus remote write (package remotewrite),
// alarm states to Alertmanager (package alertmanager). It keeps no store;
// any number of instances run behind a TCP load balancer and an agent may
// reconnect to any of them.
//
// What lives here:
//   - config.go: the YAML config (Config, ParseConfig, LoadConfig).
//   - tokens.go: the token file: each token bound to agent-id globs,
//     compared as SHA-256 digests in constant time, never logged.
//   - schedules.go: check_schedule.get from a directory of conf.d YAML
//     (agents/<id>/, groups/<group>/, default/), re-read when it changes.
//   - series.go: a post in the metric schema (internal/schema) as
//     remote-write series, and its alarm states as Alertmanager alerts.
//   - outputs.go: the Output interface and its remote-write and
//     Alertmanager implementations.
//   - server.go, conn.go: the agents' connections; http.go: /metrics,
//     /healthz and the host_info API.
//
// # One connection
//
// The first request must be handshake.hello with a token the token file
// binds to the agent id (else error 401 "Invalid token or agent id", and the
// log names the agent id and the address, never the token). Everything
// the connection posts is labelled with that agent id: a post cannot name
// another agent. On one instance a newer hello with the same agent id
// closes the older connection; across instances both stay (agents connect
// to every endpoint at once, as Virgo's do), so a token replayed from a
// second host is only contained by binding tokens to few agent ids: its
// posts land under the ids the token allows, interleaved with the real
// agent's (the engine keeps both; the log shows two remotes).
//
// check_metrics.post is answered only after every output took it:
//
//	outputs                               answer                           agent (protocol doc)
//	------------------------------------  -------------------------------  -----------------------
//	all accepted                          result 0                         post delivered
//	one refused for good (4xx but 429)    result 0; counted, logged        post delivered (lost)
//	one down, slow (timeout) or 429/5xx   error 400 type "unavailable"     same post again later
//	max_inflight_posts already sending    error 400 type "unavailable"     same post again later
//	over limits.posts_per_minute          error 400 "rateLimitReached";    reconnects, post again
//	                                      the connection is closed
//	params not a post (no check_id)       error 400                        counted against it
//
// Each output has 4 senders (batch.go): a sender takes a post plus every
// post already waiting (up to 500) and sends them as one request, so under
// load requests grow instead of multiplying; an idle endpoint sends a post
// alone at once; a request refused for good is sent again post by post
// (Prometheus 2.42 rolls back a whole remote write for one out-of-order
// sample). Nothing is buffered: a connection has at most 4 posts in flight (the
// reader waits for a slot, so a flooding agent slows itself down), and the
// whole instance at most max_inflight_posts. Outputs that accepted a post
// the others did not get it again on the retry: remote-write engines keep
// one sample per series and timestamp, Alertmanager merges alerts.
//
// Memory is bounded by the limits: at worst every connection holds one line
// of max_line_size being read (max_agents x max_line_size; a connection
// sends at most 16 KiB before its hello is accepted, so only agents with
// a token can make it hold more), and posts in
// flight are at most max_inflight_posts; an idle connection costs about 54
// KiB (BENCHMARKS.md, "Endpoint").
//
// Lines that are not messages, requests of another protocol version, and
// lines over limits.max_line_size (read and discarded without buffering),
// are counted and skipped; after 32 of them the connection is dropped. A
// connection sends at most 600 other requests a minute (heartbeats,
// schedule gets, and responses nobody asked for). A connection that has not
// said hello 30 s after it was accepted is dropped, whatever it sent; an
// agent silent for 3 heartbeat intervals (plus 10 s) is dropped. A failed
// accept (out of file descriptors) is retried after a pause.
//
// # Drain
//
// Drain (SIGTERM) closes the listeners, stops reading from every
// connection, waits for the posts in flight to be answered, then closes
// the connections so the agents reconnect to another instance; past the
// drain timeout the rest are closed at once (their agents send those posts
// again: nothing is lost, the agent's spool keeps every unacknowledged
// post).
package endpoint
