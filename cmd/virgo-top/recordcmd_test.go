package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/record"
)

// TestUnknownFlagOneLine: an unknown flag (or a bad value) prints one line
// on standard error, nothing on standard output, and exits 2, for every
// command; newFlagSet used to print the whole usage to standard output on
// every parse error too.
func TestUnknownFlagOneLine(t *testing.T) {
	for _, args := range [][]string{
		{"--bogus"}, {"snapshot", "--bogus"}, {"check", "agent.cpu", "--bogus"}, {"alarm", "test", "--bogus"},
		{"config", "check", "--bogus"}, {"version", "--bogus"}, {"fixture-server", "--bogus"},
		{"dump", "--bogus"}, {"dump", "--what"}, {"record", "info", "--bogus"}, {"record", "info", "--json=maybe"},
	} {
		code, out, errOut := runCLI(t, args...)
		if code != 2 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "virgo-top: ") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2, nothing, one line", args, code, out, errOut)
		}
	}
}

// TestRecordingCommandsHelp: --help of dump, record and record info
// prints the usage once on stdout and exits 0, before looking for a
// recording.
func TestRecordingCommandsHelp(t *testing.T) {
	for _, args := range [][]string{
		{"dump", "--help"}, {"dump", "-h"}, {"dump", "--record", "/nonexistent", "--help"},
		{"record", "--help"}, {"record", "info", "--help"}, {"record", "info", "-h"},
	} {
		code, out, errOut := runCLI(t, args...)
		if code != 0 || strings.Count(out, "Usage: virgo-top") != 1 || errOut != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	for _, args := range [][]string{{"record"}, {"record", "play"}, {"record", "--json"}} {
		code, out, errOut := runCLI(t, args...)
		if code != 2 || out != "" || !strings.HasPrefix(errOut, "virgo-top: record: ") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

// TestRecordInfo: the span, size, samples and the counts of process
// tables, check results, alarm transitions and link events, as text and
// as JSON, against what the recording holds.
func TestRecordInfo(t *testing.T) {
	dir := synthRecording(t, 20*time.Minute, 50)
	first, last := recordingSpan(t, dir)
	want := countRecording(t, dir, first, last)
	var size int64
	segs, _ := filepath.Glob(filepath.Join(dir, "*.vtr"))
	for _, s := range segs {
		fi, _ := os.Stat(s)
		size += fi.Size()
	}

	code, out, errOut := runCLI(t, "record", "info", "--record", dir, "--json")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got recordInfo
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if !got.From.Equal(first) || !got.To.Equal(last) || got.DurationS != last.Sub(first).Seconds() ||
		got.Samples != int64(len(want.times)) || got.Bytes != size || got.Segments != len(segs) ||
		got.ProcessTables != int64(want.tables) || got.CheckResults != int64(want.checks) ||
		got.CgroupTables != int64(want.cgTables) || got.PressureSamples != int64(want.pressure) ||
		got.AlarmTransitions != int64(want.alarms) || got.LinkEvents != int64(want.link) ||
		got.Damaged || got.SkippedBlocks+got.TornTails+got.BadSegments != 0 || got.Version != record.Version ||
		got.BytesPerSample != float64(size)/float64(got.Samples) {
		t.Errorf("record info --json: %+v\nwant span %s to %s, %d samples, %d bytes in %d segments, %d tables, %d checks, %d transitions, %d link events",
			got, first, last, len(want.times), size, len(segs), want.tables, want.checks, want.alarms, want.link)
	}
	if want.tables < 200 || want.alarms == 0 || want.link == 0 || want.cgTables < 200 || want.pressure != len(want.times) {
		t.Errorf("synthetic recording too thin: %+v", want)
	}

	code, out, errOut = runCLI(t, "record", "info", "--record", dir)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, line := range []string{
		"recording          " + dir,
		"span               " + first.Format(time.RFC3339) + " to " + last.Format(time.RFC3339) + " (" + last.Sub(first).String() + ")",
		fmt.Sprintf("samples            %d (%.0f bytes per sample)", got.Samples, got.BytesPerSample),
		fmt.Sprintf("process tables     %d", want.tables),
		fmt.Sprintf("cgroup tables      %d", want.cgTables),
		fmt.Sprintf("samples with PSI   %d", want.pressure),
		fmt.Sprintf("check results      %d", want.checks),
		fmt.Sprintf("alarm transitions  %d", want.alarms),
		fmt.Sprintf("link events        %d", want.link),
		fmt.Sprintf("(%d bytes) in %d segments", size, len(segs)),
		"damage             none",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("no %q in\n%s", line, out)
		}
	}
}

// segmentFiles lists a recording's segments, oldest first.
func segmentFiles(t *testing.T, dir string) []string {
	t.Helper()
	segs, err := filepath.Glob(filepath.Join(dir, "*.vtr"))
	if err != nil || len(segs) == 0 {
		t.Fatalf("segments of %s: %v %v", dir, segs, err)
	}
	return segs
}

// blockOffsets are the offsets of the block headers in a segment.
func blockOffsets(t *testing.T, path string) []int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var offs []int
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte("VTB\xb1"))
		if j < 0 {
			return offs
		}
		offs = append(offs, i+j)
		i += j + 4
	}
}

// TestRecordingDamage: record info reports skipped blocks (exit 1, the
// report printed all the same) and torn tails (exit 0); dump reads past
// both.
func TestRecordingDamage(t *testing.T) {
	tests := []struct {
		name     string
		damage   func(t *testing.T, dir string)
		code     int
		line     string // in the report's damage line
		errLine  string // on stderr
		dumpRows int    // at least
	}{
		{name: "a corrupted block in the middle", damage: func(t *testing.T, dir string) {
			seg := segmentFiles(t, dir)[0]
			offs := blockOffsets(t, seg)
			f, err := os.OpenFile(seg, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteAt([]byte{0xde, 0xad, 0xbe, 0xef}, int64(offs[len(offs)/2]+60)); err != nil {
				t.Fatal(err)
			}
		}, code: 1, line: "1 block skipped", errLine: "virgo-top: record info: " + "%s is damaged: 1 block skipped", dumpRows: 150},
		{name: "a torn tail", damage: func(t *testing.T, dir string) {
			segs := segmentFiles(t, dir)
			seg := segs[len(segs)-1]
			fi, _ := os.Stat(seg)
			if err := os.Truncate(seg, fi.Size()-7); err != nil {
				t.Fatal(err)
			}
		}, code: 0, line: "1 torn tail", dumpRows: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := synthRecording(t, 20*time.Minute, 50)
			tt.damage(t, dir)
			code, out, errOut := runCLI(t, "record", "info", "--record", dir)
			if code != tt.code || !strings.Contains(out, "damage") || !strings.Contains(out, tt.line) {
				t.Errorf("exit %d, want %d; report:\n%s", code, tt.code, out)
			}
			if tt.errLine != "" {
				want := fmt.Sprintf(tt.errLine, dir)
				if !strings.HasPrefix(errOut, want) || strings.Count(errOut, "\n") != 1 {
					t.Errorf("stderr %q, want one line starting %q", errOut, want)
				}
			} else if errOut != "" {
				t.Errorf("stderr %q", errOut)
			}
			code, out, errOut = runCLI(t, "dump", "--record", dir, "--format", "csv")
			if rows := strings.Count(out, "\n") - 1; code != 0 || rows < tt.dumpRows {
				t.Errorf("dump: exit %d, %d rows: %s", code, rows, errOut)
			}
		})
	}
}

// TestRecordingErrors: what dump and record info say, in one line, about
// a recording they cannot read, and their exit codes.
func TestRecordingErrors(t *testing.T) {
	good := synthRecording(t, 2*time.Minute, 50)

	newer := synthRecording(t, time.Minute, 50)
	for _, seg := range segmentFiles(t, newer) {
		f, err := os.OpenFile(seg, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteAt([]byte{byte(record.Version + 1), 0}, 8) // the format version, after the magic
		f.Close()
	}

	empty := synthRecording(t, time.Minute, 50) // segments without a block
	for _, seg := range segmentFiles(t, empty) {
		if offs := blockOffsets(t, seg); len(offs) > 0 {
			os.Truncate(seg, int64(offs[0]))
		}
	}

	junk := t.TempDir()
	os.WriteFile(filepath.Join(junk, "20260101T000000.000000000Z.vtr"), []byte("not a recording\n"), 0o640)
	notRec := t.TempDir()
	os.WriteFile(filepath.Join(notRec, "notes.txt"), []byte("hello\n"), 0o640)

	tests := []struct {
		name string
		args []string
		code int
		line string // stderr, after "virgo-top: CMD: "
	}{
		{"newer version", []string{"--record", newer}, 1, fmt.Sprintf("is format version %d, this virgo-top reads versions up to %d: read it with a newer virgo-top",
			record.Version+1, record.Version)},
		{"newer version, one segment", []string{"--record", segmentFiles(t, newer)[0]}, 1, fmt.Sprintf("is format version %d", record.Version+1)},
		{"not a recording", []string{"--record", notRec}, 1, notRec + " is not a recording (no readable segment *.vtr in it)"},
		{"a segment of junk", []string{"--record", junk}, 1, junk + " is not a recording"},
		{"missing", []string{"--record", filepath.Join(notRec, "nope")}, 1, "no recording at " + filepath.Join(notRec, "nope") + ": no such file or directory"},
		{"no sample yet", []string{"--record", empty}, 1, "holds no sample yet"},
		{"state dir without a recording", []string{"--state-dir", notRec}, 1, "no recording at " + filepath.Join(notRec, "record")},
		{"record and state-dir", []string{"--record", good, "--state-dir", notRec}, 2, "give --record or --state-dir, not both"},
		{"config that does not parse", []string{"--config", filepath.Join(junk, "20260101T000000.000000000Z.vtr")}, 2, "20260101T000000.000000000Z.vtr:1: "},
		{"config missing", []string{"--config", filepath.Join(notRec, "nope.cfg")}, 2, "open config"},
		{"extra argument", []string{"--record", good, "extra"}, 2, `unexpected argument "extra"`},
	}
	for _, cmd := range [][]string{{"dump"}, {"record", "info"}} {
		for _, tt := range tests {
			t.Run(strings.Join(cmd, " ")+"/"+tt.name, func(t *testing.T) {
				code, out, errOut := runCLI(t, append(append([]string{}, cmd...), tt.args...)...)
				prefix := "virgo-top: " + strings.Join(cmd, " ") + ": "
				if code != tt.code || !strings.HasPrefix(errOut, prefix) || !strings.Contains(errOut, tt.line) || strings.Count(errOut, "\n") != 1 ||
					strings.Contains(errOut, "usage:") || strings.Contains(errOut, " record: ") {
					t.Errorf("exit %d, stderr %q; want %d and one line with %q", code, errOut, tt.code, tt.line)
				}
				if cmd[0] == "dump" && out != "" {
					t.Errorf("stdout %q", out)
				}
			})
		}
	}
	// dump: a window outside the recording.
	code, _, errOut := runCLI(t, "dump", "--record", good, "--from", "2020-01-01T00:00:00Z", "--to", "2020-01-02T00:00:00Z")
	if code != 1 || !strings.Contains(errOut, "nothing recorded between 2020-01-01T00:00:00Z and 2020-01-02T00:00:00Z: the recording spans") {
		t.Errorf("window outside: exit %d, %q", code, errOut)
	}
}

// TestRecordingUnreadable: a recording the user may not read (the
// daemon's, for a user outside the virgo-top group) says so and how to
// join the group.
func TestRecordingUnreadable(t *testing.T) {
	err := recordingError("dump", "/var/lib/virgo-top/record", &fs.PathError{Op: "open", Path: "/var/lib/virgo-top/record/x.vtr", Err: fs.ErrPermission})
	if want := "dump: cannot read the recording /var/lib/virgo-top/record: permission denied; " + groupHint; err.Error() != want {
		t.Errorf("%v\nwant %s", err, want)
	}
	if os.Geteuid() == 0 || runtime.GOOS == "windows" {
		t.Skip("root reads everything")
	}
	dir := synthRecording(t, time.Minute, 50)
	for _, seg := range segmentFiles(t, dir) {
		os.Chmod(seg, 0)
	}
	code, _, errOut := runCLI(t, "record", "info", "--record", dir)
	if code != 1 || !strings.Contains(errOut, "permission denied") || !strings.Contains(errOut, "virgo-top group") {
		t.Errorf("exit %d, %q", code, errOut)
	}
}

// TestRecordingConfig: without --record or --state-dir, the recording is
// found under the config's state_dir (file, then environment); an
// unreadable default config is no error (a user may read the recording and
// not the config, which holds the token).
func TestRecordingConfig(t *testing.T) {
	base := t.TempDir()
	t.Setenv("XDG_STATE_HOME", filepath.Join(base, "xdg"))
	state := filepath.Join(base, "state")
	rec := synthRecording(t, time.Minute, 50)
	os.MkdirAll(state, 0o750)
	if err := os.Rename(rec, filepath.Join(state, "record")); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(base, "virgo-top.cfg")
	os.WriteFile(cfgPath, []byte("state_dir "+state+"\nmonitoring_token_file /nonexistent/token\n"), 0o600)
	code, out, errOut := runCLI(t, "record", "info", "--config", cfgPath)
	if code != 0 || !strings.Contains(out, filepath.Join(state, "record")) {
		t.Errorf("--config: exit %d, %s %s", code, out, errOut)
	}

	cfg, err := recordingConfig(cfgPath, []string{"VIRGO_TOP_STATE_DIR=/srv/vt"})
	if err != nil || cfg.StateDir != "/srv/vt" {
		t.Errorf("environment over the file: %q %v", cfg.StateDir, err)
	}
	if _, err := recordingConfig(filepath.Join(base, "missing.cfg"), nil); !errors.Is(err, errUsage) {
		t.Errorf("an explicit config that is missing: %v, want a usage error", err)
	}
}
