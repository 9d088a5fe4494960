// Package record is virgo-top's flight recorder: it writes the host's
// samples, process tables, check results, alarm transitions and endpoint
// link events to a directory of segment files, bounded by age and size,
// and reads them back as the frames the console renders (a recorded
// frame holds the same *collector.Snapshot a live one does).
//
// It is a leaf: it imports collector for the Snapshot type and nothing
// else of ours. The agent feeds a Writer; the console, `replay`, `dump`
// and `record info` use a Reader. recordtest synthesises recordings for
// tests and benchmarks (and bench/recgen); it is not in the binary.
//
// # Writing
//
// OpenWriter takes the directory's lock (one writer per directory: a
// second one gets a *BusyError naming the first one's pid, and reads
// instead) and starts one goroutine that owns the files. Sample, Check,
// Alarm, Link and Forget never block and never do I/O: they queue the
// record (at most 256 records, of which 32 snapshots); when the queue is
// full the record is dropped and counted in Stats. The goroutine encodes
// the records into a block, and writes (and fsyncs) the block when it
// holds FlushInterval of recorded time (10 s by default) or 256 KiB: a
// kill -9 or a power cut loses at most that block. Host figures and the
// host's pressure (PSI) are recorded every sample; the process table, the
// cgroup list and the temperature and battery readings every
// ProcessInterval (5 s), each from the samples that carry one (the
// sampler lists cgroups only when asked: the agent asks once every
// ProcessInterval). Thread rows (collector.Sampler.SetThreads) are not
// recorded.
// A write error (a full disk) pauses the recording with a warning (at
// most one per 5 minutes) and drops blocks until a write succeeds; the
// caller never waits. Retention removes the oldest segments whose data
// is older than MaxAge before the newest sample, or while the recording
// exceeds MaxBytes; never the segment being written. Files are 0640 and
// the directory 0750, owned by Options.Group when it exists. Command
// lines (and check statuses, alarm messages, link errors) pass through
// Options.Mask (NewMasker by default) before they are encoded.
//
// # Reading
//
// Readers take no lock and write nothing: they read while the writer
// appends, and ignore a block until it is complete. Every query lists the
// segments again. At seeks by segment name, then by the headers of the
// data blocks to the last keyframe before the time, and decodes forward
// from there (at most five minutes of data); At(t - 1ns) is the moment
// before t, After(t) the one after (the console's `[` and `]`). Range
// streams frames; Trends reads only the small per-minute rollup blocks;
// PrevTransition and NextTransition decompress only blocks whose header
// says they hold a transition.
//
// A moment is a sample and everything recorded after it until the next
// sample: a frame is the state as of the end of its moment. Events are
// attributed to the moment they were recorded in, whatever their own
// Time (a check result carries the time its run started); events
// recorded before a writer's first sample join that sample's moment.
// Seeking assumes sample times increase (after the clock steps back the
// recording stays readable in order, and At finds one of the moments at
// the repeated time).
//
// # Damage
//
// A torn tail (an incomplete block, or a last block whose checksum fails,
// left by a crash) is ignored by readers and truncated, with a warning,
// by the next OpenWriter (which always starts a new segment). A block
// with a bad checksum or a bad header in the middle is skipped, with the
// delta blocks that depend on it up to the next keyframe; a reader finds
// the next block header by its magic and checksum. Info reports what it
// found. A segment of a newer format version is refused with a
// *VersionError by readers and writers.
//
// # Format, version 2
//
// Version 2 added records 9 to 11 (pressure, cgroups, sensors) and the
// process fields of mask bits 15 to 19 (I/O rates, cgroup). A version 1
// recording has none of them and reads as before: its frames have no
// Pressure, Cgroups, Sensors or Batteries, and its processes no I/O rates
// or cgroup. A writer opened on a version 1 recording (after an upgrade)
// starts a version 2 segment beside the old ones; readers read both.
//
// All integers are little-endian; "uvarint" and "varint" are Go's
// encoding/binary varints (varint is zigzag); a string is a uvarint length
// then the bytes; times are int64 Unix nanoseconds (0 = the zero time).
// CRC-32C is the Castagnoli polynomial.
//
// A recording is a directory of segment files named after the UTC time
// of their first moment, so that they sort by time:
// 20260302T031205.123456789Z.vtr (a name is always later than the
// previous segment's, whatever the clock did). A writer starts a segment
// at open, every UTC hour, and when the segment reaches MaxBytes/8
// (between 16 KiB and 64 MiB). writer.lock holds the writer's pid.
//
// A segment file:
//
//	header: magic 89 56 54 52 0d 0a 1a 0a ("\x89VTR\r\n\x1a\n")
//	        u16 version (2) | u32 length N of the info | info (N bytes) | u32 CRC-32C of all before
//	info:   varint creation time | strings hostname, os, platform, platform_version,
//	        kernel, arch, virtualization, virtualization_role | varint boot time
//	blocks: one after another to the end of the file
//
// A reader checks the version before anything else: a newer one is
// refused. A block is a 44-byte header and a payload:
//
//	0  magic 56 54 42 b1 ("VTB\xb1")
//	4  u8  flags: bit 0 keyframe; bits 4-7 codec (0 stored, 1 deflate)
//	5  u8  reserved, 0
//	6  u16 kinds present (bits below)
//	8  u32 samples in the block
//	12 u32 payload length on disk
//	16 u32 payload length decoded (at most 64 MiB)
//	20 i64 first moment (the time of the sample the block starts at, or of
//	       the moment it continues)
//	28 i64 last moment
//	36 u32 CRC-32C of the payload
//	40 u32 CRC-32C of bytes 0-39
//
// Kinds: 1 samples, 2 process tables, 4 new check results, 8 alarm
// transitions, 16 link events, 32 trend rollups (only in rollup blocks),
// 64 host fields, 128 restated state (a keyframe's), 256 forgotten checks,
// 512 cgroup tables, 1024 sensor readings, 2048 pressure.
//
// A data block is a keyframe or a delta block. A keyframe starts with
// the state a reader needs to begin there: the host record, the last
// process table and the last cgroup table in full, the last sensor
// readings with their keys, the last result of every check, the latest
// transition of every alarm and the last event of every endpoint (all
// flagged restated); its first sample and pressure are written whole. A delta block
// continues from the blocks before it, back to its keyframe. A writer
// writes a keyframe every 5 minutes of recorded time, at the start of
// every segment and after a lost block. Rollup blocks stand alone.
//
// The decoded payload is a sequence of records: u8 kind | uvarint body
// length | body. A reader skips kinds it does not know. Each record's
// time is a varint relative to the clock, which starts at the block's
// first moment and becomes each sample's time:
//
//	1 host     strings hostname, os, platform, platform_version, kernel, arch,
//	           virtualization, virtualization_role | varint boot time
//	           (in keyframes, and whenever they change)
//	2 sample   varint time | uvarint flags (1: a layout follows) | [layout] |
//	           the values (below) | uvarint n | n x (string source, string error)
//	3 procs    varint time | uvarint flags (1: from an empty table) | ops | uvarint 0
//	4 check    varint time | u8 flags (1: restated) | strings id, type, label |
//	           u8 available | string status | uvarint n | n x strings
//	           (dimension, name, type, value, unit)
//	5 alarm    varint time | u8 flags | strings check id, alarm, from, to,
//	           message (to "" removes the alarm)
//	6 link     varint time | u8 flags | strings endpoint, state, error
//	7 forget   varint time | string check id (the check and its alarms go)
//	8 rollup   varint minute start | uvarint n | n x (string series,
//	           uvarint count, f32 min, avg, max, last)
//	9 pressure uvarint flags (2, 4, 8: cpu, memory, io have a "full"
//	           line) | 18 varints: some avg10, avg60, avg300, full avg10,
//	           avg60, avg300 of cpu, memory and io (x100), each the
//	           difference from the previous pressure record (from 0 after a
//	           keyframe). It follows its sample.
//	10 cgroups varint time | uvarint flags (1: from an empty table) |
//	           uvarint n | n x entry (below)
//	11 sensors uvarint flags (1: keys follow) | [keys: uvarint n x strings
//	           chip, label | uvarint m x strings battery name, status] |
//	           per sensor temperature, high, critical (x100) | per battery
//	           percent, watts (x100), each a varint difference from the
//	           previous sensors record (from 0 after keys). Keys are
//	           written when they change (a status too) and in a keyframe.
//
// A layout is uvarint cores | uvarint n filesystems x (strings mount,
// device, disk, fstype, options, u8 read-only) | uvarint n disks x
// (string name, u8 partition) | uvarint n interfaces x (strings name,
// link state) | uvarint n x string (the sources of Durations, sorted). It
// is written when it changes and in a keyframe's first sample.
//
// The values of a sample are, in this order, each a varint of the
// difference (wrapping, 64 bits) from the same value in the previous
// sample of the same layout (from 0 after a layout): Elapsed (ns), uptime
// (s), the 8 CPU percentages (usage, user, system, idle, iowait, steal,
// irq, nice), CPU cores, the 8 percentages of each core; memory total,
// used, free, available, cached, buffers, swap total, used, free, in,
// out (bytes) and used %; load 1, 5, 15 and cores; per filesystem total,
// used, free, available bytes, used %, inodes total, free, inodes used %;
// per disk read and write B/s, read and write IOPS, busy %, reads,
// writes, read bytes, written bytes, read, write, I/O and weighted I/O
// time (ms); per interface rx and tx B/s, rx and tx packets/s, errors/s
// and drops/s (rx, tx), rx and tx bytes, packets, errors and drops
// (cumulative); the process count; each source's duration (µs).
//
// Precision (what a frame gives back): percentages (PSI and cgroup CPU
// too), load, packet, error, drop and I/O rates, process CPU seconds,
// temperatures (°C), battery percent and watts are rounded to 0.01; byte
// rates (processes' and cgroups' I/O too) to 1 B/s; source durations to
// 1 µs; everything else (counters, bytes, times, strings) is exact.
// Processes come back sorted by PID, their command lines masked; cgroups
// sorted by path.
//
// Process table ops, in increasing pid order: uvarint pid increment (from
// the previous op's pid, the first from -2^31-1) | uvarint mask | the
// fields of the mask, in bit order, each a varint difference from the
// process's previous value (a string whole). Mask bit 0: the process is
// gone (alone). Bits 1-14: CPU % (x100), CPU seconds (x100), RSS, state,
// memory % (x100), VMS, threads, ppid, name, user, uid, start time,
// nice, command line; bits 15-19 (version 2): I/O read and write B/s,
// I/O known (0 or 1), cgroup path, short name. A process not in the
// table starts from zeros and its start time from the table's time;
// fields equal to that are omitted.
//
// A cgroup table lists the groups in path order. An entry is a uvarint
// ref: 0 for a group not in the previous table, then strings path, name,
// kind; k > 0 for the previous table's group k places after the one the
// entry before referred to (the first counting from before the table's
// start). Then a uvarint mask and the masked values, each a varint
// difference from that group's (or from 0), bits in this order: CPU %
// (x100), memory, I/O read and write B/s, processes, the 18 PSI values
// (x100, as in a pressure record), PSI flags (1: has PSI, 2, 4, 8 as in a
// pressure record), memory limit, version. Groups of the previous table
// that no entry refers to are gone.
//
// # Measured (go test ./record -run '^$' -bench .)
//
// Synthetic host (recordtest): 4 cores, 3 filesystems, 4 disks, 2
// interfaces, about 300 processes of which some 30 busy and 1.3 new a
// sample, 3 checks every 30 s; samples every 5 s. On a shared 2-core EPYC
// (noisy: CPU figures vary by 30%). The figures below the first two lines
// are version 1's, on that host without the data version 2 added:
//
//	bytes per sample     1,206 (20.8 MB a day; goal 30): version 1's data
//	                     860 (the same bytes as version 1 wrote), plus
//	                     cgroups ~187 (28 groups every 5 s), process I/O
//	                     rates ~67, process cgroups ~33, sensors ~16 (6
//	                     temperatures), pressure ~13
//	at 1 s samples       541 (46.8 MB a day; tables still every 5 s)
//	version 1's data     858 (14.8 MB a day); stored without
//	                     deflate 1,269 (21.9 MB), BestSpeed 894, level 6 853
//	  of which           host figures ~310 raw, process table changes ~365
//	                     raw, keyframes 156, trend rollups 67, checks 50
//	at 1 s samples       446 (38.5 MB a day; the table still every 5 s)
//	keyframe interval    every block 4,795 B/sample, 1 min 1,390, 5 min 856,
//	                     10 min 789; a seek costs 2-6 ms with any of them
//	encode, per sample   85-100 µs at 5 s (deflate about a third), 27 µs at 1 s
//	writer heap          1.0 MiB, of which flate's encoder 788 KiB at level
//	                     3 (1,172 KiB at BestSpeed)
//	7-day recording      104 MB; At 2.8 ms; 24 h of trends 47 ms (49,000
//	                     points); the last hour's 721 frames 63 ms, the last
//	                     day's 1.4 s with the heap at +5.4 MiB (+3.2 MiB for
//	                     the hour: streamed); PrevTransition 2.1 ms; Info 0.34 s
//	binary               +216 KiB stripped on virgo-top (flate, crc32, slog
//	                     and os/user are there already)
package record
