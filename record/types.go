package record

import (
	"time"

	"github.com/virgo-top/virgo-top/collector"
)

// CheckResult is one check result as the recording keeps it.
type CheckResult struct {
	Time      time.Time // when the run started (the metrics' timestamp)
	CheckID   string
	Type      string // agent.cpu, agent.plugin, ...
	Label     string
	Available bool
	Status    string
	Metrics   []Metric
}

// Metric is one metric of a CheckResult, all as text (check.Metric's
// fields).
type Metric struct {
	Dimension string // "" = none
	Name      string
	Type      string // string gauge int32 uint32 int64 uint64 double bool
	Value     string
	Unit      string
}

// AlarmTransition is one change of an alarm's state. In a Frame's Alarms
// it is the latest transition of that alarm: To is its state, Time since
// when.
type AlarmTransition struct {
	Time    time.Time
	CheckID string
	Alarm   string // the alarm's name (or id)
	From    string // OK, WARNING, CRITICAL, UNKNOWN, ...
	To      string
	Message string
}

// LinkEvent is a change of the link to one endpoint. In a Frame's Links it
// is the latest event of that endpoint: its state as of the frame.
type LinkEvent struct {
	Time     time.Time
	Endpoint string
	State    string // connected, disconnected, connecting, ... as the caller names them
	Error    string // why, when the link went down
}

// Transition is an alarm transition found by PrevTransition or
// NextTransition, with the moment it was recorded in: At(Moment) shows
// the frame in which the alarm has its new state.
type Transition struct {
	AlarmTransition
	Moment time.Time
}

// Frame is the recorded state of the host at one moment: a sample and
// everything recorded after it until the next sample. Frames are values:
// the slices may be shared with other frames, never modify them.
type Frame struct {
	// Snapshot is the sample, the same type the live console renders.
	// Snapshot.Processes is the latest process table recorded at or before
	// it (tables are recorded every ProcessInterval), sorted by PID, nil
	// when none was; Snapshot.ProcessCount is the count of this sample.
	Snapshot *collector.Snapshot
	// ProcessTime is when Snapshot.Processes was recorded (zero if never).
	ProcessTime time.Time
	// Snapshot.Cgroups is likewise the latest cgroup list recorded at or
	// before the sample (every ProcessInterval), recorded at CgroupTime
	// (zero if never: nil). Snapshot.Sensors and Batteries are the latest
	// readings recorded (every ProcessInterval); Snapshot.Pressure is the
	// sample's own. Recordings of format version 1 have none of them.
	CgroupTime time.Time

	// The state as of this moment: the latest result of every check (by
	// check id), the latest transition of every alarm (by check id, then
	// alarm; To is its state) and the latest event of every endpoint.
	Checks []CheckResult
	Alarms []AlarmTransition
	Links  []LinkEvent

	// What was recorded in this moment (after the previous sample, up to
	// the next one), in the order it was recorded.
	NewChecks   []CheckResult
	Transitions []AlarmTransition
	LinkEvents  []LinkEvent
}

// Time is the frame's moment: the time of its sample.
func (f *Frame) Time() time.Time { return f.Snapshot.Time }

// Point is one minute of one trend series: the min, average, max and last
// of the samples in the UTC minute that starts at Start.
type Point struct {
	Start               time.Time
	Min, Avg, Max, Last float64
	Count               int // samples in the minute
}

// Info describes a recording (Reader.Info).
type Info struct {
	Path     string
	Host     string    // hostname of the newest segment
	Version  int       // format version of the newest segment
	From, To time.Time // first and last sample
	Segments int
	Bytes    int64 // on disk, all segments
	Blocks   int
	Samples  int64 // host samples recorded
	// BytesPerSample is Bytes/Samples (0 without samples).
	BytesPerSample float64
	// Damage. SkippedBlocks: blocks with a bad header, bad checksum or
	// undecodable data, skipped (with the deltas that depend on them, up
	// to the next keyframe). TornTails: segments that end in an incomplete
	// block, ignored (the newest segment's tail may be a block being
	// written). BadSegments: files whose segment header is unreadable.
	SkippedBlocks int
	TornTails     int
	BadSegments   int
}

// Stats counts what a Writer did. Drops happen only when the writer
// goroutine cannot keep up (a slow or stalled disk): the caller is never
// made to wait instead.
type Stats struct {
	// Accepted into the queue.
	Samples, Checks, Alarms, Links uint64
	// Dropped because the queue was full (records after Close are
	// ignored, not counted).
	DroppedSamples, DroppedChecks, DroppedAlarms, DroppedLinks uint64
	// Written to disk.
	Blocks, Bytes, Segments uint64
	// LostBlocks were encoded but could not be written (full disk, I/O
	// error); the records in them are lost.
	LostBlocks uint64
	// Paused says why recording is paused ("" while it records): the last
	// write error. Recording resumes by itself when a write succeeds.
	Paused string
	// Removed counts segments removed by retention.
	Removed uint64
}
