package fleet

import (
	"testing"
	"time"
)

// The alarm column's rank, (state+0.25)^2 in the engine, reads back as
// the state, and orders CRITICAL, DOWN, WARNING, UNKNOWN, OK, none.
func TestAlarmRank(t *testing.T) {
	for _, tt := range []struct {
		v    float64
		want string
	}{{2, "CRITICAL"}, {1, "WARNING"}, {-1, "UNKNOWN"}, {0, "OK"}} {
		r := (tt.v + 0.25) * (tt.v + 0.25)
		if got := rankState(r); got != tt.want {
			t.Errorf("rankState(%v) = %s, want %s", r, got, tt.want)
		}
		if StateRank(tt.want) != r {
			t.Errorf("StateRank(%s) = %v, want %v", tt.want, StateRank(tt.want), r)
		}
	}
	order := []float64{rankCritical, rankDown, rankWarning, rankUnknown, rankOK, rankNone}
	for i := 1; i < len(order); i++ {
		if order[i] >= order[i-1] {
			t.Errorf("rank order broken at %d: %v", i, order)
		}
	}
	if rankState(-1) != "" {
		t.Error("a live host without alarms (-1 in the sort) has a state")
	}
}

// Points never panics, whatever the width asked.
func TestPointsAnyWidth(t *testing.T) {
	for _, n := range []int{-3, 0, 1, 5} {
		if got := Points(Graph{Points: []Point{{}}}, time.Unix(100, 0), time.Minute, n); len(got) != max(n, 0) {
			t.Errorf("n=%d: %d points", n, len(got))
		}
	}
}
