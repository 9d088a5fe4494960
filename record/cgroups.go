package record

import (
	"slices"
	"sort"
	"strings"

	"github.com/virgo-top/virgo-top/collector"
)

// Numeric slots of a recorded cgroup, in the order of the bits of an
// entry's mask: the figures that change between two tables first.
const (
	cCPU     = iota // CPU % x100
	cMem            // bytes
	cIORead         // B/s
	cIOWrite        // B/s
	cProcs          // processes
	cPSI            // psiSlots values x100, in pressureSlots order
)

const (
	cPSIFlags = cPSI + psiSlots + iota // pressureSlots' flags
	cLimit                             // bytes
	cVersion
	cNum

	cFields = 1<<cNum - 1 // every field bit
)

// maxCgroupsRead bounds a table read from disk (the collector lists at
// most 512 groups).
const maxCgroupsRead = 1 << 14

// cgQ is one cgroup as the recording keeps it.
type cgQ struct {
	path, name, kind string
	num              [cNum]uint64
}

func quantCgroup(g *collector.Cgroup, q *cgQ) {
	q.path, q.name, q.kind = g.Path, g.Name, g.Kind
	q.num = [cNum]uint64{}
	q.num[cCPU], q.num[cMem], q.num[cIORead], q.num[cIOWrite] = q100(g.CPUPct), g.MemBytes, q1(g.IOReadBps), q1(g.IOWriteBps)
	q.num[cProcs], q.num[cLimit], q.num[cVersion] = i64(int64(g.Procs)), g.MemLimit, i64(int64(g.Version))
	q.num[cPSIFlags] = pressureSlots(g.Pressure, q.num[cPSI:cPSI+psiSlots])
}

func (q *cgQ) cgroup() collector.Cgroup {
	return collector.Cgroup{
		Path: q.path, Name: q.name, Kind: q.kind, Version: clampInt(asI64(q.num[cVersion])), Procs: clampInt(asI64(q.num[cProcs])),
		CPUPct: uq100(q.num[cCPU]), MemBytes: q.num[cMem], MemLimit: q.num[cLimit],
		IOReadBps: uq1(q.num[cIORead]), IOWriteBps: uq1(q.num[cIOWrite]),
		Pressure: pressureFrom(q.num[cPSIFlags], q.num[cPSI:cPSI+psiSlots]),
	}
}

// quantCgroups turns a snapshot's cgroups into cur, sorted by path without
// duplicates (the collector sorts them; anything else is sorted here).
func quantCgroups(gs []collector.Cgroup, cur []cgQ) []cgQ {
	cur = cur[:0]
	for i := range gs {
		var q cgQ
		quantCgroup(&gs[i], &q)
		cur = append(cur, q)
	}
	if !slices.IsSortedFunc(cur, func(a, b cgQ) int { return strings.Compare(a.path, b.path) }) {
		// not slices.SortStableFunc: a generic instance per struct shape costs ~10 KB
		sort.SliceStable(cur, func(i, j int) bool { return cur[i].path < cur[j].path })
	}
	return slices.CompactFunc(cur, func(a, b cgQ) bool { return a.path == b.path })
}

// writeCgroups appends the table cur (sorted by path) as entries that
// refer to the groups of prev (sorted by path): uvarint n, then per group
// a uvarint ref (0: a group not in prev, its strings path, name and kind
// follow; k > 0: the group of prev k places after the previous one
// referred to, the first counting from before prev's start), a uvarint
// mask and the masked slots as varint differences from the group in prev
// (or from zero).
func writeCgroups(e *enc, prev, cur []cgQ) {
	e.uvarint(uint64(len(cur)))
	j, last := 0, -1
	var zero cgQ
	for k := range cur {
		q := &cur[k]
		for j < len(prev) && prev[j].path < q.path {
			j++
		}
		base := &zero
		if j < len(prev) && prev[j].path == q.path {
			e.uvarint(uint64(j - last))
			base, last = &prev[j], j
			j++
		} else {
			e.uvarint(0)
			e.str(q.path)
			e.str(q.name)
			e.str(q.kind)
		}
		var mask uint64
		for i := range q.num {
			if q.num[i] != base.num[i] {
				mask |= 1 << i
			}
		}
		e.uvarint(mask)
		for i := range q.num {
			if mask&(1<<i) != 0 {
				e.delta(q.num[i], base.num[i])
			}
		}
	}
}

// readCgroups reads a table written by writeCgroups against prev into out
// (which must not share memory with prev); empty on corrupt input.
func readCgroups(d *dec, prev, out []cgQ) []cgQ {
	out = out[:0]
	n := d.count(2)
	if n > maxCgroupsRead {
		d.fail()
	}
	last := -1
	for i := 0; i < n && d.err == nil; i++ {
		var q cgQ
		ref := d.uvarint()
		if ref == 0 {
			q.path, q.name, q.kind = d.str(), d.str(), d.str()
		} else {
			if ref > uint64(len(prev)-last-1) {
				d.fail()
				break
			}
			last += int(ref)
			q = prev[last]
		}
		mask := d.uvarint()
		if mask&^cFields != 0 {
			d.fail()
			break
		}
		for k := range q.num {
			if mask&(1<<k) != 0 {
				q.num[k] += uint64(d.varint())
			}
		}
		out = append(out, q)
	}
	if d.err != nil {
		return out[:0]
	}
	return out
}

func materializeCgroups(tab []cgQ) []collector.Cgroup {
	out := make([]collector.Cgroup, len(tab))
	for i := range tab {
		out[i] = tab[i].cgroup()
	}
	return out
}
