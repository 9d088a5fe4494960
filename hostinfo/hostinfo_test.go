package hostinfo

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/protocol"
)

var update = flag.Bool("update", false, "rewrite testdata/golden")

// fixedNow is the tests' clock: 2024-03-05 06:07:08.9 UTC.
var fixedNow = time.Date(2024, 3, 5, 6, 7, 8, 900e6, time.UTC)

// utmpRecord builds one glibc utmp record.
func utmpRecord(typ int16, line, user, host string, sec int32) []byte {
	r := make([]byte, utmpSize)
	binary.LittleEndian.PutUint16(r[0:2], uint16(typ))
	copy(r[utmpOffLine:], line)
	copy(r[utmpOffUser:], user)
	copy(r[utmpOffHost:], host)
	binary.LittleEndian.PutUint32(r[utmpOffSec:], uint32(sec))
	return r
}

func testOptions(t *testing.T) Options {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("testdata", "host"))
	if err != nil {
		t.Fatal(err)
	}
	utmp := filepath.Join(t.TempDir(), "utmp")
	var b []byte
	b = append(b, utmpRecord(2, "~", "reboot", "6.1.0", 1700000000)...) // BOOT_TIME
	b = append(b, utmpRecord(7, "pts/0", "root", "10.0.0.9", 1700000100)...)
	b = append(b, utmpRecord(8, "pts/1", "gone", "", 1700000200)...) // DEAD_PROCESS
	if err := os.WriteFile(utmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	wtmp := filepath.Join(t.TempDir(), "wtmp")
	var w []byte
	w = append(w, utmpRecord(2, "~", "reboot", "3.19.0-23-generic", 1440000000)...)          // boot
	w = append(w, utmpRecord(7, "pts/0", "root", "secure-bastion.dfw", 1440000000+3600)...)  // login
	w = append(w, utmpRecord(8, "pts/0", "", "", 1440000000+3600+36*60)...)                  // its logout, 36 min later
	w = append(w, utmpRecord(7, "pts/1", "alice", "", 1440000000+86400*11+3600*19+60*26)...) // still logged in
	if err := os.WriteFile(wtmp, w, 0o644); err != nil {
		t.Fatal(err)
	}
	return Options{
		Root: filepath.Join(root, "root"), WtmpPath: wtmp, Run: cannedCommands(t, filepath.Join(root, "commands.json")),
		ProcRoot: filepath.Join(root, "proc"), SysRoot: filepath.Join(root, "sys"), EtcRoot: filepath.Join(root, "etc"),
		UtmpPath: utmp,
		Now:      func() time.Time { return fixedNow },
		Location: time.FixedZone("CET", 3600),
		Addrs: func(name string) ([]net.Addr, error) {
			switch name {
			case "lo":
				return []net.Addr{&net.IPNet{IP: net.IPv4(127, 0, 0, 1), Mask: net.CIDRMask(8, 32)}, &net.IPNet{IP: net.IPv6loopback, Mask: net.CIDRMask(128, 128)}}, nil
			case "eth0":
				return []net.Addr{
					&net.IPNet{IP: net.ParseIP("fe80::be76:4eff:fe05:678d"), Mask: net.CIDRMask(64, 128)},
					&net.IPNet{IP: net.IPv4(162, 209, 76, 174).To4(), Mask: net.CIDRMask(24, 32)},
					&net.IPNet{IP: net.IPv4(10, 0, 0, 1).To4(), Mask: net.CIDRMask(8, 32)},
				}, nil
			}
			return nil, nil
		},
		GOOS: "linux",
	}
}

// cannedCommands answers the commands of file (a JSON object from
// "path args..." to stdout); any other command fails as an absent one.
func cannedCommands(t *testing.T, file string) func(context.Context, string, ...string) ([]byte, error) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return func(_ context.Context, path string, args ...string) ([]byte, error) {
		out, ok := m[strings.Join(append([]string{path}, args...), " ")]
		if !ok {
			return nil, &os.PathError{Op: "fork/exec", Path: path, Err: os.ErrNotExist}
		}
		return []byte(out), nil
	}
}

// testSnapshot is the agent's snapshot the DISK, FILESYSTEM,
// FILESYSTEM_STATE, SYSTEM and HOSTNAME types read.
func testSnapshot() *collector.Snapshot {
	return &collector.Snapshot{
		Host: collector.Host{Hostname: "web1", OS: "linux", Platform: "ubuntu", PlatformVersion: "22.04", Kernel: "6.1.0-13-amd64", Arch: "x86_64"},
		Filesystems: []collector.Filesystem{
			{Mount: "/", Device: "/dev/xvda1", Disk: "xvda1", FSType: "ext4", Options: "rw,relatime,errors=remount-ro",
				TotalBytes: 20 << 30, FreeBytes: 8 << 30, AvailBytes: 7 << 30, InodesTotal: 1310720, InodesFree: 1168101},
			{Mount: "/srv", Device: "/dev/xvdb", Disk: "xvdb", FSType: "xfs", Options: "ro,noatime", ReadOnly: true,
				TotalBytes: 1 << 30, FreeBytes: 1 << 29, AvailBytes: 1 << 29, InodesTotal: 1000, InodesFree: 900},
			{Mount: "/srv/bind", Device: "/dev/xvdb", Disk: "xvdb", FSType: "xfs", Options: "ro,noatime", ReadOnly: true},
			{Mount: "/mnt/nfs", Device: "nas:/export", FSType: "nfs4", Options: "rw,vers=4.2"},
		},
		Disks: []collector.Disk{
			{Name: "xvda1", Reads: 846247, Writes: 1714790, ReadBytes: 25219298304, WriteBytes: 23091617792, ReadTimeMs: 6938324, WriteTimeMs: 14780952, IOTimeMs: 2257456},
			{Name: "xvdb", Reads: 10, Writes: 0, ReadBytes: 40960, ReadTimeMs: 3, IOTimeMs: 3},
		},
	}
}

// TestGolden checks every type this package answers, field by field,
// against testdata/golden/TYPE.json (go test -run TestGolden -update
// rewrites them; review the diff). The values were checked by hand against
// sigar's formulas and the original's debug outputs (hostinfo/debug/*.json:
// the PROCS entry of pid 1 and MEMORY match them exactly).
func TestGolden(t *testing.T) {
	s := New(testOptions(t))
	snap := testSnapshot()
	types := s.Types()
	if len(types) != len(registry) {
		t.Fatalf("Types() = %d types, registry has %d", len(types), len(registry))
	}
	for _, typ := range types {
		t.Run(typ, func(t *testing.T) {
			r := s.Get(context.Background(), typ, snap)
			if r.Error != "" {
				t.Fatalf("error %q", r.Error)
			}
			got, err := json.MarshalIndent(r, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "golden", typ+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s:\n%s", typ, path, got)
			}
		})
	}
}

func TestSystemInfoGolden(t *testing.T) {
	s := New(testOptions(t))
	si, err := s.SystemInfo(context.Background(), testSnapshot())
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.MarshalIndent(si, "", "  ")
	got = append(got, '\n')
	path := filepath.Join("testdata", "golden", "system.info.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("system.info differs from %s:\n%s", path, got)
	}
}

// TestSigarValues spells out the values that follow sigar's formulas, so a
// golden rewrite cannot hide a change to them.
func TestSigarValues(t *testing.T) {
	s := New(testOptions(t))
	ctx := context.Background()
	mem := s.Get(ctx, "MEMORY", nil).Metrics.(protocol.HostInfoMemory)
	// hostinfo/debug/MEMORY.json has the same totals and these results.
	if mem.RAM != 488 || mem.ActualFree != 211050496 || mem.ActualUsed != 295849984 || mem.Used != 484286464 {
		t.Errorf("memory = %+v", mem)
	}
	if mem.UsedPercent < 58.3645 || mem.UsedPercent > 58.3646 || mem.FreePercent < 41.6354 || mem.FreePercent > 41.6355 {
		t.Errorf("percentages = %v, %v", mem.UsedPercent, mem.FreePercent)
	}
	if mem.SwapPageIn != 17 || mem.SwapPageOut != 23 || mem.SwapUsed != 48572*1024 {
		t.Errorf("swap = %+v", mem)
	}
	cpu := s.Get(ctx, "CPU", nil).Metrics.([]protocol.HostInfoCPU)
	if len(cpu) != 2 || cpu[1].User != 2000 || cpu[1].Total != 43390 || cpu[1].Name != "cpu.1" ||
		cpu[0].Vendor != "Intel" || cpu[0].Model != "Xeon" || cpu[0].Mhz != 2600 || cpu[0].TotalCores != 2 || cpu[0].TotalSockets != 1 {
		t.Errorf("cpu = %+v", cpu)
	}
	procs := s.Get(ctx, "PROCS", nil).Metrics.([]protocol.HostInfoProcess)
	if len(procs) != 2 {
		t.Fatalf("procs = %+v", procs)
	}
	p1, p42 := procs[0], procs[1]
	// hostinfo/debug/PROCS.json pid 1 has these values.
	if p1.ProcExe == nil || p1.ExeName != "/lib/systemd/systemd" || p1.ProcTime.User != 21140 || p1.ProcTime.Total != 48560 ||
		p1.Resident != 3604480 || p1.Share != 2158592 || p1.PageFaults != 564624 || p1.ProcTime.StartTime != 1700000000500 {
		t.Errorf("pid 1 = %+v %+v %+v %+v", p1.ProcExe, p1.ProcTime, p1.ProcState, p1.ProcMem)
	}
	if p42.ProcExe != nil || p42.ProcState.Name != "kworker/0:1 (x)" || p42.ProcState.PPID != 2 {
		t.Errorf("pid 42 = %+v %+v", p42.ProcExe, p42.ProcState)
	}
	eth0 := s.Get(ctx, "NETWORK", nil).Metrics.([]protocol.HostInfoNetwork)[1]
	if eth0.Address != "162.209.76.174" || eth0.Netmask != "255.255.255.0" || eth0.Broadcast != "162.209.76.255" ||
		eth0.Address6 != "fe80::be76:4eff:fe05:678d" || eth0.Hwaddr != "BC:76:4E:05:67:8D" || eth0.Type != "Ethernet" ||
		eth0.RxOverruns != 3 || eth0.TxCollisions != 8 || eth0.TxCarrier != 9 || eth0.Flags != 0x1003 {
		t.Errorf("eth0 = %+v", eth0)
	}
	date := s.Get(ctx, "DATE", nil)
	if d := date.Metrics.([]protocol.HostInfoDate)[0]; d.Time != "07:07:08" || d.Date.Day != "05" || d.Timezone != "CET" {
		t.Errorf("date = %+v", d)
	}
	if date.Timestamp != 1709618828000 {
		t.Errorf("timestamp = %d, want whole seconds in ms", date.Timestamp)
	}
}

// TestResults covers the original's answers that are not data: unknown
// types, Linux-only types elsewhere, empty results, base.lua's flattening
// of one-row results, NIL.
func TestResults(t *testing.T) {
	ctx := context.Background()
	o := testOptions(t)
	s := New(o)

	// apache2.lua:141-144: no spawn config for an unknown distro.
	r := s.Get(ctx, "APACHE2", &collector.Snapshot{Host: collector.Host{Platform: "arch"}})
	if r.Error != "Couldn't decipher linux distro for check APACHE2" || !reflect.DeepEqual(r.Metrics, []any{}) {
		t.Errorf("APACHE2 = %+v", r)
	}
	if r := s.Get(ctx, "no such type", nil); r.Error != protocol.HostInfoUnsupported {
		t.Errorf("unknown = %+v", r)
	}
	if r := s.Get(ctx, "NIL", nil); r.Error != "" || !reflect.DeepEqual(r.Metrics, []any{}) {
		t.Errorf("NIL = %+v", r)
	}
	if r := s.Get(ctx, "DISK", nil); r.Error != errNoSample.Error() {
		t.Errorf("DISK before a sample = %+v", r)
	}
	// One fstab line is an object, not a list (base.lua _pushParams).
	if _, ok := s.Get(ctx, "FSTAB", nil).Metrics.(protocol.HostInfoFstab); !ok {
		t.Errorf("FSTAB with one line is not flattened")
	}
	if _, ok := s.Get(ctx, "KERNEL_MODULES", nil).Metrics.([]protocol.HostInfoKernelModule); !ok {
		t.Errorf("KERNEL_MODULES with two lines is not a list")
	}
	// An empty file is "no data".
	empty := t.TempDir()
	if err := os.WriteFile(filepath.Join(empty, "fstab"), []byte("# nothing\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	oe := o
	oe.EtcRoot = empty
	if r := New(oe).Get(ctx, "FSTAB", nil); r.Error != protocol.HostInfoNoData {
		t.Errorf("empty FSTAB = %+v", r)
	}
	if r := New(oe).Get(ctx, "LOGIN", nil); r.Error == "" || !strings.Contains(r.Error, "login.defs") {
		t.Errorf("missing login.defs = %+v", r)
	}
	// No utmp: nobody logged in.
	oe.UtmpPath = filepath.Join(empty, "utmp")
	if r := New(oe).Get(ctx, "WHO", nil); r.Error != "" || !reflect.DeepEqual(r.Metrics, []protocol.HostInfoWho{}) {
		t.Errorf("WHO without utmp = %+v", r)
	}
	// Elsewhere the Linux-only types are neither listed nor built.
	od := o
	od.GOOS = "darwin"
	for _, typ := range New(od).Types() {
		if registry[typ].linuxOnly {
			t.Errorf("%s listed on darwin", typ)
		}
	}
	if r := New(od).Get(ctx, "FSTAB", nil); r.Error != "Unsupported operating system for FSTAB" {
		t.Errorf("FSTAB on darwin = %+v", r)
	}
}

func TestParseUtmp(t *testing.T) {
	b := append(utmpRecord(7, "tty1", "alice", "", 5), utmpRecord(7, "pts/3", "bob", "host.example", -1)...)
	b = append(b, 1, 2, 3) // a torn record
	got := parseUtmp(b)
	want := []protocol.HostInfoWho{{User: "alice", Device: "tty1", Time: 5}, {User: "bob", Device: "pts/3", Host: "host.example", Time: -1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v", got)
	}
}

func TestRouteFlags(t *testing.T) {
	for _, c := range []struct {
		f      uint64
		v4, v6 string
	}{
		{0x3, "UG", "UG"},
		{0x1, "U", "U"},
		{0x200200, "!", "!n"},
		{0x450003, "UG", "UGDAe"},
		{0x5, "UH", "UH"},
	} {
		if got := route4Flags(c.f); got != c.v4 {
			t.Errorf("route4Flags(%#x) = %q, want %q", c.f, got, c.v4)
		}
		if got := route6Flags(c.f); got != c.v6 {
			t.Errorf("route6Flags(%#x) = %q, want %q", c.f, got, c.v6)
		}
	}
}

// FuzzTextParsers feeds one input to every parser of a /proc or /etc file:
// none may panic, whatever the bytes.
func FuzzTextParsers(f *testing.F) {
	for _, p := range []string{"proc/stat", "proc/cpuinfo", "proc/meminfo", "proc/net/dev", "proc/net/route", "proc/net/ipv6_route", "proc/modules", "proc/1/stat", "etc/fstab", "etc/login.defs"} {
		b, err := os.ReadFile(filepath.Join("testdata", "host", p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("1 (a) S"))
	f.Add([]byte("cpu9 x\nprocessor : 0\ncache size : \n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseCPUStat(b)
		parseCPUInfo(b)
		sigarMemory(parseMeminfo(b), parseVmstat(b))
		parseNetDev(b)
		parseRoute4(b)
		parseRoute6(b)
		parseModules(b)
		_, _ = parsePidStat(b)
		parseBtime(b)
		parseFstab(b)
		parseLoginDefs(b)
		sysctlValue(b)
	})
}

func FuzzParseUtmp(f *testing.F) {
	f.Add(utmpRecord(7, "pts/0", "root", "h", 1))
	f.Add(append(utmpRecord(7, "", "\xff\xfe", "", 0), 7, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, w := range parseUtmp(b) {
			if w.User == "" {
				t.Fatalf("a record without a user: %+v", w)
			}
		}
	})
}
