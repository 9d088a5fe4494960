package record

import (
	"maps"
	"slices"
	"time"

	"github.com/virgo-top/virgo-top/collector"
)

// Record kinds in a block's payload (doc.go describes each body).
const (
	kHost   = 1
	kSample = 2
	kProcs  = 3
	kCheck  = 4
	kAlarm  = 5
	kLink   = 6
	kForget = 7
	kRollup = 8
	// Version 2.
	kPressure = 9
	kCgroups  = 10
	kSensors  = 11
)

// Bits of a block header's kinds: what the block holds, so a search (the
// previous alarm transition, the trend points) reads only the blocks it
// needs.
const (
	bSample   uint16 = 1 << iota // host samples
	bProcs                       // process tables
	bCheck                       // new check results
	bAlarm                       // alarm transitions
	bLink                        // link events
	bRollup                      // per-minute trend points (only in rollup blocks)
	bHost                        // static host fields
	bState                       // restated check, alarm and link states (keyframes)
	bForget                      // forgotten checks
	bCgroups                     // cgroup tables (version 2)
	bSensors                     // temperatures and batteries (version 2)
	bPressure                    // the host's pressure stall information (version 2)
)

// Record flags (checks, alarms, links).
const fRestated = 1 // a keyframe's copy of the state, not a new event

const sampleLayout = 1 // sample flag: a layout follows
const tableFull = 1    // process and cgroup table flag: from an empty table
const sensorsKeyed = 1 // sensors flag: the keys follow

type hostStatic struct {
	Hostname, OS, Platform, PlatformVersion, Kernel, Arch, Virtualization, VirtRole string
	BootNS                                                                          int64
}

func staticOf(h *collector.Host) hostStatic {
	return hostStatic{h.Hostname, h.OS, h.Platform, h.PlatformVersion, h.Kernel, h.Arch, h.Virtualization, h.VirtRole, tns(h.BootTime)}
}

func (h *hostStatic) encode(e *enc) {
	for _, s := range []string{h.Hostname, h.OS, h.Platform, h.PlatformVersion, h.Kernel, h.Arch, h.Virtualization, h.VirtRole} {
		e.str(s)
	}
	e.varint(h.BootNS)
}

func (h *hostStatic) decode(d *dec) {
	for _, p := range []*string{&h.Hostname, &h.OS, &h.Platform, &h.PlatformVersion, &h.Kernel, &h.Arch, &h.Virtualization, &h.VirtRole} {
		*p = d.str()
	}
	h.BootNS = d.varint()
}

func (h *hostStatic) host(uptime uint64) collector.Host {
	return collector.Host{Hostname: h.Hostname, OS: h.OS, Platform: h.Platform, PlatformVersion: h.PlatformVersion,
		Kernel: h.Kernel, Arch: h.Arch, UptimeS: uptime, BootTime: fromNS(h.BootNS), Virtualization: h.Virtualization, VirtRole: h.VirtRole}
}

type alarmKey struct{ check, alarm string }

// encoder builds the payload of one block at a time and keeps what the
// next block needs: the previous sample and process table (deltas) and the
// state a keyframe restates. It does no I/O; the writer goroutine owns it.
type encoder struct {
	mask func(string) string

	buf enc // the open block's records
	tmp enc // one record's body

	open            bool
	keyframe        bool
	clock           int64 // the current moment: the last sample's time
	first, last     int64 // the block's first and last moment
	kinds           uint16
	samples         uint32
	sampledInBlock  bool
	everSampled     bool
	lay, layScratch layout
	haveLay         bool
	vec, vecScratch []uint64

	host     hostStatic
	haveHost bool

	procs, spare []procQ
	procNS       int64
	haveProcs    bool

	// The last pressure written in the current chain of blocks (zeros
	// after a keyframe): the next one is written as differences from it.
	pressQ, pressTmp [psiSlots]uint64

	cgs, cgSpare []cgQ
	cgNS         int64
	haveCg       bool

	sens        sensorKeys // the last readings recorded
	sensVals    []uint64
	haveSens    bool // readings were recorded (a keyframe restates them)
	sensKeyed   bool // their keys are written in the current chain
	sensScratch sensorKeys
	sensTmp     []uint64

	checks map[string]CheckResult
	alarms map[alarmKey]AlarmTransition
	links  map[string]LinkEvent
}

func newEncoder(mask func(string) string) *encoder {
	return &encoder{mask: mask, checks: map[string]CheckResult{}, alarms: map[alarmKey]AlarmTransition{}, links: map[string]LinkEvent{}}
}

// record appends the body built in en.tmp as a record of kind k.
func (en *encoder) record(k byte, bit uint16) {
	en.buf.byte1(k)
	en.buf.uvarint(uint64(len(en.tmp.b)))
	en.buf.b = append(en.buf.b, en.tmp.b...)
	en.tmp.b = en.tmp.b[:0]
	en.kinds |= bit
}

// begin opens a block whose first moment is at ns. A keyframe restates
// everything a reader needs to start here: the host, the last process
// table, every check, alarm and link; and the first sample after it is
// written whole.
func (en *encoder) begin(ns int64, keyframe bool) {
	en.open, en.keyframe = true, keyframe
	en.buf.b, en.tmp.b = en.buf.b[:0], en.tmp.b[:0]
	en.clock, en.first, en.last = ns, ns, ns
	en.kinds, en.samples, en.sampledInBlock = 0, 0, false
	if !keyframe {
		return
	}
	en.haveLay = false
	en.pressQ = [psiSlots]uint64{}
	en.sensKeyed = false
	if en.haveHost {
		en.host.encode(&en.tmp)
		en.record(kHost, bHost)
	}
	if en.haveProcs {
		en.tmp.varint(en.procNS - en.clock)
		en.tmp.uvarint(tableFull)
		writeTable(&en.tmp, nil, en.procs, en.procNS)
		en.record(kProcs, bProcs)
	}
	if en.haveCg {
		en.tmp.varint(en.cgNS - en.clock)
		en.tmp.uvarint(tableFull)
		writeCgroups(&en.tmp, nil, en.cgs)
		en.record(kCgroups, bCgroups)
	}
	if en.haveSens {
		en.sensorsBody(en.sensVals)
		en.record(kSensors, bSensors)
	}
	for _, id := range slices.Sorted(maps.Keys(en.checks)) {
		r := en.checks[id]
		en.checkBody(&r, fRestated)
		en.record(kCheck, bState)
	}
	for _, k := range sortedAlarmKeys(en.alarms) {
		a := en.alarms[k]
		en.alarmBody(&a, fRestated)
		en.record(kAlarm, bState)
	}
	for _, ep := range slices.Sorted(maps.Keys(en.links)) {
		l := en.links[ep]
		en.linkBody(&l, fRestated)
		en.record(kLink, bState)
	}
}

// sortedAlarmKeys returns the keys by check id, then alarm. The sorts in
// this package sort strings only: each other element type would add its
// own copy of the generic sort to the binary (about 35 KB each).
func sortedAlarmKeys[V any](m map[alarmKey]V) []alarmKey {
	byName := make(map[string]alarmKey, len(m))
	for k := range m {
		byName[k.check+"\x00"+k.alarm] = k
	}
	keys := make([]alarmKey, 0, len(m))
	for _, n := range slices.Sorted(maps.Keys(byName)) {
		keys = append(keys, byName[n])
	}
	return keys
}

// sample appends s and its pressure; withProcs, withCgroups and
// withSensors also record its process table, cgroups and sensors.
func (en *encoder) sample(s *collector.Snapshot, withProcs, withCgroups, withSensors bool) {
	t := tns(s.Time)
	if st := staticOf(&s.Host); !en.haveHost || st != en.host {
		en.host, en.haveHost = st, true
		en.host.encode(&en.tmp)
		en.record(kHost, bHost)
	}
	en.tmp.varint(t - en.clock)
	en.clock = t
	en.last = max(en.last, t)
	layoutOf(s, &en.layScratch)
	same := en.haveLay && en.layScratch.equal(&en.lay)
	if same {
		en.tmp.uvarint(0)
	} else {
		en.lay, en.layScratch = en.layScratch, en.lay
		en.haveLay = true
		en.tmp.uvarint(sampleLayout)
		en.lay.encode(&en.tmp)
	}
	x := vec{get: true, v: en.vecScratch[:0]}
	visitSample(s, &en.lay, &x)
	for i, v := range x.v {
		var base uint64
		if same && i < len(en.vec) {
			base = en.vec[i]
		}
		en.tmp.delta(v, base)
	}
	en.vec, en.vecScratch = x.v, en.vec
	en.tmp.uvarint(uint64(len(s.Errors)))
	for _, k := range slices.Sorted(maps.Keys(s.Errors)) {
		en.tmp.str(k)
		en.tmp.str(en.mask(s.Errors[k]))
	}
	en.record(kSample, bSample)
	en.samples++
	en.sampledInBlock, en.everSampled = true, true
	if s.Pressure != nil {
		en.tmp.uvarint(pressureSlots(s.Pressure, en.pressTmp[:]))
		for i := range en.pressTmp {
			en.tmp.delta(en.pressTmp[i], en.pressQ[i])
		}
		en.pressQ = en.pressTmp
		en.record(kPressure, bPressure)
	}
	if withProcs {
		en.table(s.Processes, t)
	}
	if withCgroups {
		en.cgroupTable(s.Cgroups, t)
	}
	if withSensors {
		en.sensors(s.Sensors, s.Batteries)
	}
}

func (en *encoder) cgroupTable(gs []collector.Cgroup, ns int64) {
	cur := quantCgroups(gs, en.cgSpare)
	en.tmp.varint(ns - en.clock)
	var prev []cgQ
	if en.haveCg {
		en.tmp.uvarint(0)
		prev = en.cgs
	} else {
		en.tmp.uvarint(tableFull)
	}
	writeCgroups(&en.tmp, prev, cur)
	en.record(kCgroups, bCgroups)
	en.cgs, en.cgSpare = cur, en.cgs
	en.cgNS, en.haveCg = ns, true
}

func (en *encoder) sensors(ss []collector.Sensor, bs []collector.Battery) {
	en.sensScratch.of(ss, bs)
	if !en.haveSens || !en.sensScratch.equal(&en.sens) {
		en.sens = en.sensScratch.clone()
		en.sensKeyed = false
	}
	vals := sensorValues(en.sensTmp[:0], ss, bs)
	en.sensorsBody(vals)
	en.record(kSensors, bSensors)
	en.sensVals, en.sensTmp = vals, en.sensVals
	en.haveSens = true
}

// sensorsBody writes readings vals of the keys en.sens: with the keys
// and from zero when they are not written in the current chain yet,
// otherwise as differences from en.sensVals.
func (en *encoder) sensorsBody(vals []uint64) {
	base := en.sensVals
	if en.sensKeyed {
		en.tmp.uvarint(0)
	} else {
		en.tmp.uvarint(sensorsKeyed)
		en.sens.encode(&en.tmp)
		base = nil
	}
	for i, v := range vals {
		var b uint64
		if i < len(base) {
			b = base[i]
		}
		en.tmp.delta(v, b)
	}
	en.sensKeyed = true
}

func (en *encoder) table(ps []collector.Process, ns int64) {
	cur := quantTable(ps, en.procs, en.spare, en.mask)
	en.tmp.varint(ns - en.clock)
	var prev []procQ
	if en.haveProcs {
		en.tmp.uvarint(0)
		prev = en.procs
	} else {
		en.tmp.uvarint(tableFull)
	}
	writeTable(&en.tmp, prev, cur, ns)
	en.record(kProcs, bProcs)
	en.procs, en.spare = cur, en.procs
	en.procNS, en.haveProcs = ns, true
}

func (en *encoder) checkBody(r *CheckResult, flags byte) {
	e := &en.tmp
	e.varint(tns(r.Time) - en.clock)
	e.byte1(flags)
	e.str(r.CheckID)
	e.str(r.Type)
	e.str(r.Label)
	e.boolean(r.Available)
	e.str(r.Status)
	e.uvarint(uint64(len(r.Metrics)))
	for _, m := range r.Metrics {
		e.str(m.Dimension)
		e.str(m.Name)
		e.str(m.Type)
		e.str(m.Value)
		e.str(m.Unit)
	}
}

func (en *encoder) alarmBody(a *AlarmTransition, flags byte) {
	e := &en.tmp
	e.varint(tns(a.Time) - en.clock)
	e.byte1(flags)
	e.str(a.CheckID)
	e.str(a.Alarm)
	e.str(a.From)
	e.str(a.To)
	e.str(a.Message)
}

func (en *encoder) linkBody(l *LinkEvent, flags byte) {
	e := &en.tmp
	e.varint(tns(l.Time) - en.clock)
	e.byte1(flags)
	e.str(l.Endpoint)
	e.str(l.State)
	e.str(l.Error)
}

// check, alarm, link and forget append an event and keep the state a
// keyframe restates. Free text is masked like command lines.
func (en *encoder) check(r CheckResult) {
	r.Status = en.mask(r.Status)
	en.checks[r.CheckID] = r
	en.checkBody(&r, 0)
	en.record(kCheck, bCheck)
}

func (en *encoder) alarm(a AlarmTransition) {
	a.Message = en.mask(a.Message)
	k := alarmKey{a.CheckID, a.Alarm}
	if a.To == "" {
		delete(en.alarms, k)
	} else {
		en.alarms[k] = a
	}
	en.alarmBody(&a, 0)
	en.record(kAlarm, bAlarm)
}

func (en *encoder) link(l LinkEvent) {
	l.Error = en.mask(l.Error)
	en.links[l.Endpoint] = l
	en.linkBody(&l, 0)
	en.record(kLink, bLink)
}

func (en *encoder) forget(t time.Time, checkID string) {
	delete(en.checks, checkID)
	for k := range en.alarms {
		if k.check == checkID {
			delete(en.alarms, k)
		}
	}
	en.tmp.varint(tns(t) - en.clock)
	en.tmp.str(checkID)
	en.record(kForget, bForget)
}

// rollupBlock returns the raw payload of a rollup block for the minute
// that starts at ns.
func rollupPayload(dst []byte, ns int64, series []rollup) []byte {
	var body enc
	body.varint(0) // relative to the block's first time, which is the minute
	body.uvarint(uint64(len(series)))
	for i := range series {
		r := &series[i]
		body.str(r.name)
		body.uvarint(uint64(r.count))
		body.f32(r.min)
		body.f32(r.sum / float64(r.count))
		body.f32(r.max)
		body.f32(r.last)
	}
	e := enc{b: dst}
	e.byte1(kRollup)
	e.uvarint(uint64(len(body.b)))
	e.b = append(e.b, body.b...)
	return e.b
}

// rollup accumulates one series over one minute.
type rollup struct {
	name                string
	min, max, sum, last float64
	count               int
}

// state is a reader's view of the recording while it decodes blocks in
// order: the last sample, process table, checks, alarms and links, and
// the events of the current moment.
type state struct {
	clock int64

	lay      layout
	haveLay  bool
	vec      []uint64
	snap     *collector.Snapshot // the last sample, decoded; never modified once set
	sampleNS int64
	seq      uint64 // samples decoded

	host     hostStatic
	procs    []procQ
	spare    []procQ
	procNS   int64
	procsOut []collector.Process // materialized procs, nil when stale
	procSet  bool

	press  *collector.Pressure // of the last sample
	pressQ [psiSlots]uint64

	cgs, cgSpare []cgQ
	cgNS         int64
	cgOut        []collector.Cgroup // materialized, nil when stale
	cgSet        bool

	sens     sensorKeys
	sensVals []uint64
	sensSet  bool
	sensOut  []collector.Sensor
	batOut   []collector.Battery

	checks map[string]CheckResult
	alarms map[alarmKey]AlarmTransition
	links  map[string]LinkEvent
	// Materialized, sorted state; nil when stale.
	checksOut []CheckResult
	alarmsOut []AlarmTransition
	linksOut  []LinkEvent
	stale     bool

	newChecks   []CheckResult
	transitions []AlarmTransition
	linkEvents  []LinkEvent
}

func newState() *state {
	return &state{checks: map[string]CheckResult{}, alarms: map[alarmKey]AlarmTransition{}, links: map[string]LinkEvent{}}
}

// reset forgets everything but the current sample: a keyframe follows,
// or the chain broke and nothing after can be decoded until one does.
func (st *state) reset() {
	st.haveLay = false
	st.vec = st.vec[:0]
	st.host = hostStatic{}
	st.procs, st.procSet, st.procsOut, st.procNS = st.procs[:0], false, nil, 0
	st.pressQ = [psiSlots]uint64{}
	st.cgs, st.cgSet, st.cgOut, st.cgNS = st.cgs[:0], false, nil, 0
	st.sensSet, st.sensVals, st.sensOut, st.batOut = false, nil, nil, nil
	clear(st.checks)
	clear(st.alarms)
	clear(st.links)
	st.stale = true
}

// hook is called before each sample is applied, with its time; returning
// false stops decoding there (the state stays that of the moment before).
type hook func(ns int64) bool

// apply decodes a block's records into the state. It returns stopped when
// the hook stopped it, and errCorrupt (with the state part-way through
// the block) for records that do not decode.
func (st *state) apply(raw []byte, h *blockHeader, at hook) (stopped bool, err error) {
	st.clock = h.first
	if h.flags&flagKeyframe != 0 {
		st.reset()
	}
	d := &dec{b: raw}
	for len(d.b) > 0 {
		k := d.byte1()
		n := d.uvarint()
		if d.err != nil || n > uint64(len(d.b)) {
			return false, errCorrupt
		}
		body := dec{b: d.bytesN(int(n))}
		if k == kSample {
			t := st.clock + body.varint()
			if body.err != nil {
				return false, errCorrupt
			}
			if at != nil && !at(t) {
				return true, nil
			}
			st.clock = t
			st.newChecks, st.transitions, st.linkEvents = nil, nil, nil
		}
		if err := st.record(k, &body); err != nil {
			return false, err
		}
	}
	return false, nil
}

func (st *state) record(k byte, d *dec) error {
	switch k {
	case kHost:
		var h hostStatic
		h.decode(d)
		if d.err == nil {
			st.host = h
		}
	case kSample:
		st.sample(d)
	case kProcs:
		t := st.clock + d.varint()
		flags := d.uvarint()
		var prev []procQ
		if flags&tableFull == 0 {
			if !st.procSet {
				return errCorrupt
			}
			prev = st.procs
		}
		out := readTable(d, prev, st.spare, t)
		if d.err != nil {
			return errCorrupt
		}
		st.procs, st.spare = out, st.procs
		st.procNS, st.procSet, st.procsOut = t, true, nil
	case kPressure:
		flags := d.uvarint()
		var v [psiSlots]uint64
		for i := range v {
			v[i] = st.pressQ[i] + uint64(d.varint())
		}
		if d.err != nil || flags&^(psiPresent|psiCPUFull|psiMemFull|psiIOFull) != 0 {
			return errCorrupt
		}
		st.pressQ = v
		st.press = pressureFrom(flags|psiPresent, v[:])
	case kCgroups:
		t := st.clock + d.varint()
		flags := d.uvarint()
		var prev []cgQ
		if flags&tableFull == 0 {
			if !st.cgSet {
				return errCorrupt
			}
			prev = st.cgs
		}
		out := readCgroups(d, prev, st.cgSpare)
		if d.err != nil {
			return errCorrupt
		}
		st.cgs, st.cgSpare = out, st.cgs
		st.cgNS, st.cgSet, st.cgOut = t, true, nil
	case kSensors:
		flags := d.uvarint()
		base := st.sensVals
		if flags&sensorsKeyed != 0 {
			st.sens.decode(d)
			base = nil
		} else if !st.sensSet {
			return errCorrupt
		}
		n := st.sens.values()
		if d.err != nil || n > len(d.b) {
			st.sensSet = false
			return errCorrupt
		}
		vals := make([]uint64, n)
		for i := range vals {
			var b uint64
			if i < len(base) {
				b = base[i]
			}
			vals[i] = b + uint64(d.varint())
		}
		if d.err != nil {
			st.sensSet = false
			return errCorrupt
		}
		st.sensVals, st.sensSet = vals, true
		st.sensOut, st.batOut = st.sens.readings(vals)
	case kCheck:
		var r CheckResult
		r.Time = fromNS(st.clock + d.varint())
		flags := d.byte1()
		r.CheckID, r.Type, r.Label = d.str(), d.str(), d.str()
		r.Available = d.boolean()
		r.Status = d.str()
		n := d.count(5)
		if n > 0 {
			r.Metrics = make([]Metric, n)
			for i := range r.Metrics {
				r.Metrics[i] = Metric{Dimension: d.str(), Name: d.str(), Type: d.str(), Value: d.str(), Unit: d.str()}
			}
		}
		if d.err != nil {
			return errCorrupt
		}
		st.checks[r.CheckID] = r
		if flags&fRestated == 0 {
			st.newChecks = append(st.newChecks, r)
		}
	case kAlarm:
		var a AlarmTransition
		a.Time = fromNS(st.clock + d.varint())
		flags := d.byte1()
		a.CheckID, a.Alarm, a.From, a.To, a.Message = d.str(), d.str(), d.str(), d.str(), d.str()
		if d.err != nil {
			return errCorrupt
		}
		if a.To == "" {
			delete(st.alarms, alarmKey{a.CheckID, a.Alarm})
		} else {
			st.alarms[alarmKey{a.CheckID, a.Alarm}] = a
		}
		if flags&fRestated == 0 {
			st.transitions = append(st.transitions, a)
		}
	case kLink:
		var l LinkEvent
		l.Time = fromNS(st.clock + d.varint())
		flags := d.byte1()
		l.Endpoint, l.State, l.Error = d.str(), d.str(), d.str()
		if d.err != nil {
			return errCorrupt
		}
		st.links[l.Endpoint] = l
		if flags&fRestated == 0 {
			st.linkEvents = append(st.linkEvents, l)
		}
	case kForget:
		d.varint()
		id := d.str()
		if d.err != nil {
			return errCorrupt
		}
		delete(st.checks, id)
		for k := range st.alarms {
			if k.check == id {
				delete(st.alarms, k)
			}
		}
	default:
		// A kind this version does not know (a later minor addition):
		// skipped whole, its length is known.
		return nil
	}
	if d.err != nil {
		return errCorrupt
	}
	if k == kCheck || k == kAlarm || k == kLink || k == kForget {
		st.stale = true
	}
	return nil
}

func (st *state) sample(d *dec) {
	st.press = nil
	flags := d.uvarint()
	prev := st.vec
	if flags&sampleLayout != 0 {
		st.lay.decode(d)
		st.haveLay = d.err == nil
		prev = nil
	} else if !st.haveLay {
		d.fail()
		return
	}
	s := &collector.Snapshot{Time: fromNS(st.clock)}
	shape(s, &st.lay)
	x := vec{v: make([]uint64, 0, len(prev)), prev: prev, d: d}
	visitSample(s, &st.lay, &x)
	n := d.count(2)
	for i := 0; i < n && d.err == nil; i++ {
		if s.Errors == nil {
			s.Errors = make(map[string]string, n)
		}
		k := d.str()
		s.Errors[k] = d.str()
	}
	if d.err != nil {
		st.haveLay = false
		return
	}
	s.Host = st.host.host(s.Host.UptimeS)
	st.vec, st.snap, st.sampleNS = x.v, s, st.clock
	st.seq++
}

// frame returns the state as a Frame; nil before the first sample.
func (st *state) frame() *Frame {
	if st.snap == nil {
		return nil
	}
	snap := *st.snap
	if st.procSet {
		if st.procsOut == nil {
			st.procsOut = materialize(st.procs)
		}
		snap.Processes = st.procsOut
	}
	snap.Pressure = st.press
	if st.cgSet {
		if st.cgOut == nil {
			st.cgOut = materializeCgroups(st.cgs)
		}
		snap.Cgroups = st.cgOut
	}
	snap.Sensors, snap.Batteries = st.sensOut, st.batOut
	if st.stale {
		st.checksOut, st.alarmsOut, st.linksOut = nil, nil, nil
		for _, id := range slices.Sorted(maps.Keys(st.checks)) {
			st.checksOut = append(st.checksOut, st.checks[id])
		}
		for _, k := range sortedAlarmKeys(st.alarms) {
			st.alarmsOut = append(st.alarmsOut, st.alarms[k])
		}
		for _, ep := range slices.Sorted(maps.Keys(st.links)) {
			st.linksOut = append(st.linksOut, st.links[ep])
		}
		st.stale = false
	}
	f := &Frame{Snapshot: &snap, Checks: st.checksOut, Alarms: st.alarmsOut, Links: st.linksOut,
		NewChecks: st.newChecks, Transitions: st.transitions, LinkEvents: st.linkEvents}
	if st.procSet {
		f.ProcessTime = fromNS(st.procNS)
	}
	if st.cgSet {
		f.CgroupTime = fromNS(st.cgNS)
	}
	return f
}

// readRollups calls fn for each series point of a rollup block's payload.
func readRollups(raw []byte, first int64, fn func(name string, p Point)) error {
	d := &dec{b: raw}
	for len(d.b) > 0 {
		k := d.byte1()
		n := d.uvarint()
		if d.err != nil || n > uint64(len(d.b)) {
			return errCorrupt
		}
		body := dec{b: d.bytesN(int(n))}
		if k != kRollup {
			continue
		}
		start := fromNS(first + body.varint()).UTC()
		cnt := body.count(18)
		for i := 0; i < cnt && body.err == nil; i++ {
			name := body.str()
			p := Point{Start: start, Count: int(min(body.uvarint(), 1<<31))}
			p.Min, p.Avg, p.Max, p.Last = body.f32(), body.f32(), body.f32(), body.f32()
			if body.err == nil {
				fn(name, p)
			}
		}
		if body.err != nil {
			return errCorrupt
		}
	}
	return nil
}
