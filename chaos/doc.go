// Package chaos holds the end-to-end chaos test of the real binaries. The
// test builds cmd/virgo-top, runs fixture-server endpoints and a --daemon
// against them as separate processes, kills and restarts them at random
// (SIGKILL, restarts on the same port and TLS dir, random drops, daemon
// restarts on the same state dir), freezes an endpoint (SIGSTOP: unanswered
// heartbeats, a stalled TLS handshake, a reader that stops reading), and
// restarts one with protocol faults switched on in turn (garbage lines,
// oversized lines, error replies to heartbeats and to the schedule fetch,
// a mute endpoint, a stalled handshake, 200 ms heartbeats with 1 s drops),
// and proves from the endpoints' records
// and the daemon's persisted spool that no check result is lost, that every
// duplicate is a resend of a result already delivered, and that each check's
// results arrive in order.
//
// TestNotifyChaos does the same for notifications: one alarm forced
// through flaps under a rate limit, a receiver outage (both a webhook
// receiver and an SMTP server on loopback go down) and daemon SIGKILLs
// mid-incident; what the receivers got is judged against the forced
// states, and it ends with one line
// "notify-chaos: changes=N delivered=N coalesced=N lost=0
// last_told_matches_state=yes".
//
// The package has no code of its own outside its tests. `go test ./chaos`
// runs the short version (skipped under -short);
// `VIRGO_CHAOS=long go test -run TestChaos -count=1 -v ./chaos` (or
// chaos/run.sh) runs the long one.
package chaos
