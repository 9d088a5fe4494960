package tui

import (
	"errors"
	"strings"
	"testing"

	"github.com/virgo-top/virgo-top/collector"
)

func testDetail(pid int32) collector.ProcDetail {
	return collector.ProcDetail{
		Process: collector.Process{PID: pid, Name: "containerd",
			Cmdline: "/usr/bin/containerd --config /etc/containerd/config.toml --log-level info --address /run/containerd/containerd.sock --state /run/containerd --root /var/lib/containerd --this-option-makes-the-line-wrap-at-120"},
		Exe: "/usr/bin/containerd", OpenFDs: 42,
		OpenFiles:  []collector.OpenFile{{FD: 0, Target: "/dev/null"}, {FD: 3, Target: "socket:[81234]"}, {FD: 12, Target: "/var/lib/containerd/io.containerd.metadata.v1.bolt/meta.db"}},
		IOReadable: true, IOReadBytes: 5 << 20, IOWriteBytes: 1 << 30, IORChar: 7 << 20, IOWChar: 2 << 30,
		Status:     []collector.KV{{Key: "Name", Value: "containerd"}, {Key: "VmRSS", Value: "  1468 kB"}, {Key: "Cpus_allowed_list", Value: "0-7"}},
		Unreadable: map[string]string{"cwd": "permission denied"},
	}
}

func TestFormatProcDetail(t *testing.T) {
	want := strings.Join([]string{
		"cmdline     " + testDetail(28).Cmdline,
		"exe         /usr/bin/containerd",
		"cwd         -",
		"open files  42",
		"disk io     read 5.0M  write 1.0G",
		"all io      read 7.0M  write 2.0G (cache hits included)",
		"unreadable  cwd: permission denied",
		"",
		"open files (the first 3 of 42)",
		"      0  /dev/null",
		"      3  socket:[81234]",
		"     12  /var/lib/containerd/io.containerd.metadata.v1.bolt/meta.db",
		"",
		"/proc/28/status",
		"  Name:                       containerd",
		"  VmRSS:                      1468 kB",
		"  Cpus_allowed_list:          0-7",
	}, "\n")
	if got := FormatProcDetail(testDetail(28)); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	d := collector.ProcDetail{OpenFDs: -1, Unreadable: map[string]string{"fd": "permission denied", "io": "permission denied"}}
	want = strings.Join([]string{
		"cmdline     -",
		"exe         -",
		"cwd         -",
		"open files  unreadable (permission denied)",
		"io          unreadable (permission denied)",
		"unreadable  fd: permission denied",
		"unreadable  io: permission denied",
	}, "\n")
	if got := FormatProcDetail(d); got != want {
		t.Errorf("unreadable got:\n%s\nwant:\n%s", got, want)
	}
}

func TestDetailView(t *testing.T) {
	m := newTestModel(t, 120, 40, 50)
	m.opts.Detail = func(pid int32) (string, error) { return "", errors.New("process 28: no such process") }
	next, cmd := m.Update(keyMsg("enter"))
	m = next.(Model)
	if m.mode != modeDetail || !strings.Contains(screen(m), "loading details…") {
		t.Fatalf("enter: mode %d", m.mode)
	}
	m = step(m, cmd())
	if !strings.Contains(screen(m), "details: process 28: no such process") {
		t.Errorf("error not shown:\n%s", screen(m))
	}
	// A late answer for another pid is ignored.
	m = step(m, detailMsg{pid: 99, text: "other"})
	if m.detail.text != "" {
		t.Error("detail for another pid applied")
	}
	m = press(m, "esc")
	if m.mode != modeNormal {
		t.Errorf("esc: mode %d", m.mode)
	}
}

func TestDetailScroll(t *testing.T) {
	m := newTestModel(t, 120, 20, 50)
	m.opts.Detail = func(pid int32) (string, error) { return FormatProcDetail(testDetail(pid)), nil }
	next, cmd := m.Update(keyMsg("enter"))
	m = step(next.(Model), cmd())
	_ = m.View()
	maxOff := m.cache.detailMax
	if maxOff <= 0 {
		t.Fatalf("detail fits in 20 lines? max offset %d", maxOff)
	}
	m = press(m, "pgdown", "pgdown", "pgdown")
	if m.detail.offset != maxOff {
		t.Errorf("offset %d, want clamped to %d", m.detail.offset, maxOff)
	}
	m = press(m, "up")
	if m.detail.offset != maxOff-1 {
		t.Errorf("up after overscroll: %d, want %d", m.detail.offset, maxOff-1)
	}
	if m = press(m, "home"); m.detail.offset != 0 {
		t.Errorf("home: %d", m.detail.offset)
	}
	if m = press(m, "end"); m.detail.offset != maxOff {
		t.Errorf("end: %d", m.detail.offset)
	}
	if !strings.Contains(screen(m), "Cpus_allowed_list:") {
		t.Errorf("end does not show the last line:\n%s", screen(m))
	}
}
