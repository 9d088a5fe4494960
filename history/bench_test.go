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

// BenchmarkNewSeries shows the memory one default series allocates (B/op);
// compare with DefaultRetention().SeriesBytes() and the package doc.
func BenchmarkNewSeries(b *testing.B) {
	b.ReportAllocs()
	b.ReportMetric(float64(DefaultRetention().SeriesBytes()), "series-bytes")
	for i := 0; i < b.N; i++ {
		_ = NewSeries(DefaultRetention())
	}
}
