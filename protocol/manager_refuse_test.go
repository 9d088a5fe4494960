package protocol_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virgo-top/virgo-top/protocol"
)

// readDeadLetters decodes the dead letter file in dir.
func readDeadLetters(t *testing.T, dir string) []protocol.DeadLetter {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, protocol.DeadLetterFile))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []protocol.DeadLetter
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		var d protocol.DeadLetter
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatalf("dead letter line %q: %v", sc.Text(), err)
		}
		out = append(out, d)
	}
	return out
}

// fileSpool returns a spool on a FileStore in dir, closed at the end.
func fileSpool(t *testing.T, dir string, opts protocol.SpoolOptions) *protocol.Spool {
	t.Helper()
	fs, err := protocol.OpenFileStore(filepath.Join(dir, "spool.jsonl"), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	opts.Store = fs
	s, err := protocol.NewSpool(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := fs.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// TestManagerRefusedEntryDoesNotBlock: an endpoint refuses one post every
// time, with a 400 or with a code that drops the connection. The posts
// behind it are delivered, in order per check; the refused one is tried
// MaxAttempts times and lands in spool.dead with its refusals.
func TestManagerRefusedEntryDoesNotBlock(t *testing.T) {
	for _, code := range []int{400, 500, 401} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			poison := postKey{"chA", 3}
			ep := startRefuseEndpoint(t, func(p protocol.MetricsPost, n int) *protocol.Error {
				if (postKey{p.CheckID, p.Timestamp}) == poison {
					return &protocol.Error{Code: code, Message: "Validation failed", Type: "badRequest"}
				}
				return nil
			})
			dir := t.TempDir()
			spool := fileSpool(t, dir, protocol.SpoolOptions{})
			for ts := int64(1); ts <= 10; ts++ {
				for _, check := range []string{"chA", "chB"} {
					if err := spool.Push(post(check, ts)); err != nil {
						t.Fatal(err)
					}
				}
			}
			m, err := protocol.NewManager(ep.options(t), spool)
			if err != nil {
				t.Fatal(err)
			}
			runManager(t, m)
			eventually(t, "spool drained", func() bool { return m.Status().Spool.Depth == 0 })

			got := ep.Delivered()
			if len(got) != 19 {
				t.Errorf("%d posts delivered, want 19: %v", len(got), got)
			}
			for _, k := range got {
				if k == poison {
					t.Errorf("the refused post was delivered")
				}
			}
			checkOrder(t, got, nil)
			if n := ep.Received(poison); n != protocol.DefaultSpoolMaxAttempts {
				t.Errorf("refused post received %d times, want %d", n, protocol.DefaultSpoolMaxAttempts)
			}
			st := m.Status().Spool
			if st.Sent != 19 || st.Rejected != protocol.DefaultSpoolMaxAttempts || st.Dead != 1 || st.Retrying != 0 || st.Dropped != 0 {
				t.Errorf("spool stats %+v", st)
			}
			var dead []protocol.DeadLetter
			eventually(t, "the dead letter on disk", func() bool {
				dead = readDeadLetters(t, dir)
				return len(dead) > 0
			})
			if len(dead) != 1 {
				t.Fatalf("%d dead letters, want 1", len(dead))
			}
			d := dead[0]
			if d.CheckID != "chA" || d.Timestamp != 3 || !strings.Contains(d.Reason, "refused 5 times") || len(d.Refusals) != 5 || d.Seq == 0 {
				t.Errorf("dead letter %+v", d)
			}
			for _, r := range d.Refusals {
				if r.Code != code || r.Type != "badRequest" || r.Error != "Validation failed" || r.Endpoint != ep.Addr() || r.Time.IsZero() {
					t.Errorf("refusal %+v", r)
				}
			}
			var p protocol.MetricsPost
			if err := json.Unmarshal(d.Post, &p); err != nil || p.CheckID != "chA" || p.Timestamp != 3 || d.PostBytes != len(d.Post) {
				t.Errorf("dead letter post %s (%d bytes): %v", d.Post, d.PostBytes, err)
			}
			if code != 400 && ep.Hellos() < protocol.DefaultSpoolMaxAttempts {
				t.Errorf("%d handshakes: a fatal code must drop the connection", ep.Hellos())
			}
		})
	}
}

// TestManagerRetriesUnavailable: "unavailable" (the endpoint's storage is
// down) is not held against the post: it is sent again after a backoff and
// keeps its place, whatever the code.
func TestManagerRetriesUnavailable(t *testing.T) {
	for _, code := range []int{400, 503} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			const refusals = 7 // more than MaxAttempts: none of them counts
			ep := startRefuseEndpoint(t, func(p protocol.MetricsPost, n int) *protocol.Error {
				if p.Timestamp == 2 && n <= refusals {
					return &protocol.Error{Code: code, Message: "storage is down", Type: protocol.ErrorTypeUnavailable}
				}
				return nil
			})
			spool := fileSpool(t, t.TempDir(), protocol.SpoolOptions{})
			for ts := int64(1); ts <= 5; ts++ {
				if err := spool.Push(post("chA", ts)); err != nil {
					t.Fatal(err)
				}
			}
			m, err := protocol.NewManager(ep.options(t), spool)
			if err != nil {
				t.Fatal(err)
			}
			runManager(t, m)
			eventually(t, "spool drained", func() bool { return m.Status().Spool.Depth == 0 })
			want := []postKey{{"chA", 1}, {"chA", 2}, {"chA", 3}, {"chA", 4}, {"chA", 5}}
			if got := ep.Delivered(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("delivered %v, want %v", got, want)
			}
			st := m.Status()
			if sp := st.Spool; sp.Sent != 5 || sp.Rejected != 0 || sp.Dead != 0 {
				t.Errorf("spool stats %+v", sp)
			}
			if n := st.Endpoints[0].Unavailable; n != refusals {
				t.Errorf("%d unavailable replies counted, want %d", n, refusals)
			}
		})
	}
}

// TestManagerBuriesOversizedEntry: a spooled post whose request is over the
// line limit (spooled under a larger limit) is never sent: it goes to the
// dead letter and the posts behind it are delivered.
func TestManagerBuriesOversizedEntry(t *testing.T) {
	ep := startRefuseEndpoint(t, func(protocol.MetricsPost, int) *protocol.Error { return nil })
	ep.SetMaxLine(4096)
	dir := t.TempDir()
	spool := fileSpool(t, dir, protocol.SpoolOptions{}) // the default 1 MiB line limit
	big := post("chA", 2)
	big.Status = strings.Repeat("x", 6000)
	for _, p := range []protocol.MetricsPost{post("chA", 1), big, post("chA", 3)} {
		if err := spool.Push(p); err != nil {
			t.Fatal(err)
		}
	}
	o := ep.options(t)
	o.MaxLineSize = 4096
	m, err := protocol.NewManager(o, spool)
	if err != nil {
		t.Fatal(err)
	}
	runManager(t, m)
	eventually(t, "spool drained", func() bool { return m.Status().Spool.Depth == 0 })
	if got := ep.Delivered(); fmt.Sprint(got) != fmt.Sprint([]postKey{{"chA", 1}, {"chA", 3}}) {
		t.Errorf("delivered %v", got)
	}
	if n := ep.Received(postKey{"chA", 2}); n != 0 {
		t.Errorf("the oversized post was sent %d times", n)
	}
	if st := m.Status().Spool; st.Dead != 1 || st.Rejected != 1 || st.Sent != 2 {
		t.Errorf("spool stats %+v", st)
	}
	var dead []protocol.DeadLetter
	eventually(t, "the dead letter on disk", func() bool {
		dead = readDeadLetters(t, dir)
		return len(dead) > 0
	})
	if len(dead) != 1 || dead[0].Timestamp != 2 || !strings.Contains(dead[0].Reason, "over the 4096 byte line limit") {
		t.Errorf("dead letters %+v", dead)
	}
}
