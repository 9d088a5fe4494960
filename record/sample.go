package record

import (
	"slices"
	"time"

	"github.com/virgo-top/virgo-top/collector"
)

// layout is the shape of a sample: which cores, filesystems, disks,
// interfaces and source durations it has, with their text fields. It is
// written only when it changes (a mount, an interface, a source error that
// leaves Durations short); every sample in between is a vector of numbers.
type layout struct {
	cores int
	fs    []fsKey
	disks []diskKey
	nets  []netKey
	durs  []string // Durations keys, sorted
}

type fsKey struct {
	Mount, Device, Disk, FSType, Options string
	ReadOnly                             bool
}

type diskKey struct {
	Name      string
	Partition bool
}

type netKey struct{ Name, LinkState string }

// Bounds on a layout read from disk, so a forged one cannot allocate
// without limit (a real host has far fewer).
const (
	maxCores = 1 << 14
	maxDevs  = 1 << 14
)

func layoutOf(s *collector.Snapshot, l *layout) {
	l.cores = len(s.CPU.PerCore)
	l.fs = l.fs[:0]
	for _, f := range s.Filesystems {
		l.fs = append(l.fs, fsKey{f.Mount, f.Device, f.Disk, f.FSType, f.Options, f.ReadOnly})
	}
	l.disks = l.disks[:0]
	for _, d := range s.Disks {
		l.disks = append(l.disks, diskKey{d.Name, d.Partition})
	}
	l.nets = l.nets[:0]
	for _, n := range s.Network {
		l.nets = append(l.nets, netKey{n.Name, n.LinkState})
	}
	l.durs = l.durs[:0]
	for k := range s.Durations {
		l.durs = append(l.durs, k)
	}
	slices.Sort(l.durs)
}

func (l *layout) equal(o *layout) bool {
	return l.cores == o.cores && slices.Equal(l.fs, o.fs) && slices.Equal(l.disks, o.disks) &&
		slices.Equal(l.nets, o.nets) && slices.Equal(l.durs, o.durs)
}

func (l *layout) encode(e *enc) {
	e.uvarint(uint64(l.cores))
	e.uvarint(uint64(len(l.fs)))
	for _, f := range l.fs {
		e.str(f.Mount)
		e.str(f.Device)
		e.str(f.Disk)
		e.str(f.FSType)
		e.str(f.Options)
		e.boolean(f.ReadOnly)
	}
	e.uvarint(uint64(len(l.disks)))
	for _, d := range l.disks {
		e.str(d.Name)
		e.boolean(d.Partition)
	}
	e.uvarint(uint64(len(l.nets)))
	for _, n := range l.nets {
		e.str(n.Name)
		e.str(n.LinkState)
	}
	e.uvarint(uint64(len(l.durs)))
	for _, k := range l.durs {
		e.str(k)
	}
}

func (l *layout) decode(d *dec) {
	l.cores = int(min(d.uvarint(), maxCores+1))
	if l.cores > maxCores {
		d.fail()
	}
	n := min(d.count(6), maxDevs)
	l.fs = l.fs[:0]
	for i := 0; i < n && d.err == nil; i++ {
		l.fs = append(l.fs, fsKey{Mount: d.str(), Device: d.str(), Disk: d.str(), FSType: d.str(), Options: d.str(), ReadOnly: d.boolean()})
	}
	n = min(d.count(2), maxDevs)
	l.disks = l.disks[:0]
	for i := 0; i < n && d.err == nil; i++ {
		l.disks = append(l.disks, diskKey{Name: d.str(), Partition: d.boolean()})
	}
	n = min(d.count(2), maxDevs)
	l.nets = l.nets[:0]
	for i := 0; i < n && d.err == nil; i++ {
		l.nets = append(l.nets, netKey{Name: d.str(), LinkState: d.str()})
	}
	n = min(d.count(1), maxDevs)
	l.durs = l.durs[:0]
	for i := 0; i < n && d.err == nil; i++ {
		l.durs = append(l.durs, d.str())
	}
}

// vec moves the numbers of a sample between a Snapshot and a vector of
// quantized values, in one order defined once (visitSample) for both
// directions. Encoding (get) appends the Snapshot's values to v; decoding
// (!get) reads each next delta from d, adds it to the previous vector's
// value (zero past its end) and stores the result in the Snapshot.
type vec struct {
	get  bool
	v    []uint64
	prev []uint64
	d    *dec
}

func (x *vec) next(cur uint64) uint64 {
	if x.get {
		x.v = append(x.v, cur)
		return cur
	}
	var base uint64
	if i := len(x.v); i < len(x.prev) {
		base = x.prev[i]
	}
	v := base + uint64(x.d.varint())
	x.v = append(x.v, v)
	return v
}

// Each accessor only reads the Snapshot when encoding (it is shared and
// immutable) and only writes it when decoding.

func (x *vec) u64(p *uint64) {
	if v := x.next(*p); !x.get {
		*p = v
	}
}

func (x *vec) pct(p *float64) {
	if x.get {
		x.next(q100(*p))
	} else {
		*p = uq100(x.next(0))
	}
}

func (x *vec) rate(p *float64) {
	if x.get {
		x.next(q1(*p))
	} else {
		*p = uq1(x.next(0))
	}
}

func (x *vec) int(p *int) {
	if v := asI64(x.next(i64(int64(*p)))); !x.get {
		*p = clampInt(v)
	}
}

func (x *vec) nanos(p *time.Duration) {
	if v := asI64(x.next(i64(int64(*p)))); !x.get {
		*p = time.Duration(v)
	}
}

func (x *vec) cpuTimes(c *collector.CPUTimes) {
	x.pct(&c.UsagePct)
	x.pct(&c.UserPct)
	x.pct(&c.SystemPct)
	x.pct(&c.IdlePct)
	x.pct(&c.IOWaitPct)
	x.pct(&c.StealPct)
	x.pct(&c.IRQPct)
	x.pct(&c.NicePct)
}

// visitSample is the one definition of the order of a sample's numbers.
// Durations are in microseconds, the rest as documented in doc.go.
func visitSample(s *collector.Snapshot, l *layout, x *vec) {
	x.nanos(&s.Elapsed)
	x.u64(&s.Host.UptimeS)
	x.cpuTimes(&s.CPU.CPUTimes)
	x.int(&s.CPU.Cores)
	for i := range s.CPU.PerCore {
		x.cpuTimes(&s.CPU.PerCore[i])
	}
	m := &s.Memory
	for _, p := range []*uint64{&m.TotalBytes, &m.UsedBytes, &m.FreeBytes, &m.AvailableBytes, &m.CachedBytes,
		&m.BuffersBytes, &m.SwapTotalBytes, &m.SwapUsedBytes, &m.SwapFreeBytes, &m.SwapInBytes, &m.SwapOutBytes} {
		x.u64(p)
	}
	x.pct(&m.UsedPct)
	x.pct(&s.Load.Load1)
	x.pct(&s.Load.Load5)
	x.pct(&s.Load.Load15)
	x.int(&s.Load.Cores)
	for i := range s.Filesystems {
		f := &s.Filesystems[i]
		x.u64(&f.TotalBytes)
		x.u64(&f.UsedBytes)
		x.u64(&f.FreeBytes)
		x.u64(&f.AvailBytes)
		x.pct(&f.UsedPct)
		x.u64(&f.InodesTotal)
		x.u64(&f.InodesFree)
		x.pct(&f.InodesUsedPct)
	}
	for i := range s.Disks {
		d := &s.Disks[i]
		x.rate(&d.ReadBps)
		x.rate(&d.WriteBps)
		x.pct(&d.ReadIOPS)
		x.pct(&d.WriteIOPS)
		x.pct(&d.BusyPct)
		for _, p := range []*uint64{&d.Reads, &d.Writes, &d.ReadBytes, &d.WriteBytes, &d.ReadTimeMs, &d.WriteTimeMs, &d.IOTimeMs, &d.WeightedMs} {
			x.u64(p)
		}
	}
	for i := range s.Network {
		n := &s.Network[i]
		x.rate(&n.RxBps)
		x.rate(&n.TxBps)
		for _, p := range []*float64{&n.RxPps, &n.TxPps, &n.RxErrPS, &n.TxErrPS, &n.RxDropPS, &n.TxDropPS} {
			x.pct(p)
		}
		for _, p := range []*uint64{&n.RxBytes, &n.TxBytes, &n.RxPackets, &n.TxPackets, &n.RxErrors, &n.TxErrors, &n.RxDropped, &n.TxDropped} {
			x.u64(p)
		}
	}
	x.int(&s.ProcessCount)
	for _, k := range l.durs {
		us := int64((s.Durations[k] + time.Microsecond/2) / time.Microsecond)
		us = asI64(x.next(i64(us)))
		if !x.get {
			s.Durations[k] = time.Duration(us) * time.Microsecond
		}
	}
}

// shape gives a zero Snapshot the slices and maps of layout l, with the
// text fields set, ready for visitSample to fill.
func shape(s *collector.Snapshot, l *layout) {
	if l.cores > 0 {
		s.CPU.PerCore = make([]collector.CPUTimes, l.cores)
	}
	if len(l.fs) > 0 {
		s.Filesystems = make([]collector.Filesystem, len(l.fs))
		for i, k := range l.fs {
			s.Filesystems[i] = collector.Filesystem{Mount: k.Mount, Device: k.Device, Disk: k.Disk, FSType: k.FSType, Options: k.Options, ReadOnly: k.ReadOnly}
		}
	}
	if len(l.disks) > 0 {
		s.Disks = make([]collector.Disk, len(l.disks))
		for i, k := range l.disks {
			s.Disks[i] = collector.Disk{Name: k.Name, Partition: k.Partition}
		}
	}
	if len(l.nets) > 0 {
		s.Network = make([]collector.NetIf, len(l.nets))
		for i, k := range l.nets {
			s.Network[i] = collector.NetIf{Name: k.Name, LinkState: k.LinkState}
		}
	}
	if len(l.durs) > 0 {
		s.Durations = make(map[string]time.Duration, len(l.durs))
		for _, k := range l.durs {
			s.Durations[k] = 0
		}
	}
}

// psiSlots is the number of values of a recorded Pressure: some and full
// avg10, avg60, avg300 of cpu, memory and io.
const psiSlots = 18

// Flags of a recorded Pressure.
const (
	psiPresent = 1 << iota // a Pressure (cgroup tables; a pressure record always has one)
	psiCPUFull             // HasFull of cpu, memory, io
	psiMemFull
	psiIOFull
)

// pressureSlots puts p's values, x100, in dst (psiSlots long) and returns
// its flags; 0 and zeros for nil.
func pressureSlots(p *collector.Pressure, dst []uint64) uint64 {
	_ = dst[psiSlots-1]
	if p == nil {
		clear(dst[:psiSlots])
		return 0
	}
	flags := uint64(psiPresent)
	for i, r := range [3]*collector.PSI{&p.CPU, &p.Memory, &p.IO} {
		o := i * 6
		dst[o], dst[o+1], dst[o+2] = q100(r.SomeAvg10), q100(r.SomeAvg60), q100(r.SomeAvg300)
		dst[o+3], dst[o+4], dst[o+5] = q100(r.FullAvg10), q100(r.FullAvg60), q100(r.FullAvg300)
		if r.HasFull {
			flags |= psiCPUFull << i
		}
	}
	return flags
}

// pressureFrom is the inverse of pressureSlots; nil without psiPresent.
func pressureFrom(flags uint64, v []uint64) *collector.Pressure {
	if flags&psiPresent == 0 {
		return nil
	}
	p := &collector.Pressure{}
	for i, r := range [3]*collector.PSI{&p.CPU, &p.Memory, &p.IO} {
		o := i * 6
		*r = collector.PSI{SomeAvg10: uq100(v[o]), SomeAvg60: uq100(v[o+1]), SomeAvg300: uq100(v[o+2]),
			FullAvg10: uq100(v[o+3]), FullAvg60: uq100(v[o+4]), FullAvg300: uq100(v[o+5]), HasFull: flags&(psiCPUFull<<i) != 0}
	}
	return p
}
