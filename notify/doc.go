// Package notify tells people the state of alarms: webhook (HMAC-signed,
// timestamped), email over SMTP, and SMS through an HTTP gateway. It
// imports nothing else of ours.
//
// An Event is the state of one alarm as one receiver should hear it
// (entity, check, alarm, what the receiver was told before, the current
// state, message, formatted metrics). A Notifier makes one delivery
// attempt of an Event: Webhook POSTs it as JSON, Email sends a plain-text
// mail through net/smtp (STARTTLS or implicit TLS, AUTH PLAIN), SMS renders
// a text/template into a form or JSON body for an SMS gateway. Errors
// marked with Permanent (4xx answers, 5xx SMTP replies, bad certificates,
// missing STARTTLS) tell the Dispatcher that retrying soon will not help.
//
// # The Dispatcher: level triggered, one outbox per receiver
//
// The Dispatcher sits between the alarm evaluator and the notifiers. It
// does not queue state changes; it reconciles states. Enqueue records
// "alarm K is now in state S" and never blocks, does I/O or drops. For each
// receiver and alarm the Dispatcher keeps what the receiver was last told
// (an alarm it never heard of counts as told OK, so a first OK, or UNKNOWN
// -> OK at start, is never sent), the alarm's latest event, and the worst
// event since the receiver was told when that is worse than what it was
// told. The receiver is owed a notification while the current state
// differs from what it was told, or while a worse state it was never told
// of happened since. One goroutine per receiver delivers what is owed, so a
// slow receiver delays only itself. A delivered Event carries Previous =
// what this receiver was last told, Current = the state now, Changes = the
// state changes since, and Worst = the worst state in between when it is
// worse than both (a CRITICAL that flapped back to OK is still reported).
//
// Severity is UNKNOWN < OK < WARNING < CRITICAL. UNKNOWN (not yet
// evaluated, or criteria that cannot be evaluated) is delivered like any
// other state when it differs from what a receiver was told, under the
// rate limit, but it is never "worse" than what a receiver was told, so a
// blip of UNKNOWN between two OKs sends nothing.
//
// Rate limit: a token bucket per (receiver, alarm), RateLimit per
// RateWindow (default 1 a minute). It delays, never drops: a change that
// finds no token is sent when the bucket refills, as the alarm's state
// then (as Alertmanager's group_interval). A return to OK when the
// receiver was told something else goes at once; an escalation waits.
// Changes folded into another notification, or cancelled by a return to
// what the receiver was told, are counted as Coalesced.
//
// Outage: a failed attempt is retried with exponential backoff and jitter
// (BaseBackoff, doubling, capped at MaxBackoff, default 5 minutes) for as
// long as the receiver fails; a permanent error is logged at ERROR and
// retried at MaxBackoff (the receiver's configuration may be fixed).
// Retries send the current state, not a replay of every flap. Only the
// outbox bounds give an undelivered state up: MaxOutboxEntries alarms per
// receiver (default 1,000, oldest first) and MaxOutboxAge since the entry
// first became undelivered (default 72 h); each is logged at ERROR with
// the alarm and state and counted (Expired).
//
// Persistence: with a StateDir, each receiver's worker writes what the
// receiver was told and is owed (with the rate limit's buckets) to
// StateDir/notify-<receiver>.json, mode 0600, versioned JSON, atomically
// (temporary file, fsync, rename, fsync of the directory), whenever it
// changed; writes made while one is in progress are coalesced into the
// next, and a delivery in flight does not hold them up. NewDispatcher
// loads it: a corrupt or unknown-version file is logged, renamed aside to
// .corrupt, and that receiver starts empty. A failed write (full disk) is
// logged at most once a minute and retried; the state stays in memory. So
// a process killed and started again, whose caller enqueues every alarm's
// current state at start, re-sends nothing receivers heard and still
// delivers what they did not. Delivery is at least once: a kill between a
// receiver's acceptance and the next write repeats that one notification.
//
// Run delivers until its context ends; Close delivers what is due now and
// saves. Either way, what is undelivered stays in the state file for the
// next start. Every attempt, deferral and expiry is logged with slog, kept
// in a bounded history (Recent) and counted (Stats); Told reports what a
// receiver was last told about an alarm.
//
// Webhook requests carry X-Virgo-Timestamp (Unix seconds) and, with a
// secret, X-Virgo-Signature: "sha256=" and the hex HMAC-SHA256 of
// timestamp + "." + body. VerifyWebhook checks both and rejects a
// timestamp more than five minutes off, so a captured request cannot be
// replayed later.
//
// A Webhook's body is the Event as JSON (FormatVirgoTop), or with
// FormatRackspace the body Rackspace Cloud Monitoring posts to a webhook
// notification (its documented example: event_id, log_entry_id, details
// with metrics as {type, data, unit} and observations, entity, check,
// alarm, tenant_id; see rackspace.go), so receivers written for Rackspace
// work unchanged; an optional token goes in X-Rackspace-Webhook-Token.
// Both are signed as above.
//
// Config and FromConfig build notifiers from plain settings; ParseConfig
// reads them from key/value pairs. Passwords, secrets, tokens and URL paths
// (webhook URLs often embed a credential) never appear in errors or logs.
//
// Not here: deciding when an alarm changes state (package alarm), restoring
// alarm states at start and enqueueing them (the agent), metrics
// exposition (the agent reads Stats and Told).
package notify
