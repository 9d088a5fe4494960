package collector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
)

// memInfo holds the /proc/meminfo fields we use, in bytes.
type memInfo struct {
	total, free, available, buffers, cached, sreclaimable uint64
	swapTotal, swapFree                                   uint64
	hasAvailable                                          bool
}

var errNoMemTotal = errors.New("no MemTotal")

// parseMeminfo parses /proc/meminfo ("Key:   123 kB" lines).
func parseMeminfo(data []byte) (memInfo, error) {
	var m memInfo
	seenTotal := false
	for len(data) > 0 {
		var line []byte
		line, data = nextLine(data)
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			continue
		}
		var dst *uint64
		switch string(line[:colon]) {
		case "MemTotal":
			dst, seenTotal = &m.total, true
		case "MemFree":
			dst = &m.free
		case "MemAvailable":
			dst, m.hasAvailable = &m.available, true
		case "Buffers":
			dst = &m.buffers
		case "Cached":
			dst = &m.cached
		case "SReclaimable":
			dst = &m.sreclaimable
		case "SwapTotal":
			dst = &m.swapTotal
		case "SwapFree":
			dst = &m.swapFree
		default:
			continue
		}
		f := bytes.Fields(line[colon+1:])
		if len(f) == 0 {
			return memInfo{}, fmt.Errorf("meminfo %s: no value", line[:colon])
		}
		v, err := strconv.ParseUint(string(f[0]), 10, 64)
		if err != nil {
			return memInfo{}, fmt.Errorf("meminfo %s: %w", line[:colon], err)
		}
		mult := uint64(1)
		if len(f) > 1 && string(f[1]) == "kB" {
			mult = 1024
		}
		if v > (1<<64-1)/mult {
			return memInfo{}, fmt.Errorf("meminfo %s: value %d kB overflows", line[:colon], v)
		}
		*dst = v * mult
	}
	if !seenTotal {
		return memInfo{}, errNoMemTotal
	}
	return m, nil
}

// parseVMStat returns pswpin and pswpout (pages) from /proc/vmstat.
func parseVMStat(data []byte) (pswpin, pswpout uint64, err error) {
	for len(data) > 0 {
		var line []byte
		line, data = nextLine(data)
		key, val, ok := bytes.Cut(line, []byte(" "))
		if !ok {
			continue
		}
		var dst *uint64
		switch string(key) {
		case "pswpin":
			dst = &pswpin
		case "pswpout":
			dst = &pswpout
		default:
			continue
		}
		v, perr := strconv.ParseUint(string(bytes.TrimSpace(val)), 10, 64)
		if perr != nil {
			return 0, 0, fmt.Errorf("vmstat %s: %w", key, perr)
		}
		*dst = v
	}
	return pswpin, pswpout, nil
}

// memoryFrom turns meminfo into the Snapshot section.
//
// Used is Total - Available: memory that cannot be handed to a new
// workload without swapping. It is what `free` (procps-ng 4.0.1 and later)
// prints as "used"; older `free` printed total-free-buffers-cache, which
// counts unreclaimable shmem and slab as free. On kernels without
// MemAvailable (before 3.14) we fall back to that older formula.
// Cached is Cached + SReclaimable, `free -w`'s "cache" column.
func memoryFrom(m memInfo) Memory {
	avail := m.available
	if !m.hasAvailable {
		avail = m.free + m.buffers + m.cached + m.sreclaimable
	}
	if avail > m.total {
		avail = m.total
	}
	out := Memory{
		TotalBytes:     m.total,
		UsedBytes:      m.total - avail,
		FreeBytes:      m.free,
		AvailableBytes: avail,
		CachedBytes:    m.cached + m.sreclaimable,
		BuffersBytes:   m.buffers,
		SwapTotalBytes: m.swapTotal,
		SwapFreeBytes:  m.swapFree,
	}
	if m.total > 0 {
		out.UsedPct = float64(out.UsedBytes) * 100 / float64(m.total)
	}
	if m.swapTotal > m.swapFree {
		out.SwapUsedBytes = m.swapTotal - m.swapFree
	}
	return out
}

type memorySource struct {
	opts     Options
	pageSize uint64
}

func newMemorySource(opts Options, sys system) *memorySource {
	return &memorySource{opts: opts, pageSize: sys.pageSize}
}

func (*memorySource) Name() string { return SourceMemory }

func (m *memorySource) Collect(ctx context.Context, s *Snapshot) error {
	if !m.opts.procFS() {
		mem, err := memoryFallback(ctx)
		if err != nil {
			return err
		}
		s.Memory = mem
		return nil
	}
	root := m.opts.procRoot()
	data, err := readFile(root, "meminfo")
	if err != nil {
		return err
	}
	mi, err := parseMeminfo(data)
	if err != nil {
		return fmt.Errorf("parse %s/meminfo: %w", root, err)
	}
	vm, err := readFile(root, "vmstat")
	if err != nil {
		return err
	}
	in, out, err := parseVMStat(vm)
	if err != nil {
		return fmt.Errorf("parse %s/vmstat: %w", root, err)
	}
	mem := memoryFrom(mi)
	mem.SwapInBytes, mem.SwapOutBytes = in*m.pageSize, out*m.pageSize
	s.Memory = mem
	return nil
}
