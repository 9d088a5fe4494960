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
// The spool scenario adds a poisoned check (chPOISON) whose posts the
// endpoint refuses (fixture-server --refuse-check): as "unavailable" (never
// counted, retried in place; delivered once the endpoint accepts again),
// then with 400 and 500 (counted; 500 drops the connection): a post refused
// spool_max_attempts times must be in the dead letter file (spool.dead),
// and only such a post, and a refused post may arrive after newer results
// of its check. As root it mounts a small tmpfs as the daemon's state dir
// and fills it during an endpoint outage, frees it and SIGKILLs the daemon:
// every result produced on the full disk must be delivered (not root, or no
// mount(2): that part is skipped with a message). A second daemon started
// on the state dir must exit 2 naming the first one's pid. A result is
// accounted for when delivered, still spooled at the end, or dead-lettered.
//
// A gap in a check's timeline is a loss unless the daemons' log (at debug
// level) shows no result was produced there (a run the scheduler skipped,
// or one that read the next sample), and a result posted twice on one
// connection, or spooled under two entries, was produced twice (two runs
// stamped with one sample), not resent: both are daemon defects the run
// reports without failing (they are not delivery losses). The summary line
// ends with dead=N.
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
// chaos/run.sh) runs the long one. VIRGO_CHAOS_KEEP=DIR keeps each
// scenario's files (records, logs, spool) in a new directory under DIR.
package chaos
