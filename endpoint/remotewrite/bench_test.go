package remotewrite

import (
	"testing"

	"github.com/golang/snappy"
)

// A request of 1000 series of 4 labels and 2 samples each: roughly what
// 100 agents' posts of 10 metrics make.
func BenchmarkEncode(b *testing.B) {
	s := manySeries(1000)
	buf := Encode(nil, s)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = Encode(buf[:0], s)
	}
}

func BenchmarkAppendSnappy(b *testing.B) {
	src := Encode(nil, manySeries(1000))
	dst := AppendSnappy(nil, src)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		dst = AppendSnappy(dst[:0], src)
	}
}

// BenchmarkGolangSnappy is the reference encoder on the same input.
func BenchmarkGolangSnappy(b *testing.B) {
	src := Encode(nil, manySeries(1000))
	dst := snappy.Encode(nil, src)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		dst = snappy.Encode(dst, src)
	}
}
