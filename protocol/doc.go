// Package protocol speaks the Virgo endpoint protocol: TLS, one JSON object
// per line, JSON-RPC-like requests and responses (handshake.hello,
// heartbeat.post, check_schedule.get, check_metrics.post, ...). It knows
// nothing of collectors: the agent answers endpoint requests through the
// small interfaces gathered in Handler.
//
// What lives here:
//   - message.go: the envelope (Request, Response, Error, ID), the method
//     names, the params and results of each method, VersionError and
//     RateLimitError.
//   - metric.go: metric values ({t, v, u}, decimal on the way out, decimal
//     or 0x-hex on the way in) and Metrics, the ordered
//     [[dimension|null, {name: value}]] list.
//   - codec.go: a bounded line reader (an oversized line is discarded, not
//     buffered) and Decode, which types every failure (*FrameError,
//     *DecodeError, *VersionError) and forgives a trailing comma as the
//     peer's own fixture has one.
//   - dial.go, client.go: one connection (Client): TLS with the system roots
//     or a given CA, an optional HTTP CONNECT proxy that is handed the host
//     name, the hello, chained heartbeats with RTT and clock offset, one
//     reader goroutine matching responses by id.
//   - manager.go: all endpoints at once (Manager), metrics to the connected
//     endpoint with the lowest RTT, reconnect with capped exponential
//     backoff and full jitter, Status for the TUI and /metrics.
//   - spool.go, filestore.go: the bounded FIFO every check_metrics.post goes
//     through (by default 10000 posts or 16 MiB; past that the oldest are
//     dropped and counted), with an optional fsynced JSONL file store.
//
// Delivery: posts are sent one at a time in order; a post leaves the spool
// only when an endpoint answered it (a 400 error counts as rejected, not
// lost). A connection that drops before the answer is read makes the post
// go again on the next connection, so the endpoint can see a post twice only
// if its answer was lost on the way.
//
// Not here: the fixture endpoint (package fixtures), check scheduling and
// alarms, and what the agent answers to host_info.get or check.test.
package protocol
