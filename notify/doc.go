// Package notify delivers alarm state changes: webhook (optionally
// HMAC-signed), email over SMTP, and SMS through an HTTP gateway, with
// retries, backoff and per-alarm rate limits. It imports nothing else of ours.
package notify
