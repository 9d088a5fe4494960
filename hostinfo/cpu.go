package hostinfo

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/protocol"
)

// msPerTick converts /proc/stat's USER_HZ (100 on every Linux Go supports)
// ticks to sigar's milliseconds (SIGAR_TICK2MSEC).
const msPerTick = 10

// parseCPUStat returns sigar's cpu data for each cpuN line of /proc/stat
// (not the "cpu" total), in order.
func parseCPUStat(b []byte) []protocol.CPUData {
	var out []protocol.CPUData
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 || !strings.HasPrefix(f[0], "cpu") || f[0] == "cpu" {
			continue
		}
		if _, err := strconv.Atoi(f[0][3:]); err != nil {
			continue
		}
		var v [8]uint64 // user nice system idle iowait irq softirq steal
		for i := range v {
			if i+1 < len(f) {
				n, _ := strconv.ParseUint(f[i+1], 10, 64)
				v[i] = n * msPerTick
			}
		}
		d := protocol.CPUData{User: v[0], Nice: v[1], Sys: v[2], Idle: v[3], Wait: v[4], Irq: v[5], SoftIrq: v[6], Stolen: v[7]}
		d.Total = d.User + d.Nice + d.Sys + d.Idle + d.Wait + d.Irq + d.SoftIrq + d.Stolen
		out = append(out, d)
	}
	return out
}

// sigar's cpu vendor names (sigar_util.c) and the model names it cuts a
// model string down to (sigar_cpu_model_adjust).
var (
	cpuVendors = map[string]string{"GenuineIntel": "Intel", "AuthenticAMD": "AMD", "CentaurHauls": "VIA"}
	cpuModels  = []string{"Xeon", "Pentium", "Celeron", "Itanium", "Opteron", "Athlon", "Duron", "Sempron", "Turion"}
)

// parseCPUInfo returns one CPUInfo per processor block of /proc/cpuinfo,
// with the totals sigar puts in every entry.
func parseCPUInfo(b []byte) []protocol.CPUInfo {
	type proc struct {
		vendor, model, phys, core string
		mhz, cache, cores         int64
	}
	var procs []proc
	var cur *proc
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k == "processor" {
			procs = append(procs, proc{})
			cur = &procs[len(procs)-1]
			continue
		}
		if cur == nil {
			continue
		}
		switch k {
		case "vendor_id", "CPU implementer":
			cur.vendor = v
		case "model name":
			cur.model = v
		case "cpu MHz":
			f, _ := strconv.ParseFloat(v, 64)
			cur.mhz = int64(f)
		case "cache size":
			n, _ := strconv.ParseInt(strings.Fields(v + " 0")[0], 10, 64)
			cur.cache = n
		case "physical id":
			cur.phys = v
		case "core id":
			cur.core = v
		case "cpu cores":
			cur.cores, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	sockets := map[string]bool{}
	var perSocket int64
	for _, p := range procs {
		sockets[p.phys] = true
		perSocket = max(perSocket, p.cores)
	}
	total := int64(len(procs))
	nsock := max(int64(len(sockets)), 1)
	if perSocket == 0 {
		perSocket = total / nsock
	}
	out := make([]protocol.CPUInfo, 0, len(procs))
	for _, p := range procs {
		vendor := cpuVendors[p.vendor]
		if vendor == "" {
			vendor = p.vendor
		}
		out = append(out, protocol.CPUInfo{
			Vendor: vendor, Model: cpuModel(p.model), Mhz: p.mhz, TotalSockets: nsock,
			TotalCores: total, CoresPerSocket: perSocket, CacheSize: p.cache,
		})
	}
	return out
}

// cpuModel cuts "Intel(R) Xeon(R) CPU E5-2670 0 @ 2.60GHz" to "Xeon" as
// sigar does; a model it does not know stays whole.
func cpuModel(m string) string {
	for _, name := range cpuModels {
		if strings.Contains(m, name) {
			return name
		}
	}
	return m
}

// cpus is sigar's cpu list: data from /proc/stat, info from /proc/cpuinfo
// (the first processor's info when cpuinfo has fewer blocks).
func (s *Source) cpus() ([]protocol.SystemInfoCPU, error) {
	st, err := readFile(s.opts.procRoot(), "stat")
	if err != nil {
		return nil, fmt.Errorf("cpu: %w", err)
	}
	data := parseCPUStat(st)
	ci, err := readFile(s.opts.procRoot(), "cpuinfo")
	if err != nil {
		return nil, fmt.Errorf("cpu: %w", err)
	}
	infos := parseCPUInfo(ci)
	out := make([]protocol.SystemInfoCPU, 0, len(data))
	for i, d := range data {
		var info protocol.CPUInfo
		switch {
		case i < len(infos):
			info = infos[i]
		case len(infos) > 0:
			info = infos[0]
		}
		out = append(out, protocol.SystemInfoCPU{Info: info, Data: d})
	}
	return out, nil
}

// buildCPU is hostinfo/cpu.lua:24-62: per cpu, sigar's data, five info
// fields and the name "cpu.N".
func buildCPU(_ context.Context, s *Source, _ *collector.Snapshot) (any, error) {
	cpus, err := s.cpus()
	if err != nil {
		return nil, err
	}
	out := make([]protocol.HostInfoCPU, 0, len(cpus))
	for i, c := range cpus {
		out = append(out, protocol.HostInfoCPU{
			CPUData: c.Data, Mhz: c.Info.Mhz, Model: c.Info.Model, TotalCores: c.Info.TotalCores,
			TotalSockets: c.Info.TotalSockets, Vendor: c.Info.Vendor, Name: "cpu." + strconv.Itoa(i),
		})
	}
	return out, nil
}

// meminfo reads the kB fields of /proc/meminfo, in bytes.
func parseMeminfo(b []byte) map[string]uint64 {
	out := map[string]uint64{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			continue
		}
		if len(f) > 1 && f[1] == "kB" {
			n *= 1024
		}
		out[strings.TrimSpace(k)] = n
	}
	return out
}

// parseVmstat reads "name value" lines of /proc/vmstat.
func parseVmstat(b []byte) map[string]uint64 {
	out := map[string]uint64{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		if n, err := strconv.ParseUint(f[1], 10, 64); err == nil {
			out[f[0]] = n
		}
	}
	return out
}

// sigarMemory is sigar's linux mem and swap (sigar_mem_get,
// sigar_mem_calc_ram, sigar_swap_get): the page cache is Buffers + Cached,
// ram is MB rounded up to a multiple of 8, the percentages are of KB.
func sigarMemory(mi, vm map[string]uint64) protocol.HostInfoMemory {
	m := protocol.HostInfoMemory{Total: mi["MemTotal"], Free: mi["MemFree"]}
	m.Used = m.Total - min(m.Free, m.Total)
	kern := mi["Buffers"] + mi["Cached"]
	m.ActualFree = m.Free + kern
	m.ActualUsed = m.Used - min(kern, m.Used)
	m.RAM = m.Total / (1024 * 1024)
	if r := m.RAM % 8; r > 0 {
		m.RAM += 8 - r
	}
	if kb := int64(m.Total / 1024); kb > 0 {
		m.UsedPercent = float64((kb-int64(m.ActualFree/1024))*100) / float64(kb)
		m.FreePercent = float64((kb-int64(m.ActualUsed/1024))*100) / float64(kb)
	}
	m.SwapTotal, m.SwapFree = mi["SwapTotal"], mi["SwapFree"]
	m.SwapUsed = m.SwapTotal - min(m.SwapFree, m.SwapTotal)
	m.SwapPageIn, m.SwapPageOut = vm["pswpin"], vm["pswpout"]
	return m
}

// buildMemory is hostinfo/memory.lua:25-57.
func buildMemory(_ context.Context, s *Source, _ *collector.Snapshot) (any, error) {
	mi, err := readFile(s.opts.procRoot(), "meminfo")
	if err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	vm, _ := readFile(s.opts.procRoot(), "vmstat") // absent: no paging counts
	return sigarMemory(parseMeminfo(mi), parseVmstat(vm)), nil
}
