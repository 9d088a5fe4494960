package collector

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParsePidStat(t *testing.T) {
	line := func(comm, rest string) string { return "42 (" + comm + ") " + rest + "\n" }
	//            state ppid pgrp sess tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime prio nice threads itreal start vsize rss rsslim
	full := "S 1 42 42 0 -1 4194560 100 0 0 0 250 150 0 0 20 -5 3 0 12345 1048576 256 18446744073709551615 1 2 3"
	tests := []struct {
		name    string
		in      string
		want    pidStat
		wantErr bool
	}{
		{name: "plain", in: line("bash", full),
			want: pidStat{pid: 42, comm: []byte("bash"), state: 'S', ppid: 1, utime: 250, stime: 150, nice: -5, threads: 3, starttime: 12345, vsize: 1048576, rss: 256}},
		{name: "comm with spaces and parens", in: line("a) (b c", full),
			want: pidStat{pid: 42, comm: []byte("a) (b c"), state: 'S', ppid: 1, utime: 250, stime: 150, nice: -5, threads: 3, starttime: 12345, vsize: 1048576, rss: 256}},
		{name: "negative rss clamps to 0", in: line("x", strings.Replace(full, " 256 ", " -3 ", 1)),
			want: pidStat{pid: 42, comm: []byte("x"), state: 'S', ppid: 1, utime: 250, stime: 150, nice: -5, threads: 3, starttime: 12345, vsize: 1048576}},
		{name: "empty comm, stops after rss", in: "7 () Z 0 0 0 0 0 0 0 0 0 0 1 2 0 0 20 0 1 0 5 0 0",
			want: pidStat{pid: 7, comm: []byte{}, state: 'Z', utime: 1, stime: 2, threads: 1, starttime: 5}},
		{name: "truncated", in: line("x", "S 1 42 42 0"), wantErr: true},
		{name: "no comm", in: "42 bash S 1\n", wantErr: true},
		{name: "pid is the number before comm", in: line("x", full)[1:],
			want: pidStat{pid: 2, comm: []byte("x"), state: 'S', ppid: 1, utime: 250, stime: 150, nice: -5, threads: 3, starttime: 12345, vsize: 1048576, rss: 256}},
		{name: "pid not a number", in: "x4 (a) " + full, wantErr: true},
		{name: "bad utime", in: line("x", strings.Replace(full, " 250 ", " 2a0 ", 1)), wantErr: true},
		{name: "ppid overflow", in: line("x", strings.Replace(full, "S 1 ", "S 99999999999 ", 1)), wantErr: true},
		{name: "empty", in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got pidStat
			err := parsePidStat([]byte(tt.in), &got)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr {
				eq(t, "stat", got, tt.want)
			}
		})
	}
}

func TestParseIntUint(t *testing.T) {
	for in, want := range map[string]uint64{"0": 0, "18446744073709551615": 1<<64 - 1, "007": 7} {
		if got, ok := parseUint([]byte(in)); !ok || got != want {
			t.Errorf("parseUint(%q) = %d, %v", in, got, ok)
		}
	}
	for _, bad := range []string{"", "-1", "18446744073709551616", "1 ", "+1"} {
		if _, ok := parseUint([]byte(bad)); ok {
			t.Errorf("parseUint(%q) ok, want failure", bad)
		}
	}
	for in, want := range map[string]int64{"-20": -20, "19": 19, "-9223372036854775807": -9223372036854775807} {
		if got, ok := parseInt([]byte(in)); !ok || got != want {
			t.Errorf("parseInt(%q) = %d, %v", in, got, ok)
		}
	}
	for _, bad := range []string{"-", "", "9223372036854775808", "--1"} {
		if _, ok := parseInt([]byte(bad)); ok {
			t.Errorf("parseInt(%q) ok, want failure", bad)
		}
	}
}

func TestParseStatusUID(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    uint32
		wantErr bool
	}{
		{"Name:\tsshd\nUid:\t0\t1000\t0\t0\nGid:\t0\t0\t0\t0\n", 1000, false}, // effective uid
		{"Uid:\t5\t6\t7\t8\n", 6, false},
		{"Name:\tx\n", 0, true},
		{"Name:\tx\nUid:\t5\n", 0, true},
		{"Name:\tx\nUid:\t5\t99999999999\n", 0, true},
	} {
		got, err := parseStatusUID([]byte(tt.in))
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseStatusUID(%q) = %d, %v; want %d, err %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParsePasswd(t *testing.T) {
	in := "root:x:0:0:root:/root:/bin/bash\n#c:x:5:5::/:/bin/sh\n\nbad line\nnouid:x::1::/:\ntoor:x:0:0::/:\nalice:x:1000:1000::/home/alice:/bin/zsh"
	eq(t, "users", parsePasswd([]byte(in)), map[uint32]string{0: "root", 1000: "alice"})
}

func TestFormatCmdline(t *testing.T) {
	for in, want := range map[string]string{
		"/bin/sh\x00-c\x00echo hi\x00": "/bin/sh -c echo hi",
		"":                             "",
		"\x00\x00":                     "",
		"nginx: worker process":        "nginx: worker process", // rewritten argv without NULs
	} {
		if got := formatCmdline([]byte(in)); got != want {
			t.Errorf("formatCmdline(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParsePidIO(t *testing.T) {
	r, w, rb, wb, err := parsePidIO([]byte("rchar: 10\nwchar: 20\nsyscr: 1\nread_bytes: 4096\nwrite_bytes: 8192\ncancelled_write_bytes: 0\n"))
	if err != nil || r != 10 || w != 20 || rb != 4096 || wb != 8192 {
		t.Errorf("got %d %d %d %d %v", r, w, rb, wb, err)
	}
	if _, _, _, _, err := parsePidIO([]byte("rchar: x\n")); err == nil {
		t.Error("bad number: want error")
	}
}

func TestParseStatusKV(t *testing.T) {
	eq(t, "kv", parseStatusKV([]byte("Name:\tbash\nState:\tS (sleeping)\nnoise\nVmRSS:\t  100 kB\n")),
		[]KV{{"Name", "bash"}, {"State", "S (sleeping)"}, {"VmRSS", "100 kB"}})
}

func TestProcReader(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"1", "22", "self", "abc", "0", "4294967296"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	long := strings.Repeat("x", 5000)
	if err := os.WriteFile(filepath.Join(root, "22", "stat"), []byte(long), 0o644); err != nil {
		t.Fatal(err)
	}
	r := newProcReader(root)
	pids, err := r.pids(nil)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(pids)
	eq(t, "pids", pids, []int32{1, 22})

	buf := make([]byte, 0, 16) // grows to fit
	got, err := r.read(22, "stat", buf, 0)
	if err != nil || string(got) != long {
		t.Fatalf("read: %d bytes, %v", len(got), err)
	}
	got, err = r.read(22, "stat", got[:0], 100)
	if err != nil || string(got) != long[:100] {
		t.Fatalf("read with limit: %d bytes, %v", len(got), err)
	}
	if _, err := r.read(1, "stat", got, 0); err == nil {
		t.Error("missing file: want error")
	}
	if _, err := newProcReader(filepath.Join(root, "nope")).pids(nil); err == nil {
		t.Error("missing root: want error")
	}
}
