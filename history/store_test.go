package history

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestStore(t *testing.T) {
	r := Retention{Raw: 4, Minutes: 4, Hours: 2, Days: 2}
	st := NewStore(r, 3)
	st.Append("cpu.usage", at(0, 10, 0, 0), 10)
	st.Append("cpu.usage", at(0, 10, 0, 30), 30)
	st.Append("mem.used_pct", at(0, 10, 0, 0), 50)
	st.Append("load.1", at(0, 10, 0, 0), 0.5)
	st.Append("load.5", at(0, 10, 0, 0), 0.7)  // past maxSeries: dropped
	st.Append("load.15", at(0, 10, 0, 0), 0.9) // dropped
	st.Append("cpu.usage", at(0, 9, 0, 0), 99) // out of order
	st.Append("load.1", at(0, 10, 0, 1), math.NaN())

	if got, want := st.Names(), []string{"cpu.usage", "load.1", "mem.used_pct"}; !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	if st.Len() != 3 {
		t.Fatalf("Len() = %d", st.Len())
	}
	equalPoints(t, "Points", st.Points("cpu.usage", Raw, at(0, 10, 0, 1), nil), []Point{raw(at(0, 10, 0, 30), 30)})
	equalPoints(t, "Last", st.Last("cpu.usage", Minute, 5, nil), []Point{agg(at(0, 10, 0, 0), 10, 30, 20, 30, 2)})
	if got := st.Values("cpu.usage", Raw, 5, nil); !slices.Equal(got, []float64{10, 30}) {
		t.Errorf("Values = %v", got)
	}
	if p, ok := st.Summary("cpu.usage", Raw, time.Time{}); !ok || p.Avg != 20 || p.Count != 2 {
		t.Errorf("Summary = %+v, %v", p, ok)
	}
	if p, ok := st.Latest("mem.used_pct"); !ok || p.Last != 50 {
		t.Errorf("Latest = %+v, %v", p, ok)
	}

	// Unknown names: nothing, and dst comes back untouched.
	dst := []Point{{Count: 9}}
	if got := st.Points("nope", Raw, time.Time{}, dst); len(got) != 1 {
		t.Errorf("Points(nope) = %v", got)
	}
	if got := st.Values("nope", Raw, 3, nil); got != nil {
		t.Errorf("Values(nope) = %v", got)
	}
	if _, ok := st.Latest("nope"); ok {
		t.Error("Latest(nope) ok")
	}
	if _, ok := st.Summary("nope", Minute, time.Time{}); ok {
		t.Error("Summary(nope) ok")
	}

	perSeries := int64(r.SeriesBytes())
	names := int64(len("cpu.usage") + len("mem.used_pct") + len("load.1"))
	want := StoreStats{Series: 3, MaxSeries: 3, DroppedNewSeries: 2, Accepted: 4, OutOfOrder: 1, NonFinite: 1,
		Bytes: 3*perSeries + names}
	if got := st.Stats(); got != want {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}

	// Removing frees a slot; counts of the removed series are kept.
	st.Remove("cpu.usage")
	st.Remove("never-there")
	st.Append("load.5", at(0, 10, 0, 0), 0.7)
	if got, want := st.Names(), []string{"load.1", "load.5", "mem.used_pct"}; !slices.Equal(got, want) {
		t.Fatalf("Names() after Remove = %v, want %v", got, want)
	}
	if _, ok := st.Latest("cpu.usage"); ok {
		t.Error("removed series still answers")
	}
	names = int64(len("load.5") + len("mem.used_pct") + len("load.1"))
	want = StoreStats{Series: 3, MaxSeries: 3, DroppedNewSeries: 2, Accepted: 5, OutOfOrder: 1, NonFinite: 1,
		Bytes: 3*perSeries + names}
	if got := st.Stats(); got != want {
		t.Errorf("Stats() after Remove = %+v, want %+v", got, want)
	}

	st.Retain(func(name string) bool { return !strings.HasPrefix(name, "load.") })
	if got, want := st.Names(), []string{"mem.used_pct"}; !slices.Equal(got, want) {
		t.Fatalf("Names() after Retain = %v, want %v", got, want)
	}
	if got := st.Stats(); got.Series != 1 || got.Bytes != perSeries+int64(len("mem.used_pct")) || got.Accepted != 5 {
		t.Errorf("Stats() after Retain = %+v", got)
	}
}

func TestNewStoreBounds(t *testing.T) {
	st := NewStore(Retention{Raw: -1, Minutes: 2}, 0)
	if got := st.Retention(); got != (Retention{Minutes: 2}) {
		t.Errorf("Retention() = %+v", got)
	}
	st.Append("a", at(0, 0, 0, 0), 1)
	st.Append("b", at(0, 0, 0, 0), 1)
	if got := st.Stats(); got.MaxSeries != 1 || got.Series != 1 || got.DroppedNewSeries != 1 {
		t.Errorf("Stats() = %+v", got)
	}
}

// TestStoreConcurrent exercises the locks under -race: writers append to
// their own and shared series while readers query.
func TestStoreConcurrent(t *testing.T) {
	st := NewStore(Retention{Raw: 16, Minutes: 8, Hours: 4, Days: 2}, 64)
	var wg sync.WaitGroup
	const writers, perWriter = 4, 500
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			own := fmt.Sprintf("w%d", w)
			for i := 0; i < perWriter; i++ {
				st.Append(own, at(0, 0, 0, 0).Add(time.Duration(i)*time.Second), float64(i))
			}
		}(w)
	}
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var pts []Point
			var vals []float64
			for i := 0; i < 200; i++ {
				pts = st.Points("w0", Minute, time.Time{}, pts[:0])
				vals = st.Values("w1", Raw, 8, vals[:0])
				st.Summary("w2", Raw, time.Time{})
				st.Latest("w3")
				st.Names()
				st.Stats()
			}
		}()
	}
	wg.Wait()
	for w := 0; w < writers; w++ {
		p, ok := st.Latest(fmt.Sprintf("w%d", w))
		if !ok || p.Last != perWriter-1 {
			t.Errorf("w%d latest = %+v, %v", w, p, ok)
		}
	}
	if got := st.Stats().Accepted; got != writers*perWriter {
		t.Errorf("Accepted = %d, want %d", got, writers*perWriter)
	}
}

func TestReleaseStale(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	st := NewStore(Retention{Raw: 10}, 8)
	st.Append("old", t0, 1)
	st.Append("new", t0.Add(time.Minute), 1)
	st.Append("edge", t0.Add(30*time.Second), 1)
	if n := st.ReleaseStale(t0.Add(30 * time.Second)); n != 1 {
		t.Fatalf("released %d, want 1", n)
	}
	if got := st.Names(); !slices.Equal(got, []string{"edge", "new"}) {
		t.Errorf("names %v", got)
	}
	st2 := NewStore(Retention{Raw: 10}, 1)
	st2.Append("a", t0, 1)
	st2.Append("b", t0, 1)
	if st2.DroppedNewSeries() != 1 || st2.Stats().DroppedNewSeries != 1 {
		t.Errorf("dropped = %d", st2.DroppedNewSeries())
	}
}
