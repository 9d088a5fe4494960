package chaos

import (
	"strings"
	"testing"
	"time"
)

func TestAnalyzeNotify(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	at := func(ep int) time.Time { return t0.Add(time.Duration(ep) * 10 * time.Second) }
	var eps []episode
	for i, s := range []string{"OK", "CRITICAL", "OK", "CRITICAL", "WARNING", "OK"} {
		eps = append(eps, episode{i, s, at(i)})
	}
	// A notice of episode ep arrives a second into it.
	c := func(state string, ep int) notice {
		return notice{At: at(ep).Add(time.Second), Current: state, CurEpisode: ep, WorstEpisode: -1}
	}
	cw := func(state string, ep int, worst string, wep int) notice {
		return notice{At: at(ep).Add(time.Second), Current: state, CurEpisode: ep, Worst: worst, WorstEpisode: wep}
	}
	cases := []struct {
		name string
		got  []notice
		want string
		ok   bool
	}{
		{"every change delivered", []notice{c("CRITICAL", 1), c("OK", 2), c("CRITICAL", 3), c("WARNING", 4), c("OK", 5)},
			"changes=5 delivered=5 coalesced=0 lost=0 last_told_matches_state=yes", true},
		{"rate limited: 3 and 4 folded into a later notice that reports CRITICAL as worst",
			[]notice{c("CRITICAL", 1), c("OK", 2), cw("OK", 5, "CRITICAL", 3)},
			"changes=5 delivered=3 coalesced=2 lost=0 last_told_matches_state=yes", true},
		{"the third CRITICAL dropped for good (the bug)", []notice{c("CRITICAL", 1), c("OK", 2)},
			"changes=5 delivered=2 coalesced=2 lost=1 last_told_matches_state=yes", false},
		{"last word is stale", []notice{c("CRITICAL", 1), c("OK", 2), c("CRITICAL", 3)},
			"changes=5 delivered=3 coalesced=2 lost=0 last_told_matches_state=no", false},
		{"a worse state reported only as a lesser one is lost", []notice{c("CRITICAL", 1), c("OK", 2), cw("OK", 5, "WARNING", 4)},
			"changes=5 delivered=3 coalesced=1 lost=1 last_told_matches_state=yes", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := analyzeNotify(eps, map[string][]notice{"webhook": tc.got})
			if !strings.HasSuffix(r.String(), tc.want) || r.ok() != tc.ok {
				t.Errorf("%s ok=%v, want %s ok=%v (%v)", r, r.ok(), tc.want, tc.ok, r.Problems)
			}
		})
	}
	// A new incident while the receiver still believes the last one goes
	// on (both were down meanwhile) is coalesced, not lost.
	eps2 := []episode{{0, "OK", at(0)}, {1, "CRITICAL", at(1)}, {2, "OK", at(2)}, {3, "CRITICAL", at(3)}, {4, "OK", at(4)}}
	r := analyzeNotify(eps2, map[string][]notice{"webhook": {c("CRITICAL", 1), c("OK", 4)}})
	if !strings.HasSuffix(r.String(), "changes=4 delivered=2 coalesced=2 lost=0 last_told_matches_state=yes") || !r.ok() {
		t.Errorf("outage: %s (%v)", r, r.Problems)
	}
	// A restart that re-notifies, and a notice of the start.
	r = analyzeNotify(eps, map[string][]notice{"mail": {c("OK", 0), c("CRITICAL", 1), c("CRITICAL", 1), c("OK", 2), c("CRITICAL", 3), c("WARNING", 4), c("OK", 5)}})
	if r.Spurious != 1 || r.Duplicates != 1 || r.ok() {
		t.Errorf("spurious %d duplicates %d ok %v (%v)", r.Spurious, r.Duplicates, r.ok(), r.Problems)
	}
	if episodeOf("level 2 episode 17 (was CRITICAL)") != 17 || episodeOf("none") != -1 {
		t.Error("episodeOf")
	}
}
