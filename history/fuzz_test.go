package history

import (
	"encoding/binary"
	"math"
	"testing"
	"time"
)

// FuzzAppend appends arbitrary (time step, value) sequences, including NaN,
// ±Inf, backward steps and far jumps, to a series with tiny rings (so every
// ring wraps) and to one large enough to keep everything, then checks the
// invariants of every ring and the accounting of every sample.
//
// Each 11-byte record is: a scale byte (the step unit: 1 s, 1 min, 1 h, 1 day,
// or 1 ms), a signed 16-bit step and the 8 bytes of a float64.
func FuzzAppend(f *testing.F) {
	rec := func(scale byte, step int16, v float64) []byte {
		b := []byte{scale, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
		binary.LittleEndian.PutUint16(b[1:], uint16(step))
		binary.LittleEndian.PutUint64(b[3:], math.Float64bits(v))
		return b
	}
	cat := func(recs ...[]byte) []byte {
		var out []byte
		for _, r := range recs {
			out = append(out, r...)
		}
		return out
	}
	f.Add([]byte{})
	f.Add(cat(rec(0, 1, 1), rec(0, 1, 2), rec(1, 1, 3), rec(2, 1, 4), rec(3, 1, 5)))
	f.Add(cat(rec(0, 30, 1), rec(0, -10, 2), rec(1, -2, 3), rec(0, 5, math.NaN()), rec(0, 5, math.Inf(1)), rec(0, 1, math.Inf(-1))))
	f.Add(cat(rec(3, 32767, 1), rec(3, 32767, 2), rec(3, -32768, 3), rec(3, -32768, 4), rec(3, -32768, 5)))
	f.Add(cat(rec(4, 1, math.MaxFloat64), rec(4, 1, math.MaxFloat64), rec(4, 1, -math.MaxFloat64), rec(4, 0, 0.1)))
	f.Add(cat(rec(1, 59, 1), rec(1, 59, 1), rec(2, 23, 1), rec(0, -1, 1), rec(4, -1, 7)))

	f.Fuzz(func(t *testing.T, data []byte) {
		small := NewSeries(Retention{Raw: 3, Minutes: 3, Hours: 2, Days: 2})
		big := NewSeries(Retention{Raw: 4096, Minutes: 4096, Hours: 4096, Days: 4096})
		units := [...]time.Duration{time.Second, time.Minute, time.Hour, 24 * time.Hour, time.Millisecond}
		now := at(0, 12, 0, 0)
		var appended uint64
		for len(data) >= 11 && appended < 2000 {
			unit := units[int(data[0])%len(units)]
			step := int16(binary.LittleEndian.Uint16(data[1:]))
			v := math.Float64frombits(binary.LittleEndian.Uint64(data[3:]))
			data = data[11:]
			now = now.Add(time.Duration(step) * unit)
			small.Append(now, v)
			big.Append(now, v)
			appended++
		}
		for _, s := range []*Series{small, big} {
			st := s.Stats()
			if total := st.Accepted + st.OutOfOrder + st.NonFinite + st.BadTime; total != appended {
				t.Fatalf("stats %+v add up to %d, appended %d", st, total, appended)
			}
			latest, hasLatest := s.Latest()
			if hasLatest != (st.Accepted > 0) {
				t.Fatalf("Latest ok = %v with %d accepted", hasLatest, st.Accepted)
			}
			for _, res := range []Resolution{Raw, Minute, Hour, Day} {
				pts := s.Points(res, time.Time{}, nil)
				var count uint64
				for i, p := range pts {
					if !(p.Min <= p.Avg && p.Avg <= p.Max && p.Min <= p.Last && p.Last <= p.Max) {
						t.Fatalf("%v[%d] out of order min/avg/last/max: %+v", res, i, p)
					}
					if p.Count == 0 || res == Raw && p.Count != 1 {
						t.Fatalf("%v[%d] count %d", res, i, p.Count)
					}
					if i > 0 && (p.T.Before(pts[i-1].T) || res != Raw && !p.T.After(pts[i-1].T)) {
						t.Fatalf("%v[%d] at %v not after %v", res, i, p.T, pts[i-1].T)
					}
					if res != Raw && !p.T.Equal(p.T.Truncate(res.Duration())) {
						t.Fatalf("%v[%d] at %v not aligned", res, i, p.T)
					}
					if p.T.After(latest.T) {
						t.Fatalf("%v[%d] at %v after latest %v", res, i, p.T, latest.T)
					}
					count += uint64(p.Count)
				}
				if len(pts) > 0 {
					sum, ok := s.Summary(res, time.Time{})
					if !ok || uint64(sum.Count) != count || !(sum.Min <= sum.Avg && sum.Avg <= sum.Max) ||
						!sum.T.Equal(pts[0].T) || sum.Last != pts[len(pts)-1].Last {
						t.Fatalf("%v summary %+v over %d points of count %d", res, sum, len(pts), count)
					}
					if res != Raw && pts[len(pts)-1].Last != latest.Last {
						t.Fatalf("%v newest bucket last %v, latest %v", res, pts[len(pts)-1].Last, latest.Last)
					}
				}
				// The big series never wraps, so its rollups account for
				// every accepted sample. (Raw may skip late samples only
				// when full, which it never is here.)
				if s == big && count != st.Accepted {
					t.Fatalf("%v counts add up to %d, accepted %d", res, count, st.Accepted)
				}
				if vals := s.Values(res, len(pts), nil); len(vals) != len(pts) {
					t.Fatalf("%v: %d values for %d points", res, len(vals), len(pts))
				}
			}
		}
	})
}
