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
//     name (its reply header capped at 64 KiB, the whole exchange under the
//     connect timeout; http://, or https:// for TLS to the proxy; from the
//     config, else HTTP_PROXY, http_proxy, HTTPS_PROXY or https_proxy unless
//     NO_PROXY names the endpoint), the hello, chained heartbeats with RTT
//     and clock offset. A reader that only reads and delivers (responses to pending
//     calls; endpoint requests to 8 workers behind a queue of 16, past which
//     the reply is error 400 of type "busy"), one writer that owns every
//     write, check_schedule.changed coalesced into one schedule refresh;
//     Done closes once every goroutine of the client has returned.
//   - manager.go: all endpoints at once (Manager), metrics to the connected
//     endpoint with the lowest RTT, reconnect with capped exponential
//     backoff and full jitter (reset only once a connection proved healthy:
//     an acknowledged post, or a minute up), Status for the TUI and /metrics.
//   - spool.go, filestore.go: the bounded queue every check_metrics.post goes
//     through (by default 10000 posts or 16 MiB; past that the oldest are
//     dropped and counted), with an optional JSONL file store whose one
//     writer goroutine owns the spool file and the dead letter file
//     (spool.dead), so that no lock is ever held across disk I/O.
//
// # Delivery
//
// Posts are sent one at a time, oldest first; a post leaves the spool only
// when an endpoint acknowledged it, or when it moves to the dead letter. A
// connection that drops before the answer is read makes the post go again
// on the next connection, so the endpoint can see a post twice only if its
// answer was lost on the way.
//
// Order: posts keep their order per check, except around a refused post. A
// refused post loses its place: while it waits for its retry, the posts
// behind it go on, newer results of its own check included, so if a retry
// is accepted the endpoint gets that one result after newer ones of the same
// check (each post carries its own timestamp). Holding the check back
// instead would let one poisoned result delay its check's results for the
// whole retry schedule. "unavailable" is different: every post would get it,
// so the same post is retried in place and nothing overtakes it.
//
// # Endpoint replies and what the agent does
//
//	reply to check_metrics.post        agent action
//	---------------------------------  ------------------------------------------------------------
//	result (any)                       delivered: the post leaves the spool (SpoolStats.Sent); the
//	                                   connection counts as healthy (reconnect backoff reset)
//	error 400, any other type          refusal, counted against the post (Rejected): retried after
//	                                   BackoffInitial, doubled per refusal up to BackoffMax (1, 2,
//	                                   4, 8 s by default) while the posts behind it are sent; the
//	                                   connection stays
//	error with another code            the same refusal; the client also drops the connection (any
//	(401, 403, 500, ...)               code but 400 is fatal) and reconnects with backoff
//	the MaxAttempts-th refusal         the post moves to spool.dead (NDJSON DeadLetter with the
//	(default 5, spool_max_attempts)    post, every refusal and the times; SpoolStats.Dead), logged
//	                                   at ERROR
//	type "unavailable", any code       the endpoint's storage is down: not counted; the same post
//	(ErrorTypeUnavailable)             is sent again after a backoff (full jitter, growing while
//	                                   it lasts; EndpointStatus.Unavailable); never fatal: the
//	                                   connection stays whatever the code
//	type "rateLimitReached", code 400  logged at ERROR, the connection dropped and the agent
//	                                   reconnects with backoff; the post is not counted and goes
//	                                   again on the next connection (the original logs a 400 and
//	                                   the endpoint closes the connection)
//	type "rateLimitReached", another   every connection is closed and, after RateLimitSleep (5 s,
//	code                               the original's RATE_LIMIT_SLEEP), Run returns
//	                                   *RateLimitError and the daemon exits 2; the post stays spooled
//	no reply within PostTimeout        not counted: the connection is closed and the post goes
//	                                   again on the next one
//	dropped connection, malformed      not counted: reconnect with backoff, the post goes again
//	line, line over MaxLineSize,
//	version mismatch ("v" not "1")
//	request over MaxLineSize           never sent: Push refuses a post that does not fit (error,
//	                                   straight to spool.dead); one already spooled under a larger
//	                                   limit goes to spool.dead when its turn comes
//	error reply to handshake.hello     reconnect with backoff (a non-400 rateLimitReached: stop, as
//	                                   above)
//	error reply to heartbeat.post      reconnect with backoff, whatever the code
//	error reply to check_schedule.get  400: logged, the last schedule kept; another code: reconnect
//	no reply to check_schedule.get     the connection is closed; the next hello fetches it again
//
//	request from the endpoint          agent action
//	---------------------------------  ------------------------------------------------------------
//	host_info.get, check.test, ...     served by one of 8 workers; a handler's context ends when
//	                                   the connection closes
//	past 8 running and 16 queued       error 400, type "busy" (ErrorTypeBusy); nothing is dropped
//	                                   silently
//	check_schedule.changed             acknowledged at once; the schedule is fetched again (changes
//	                                   during a fetch make one more fetch, never none)
//	unknown method                     error 400, type "unknownMethod"
//	endpoint not reading our replies   the connection is closed (its write queue stays full)
//
// Refusals are counted in memory: a restart gives a post its full
// MaxAttempts again. The reconnect backoff is reset only after a connection
// proved healthy (an acknowledged post, or a minute up by Options.Clock), so
// an endpoint that drops every connection after 2 s sees a few reconnects a
// minute, not 30.
//
// # The spool on disk
//
// FileStore writes every record as soon as its writer goroutine gets it and
// fsyncs live appends within SyncDelay. A failed write (a full disk) is
// logged (at most once a minute), counted (StoreErrors) and reported
// (FileStore.Degraded, SpoolStats.Degraded): the records that failed stay in
// memory and are written again every few seconds and with the next record;
// every append starts at a record boundary. A full state file system never
// stops OpenFileStore: the store opens degraded. A state dir that cannot be
// written at all is an OpenFileStore error: the caller falls back to
// MemStore{Reason: ...}, which reports the reason as Degraded. Load streams
// the file and keeps the newest live entries within the spool's bound,
// logging how many it dropped.
//
// Not here: the fixture endpoint (package fixtures), check scheduling and
// alarms, and what the agent answers to host_info.get or check.test.
package protocol
