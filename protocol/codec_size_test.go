package protocol

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestNewCodecSizeReadsLinesLongerThanItsBuffer(t *testing.T) {
	long := strings.Repeat("x", 10000)
	in := "short\n" + long + "\n" + strings.Repeat("y", 20001) + "\nlast\n"
	c := NewCodecSize(&rwBuffer{r: strings.NewReader(in)}, 20000, 64)
	for _, want := range []string{"short", long, "", "last"} {
		line, err := c.ReadLine()
		if want == "" {
			var fe *FrameError
			if !errors.As(err, &fe) || fe.Size != 20001 {
				t.Fatalf("want a FrameError for 20001 bytes, got %v", err)
			}
			continue
		}
		if err != nil || string(line) != want {
			t.Fatalf("got %.20q %v, want %.20q", line, err, want)
		}
	}
}

type rwBuffer struct {
	r *strings.Reader
	w bytes.Buffer
}

func (b *rwBuffer) Read(p []byte) (int, error)  { return b.r.Read(p) }
func (b *rwBuffer) Write(p []byte) (int, error) { return b.w.Write(p) }
