package chaos

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// The notification chaos test forces one alarm through numbered episodes:
// the plugin behind it prints the episode's level and number, and the
// alarm's message carries both ("level 2 episode 7"). What the webhook
// receiver and the SMTP server received is judged here against the
// episodes the test forced, never against the daemon's own counters.

// episode is one state the test forced; episode 0 is the start (OK).
type episode struct {
	N     int
	State string    // OK, WARNING, CRITICAL
	At    time.Time // when the test forced it
}

// notice is one notification as a receiver got it: the state it reports
// (and the episode its message names) and, for a coalesced one, the worst
// state the alarm passed through since the receiver's last notice.
type notice struct {
	At           time.Time // when the receiver got it
	Current      string
	CurEpisode   int // -1 when the message names none
	Worst        string
	WorstEpisode int
}

var episodeRE = regexp.MustCompile(`episode (\d+)`)

// episodeOf is the episode number a message names, -1 if none.
func episodeOf(msg string) int {
	m := episodeRE.FindStringSubmatch(msg)
	if m == nil {
		return -1
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return -1
	}
	return n
}

func sev(state string) int {
	switch state {
	case "OK":
		return 1
	case "WARNING":
		return 2
	case "CRITICAL":
		return 3
	}
	return 0
}

// notifyReport is the test's one line, summed over receivers: changes
// counts (transition, receiver) pairs.
type notifyReport struct {
	Changes, Delivered, Coalesced, Lost int
	// Spurious counts notices of the start (UNKNOWN -> OK, or the
	// initial OK) and notices naming no forced episode.
	Spurious int
	// Duplicates counts notices that repeat the receiver's previous one
	// (same state, nothing worse in between): a restart re-notified.
	Duplicates  int
	LastMatches bool
	Problems    []string
}

func (r notifyReport) String() string {
	yes := "no"
	if r.LastMatches {
		yes = "yes"
	}
	return fmt.Sprintf("notify-chaos: changes=%d delivered=%d coalesced=%d lost=%d last_told_matches_state=%s",
		r.Changes, r.Delivered, r.Coalesced, r.Lost, yes)
}

func (r notifyReport) ok() bool {
	return r.Lost == 0 && r.LastMatches && r.Spurious == 0 && r.Duplicates == 0 && r.Changes > 0
}

// analyzeNotify judges what each receiver got (notices in arrival order)
// against the forced episodes:
//   - a transition is delivered to a receiver when a notice reports its
//     state and names its episode;
//   - an escalation (a change to a worse state) not delivered, to a state
//     worse than what the receiver believed when it happened (the state of
//     its last notice by then; OK before any), must still be the next
//     thing the receiver hears: its next notice reports at least that
//     severity, as its state or as the worst state in between. Otherwise
//     it is lost. (An escalation to what the receiver already believes,
//     and flaps folded into the state reported after an outage, are
//     coalesced: receivers get the current state, not every flap.)
//   - every other undelivered transition was coalesced (a recovery folded
//     into a later state, a flap reported by its worst state);
//   - each receiver's last notice reports the final state.
func analyzeNotify(eps []episode, got map[string][]notice) notifyReport {
	var r notifyReport
	r.LastMatches = len(got) > 0
	final := eps[len(eps)-1].State
	for name, ns := range got {
		for i := 1; i < len(eps); i++ {
			if eps[i].State == eps[i-1].State {
				continue // not a change
			}
			r.Changes++
			delivered := false
			for _, n := range ns {
				if n.CurEpisode == i && n.Current == eps[i].State {
					delivered = true
					break
				}
			}
			switch {
			case delivered:
				r.Delivered++
			case sev(eps[i].State) > sev(eps[i-1].State) && sev(eps[i].State) > sev(belief(ns, eps[i].At)) && !covered(eps, i, ns):
				r.Lost++
				r.Problems = append(r.Problems, fmt.Sprintf("%s: episode %d (%s) never reported", name, i, eps[i].State))
			default:
				r.Coalesced++
			}
		}
		for k, n := range ns {
			if n.CurEpisode <= 0 || n.CurEpisode >= len(eps) {
				r.Spurious++
				r.Problems = append(r.Problems, fmt.Sprintf("%s: notice %d names episode %d: %+v", name, k, n.CurEpisode, n))
			}
			if k > 0 && n.Current == ns[k-1].Current && sev(n.Worst) <= sev(n.Current) {
				r.Duplicates++
				r.Problems = append(r.Problems, fmt.Sprintf("%s: notice %d repeats %s", name, k, n.Current))
			}
		}
		if len(ns) == 0 || ns[len(ns)-1].Current != final {
			r.LastMatches = false
			last := "nothing"
			if len(ns) > 0 {
				last = ns[len(ns)-1].Current
			}
			r.Problems = append(r.Problems, fmt.Sprintf("%s: last told %s, the alarm is %s", name, last, final))
		}
	}
	return r
}

// belief is the state a receiver believed at t: its last notice's by then,
// OK before any.
func belief(ns []notice, t time.Time) string {
	b := "OK"
	for _, n := range ns {
		if n.At.After(t) {
			break
		}
		b = n.Current
	}
	return b
}

// covered reports whether the first notice the receiver got about a time
// from episode i on (arrived after i began, naming episode i or later)
// told it the alarm got at least as bad as episode i: as its state, or
// as the worst state since the receiver's previous notice.
func covered(eps []episode, i int, ns []notice) bool {
	want := sev(eps[i].State)
	for _, n := range ns {
		if n.At.Before(eps[i].At) || n.CurEpisode < i {
			continue
		}
		return sev(n.Current) >= want || sev(n.Worst) >= want
	}
	return false
}
