package notify

import "context"

// Notifier delivers one Event to one destination. Notify makes a single
// attempt and honours ctx; retries, backoff and rate limits are the
// Dispatcher's job. Errors wrapped with Permanent are not retried. Errors
// never contain passwords, secrets or tokens.
type Notifier interface {
	// Name identifies the notifier in stats, logs and attempt history; it is
	// unique within a Dispatcher.
	Name() string
	Notify(ctx context.Context, ev Event) error
}
