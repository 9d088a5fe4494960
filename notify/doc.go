// Package notify delivers alarm state changes: webhook (optionally
// HMAC-signed), email over SMTP, and SMS through an HTTP gateway, with
// retries, backoff and per-alarm rate limits. It imports nothing else of ours.
//
// An Event is one state change of one alarm (entity, check, alarm, previous
// and current state, message, formatted metrics). A Notifier makes one
// delivery attempt of an Event: Webhook POSTs it as JSON, Email sends a
// plain-text mail through net/smtp (STARTTLS or implicit TLS, AUTH PLAIN),
// SMS renders a text/template into a form or JSON body for an SMS gateway.
// Errors marked with Permanent (4xx answers, 5xx SMTP replies, bad
// certificates, missing STARTTLS) are not retried.
//
// The Dispatcher sits between the alarm evaluator and the notifiers.
// Enqueue never blocks the caller: each notifier has a bounded queue and one
// goroutine, so events reach a notifier in order and a slow destination
// delays only itself. A full queue drops the event (counted). Each event is
// tried up to MaxAttempts times with exponential backoff and jitter, and a
// token bucket per (notifier, alarm) limits the rate, except that a return
// to OK is always sent when the notifier was last told of a non-OK state.
// Every try, suppression and drop is logged with slog, kept in a bounded
// history (Recent) and counted (Stats).
//
// Config and FromConfig build notifiers from plain settings; ParseConfig
// reads them from key/value pairs. Passwords, secrets, tokens and URL paths
// (webhook URLs often embed a credential) never appear in errors or logs.
//
// Not here: deciding when an alarm changes state (package alarm), metrics
// exposition (the agent reads Stats), and persistence of undelivered events
// across restarts (queues live in memory).
package notify
