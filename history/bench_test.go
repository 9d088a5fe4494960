package history

import (
	"strconv"
	"testing"
	"time"
)

// fullSeries returns a default-retention series whose every ring has
// wrapped, and the time of its newest sample.
func fullSeries() (*Series, time.Time) {
	s := NewSeries(DefaultRetention())
	t := at(-400, 0, 0, 0)
	for i := 0; i < 400*24; i++ { // wraps days and hours
		s.Append(t, float64(i%100))
		t = t.Add(time.Hour)
	}
	for i := 0; i < 1500; i++ { // wraps minutes
		s.Append(t, float64(i%100))
		t = t.Add(time.Minute)
	}
	for i := 0; i < 700; i++ { // wraps raw
		s.Append(t, float64(i%100))
		t = t.Add(time.Second)
	}
	return s, t
}

func BenchmarkSeriesAppend(b *testing.B) {
	s, t := fullSeries()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t = t.Add(time.Second)
		s.Append(t, float64(i&1023))
	}
}

func BenchmarkStoreAppend(b *testing.B) {
	const n = 64
	st := NewStore(DefaultRetention(), n)
	names := make([]string, n)
	t := at(0, 0, 0, 0)
	for i := range names {
		names[i] = "disk.sd" + strconv.Itoa(i) + ".read_bps"
		st.Append(names[i], t, 0)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%n == 0 {
			t = t.Add(time.Second)
		}
		st.Append(names[i%n], t, float64(i&1023))
	}
}

func BenchmarkPoints(b *testing.B) {
	s, t := fullSeries()
	since := t.Add(-time.Hour)
	dst := make([]Point, 0, 128)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dst = s.Points(Minute, since, dst[:0])
	}
	if len(dst) != 60 {
		b.Fatalf("got %d points", len(dst))
	}
}

func BenchmarkValues(b *testing.B) {
	s, _ := fullSeries()
	dst := make([]float64, 0, 600)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dst = s.Values(Raw, 600, dst[:0])
	}
	if len(dst) != 600 {
		b.Fatalf("got %d values", len(dst))
	}
}

func BenchmarkStoreValues(b *testing.B) {
	st := NewStore(DefaultRetention(), 4)
	t := at(0, 0, 0, 0)
	for i := 0; i < 700; i++ {
		st.Append("cpu.usage", t.Add(time.Duration(i)*time.Second), float64(i))
	}
	dst := make([]float64, 0, 600)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dst = st.Values("cpu.usage", Raw, 120, dst[:0])
	}
}

func BenchmarkSummary(b *testing.B) {
	s, t := fullSeries()
	since := t.Add(-30 * time.Second)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := s.Summary(Raw, since); !ok {
			b.Fatal("empty window")
		}
	}
}

// BenchmarkNewSeries is a new, empty series: its rings grow as data
// arrives, so it costs little until it holds data.
func BenchmarkNewSeries(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		seriesSink = NewSeries(DefaultRetention())
	}
}

var seriesSink *Series

// BenchmarkFillSeries is a default series from new to full (600 raw
// samples, 1440 minutes, 720 hours, 366 days, by one sample a day for 1440
// days): B/op is its final size plus the slices it outgrew; compare
// series-bytes, DefaultRetention().SeriesBytes().
func BenchmarkFillSeries(b *testing.B) {
	b.ReportAllocs()
	b.ReportMetric(float64(DefaultRetention().SeriesBytes()), "series-bytes")
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < b.N; i++ {
		s := NewSeries(DefaultRetention())
		for d := 0; d < 1440; d++ {
			s.Append(start.Add(time.Duration(d)*24*time.Hour), float64(d))
		}
	}
}
