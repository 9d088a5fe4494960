package record_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/record"
)

// Child processes: the test binary run again with childEnv set to a role
// (TestMain dispatches before any test runs).
const (
	childEnv = "RECORD_TEST_CHILD"
	dirEnv   = "RECORD_TEST_DIR"
)

func runChild(role string) int {
	dir := os.Getenv(dirEnv)
	switch role {
	case "writer":
		// Writes samples one second apart for ever, saying after each
		// Flush which sample is on disk, until it is killed.
		w, err := record.OpenWriter(record.Options{Dir: dir})
		if err != nil {
			fmt.Println("error", err)
			return 1
		}
		for i := 0; ; i++ {
			w.Sample(sample(float64(i)))
			if i%10 == 9 {
				if err := w.Flush(); err != nil {
					fmt.Println("error", err)
					return 1
				}
				fmt.Println("flushed", i)
			}
		}
	case "reader":
		// For each line read, reports what the recording holds now: the
		// latest moment (in steps of 10 min from t0), the number of frames,
		// and the damage found.
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			r, err := record.Open(dir)
			if err != nil {
				fmt.Println("error", err)
				continue
			}
			f, err := r.At(t0.Add(1000 * time.Hour))
			if err != nil {
				fmt.Println("error", err)
				continue
			}
			var n, prev int
			contiguous := true
			err = r.Range(t0.Add(-time.Hour), t0.Add(1000*time.Hour), func(f *record.Frame) error {
				step := int(f.Snapshot.Time.Sub(t0) / (10 * time.Minute))
				if n > 0 && step != prev+1 || len(f.Snapshot.Processes) != 3 {
					contiguous = false
				}
				prev = step
				n++
				return nil
			})
			inf, ierr := r.Info()
			if err != nil || ierr != nil {
				fmt.Println("error", err, ierr)
				continue
			}
			fmt.Println(int(f.Snapshot.Time.Sub(t0)/(10*time.Minute)), n, contiguous, inf.SkippedBlocks, inf.Segments)
		}
		return 0
	}
	return 2
}

func child(t *testing.T, role, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+role, dirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	return cmd
}

// TestKillWhileWriting: a writer killed with SIGKILL while it writes (at
// any point of a block) loses at most the block it had not flushed; the
// recording reopens for writing, the torn tail (if the kill tore one) is
// truncated, and everything flushed before the kill reads back whole.
func TestKillWhileWriting(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process")
	}
	for round := 0; round < 3; round++ {
		dir := t.TempDir()
		cmd := child(t, "writer", dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		flushed := -1
		for n := 0; n < 20+round*10 && sc.Scan(); n++ {
			f := strings.Fields(sc.Text())
			if len(f) != 2 || f[0] != "flushed" {
				t.Fatalf("child: %s", sc.Text())
			}
			flushed, _ = strconv.Atoi(f[1])
		}
		// Let the child run on a little, so the kill lands anywhere in
		// its loop (this is not a timed assertion).
		time.Sleep(time.Duration(round) * 3 * time.Millisecond)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		go io.Copy(io.Discard, out)
		_ = cmd.Wait()
		if flushed < 0 {
			t.Fatal("the child flushed nothing")
		}

		r := openReader(t, dir)
		got := frameTimes(t, r)
		if len(got) < flushed+1 || !equalInts(got, seq(0, len(got))) {
			t.Fatalf("after the kill: frames %v, want 0..%d at least, contiguous", got, flushed)
		}
		inf, err := r.Info()
		if err != nil || inf.SkippedBlocks != 0 || inf.TornTails > 1 {
			t.Fatalf("after the kill: %+v (%v)", inf, err)
		}
		// Reopen for writing: the lock went with the killed process.
		var log logBuf
		w, err := record.OpenWriter(record.Options{Dir: dir, Logger: log.logger(), NoSync: true})
		if err != nil {
			t.Fatalf("reopen after the kill: %v", err)
		}
		if inf.TornTails == 1 && !strings.Contains(log.String(), "torn tail") {
			t.Errorf("a torn tail and no warning: %s", log.String())
		}
		next := len(got) + 5
		for i := next; i < next+20; i++ {
			w.Sample(sample(float64(i)))
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		inf, _ = r.Info()
		if inf.TornTails != 0 || inf.SkippedBlocks != 0 {
			t.Errorf("after reopening: %+v", inf)
		}
		if all := frameTimes(t, r); !equalInts(all, append(got, seq(next, next+20)...)) {
			t.Errorf("after reopening: frames %v", all)
		}
		t.Logf("round %d: killed after flushing sample %d; %d frames survived; torn tails %d", round, flushed, len(got), inf.TornTails)
	}
}

// TestReaderInAnotherProcess: another process reads the recording while
// this one writes it, through segment rotations and retention removing
// old segments under it: it sees every flushed moment, whole, and never
// an error.
func TestReaderInAnotherProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process")
	}
	dir := t.TempDir()
	// Samples every 10 min: a new segment each hour, retention after 3 h.
	w := openWriter(t, record.Options{Dir: dir, MaxAge: 3 * time.Hour})
	defer w.Close()
	cmd := child(t, "reader", dir)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer in.Close()
	sc := bufio.NewScanner(out)
	step := 0
	for round := 0; round < 8; round++ {
		for i := 0; i < 5; i++ {
			s := sample(0)
			s.Time = t0.Add(time.Duration(step) * 10 * time.Minute)
			w.Sample(s)
			step++
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		flushed := step - 1
		// One more in the open block, not flushed: the reader may or may
		// not see it, and must not choke on it.
		s := sample(0)
		s.Time = t0.Add(time.Duration(step) * 10 * time.Minute)
		w.Sample(s)
		step++
		fmt.Fprintln(in, flushed)
		if !sc.Scan() {
			t.Fatal("the reader died")
		}
		var latest, n, skipped, segs int
		var contiguous bool
		if _, err := fmt.Sscan(sc.Text(), &latest, &n, &contiguous, &skipped, &segs); err != nil {
			t.Fatalf("reader: %s", sc.Text())
		}
		if latest < flushed || !contiguous || skipped != 0 {
			t.Fatalf("round %d: the reader saw latest %d (flushed %d), %d frames, contiguous %v, skipped %d", round, latest, flushed, n, contiguous, skipped)
		}
		t.Logf("round %d: flushed %d, reader saw up to %d, %d frames in %d segments", round, flushed, latest, n, segs)
	}
	if st := w.Stats(); st.Removed == 0 {
		t.Errorf("retention removed nothing: %+v", st)
	}
}
