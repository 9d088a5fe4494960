package collector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
)

const mebibyte = 1024 * 1024

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

// SigarRAM is sigar_mem_calc_ram (sigar_util.c in racker/sigar): the
// total in whole MB (truncated), rounded up to the next multiple of 8.
// 506900480 bytes (483.4 MB) gives 488.
func SigarRAM(totalBytes uint64) uint64 {
	ram := totalBytes / mebibyte
	if r := ram % 8; r > 0 {
		ram += 8 - r
	}
	return ram
}

// sigarActualFree is sigar_mem_get's actual_free on Linux (linux_sigar.c):
// MemFree + Buffers + Cached, meminfo's Cached alone (not SReclaimable,
// which Memory.CachedBytes adds).
func sigarActualFree(m memInfo) uint64 {
	return m.free + m.buffers + m.cached
}

// parseMTRR sums the sizes, in MB, of the write-back ranges of /proc/mtrr
// as get_ram (linux_sigar.c) does: on each line with "size=" followed
// somewhere by "write-back", the number after "size=" and any spaces, read
// as atoi reads it (a sign, then digits; the unit after it is ignored, so
// a "512KB" range counts 512).
func parseMTRR(data []byte) int64 {
	const limit = 1 << 40 // far above any real sum; keeps the sum from overflowing
	var total int64
	for len(data) > 0 {
		var line []byte
		line, data = nextLine(data)
		i := bytes.Index(line, []byte("size="))
		if i < 0 {
			continue
		}
		rest := line[i:]
		if !bytes.Contains(rest, []byte("write-back")) {
			continue
		}
		rest = bytes.TrimLeft(rest[len("size="):], " \t\n\v\f\r")
		total += atoi(rest, limit)
		total = max(min(total, limit), -limit)
	}
	return total
}

// atoi reads an optional sign and decimal digits from the start of b as
// C's atoi does (0 when there are none), clamped to ±limit.
func atoi(b []byte, limit int64) int64 {
	neg := false
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		neg = b[0] == '-'
		b = b[1:]
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			break
		}
		v = min(v*10+int64(c-'0'), limit)
	}
	if neg {
		return -v
	}
	return v
}

// mtrrRAM is get_ram's check of the mtrr sum against the total: sigar
// takes the sum only when it is not 0 and (sum - total MB), computed in
// unsigned 64 bits (a sum below the total wraps to a huge number), is at
// most 256.
func mtrrRAM(sumMB int64, totalBytes uint64) (uint64, bool) {
	if sumMB == 0 || uint64(sumMB)-totalBytes/mebibyte > 256 {
		return 0, false
	}
	return uint64(sumMB), true
}

type memorySource struct {
	opts     Options
	pageSize uint64
	// mtrrRead: ProcRoot/mtrr was read (once: its ranges do not change
	// while the machine runs); mtrrSum its write-back sum, 0 when absent
	// or unreadable. ram is sigar's cached ram once the sum passed
	// mtrrRAM (sigar too keeps it from then on).
	mtrrRead bool
	mtrrSum  int64
	ram      uint64
}

// ramMB is sigar's ram: the calculated value (SigarRAM), replaced by the
// mtrr sum when that is plausible (get_ram in linux_sigar.c).
func (m *memorySource) ramMB(totalBytes uint64) uint64 {
	if m.ram > 0 {
		return m.ram
	}
	if !m.mtrrRead {
		m.mtrrRead = true
		if data, err := readFile(m.opts.procRoot(), "mtrr"); err == nil {
			m.mtrrSum = parseMTRR(data)
		}
	}
	if v, ok := mtrrRAM(m.mtrrSum, totalBytes); ok {
		m.ram = v
		return v
	}
	return SigarRAM(totalBytes)
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
	mem.SwapInPages, mem.SwapOutPages = in, out
	mem.ActualFreeBytes = sigarActualFree(mi)
	mem.RAMMB = m.ramMB(mi.total)
	s.Memory = mem
	return nil
}
