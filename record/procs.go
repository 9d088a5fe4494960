package record

import (
	"math"
	"sort"
	"time"

	"github.com/virgo-top/virgo-top/collector"
)

// Process table fields by their bit in an op's mask (bit 0 says the
// process is gone). The fields that change between two samples of a busy
// process come first, so the usual change fits a one-byte mask.
const (
	pGone uint64 = 1 << iota
	pCPUPct
	pCPUTime
	pRSS
	pState
	pMemPct
	pVMS
	pThreads
	pPPID
	pName
	pUser
	pUID
	pStart
	pNice
	pCmdline
	// Version 2.
	pIORead
	pIOWrite
	pIOKnown
	pCgroup
	pContainer

	pFields = pContainer<<1 - 2 // every field bit
)

// Numeric and text slots of a procQ.
const (
	nCPUPct = iota
	nCPUTime
	nRSS
	nMemPct
	nVMS
	nThreads
	nPPID
	nUID
	nStart
	nNice
	nIORead
	nIOWrite
	nIOKnown
	nNum
)

const (
	sState = iota
	sName
	sUser
	sCmdline
	sCgroup
	sContainer
	nStr
)

// procFields lists the fields in mask-bit order: the order their values
// follow an op's mask. num/str say which slot each one is.
var procFields = [...]struct {
	bit      uint64
	num, str int8
}{
	{pCPUPct, nCPUPct, -1}, {pCPUTime, nCPUTime, -1}, {pRSS, nRSS, -1}, {pState, -1, sState},
	{pMemPct, nMemPct, -1}, {pVMS, nVMS, -1}, {pThreads, nThreads, -1}, {pPPID, nPPID, -1},
	{pName, -1, sName}, {pUser, -1, sUser}, {pUID, nUID, -1}, {pStart, nStart, -1},
	{pNice, nNice, -1}, {pCmdline, -1, sCmdline},
	{pIORead, nIORead, -1}, {pIOWrite, nIOWrite, -1}, {pIOKnown, nIOKnown, -1}, {pCgroup, -1, sCgroup}, {pContainer, -1, sContainer},
}

// procQ is one process as the recording keeps it: quantized numbers and
// the masked command line.
type procQ struct {
	pid int32
	num [nNum]uint64
	str [nStr]string
	raw string // encoder only: the unmasked command line str[sCmdline] came from
}

func tns(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNS(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

func quantProc(p *collector.Process, q *procQ) {
	q.pid = p.PID
	q.num = [nNum]uint64{q100(p.CPUPct), q100(p.CPUTimeS), p.RSSBytes, q100(p.MemPct), p.VMSBytes,
		i64(int64(p.Threads)), i64(int64(p.PPID)), uint64(p.UID), i64(tns(p.StartTime)), i64(int64(p.Nice)), 0, 0, 0}
	if p.IOKnown {
		q.num[nIORead], q.num[nIOWrite], q.num[nIOKnown] = q1(p.IOReadBps), q1(p.IOWriteBps), 1
	}
	q.str = [nStr]string{p.State, p.Name, p.User, "", p.Cgroup, p.Container}
	q.raw = p.Cmdline
}

func (q *procQ) process() collector.Process {
	return collector.Process{
		PID: q.pid, PPID: clampInt32(asI64(q.num[nPPID])), Name: q.str[sName], User: q.str[sUser],
		UID: clampUint32(q.num[nUID]), State: q.str[sState], Threads: clampInt32(asI64(q.num[nThreads])),
		CPUPct: uq100(q.num[nCPUPct]), CPUTimeS: uq100(q.num[nCPUTime]), RSSBytes: q.num[nRSS],
		VMSBytes: q.num[nVMS], MemPct: uq100(q.num[nMemPct]), StartTime: fromNS(asI64(q.num[nStart])),
		Nice: clampInt32(asI64(q.num[nNice])), Cmdline: q.str[sCmdline],
		IOReadBps: uq1(q.num[nIORead]), IOWriteBps: uq1(q.num[nIOWrite]), IOKnown: q.num[nIOKnown] != 0,
		Cgroup: q.str[sCgroup], Container: q.str[sContainer],
	}
}

// quantTable turns a snapshot's processes into cur, sorted by pid without
// duplicates, leaving out thread rows (collector.Sampler.SetThreads: the
// recording keeps processes). A command line is masked only when it is
// new for its pid; otherwise the masked text of prev is reused (masking
// 300 command lines every sample would cost more than encoding them).
func quantTable(ps []collector.Process, prev, cur []procQ, mask func(string) string) []procQ {
	cur = cur[:0]
	var order []int // the collector sorts by pid; anything else is sorted here
	for i := 1; i < len(ps); i++ {
		if ps[i].PID < ps[i-1].PID {
			order = make([]int, len(ps))
			for i := range order {
				order[i] = i
			}
			sort.SliceStable(order, func(a, b int) bool { return ps[order[a]].PID < ps[order[b]].PID })
			break
		}
	}
	j := 0
	for k := range ps {
		p := &ps[k]
		if order != nil {
			p = &ps[order[k]]
		}
		if n := len(cur); p.Thread || n > 0 && cur[n-1].pid == p.PID {
			continue
		}
		var q procQ
		quantProc(p, &q)
		for j < len(prev) && prev[j].pid < q.pid {
			j++
		}
		if j < len(prev) && prev[j].pid == q.pid && prev[j].raw == q.raw {
			q.str[sCmdline] = prev[j].str[sCmdline]
		} else {
			q.str[sCmdline] = mask(q.raw)
		}
		cur = append(cur, q)
	}
	return cur
}

// firstPID is below every pid: op pids are written as increments from the
// previous op's (from firstPID for the first), so 0 can end the list.
const firstPID = int64(math.MinInt32) - 1

// writeTable appends the ops that turn table prev into cur (both sorted by
// pid), then the terminating 0. tableNS is the table's time: a new
// process's start time is written relative to it.
func writeTable(e *enc, prev, cur []procQ, tableNS int64) {
	last := firstPID
	op := func(pid int32, mask uint64) {
		e.uvarint(uint64(int64(pid) - last))
		last = int64(pid)
		e.uvarint(mask)
	}
	fields := func(q, base *procQ, mask uint64) {
		for _, f := range procFields {
			if mask&f.bit == 0 {
				continue
			}
			if f.num >= 0 {
				e.delta(q.num[f.num], base.num[f.num])
			} else {
				e.str(q.str[f.str])
			}
		}
	}
	i := 0
	var zero procQ
	zero.num[nStart] = uint64(tableNS)
	for k := range cur {
		q := &cur[k]
		for i < len(prev) && prev[i].pid < q.pid {
			op(prev[i].pid, pGone)
			i++
		}
		if i < len(prev) && prev[i].pid == q.pid {
			p := &prev[i]
			i++
			mask := diffMask(q, p)
			if mask != 0 {
				op(q.pid, mask)
				fields(q, p, mask)
			}
			continue
		}
		mask := diffMask(q, &zero)
		op(q.pid, mask)
		fields(q, &zero, mask)
	}
	for ; i < len(prev); i++ {
		op(prev[i].pid, pGone)
	}
	e.uvarint(0)
}

func diffMask(q, p *procQ) uint64 {
	var mask uint64
	for _, f := range procFields {
		if f.num >= 0 {
			if q.num[f.num] != p.num[f.num] {
				mask |= f.bit
			}
		} else if q.str[f.str] != p.str[f.str] {
			mask |= f.bit
		}
	}
	return mask
}

// readTable applies the ops that follow in d to prev and returns the new
// table in out (which must not share memory with prev). Ops must come in
// increasing pid order, a gone op must name a process of prev: anything
// else is corrupt.
func readTable(d *dec, prev, out []procQ, tableNS int64) []procQ {
	out = out[:0]
	i := 0
	last := firstPID
	for d.err == nil {
		delta := d.uvarint()
		if delta == 0 {
			break
		}
		if delta > 1<<33 || last+int64(delta) > math.MaxInt32 {
			d.fail()
			break
		}
		last += int64(delta)
		pid := int32(last)
		for i < len(prev) && prev[i].pid < pid {
			out = append(out, prev[i])
			i++
		}
		mask := d.uvarint()
		exists := i < len(prev) && prev[i].pid == pid
		if mask&^(pFields|pGone) != 0 || (mask&pGone != 0 && (mask != pGone || !exists)) {
			d.fail()
			break
		}
		if mask == pGone {
			i++
			continue
		}
		var q procQ
		if exists {
			q = prev[i]
			i++
		} else {
			q.pid = pid
			q.num[nStart] = uint64(tableNS)
		}
		for _, f := range procFields {
			if mask&f.bit == 0 {
				continue
			}
			if f.num >= 0 {
				q.num[f.num] += uint64(d.varint())
			} else {
				q.str[f.str] = d.str()
			}
		}
		out = append(out, q)
	}
	if d.err != nil {
		return out[:0]
	}
	return append(out, prev[i:]...)
}

// materialize returns the table as collector Processes.
func materialize(tab []procQ) []collector.Process {
	out := make([]collector.Process, len(tab))
	for i := range tab {
		out[i] = tab[i].process()
	}
	return out
}
