package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/virgo-top/virgo-top/config"
	"github.com/virgo-top/virgo-top/record"
)

const recordUsage = `Usage: virgo-top record info [--state-dir DIR | --record PATH] [--config FILE] [--json]

info describes a recording: its span (first and last sample), size on disk,
segments and blocks, format version, samples and bytes per sample, how many
process tables, cgroup tables, samples with pressure (PSI), check results,
alarm transitions and endpoint link events it holds, and the damage found.
It reads every block once (about a second per day recorded).

The recording is --record PATH (a recording's directory, or one segment file
copied from another host), else DIR/record with --state-dir, else the
daemon's (state_dir/record, state_dir from the config file) when it exists,
else the console's own ($XDG_STATE_HOME/virgo-top/record). The daemon's
recording is readable by root and the virgo-top group.

Damage: "skipped blocks" are blocks with a bad checksum or header in the
middle of a segment (skipped, with the blocks that depend on them up to the
next keyframe: data lost); "torn tails" are segments that end in an
incomplete block (what a crash leaves, at most one block lost; the newest
segment of a live recording may end in a block being written); "bad
segments" have an unreadable header.

Exit status: 0 when the recording is readable without damage, or with torn
tails only; 1 when blocks were skipped or a segment header is unreadable
(the report is printed all the same), or the recording is missing, empty,
unreadable or of a newer format version; 2 for a usage error.`

func runRecord(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "info" {
		if len(args) > 0 && isHelp(args[0]) {
			fmt.Fprintln(stdout, recordUsage)
			return errHelp
		}
		if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			return fmt.Errorf("%w: record: unknown subcommand %q (want \"record info\")", errUsage, args[0])
		}
		return fmt.Errorf("%w: record: want \"record info\" (see virgo-top record --help)", errUsage)
	}
	fs := newFlagSet("record info", recordUsage, stdout)
	rec := addRecordingFlags(fs)
	asJSON := fs.Bool("json", false, "print the description as one JSON object")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	r, path, err := rec.open("record info")
	if err != nil {
		return err
	}
	defer quietPipe()()
	rep, err := describeRecording(r)
	if err != nil {
		return recordingError("record info", path, err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = writeRecordInfo(stdout, rep)
	}
	if err != nil {
		if isClosedPipe(err) {
			return nil
		}
		return err
	}
	switch {
	case rep.Samples == 0:
		return fmt.Errorf("record info: %s holds no sample yet", path)
	case rep.Damaged:
		return fmt.Errorf("record info: %s is damaged: %s", path, damageText(rep))
	}
	return nil
}

// recordInfo is what `record info` prints (--json: these field names).
type recordInfo struct {
	Path             string    `json:"path"`
	Host             string    `json:"host"`
	Version          int       `json:"format_version"`
	From             time.Time `json:"from,omitzero"`
	To               time.Time `json:"to,omitzero"`
	DurationS        float64   `json:"duration_s"`
	Bytes            int64     `json:"bytes"`
	Segments         int       `json:"segments"`
	Blocks           int       `json:"blocks"`
	Samples          int64     `json:"samples"`
	BytesPerSample   float64   `json:"bytes_per_sample"`
	ProcessTables    int64     `json:"process_tables"`
	CgroupTables     int64     `json:"cgroup_tables"`
	PressureSamples  int64     `json:"pressure_samples"`
	CheckResults     int64     `json:"check_results"`
	AlarmTransitions int64     `json:"alarm_transitions"`
	LinkEvents       int64     `json:"link_events"`
	SkippedBlocks    int       `json:"skipped_blocks"`
	TornTails        int       `json:"torn_tails"`
	BadSegments      int       `json:"bad_segments"`
	// Damaged: blocks were skipped or a segment header is unreadable
	// (torn tails alone are not damage: a crash leaves one, and a live
	// recording's newest segment ends in the block being written).
	Damaged bool `json:"damaged"`
}

// describeRecording reads r's Info (block headers and checksums) and
// counts the events by reading every frame once (streamed).
func describeRecording(r *record.Reader) (recordInfo, error) {
	inf, err := r.Info()
	if err != nil {
		return recordInfo{}, err
	}
	rep := recordInfo{
		Path: inf.Path, Host: inf.Host, Version: inf.Version, From: inf.From, To: inf.To,
		DurationS: inf.To.Sub(inf.From).Seconds(), Bytes: inf.Bytes, Segments: inf.Segments, Blocks: inf.Blocks,
		Samples: inf.Samples, BytesPerSample: inf.BytesPerSample,
		SkippedBlocks: inf.SkippedBlocks, TornTails: inf.TornTails, BadSegments: inf.BadSegments,
		Damaged: inf.SkippedBlocks > 0 || inf.BadSegments > 0,
	}
	if inf.Samples == 0 {
		return rep, nil
	}
	var lastTable, lastCgroups time.Time
	err = r.Range(inf.From, inf.To, func(f *record.Frame) error {
		if !f.ProcessTime.IsZero() && !f.ProcessTime.Equal(lastTable) {
			rep.ProcessTables++
			lastTable = f.ProcessTime
		}
		if !f.CgroupTime.IsZero() && !f.CgroupTime.Equal(lastCgroups) {
			rep.CgroupTables++
			lastCgroups = f.CgroupTime
		}
		if f.Snapshot.Pressure != nil {
			rep.PressureSamples++
		}
		rep.CheckResults += int64(len(f.NewChecks))
		rep.AlarmTransitions += int64(len(f.Transitions))
		rep.LinkEvents += int64(len(f.LinkEvents))
		return nil
	})
	return rep, err
}

func writeRecordInfo(w io.Writer, rep recordInfo) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "recording\t%s\n", rep.Path)
	fmt.Fprintf(tw, "host\t%s (format version %d)\n", rep.Host, rep.Version)
	if rep.Samples > 0 {
		fmt.Fprintf(tw, "span\t%s to %s (%s)\n", rep.From.Format(time.RFC3339), rep.To.Format(time.RFC3339),
			rep.To.Sub(rep.From).Round(time.Second))
	} else {
		fmt.Fprintf(tw, "span\tempty: no sample recorded yet\n")
	}
	fmt.Fprintf(tw, "size on disk\t%s (%d bytes) in %d segments, %d blocks\n", humanBytes(uint64(max(rep.Bytes, 0))),
		rep.Bytes, rep.Segments, rep.Blocks)
	fmt.Fprintf(tw, "samples\t%d (%.0f bytes per sample)\n", rep.Samples, rep.BytesPerSample)
	fmt.Fprintf(tw, "process tables\t%d\n", rep.ProcessTables)
	fmt.Fprintf(tw, "cgroup tables\t%d\n", rep.CgroupTables)
	fmt.Fprintf(tw, "samples with PSI\t%d\n", rep.PressureSamples)
	fmt.Fprintf(tw, "check results\t%d\n", rep.CheckResults)
	fmt.Fprintf(tw, "alarm transitions\t%d\n", rep.AlarmTransitions)
	fmt.Fprintf(tw, "link events\t%d\n", rep.LinkEvents)
	fmt.Fprintf(tw, "damage\t%s\n", damageText(rep))
	return tw.Flush()
}

// damageText says what damage was found, "none" when none.
func damageText(rep recordInfo) string {
	var parts []string
	if n := rep.SkippedBlocks; n > 0 {
		parts = append(parts, plural(n, "block")+" skipped (bad checksum or header; the blocks that depend on them up to the next keyframe are lost)")
	}
	if n := rep.BadSegments; n > 0 {
		parts = append(parts, plural(n, "segment")+" with an unreadable header")
	}
	if n := rep.TornTails; n > 0 {
		parts = append(parts, plural(n, "torn tail")+" (a crash, or the block being written; at most a block each)")
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "; ")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// recordingFlags name a recording: replay, dump and record info share
// them (addRecordingFlags, open).
type recordingFlags struct {
	record, stateDir, configPath string
}

// addRecordingFlags defines --record, --state-dir and --config on fs.
func addRecordingFlags(fs *flag.FlagSet) *recordingFlags {
	f := &recordingFlags{}
	fs.StringVar(&f.record, "record", "", "the recording: its directory, or one segment file (*.vtr), e.g. copied from another host")
	fs.StringVar(&f.stateDir, "state-dir", "", "read the recording in DIR/record (default: the daemon's state_dir/record if it exists, else the console's own)")
	fs.StringVar(&f.configPath, "config", "", "config file whose state_dir holds the daemon's recording (default "+config.DefaultPath+" if it exists and is readable)")
	return f
}

// open finds the recording the flags name (findRecording) and opens it.
// Every error is one line for cmd ("dump", "record info"): a usage error
// for conflicting flags or a bad config file, else exit 1.
func (f *recordingFlags) open(cmd string) (*record.Reader, string, error) {
	if f.record != "" && f.stateDir != "" {
		return nil, "", fmt.Errorf("%w: %s: give --record or --state-dir, not both", errUsage, cmd)
	}
	cfg := config.Default()
	if f.record == "" && f.stateDir == "" {
		var err error
		if cfg, err = recordingConfig(f.configPath, environ()); err != nil {
			if errors.Is(err, errUsage) {
				return nil, "", fmt.Errorf("%w: %s: %s", errUsage, cmd, trimUsage(err))
			}
			return nil, "", fmt.Errorf("%s: %v", cmd, err)
		}
	}
	path, err := findRecording(f.record, f.stateDir, cfg)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %v", cmd, err)
	}
	r, err := record.Open(path)
	if err != nil {
		return nil, path, recordingError(cmd, path, err)
	}
	return r, path, nil
}

// recordingConfig reads what finding a recording needs of the config:
// state_dir, from the config file and the VIRGO_TOP_* environment. It
// reads no token file and validates nothing else, so that a user who may
// read the recording but not the daemon's config (it holds the token; it
// is often root's alone) still finds it: the default config file is then
// skipped (state_dir defaults to config.DefaultStateDir). An explicit
// --config that cannot be read or parsed is an error.
func recordingConfig(path string, env []string) (config.Config, error) {
	cfg := config.Default()
	explicit := path != ""
	if !explicit {
		path = config.DefaultPath
	}
	loaded, err := config.Load(path)
	switch {
	case err == nil:
		cfg = loaded
	case !explicit && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission)):
	case errors.Is(err, fs.ErrPermission):
		return cfg, fmt.Errorf("%v: name the recording with --state-dir DIR or --record PATH instead", err)
	default:
		return cfg, fmt.Errorf("%w: %v", errUsage, err)
	}
	if err := cfg.ApplyEnv(env); err != nil {
		return cfg, fmt.Errorf("%w: %v", errUsage, err)
	}
	return cfg, nil
}

// groupHint says how a user gets to read the daemon's recording.
const groupHint = "the daemon's recording is readable by root and the virgo-top group: " +
	"ask an administrator to add you (usermod -aG virgo-top USER, then log in again)"

// recordingError turns an error of record.Open or of a query into one
// line that says what is wrong with the recording at path.
func recordingError(cmd, path string, err error) error {
	switch {
	case errors.Is(err, record.ErrNewerVersion):
		return fmt.Errorf("%s: %s", cmd, strings.TrimPrefix(err.Error(), "record: "))
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s: cannot read the recording %s: permission denied; %s", cmd, path, groupHint)
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: no recording at %s: no such file or directory", cmd, path)
	case errors.Is(err, record.ErrNoRecording):
		return fmt.Errorf("%s: %s is not a recording (no readable segment *.vtr in it)", cmd, path)
	case errors.Is(err, record.ErrNoData):
		return fmt.Errorf("%s: the recording %s holds no sample yet", cmd, path)
	}
	return fmt.Errorf("%s: reading the recording %s: %v", cmd, path, strings.TrimPrefix(err.Error(), "record: "))
}

// isClosedPipe reports whether err is a write to a closed pipe or socket
// (`virgo-top dump | head`): the reader has what it wanted.
func isClosedPipe(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrClosedPipe) || errors.Is(err, syscall.ECONNRESET)
}

// quietPipe makes a write to a closed standard output fail with EPIPE
// (which isClosedPipe recognises) instead of killing the process with
// SIGPIPE, until the function it returns is called.
func quietPipe() (restore func()) {
	// Go kills a process that writes to a broken pipe on fd 1 or 2 with
	// SIGPIPE unless SIGPIPE is notified; the signal itself is of no
	// interest (the channel is never read, a full one drops it).
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGPIPE)
	return func() { signal.Stop(ch) }
}
