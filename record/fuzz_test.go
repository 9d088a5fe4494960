package record

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/collector"
)

func fuzzSnapshot(i int) *collector.Snapshot {
	t := time.Unix(1772420000+int64(i), 0)
	return &collector.Snapshot{
		Time: t, Elapsed: time.Second,
		Host:        collector.Host{Hostname: "h", OS: "linux", UptimeS: 100 + uint64(i), BootTime: t.Add(-time.Hour)},
		CPU:         collector.CPU{CPUTimes: collector.CPUTimes{UsagePct: 10 + float64(i)}, Cores: 2, PerCore: make([]collector.CPUTimes, 2)},
		Memory:      collector.Memory{TotalBytes: 1 << 30, UsedBytes: 1 << 29},
		Filesystems: []collector.Filesystem{{Mount: "/", Device: "/dev/sda1", FSType: "ext4", TotalBytes: 1 << 34, UsedPct: 12.5}},
		Disks:       []collector.Disk{{Name: "sda", ReadBps: 100, Reads: 10 + uint64(i)}},
		Network:     []collector.NetIf{{Name: "eth0", RxBps: 1000, RxBytes: 1 << 20, LinkState: "up"}},
		Processes: []collector.Process{
			{PID: 1, Name: "init", User: "root", State: "S", Cmdline: "/sbin/init", Cgroup: "/init.scope", Container: "init.scope"},
			{PID: 100 + int32(i%2), PPID: 1, Name: "job", State: "R", CPUPct: 50, RSSBytes: 1 << 20, StartTime: t, Cmdline: "job --token x",
				IOReadBps: 4096 * float64(i), IOKnown: true, Cgroup: "/docker/x", Container: "x"},
		},
		ProcessCount: 2,
		Pressure:     &collector.Pressure{CPU: collector.PSI{SomeAvg10: float64(i), SomeAvg60: 2}, IO: collector.PSI{FullAvg300: 1, HasFull: true}},
		Cgroups: []collector.Cgroup{
			{Path: "/", Name: "/", Kind: "cgroup", Version: 2, Procs: 3, CPUPct: 10 + float64(i), MemBytes: 1 << 30},
			{Path: "/system.slice/a.service", Name: "a.service", Kind: "service", Version: 1, CPUPct: float64(i), MemLimit: 1 << 28,
				Pressure: &collector.Pressure{Memory: collector.PSI{SomeAvg10: 1, HasFull: true}}},
		},
		Sensors:   []collector.Sensor{{Chip: "coretemp", Label: "Package id 0", TempC: 50 + float64(i), HighC: 80, CritC: 100}},
		Batteries: []collector.Battery{{Name: "BAT0", Percent: 90 - float64(i), Status: "Discharging", PowerW: 7.5}},
		Errors:    map[string]string{"load": "boom"},
		Durations: map[string]time.Duration{"cpu": time.Millisecond},
	}
}

// fuzzPayloads returns the raw payloads of a keyframe block and of the
// delta block after it, with every record kind.
func fuzzPayloads() (key, delta []byte) {
	en := newEncoder(NewMasker())
	en.begin(tns(fuzzSnapshot(0).Time), true)
	en.sample(fuzzSnapshot(0), true, true, true)
	en.check(CheckResult{Time: fuzzSnapshot(0).Time, CheckID: "c", Type: "agent.cpu", Label: "l", Available: true, Status: "s",
		Metrics: []Metric{{Name: "m", Type: "double", Value: "1", Unit: "u"}}})
	en.alarm(AlarmTransition{Time: fuzzSnapshot(0).Time, CheckID: "c", Alarm: "a", From: "OK", To: "CRITICAL", Message: "m"})
	en.link(LinkEvent{Time: fuzzSnapshot(0).Time, Endpoint: "e", State: "up"})
	key = bytes.Clone(en.buf.b)
	en.begin(tns(fuzzSnapshot(1).Time), false)
	en.sample(fuzzSnapshot(1), true, true, true)
	en.forget(fuzzSnapshot(1).Time, "c")
	delta = bytes.Clone(en.buf.b)
	return key, delta
}

// FuzzBlockPayload: the record decoder never panics and never allocates
// without bound on any payload, alone (as a keyframe) or as the delta
// block after a keyframe.
func FuzzBlockPayload(f *testing.F) {
	key, delta := fuzzPayloads()
	f.Add(key, delta)
	f.Add(key, key)
	f.Add([]byte{}, delta)
	f.Add(rollupPayload(nil, 0, []rollup{{name: "cpu", min: 1, max: 2, sum: 3, last: 2, count: 2}}), []byte{kSample, 1, 0})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		st := newState()
		frame := func(int64) bool { st.frame(); return true }
		h := blockHeader{flags: flagKeyframe, first: 1772420000e9}
		if _, err := st.apply(a, &h, frame); err != nil {
			st = newState()
		}
		h.flags = 0
		_, _ = st.apply(b, &h, frame)
		st.frame()
		_ = readRollups(a, 0, func(string, Point) {})
		_ = scanTransitions(b, 0, func(Transition) bool { return true })
	})
}

// FuzzBlock: the whole path of one block as a reader takes it (header,
// checksums, inflate, decode) on any bytes. The checksums are fixed up so
// that the fuzzer reaches the inflater and the decoder.
func FuzzBlock(f *testing.F) {
	key, delta := fuzzPayloads()
	c := newCompressor()
	f.Add(c.block(nil, blockHeader{flags: flagKeyframe, first: 1}, key))
	f.Add(c.block(nil, blockHeader{first: 1}, delta))
	f.Add(c.block(nil, blockHeader{kinds: bRollup}, rollupPayload(nil, 0, []rollup{{name: "x", count: 1}})))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < blockHeaderSize {
			return
		}
		data = bytes.Clone(data)
		copy(data, blkMagic[:])
		p := data[blockHeaderSize:]
		binary.LittleEndian.PutUint32(data[12:], uint32(len(p)))
		binary.LittleEndian.PutUint32(data[36:], crc32.Checksum(p, castagnoli))
		binary.LittleEndian.PutUint32(data[40:], crc32.Checksum(data[:40], castagnoli))
		h, err := parseBlockHeader(data)
		if err != nil {
			return
		}
		var dc decompressor
		raw, err := dc.payload(&h, p)
		if err != nil {
			return
		}
		if len(raw) != int(h.rlen) {
			t.Fatalf("decoded %d bytes, header says %d", len(raw), h.rlen)
		}
		st := newState()
		_, _ = st.apply(raw, &h, func(int64) bool { st.frame(); return true })
	})
}

// FuzzSegmentHeader: the segment header decoder never panics, and what it
// accepts re-encodes to the same bytes.
func FuzzSegmentHeader(f *testing.F) {
	f.Add(marshalSegHeader(&segInfo{version: 1, created: 1772420000e9, host: staticOf(&fuzzSnapshot(0).Host)}))
	f.Add(marshalSegHeader(&segInfo{version: 1}))
	f.Add(append(segMagic[:], 2, 0, 0, 0, 0, 0))
	f.Add([]byte("\x89VTR"))
	f.Fuzz(func(t *testing.T, data []byte) {
		info, n, err := parseSegHeader(data)
		if err != nil {
			return
		}
		if again := marshalSegHeader(&info); !bytes.Equal(again, data[:n]) {
			t.Fatalf("re-encoded header differs:\n%x\n%x", again, data[:n])
		}
	})
}

// FuzzScan: walking the block headers of any segment body (damaged
// headers, resync, torn tails) never panics, ends, and returns blocks
// within the file.
func FuzzScan(f *testing.F) {
	key, delta := fuzzPayloads()
	c := newCompressor()
	good := c.block(nil, blockHeader{flags: flagKeyframe, first: 1}, key)
	good = c.block(good, blockHeader{first: 2}, delta)
	f.Add(good)
	f.Add(append(bytes.Clone(good[:60]), good...))
	f.Add(good[:len(good)-3])
	f.Fuzz(func(t *testing.T, data []byte) {
		size := int64(len(data))
		prev := int64(-1)
		res := scanBlocks(bytes.NewReader(data), 0, size, func(b blockRef) bool {
			if b.off <= prev || b.end() > size {
				t.Fatalf("block at %d..%d in %d bytes (previous at %d)", b.off, b.end(), size, prev)
			}
			prev = b.off
			return true
		})
		if res.tornAt > size || res.endGood > size {
			t.Fatalf("scan result %+v beyond %d bytes", res, size)
		}
	})
}
