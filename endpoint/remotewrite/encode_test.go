package remotewrite

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/prompb"
)

// want is what a correct encoder's output decodes to: labels sorted by
// name, empty values dropped.
func want(series []Series) *prompb.WriteRequest {
	w := &prompb.WriteRequest{}
	for _, s := range series {
		var ts prompb.TimeSeries
		for _, l := range s.Labels {
			if l.Value != "" {
				ts.Labels = append(ts.Labels, prompb.Label{Name: l.Name, Value: l.Value})
			}
		}
		sort.SliceStable(ts.Labels, func(i, j int) bool { return ts.Labels[i].Name < ts.Labels[j].Name })
		for _, x := range s.Samples {
			ts.Samples = append(ts.Samples, prompb.Sample{Value: x.Value, Timestamp: x.TimestampMs})
		}
		w.Timeseries = append(w.Timeseries, ts)
	}
	return w
}

// decode reads Encode's output with the real prompb (gogo/protobuf) code.
func decode(t testing.TB, b []byte) *prompb.WriteRequest {
	t.Helper()
	var w prompb.WriteRequest
	if err := w.Unmarshal(b); err != nil {
		t.Fatalf("prompb cannot decode %x: %v", b, err)
	}
	return &w
}

// sameRequest compares two requests, values bit for bit (NaNs included).
func sameRequest(a, b *prompb.WriteRequest) string {
	if len(a.Timeseries) != len(b.Timeseries) {
		return fmt.Sprintf("%d series, want %d", len(a.Timeseries), len(b.Timeseries))
	}
	for i := range a.Timeseries {
		x, y := a.Timeseries[i], b.Timeseries[i]
		if len(x.Labels) != len(y.Labels) || (len(x.Labels) > 0 && !reflect.DeepEqual(x.Labels, y.Labels)) {
			return fmt.Sprintf("series %d labels %v, want %v", i, x.Labels, y.Labels)
		}
		if len(x.Samples) != len(y.Samples) {
			return fmt.Sprintf("series %d has %d samples, want %d", i, len(x.Samples), len(y.Samples))
		}
		for j := range x.Samples {
			p, q := x.Samples[j], y.Samples[j]
			if math.Float64bits(p.Value) != math.Float64bits(q.Value) || p.Timestamp != q.Timestamp {
				return fmt.Sprintf("series %d sample %d = %v@%d, want %v@%d", i, j, p.Value, p.Timestamp, q.Value, q.Timestamp)
			}
		}
		if len(x.Exemplars)+len(x.Histograms) != 0 {
			return fmt.Sprintf("series %d has exemplars or histograms", i)
		}
	}
	return ""
}

func reverseLabels(n int) []Label {
	ls := make([]Label, n)
	for i := range ls {
		ls[i] = Label{fmt.Sprintf("l%02d", n-i), fmt.Sprint(i)}
	}
	return ls
}

func manySeries(n int) []Series {
	out := make([]Series, n)
	for i := range out {
		out[i] = Series{
			Labels: []Label{
				{"metric", fmt.Sprintf("m%d", i%7)},
				{"agent_id", fmt.Sprintf("agent-%04d", i)},
				{"__name__", "virgo_check_metric_seconds"},
				{"check_id", "chXXXX"},
			},
			Samples: []Sample{{float64(i) / 3, 1700000000000 + int64(i)}, {float64(i), 1700000001000 + int64(i)}},
		}
	}
	return out
}

var encodeCases = []struct {
	name   string
	series []Series
}{
	{"none", nil},
	{"one", []Series{{Labels: []Label{{"__name__", "up"}, {"job", "x"}}, Samples: []Sample{{1, 1700000000000}}}}},
	{"unsorted labels", []Series{{Labels: []Label{{"z", "1"}, {"a", "2"}, {"__name__", "m"}, {"B", "3"}}, Samples: []Sample{{2, 5}}}}},
	{"NaN", []Series{{Labels: []Label{{"__name__", "n"}}, Samples: []Sample{{math.NaN(), 1}}}}},
	{"stale marker", []Series{{Labels: []Label{{"__name__", "s"}}, Samples: []Sample{{math.Float64frombits(value.StaleNaN), 1700000000000}}}}},
	{"infinities", []Series{{Labels: []Label{{"__name__", "i"}}, Samples: []Sample{{math.Inf(1), 1}, {math.Inf(-1), 2}}}}},
	{"zero value and time", []Series{{Labels: []Label{{"__name__", "z"}}, Samples: []Sample{{0, 0}}}}},
	{"negative zero", []Series{{Labels: []Label{{"__name__", "z"}}, Samples: []Sample{{math.Copysign(0, -1), 3}}}}},
	{"negative timestamp", []Series{{Labels: []Label{{"__name__", "old"}}, Samples: []Sample{{-1.5, -1}, {math.MaxFloat64, math.MinInt64}, {math.SmallestNonzeroFloat64, math.MaxInt64}}}}},
	{"no labels, no samples", []Series{{}}},
	{"empty label value dropped", []Series{{Labels: []Label{{"__name__", "e"}, {"empty", ""}, {"", "nameless"}}, Samples: []Sample{{1, 1}}}}},
	{"unicode", []Series{{Labels: []Label{{"__name__", "u"}, {"host", "héllo-wörld-日本"}, {"emoji", "🚀\x00\xff"}}, Samples: []Sample{{1, 1}}}}},
	{"long value", []Series{{Labels: []Label{{"__name__", "l"}, {"v", strings.Repeat("x", 300)}}, Samples: []Sample{{1, 1}}}}},
	{"duplicate names keep order", []Series{{Labels: []Label{{"b", "2"}, {"a", "1"}, {"b", "1"}}, Samples: []Sample{{1, 1}}}}},
	{"many series", manySeries(5000)},
	{"30 labels in reverse", []Series{{Labels: reverseLabels(30), Samples: []Sample{{1, 1}}}}},
}

func TestEncodeDecodesWithPrompb(t *testing.T) {
	for _, tt := range encodeCases {
		t.Run(tt.name, func(t *testing.T) {
			in := cloneSeries(tt.series)
			b := Encode(nil, tt.series)
			if msg := sameRequest(decode(t, b), want(tt.series)); msg != "" {
				t.Fatal(msg)
			}
			if msg := sameRequest(want(in), want(tt.series)); msg != "" || !sameLabelOrder(in, tt.series) {
				t.Error("Encode changed its input")
			}
			// Byte for byte what prompb's own Marshal writes, but for -0,
			// whose sign prompb drops.
			if tt.name != "negative zero" {
				ref, err := want(tt.series).Marshal()
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(b, ref) {
					t.Errorf("Encode = %x\nprompb Marshal = %x", b, ref)
				}
			}
			// Encode appends.
			pre := []byte("prefix")
			if got := Encode(pre, tt.series); !bytes.Equal(got[:len(pre)], pre) || !bytes.Equal(got[len(pre):], b) {
				t.Error("Encode does not append to dst")
			}
		})
	}
}

func sameLabelOrder(a, b []Series) bool {
	for i := range a {
		if !reflect.DeepEqual(a[i].Labels, b[i].Labels) {
			return false
		}
	}
	return true
}

func cloneSeries(s []Series) []Series {
	out := make([]Series, len(s))
	for i := range s {
		out[i] = Series{Labels: append([]Label(nil), s[i].Labels...), Samples: append([]Sample(nil), s[i].Samples...)}
	}
	return out
}

func TestSnappyDecodesWithGolangSnappy(t *testing.T) {
	rnd := func(n int, seed uint64) []byte {
		b := make([]byte, n)
		x := seed
		for i := range b {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			b[i] = byte(x)
		}
		return b
	}
	proto := Encode(nil, manySeries(3000))
	tests := []struct {
		name    string
		src     []byte
		maxSize int // the compressed size must not exceed this (0: no check)
	}{
		{"empty", nil, 1},
		{"one byte", []byte{7}, 3},
		{"16 bytes", []byte("abcdefghijklmnop"), 0},
		{"17 zeros", make([]byte, 17), 0},
		{"zeros 1 MiB", make([]byte, 1<<20), 1 << 20 / 20},
		{"block edge", bytes.Repeat([]byte("0123456789"), maxBlock/10+1)[:maxBlock], 0},
		{"block edge+1", bytes.Repeat([]byte("0123456789"), maxBlock/10+1)[:maxBlock+1], 0},
		{"text", []byte(strings.Repeat("the quick brown fox jumps over the lazy dog. ", 1000)), 45000 / 10},
		{"random", rnd(200000, 1), 200000 + 200000/32},
		{"random 70", rnd(70, 2), 0},
		{"long literal 100000", append(rnd(100000, 3), make([]byte, 100)...), 0},
		{"remote write request", proto, len(proto) / 3},
		{"short repeats", bytes.Repeat([]byte("ab"), 5000), 0},
		{"offsets over 2048", append(append(rnd(3000, 4), rnd(3000, 4)[:100]...), rnd(10, 5)...), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := AppendSnappy(nil, tt.src)
			got, err := snappy.Decode(nil, c)
			if err != nil {
				t.Fatalf("golang/snappy cannot decode: %v", err)
			}
			if !bytes.Equal(got, tt.src) {
				t.Fatalf("round trip differs: %d bytes back, %d in", len(got), len(tt.src))
			}
			if tt.maxSize > 0 && len(c) > tt.maxSize {
				t.Errorf("compressed %d bytes to %d, want at most %d", len(tt.src), len(c), tt.maxSize)
			}
			if n, err := snappy.DecodedLen(c); err != nil || n != len(tt.src) {
				t.Errorf("DecodedLen = %d, %v", n, err)
			}
			pre := []byte("x")
			if c2 := AppendSnappy(pre, tt.src); !bytes.Equal(c2[1:], c) || c2[0] != 'x' {
				t.Error("AppendSnappy does not append to dst")
			}
		})
	}
}

// TestSnappyCompressesLikeGolangSnappy: the encoder finds matches (it is
// not literals only) about as well as the reference one.
func TestSnappyCompressesLikeGolangSnappy(t *testing.T) {
	proto := Encode(nil, manySeries(3000))
	ours, ref := len(AppendSnappy(nil, proto)), len(snappy.Encode(nil, proto))
	t.Logf("remote write request %d bytes: ours %d, golang/snappy %d", len(proto), ours, ref)
	if ours > ref+ref/10 {
		t.Errorf("ours %d bytes, golang/snappy %d: more than 10%% bigger", ours, ref)
	}
}

func TestAppendLiteralAndCopyEncodings(t *testing.T) {
	// Literal lengths around each size boundary, and copies of each
	// kind, decoded by golang/snappy from a hand-built block.
	for _, n := range []int{1, 59, 60, 61, 256, 257, 65536} {
		lit := bytes.Repeat([]byte{'q'}, n)
		blk := appendLiteral(appendUvarint(nil, n), lit)
		got, err := snappy.Decode(nil, blk)
		if err != nil || !bytes.Equal(got, lit) {
			t.Errorf("literal of %d: %v", n, err)
		}
	}
	src := []byte(strings.Repeat("abcdefgh", 400))
	for _, c := range []struct{ offset, length int }{{8, 4}, {8, 11}, {8, 12}, {2048, 4}, {16, 64}, {16, 65}, {16, 67}, {16, 68}, {8, 1000}} {
		if c.offset > len(src) {
			continue
		}
		blk := appendUvarint(nil, c.offset+c.length)
		blk = appendLiteral(blk, src[:c.offset])
		blk = appendCopy(blk, c.offset, c.length)
		got, err := snappy.Decode(nil, blk)
		wantB := make([]byte, c.offset+c.length)
		copy(wantB, src[:c.offset])
		for i := c.offset; i < len(wantB); i++ {
			wantB[i] = wantB[i-c.offset]
		}
		if err != nil || !bytes.Equal(got, wantB) {
			t.Errorf("copy offset %d length %d: %v", c.offset, c.length, err)
		}
	}
}

func appendUvarint(b []byte, n int) []byte {
	for n >= 0x80 {
		b = append(b, byte(n)|0x80)
		n >>= 7
	}
	return append(b, byte(n))
}

func FuzzSnappyRoundTrip(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("a"))
	f.Add(bytes.Repeat([]byte("abcd"), 100))
	f.Add(make([]byte, 70000))
	f.Add(Encode(nil, manySeries(50)))
	f.Fuzz(func(t *testing.T, src []byte) {
		got, err := snappy.Decode(nil, AppendSnappy(nil, src))
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if !bytes.Equal(got, src) {
			t.Fatalf("round trip differs")
		}
	})
}

// FuzzEncode builds series from arbitrary bytes, and checks that the
// request goes through snappy and prompb back to the same series.
func FuzzEncode(f *testing.F) {
	f.Add([]byte("__name__\x00up\x00job\x00x"), 1.5, int64(1700000000000), uint8(2))
	f.Add([]byte("\x00\x00\xff\x00"), math.NaN(), int64(-1), uint8(0))
	f.Add([]byte("z\x00\x00a\x00b\x00a\x00c"), math.Inf(-1), int64(math.MaxInt64), uint8(5))
	f.Fuzz(func(t *testing.T, raw []byte, v float64, ts int64, n uint8) {
		parts := strings.Split(string(raw), "\x00")
		var ls []Label
		for i := 0; i+1 < len(parts); i += 2 {
			ls = append(ls, Label{parts[i], parts[i+1]})
		}
		var series []Series
		for i := 0; i < int(n%8); i++ {
			s := Series{Labels: ls}
			for j := 0; j <= i; j++ {
				s.Samples = append(s.Samples, Sample{v * float64(j), ts - int64(j)})
			}
			series = append(series, s)
		}
		b, err := snappy.Decode(nil, AppendSnappy(nil, Encode(nil, series)))
		if err != nil {
			t.Fatal(err)
		}
		if msg := sameRequest(decode(t, b), want(series)); msg != "" {
			t.Fatal(msg)
		}
	})
}
