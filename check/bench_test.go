package check

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func BenchmarkParsePluginOutput(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("status ok all good\nstate available\n")
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&sb, "metric dim%d.m%d double %d.5 ms\n", i%5, i, i)
	}
	in := []byte(sb.String())
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePluginOutput(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRunOnceSnapshotChecks(b *testing.B) {
	env := &fakeEnv{snap: testSnapshot()}
	opts := SchedulerOptions{Clock: fixedClock{t0}}
	defs := []Def{
		{ID: "c", Type: TypeCPU, Period: 30 * time.Second},
		{ID: "m", Type: TypeMemory, Period: 30 * time.Second},
		{ID: "f", Type: TypeFilesystem, Period: 30 * time.Second, Details: map[string]any{"target": "/"}},
		{ID: "n", Type: TypeNetwork, Period: 30 * time.Second, Details: map[string]any{"target": "eth0"}},
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range defs {
			if r := RunOnce(ctx, env, d, opts); !r.Available {
				b.Fatal(r.Status)
			}
		}
	}
}
