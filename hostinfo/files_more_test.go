package hostinfo

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/protocol"
)

// TestFileTypesErrors covers the original's answers of the file types
// when a file is missing or the distribution unknown: the error travels
// in the result, beside what could still be read.
func TestFileTypesErrors(t *testing.T) {
	ctx := context.Background()
	empty := t.TempDir()
	base := testOptions(t)
	bare := base
	bare.EtcRoot, bare.Root, bare.ProcRoot, bare.WtmpPath = empty, empty, empty, filepath.Join(empty, "wtmp")
	noShadow := base
	noShadow.EtcRoot = t.TempDir()
	if err := os.WriteFile(filepath.Join(noShadow.EtcRoot, "passwd"), []byte("root:x:0:0::/:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rpm := base
	rpm.Run = func(_ context.Context, path string, args ...string) ([]byte, error) {
		if path != rpmPath || strings.Join(args, " ") != "-qa --queryformat %{NAME} %{VERSION}-%{RELEASE}\n" {
			return nil, errors.New("unexpected command")
		}
		return []byte("bash 5.1.8-6.el9\nglibc 2.34-60.el9\n\n"), nil
	}
	rpmAbsent := base
	rpmAbsent.Run = func(context.Context, string, ...string) ([]byte, error) {
		return nil, &fs.PathError{Op: "fork/exec", Path: rpmPath, Err: fs.ErrNotExist}
	}
	rhel := &collector.Snapshot{Host: collector.Host{Platform: "rhel"}}
	yum := base
	yum.Run = func(_ context.Context, path string, args ...string) ([]byte, error) {
		if path != yumCronService || strings.Join(args, " ") != "yum-cron status" {
			return nil, errors.New("unexpected command")
		}
		return []byte("yum-cron is stopped\n"), errors.New("Process exited with exit code 3")
	}
	yumSilent := base
	yumSilent.Run = func(context.Context, string, ...string) ([]byte, error) { return nil, nil }
	notRoot := base
	notRoot.Run = func(context.Context, string, ...string) ([]byte, error) {
		return []byte("{"), errors.New("iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)\nProcess exited with exit code 4")
	}
	badJSON := base
	badJSON.Run = func(context.Context, string, ...string) ([]byte, error) { return []byte("{"), nil }
	absent := base
	absent.Run = rpmAbsent.Run
	rpmCVE := base
	rpmCVE.Run = func(_ context.Context, path string, args ...string) ([]byte, error) {
		return []byte("* Mon Sep 29 2014 x - 4.2.45-5.4\n- CVE-2014-7169\n- fix CVE-2014-6271 (shellshock), CVE-2014-7169\n"), nil
	}
	aptOff := base
	aptOff.EtcRoot = t.TempDir()
	if err := os.MkdirAll(filepath.Join(aptOff.EtcRoot, "apt", "apt.conf.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(aptOff.EtcRoot, "apt", "apt.conf.d", "50x"), []byte("// APT::Periodic::Unattended-Upgrade \"1\";\nAPT::Periodic::Update-Package-Lists \"1\";\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	noProcMaps := base
	noProcMaps.ProcRoot = t.TempDir()
	if err := os.MkdirAll(filepath.Join(noProcMaps.ProcRoot, "7"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(noProcMaps.ProcRoot, "7", "maps"), []byte("00400000-00401000 r-xp 00000000 fd:01 1 /bin/x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, typ string
		o         Options
		snap      *collector.Snapshot
		wantErr   string // substring; "" means none
		want      any    // metrics, when not nil
	}{
		{"passwd missing", "PASSWD", bare, nil, "Couldn't read /etc/passwd", []any{}},
		{"shadow unreadable", "PASSWD", noShadow, nil, "shadow", []any{}},
		{"cron unknown distro", "CRON", bare, nil, "Couldn't decipher linux distro for check CRON", []any{}},
		{"cron no spool", "CRON", bare, &collector.Snapshot{Host: collector.Host{Platform: "debian"}}, "crontabs", []protocol.HostInfoCron{}},
		{"cron rhel spool", "CRON", base, rhel, "", []protocol.HostInfoCron{}},
		{"pam missing", "PAM", bare, nil, "pam.d", []any{}},
		{"fileperms none", "FILEPERMS", bare, nil, protocol.HostInfoNoData, []any{}},
		{"connections no arp", "CONNECTIONS", bare, nil, "arp", []any{}},
		{"last_logins no wtmp", "LAST_LOGINS", bare, nil, "wtmp", []any{}},
		{"services none", "SERVICES", bare, nil, "You can probably ignore this error", []any{}},
		{"packages unknown distro", "PACKAGES", bare, nil, "Couldn't decipher linux distro for check PACKAGES", []any{}},
		{"packages rpm", "PACKAGES", rpm, rhel, "", []protocol.HostInfoPackage{{Name: "bash", Version: "5.1.8-6.el9"}, {Name: "glibc", Version: "2.34-60.el9"}}},
		{"packages rpm absent", "PACKAGES", rpmAbsent, rhel, "file does not exist", []any{}},
		{"sshd missing", "SSHD", bare, nil, "sshd_config", []any{}},
		{"deleted libs none", "DELETED_LIBS", noProcMaps, nil, "", protocol.HostInfoDeletedLibsNone},
		{"deleted libs no proc", "DELETED_LIBS", bare, nil, "", protocol.HostInfoDeletedLibsNone},
		{"autoupdates apt off", "AUTOUPDATES", aptOff, &collector.Snapshot{Host: collector.Host{Platform: "debian"}}, "", []protocol.HostInfoAutoupdates{{UpdateMethod: "unattended_upgrades", Status: "disabled"}}},
		{"autoupdates no /etc/apt", "AUTOUPDATES", noShadow, &collector.Snapshot{Host: collector.Host{Platform: "debian"}}, "apt", []any{}},
		{"autoupdates unknown distro", "AUTOUPDATES", bare, nil, "Couldn't decipher linux distro for check AUTOUPDATES", []any{}},
		{"autoupdates yum-cron stopped", "AUTOUPDATES", yum, rhel, "Process exited with exit code 3", protocol.HostInfoAutoupdates{UpdateMethod: "yum_cron", Status: "enabled"}},
		{"autoupdates yum-cron silent", "AUTOUPDATES", yumSilent, rhel, "", []protocol.HostInfoAutoupdates{{UpdateMethod: "yum_cron", Status: "disabled"}}},
		{"iptables not root", "IPTABLES", notRoot, nil, "you must be root)\nProcess exited with exit code 4", []any{}},
		{"ip6tables absent", "IP6TABLES", absent, nil, "file does not exist", []any{}},
		{"lshw absent", "LSHW", absent, nil, lshwAbsent, []any{}},
		{"lshw bad json", "LSHW", badJSON, nil, "lshw -json", []any{}},
		{"cve unknown distro", "CVE", bare, nil, "Couldn't decipher linux distro for check CVE", []any{}},
		{"cve no changelogs", "CVE", bare, &collector.Snapshot{Host: collector.Host{Platform: "debian"}}, "", protocol.HostInfoCVE{PatchedCVE: []string{}}},
		{"cve rpm", "CVE", rpmCVE, rhel, "", protocol.HostInfoCVE{PatchedCVE: []string{"CVE-2014-6271", "CVE-2014-7169"}}},
		{"remote services no tcp", "REMOTE_SERVICES", bare, nil, "net/tcp", []any{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := New(c.o).Get(ctx, c.typ, c.snap)
			if (c.wantErr == "") != (r.Error == "") || !strings.Contains(r.Error, c.wantErr) {
				t.Errorf("error %q, want %q", r.Error, c.wantErr)
			}
			if c.want != nil && !reflect.DeepEqual(r.Metrics, c.want) {
				t.Errorf("metrics %#v, want %#v", r.Metrics, c.want)
			}
		})
	}
	// One missing services directory: the others are sent with the error.
	r := New(base).Get(ctx, "SERVICES", nil)
	if r.Error != "" {
		t.Fatalf("SERVICES = %+v", r)
	}
	some := base
	some.Root = empty
	r = New(some).Get(ctx, "SERVICES", nil)
	if m, ok := r.Metrics.(protocol.HostInfoServices); !ok || m["initd"] == nil || m["system"] != nil || !strings.Contains(r.Error, "systemd/system") {
		t.Errorf("SERVICES without /usr/lib/systemd/system = %+v", r)
	}
}

func TestParsePAMLine(t *testing.T) {
	for _, c := range []struct {
		line string
		want protocol.HostInfoPAM
		ok   bool
	}{
		{"auth required pam_unix.so nullok try_first_pass", protocol.HostInfoPAM{ModuleInterface: "auth", ControlFlags: "required", ModuleName: "pam_unix.so", ModuleArguments: "nullok try_first_pass", FileName: "f"}, true},
		{"password [success=1 default=ignore] pam_unix.so obscure sha512", protocol.HostInfoPAM{ModuleInterface: "password", ControlFlags: "success=1 default=ignore", ModuleName: "pam_unix.so", ModuleArguments: "obscure sha512", FileName: "f"}, true},
		{"account\trequired\tpam_permit.so", protocol.HostInfoPAM{ModuleInterface: "account", ControlFlags: "required", ModuleName: "pam_permit.so", FileName: "f"}, true},
		{"password substack common-password", protocol.HostInfoPAM{ModuleInterface: "password", ControlFlags: "substack", ModuleName: "common-password", FileName: "f"}, true},
		{"session [default=1] pam_x", protocol.HostInfoPAM{ModuleInterface: "session", ControlFlags: "default=1", ModuleName: "pam_x", FileName: "f"}, true},
		{"@include common-auth", protocol.HostInfoPAM{}, false},
		{"-session optional pam_systemd.so", protocol.HostInfoPAM{}, false},
		{"auth ] [ x", protocol.HostInfoPAM{ModuleInterface: "auth", ControlFlags: "]", ModuleName: "[", FileName: "f"}, true},
	} {
		got, ok := parsePAMLine(c.line, "f")
		if ok != c.ok || got != c.want {
			t.Errorf("%q = %+v %v, want %+v", c.line, got, ok, c.want)
		}
	}
}

func TestPasswdStatus(t *testing.T) {
	for _, c := range []struct {
		e    shadowEntry
		want string
	}{
		{shadowEntry{pw: "$6$x", lastChange: "16643", min: "0", max: "99999", warn: "7"}, "root P 07/27/2015 0 99999 7 -1"},
		{shadowEntry{pw: "!$6$x", lastChange: "0"}, "root L 01/01/1970 -1 -1 -1 -1"},
		{shadowEntry{pw: "*", lastChange: ""}, "root L never -1 -1 -1 -1"},
		{shadowEntry{pw: "", lastChange: "x"}, "root NP never -1 -1 -1 -1"},
	} {
		if got := strings.Join(passwdStatus("root", c.e), " "); got != c.want {
			t.Errorf("%+v = %q, want %q", c.e, got, c.want)
		}
	}
}

func TestFilePerm(t *testing.T) {
	got := filePerm("/tmp", fs.ModeDir|fs.ModeSticky|fs.ModeSetgid|0o1777&0o777)
	if got != (protocol.HostInfoFilePerm{FileName: "/tmp", OctalFilePerms: "777", StickyBit: true, Setgid: true}) {
		t.Errorf("got %+v", got)
	}
	if got := filePerm("/usr/bin/passwd", fs.ModeSetuid|0o755); !got.Setuid || got.OctalFilePerms != "755" || got.StickyBit {
		t.Errorf("got %+v", got)
	}
}

func TestCronLines(t *testing.T) {
	for _, c := range []struct {
		line string
		want protocol.HostInfoCron
		ok   bool
	}{
		{"*/5 * * * * root /x y", protocol.HostInfoCron{M: "*/5", H: "*", Dom: "*", Mon: "*", Dow: "*", Command: "root /x y"}, true},
		{"@daily /bin/true", protocol.HostInfoCron{Time: "@daily", Command: "/bin/true"}, true},
		{"SHELL=/bin/sh", protocol.HostInfoCron{}, false},
	} {
		got, ok := parseCronLine(c.line)
		if ok != c.ok || got != c.want {
			t.Errorf("%q = %+v", c.line, got)
		}
	}
}

// TestLastLogins checks `last`'s session ends: a logout, a crash (a boot
// before the logout), a shutdown, still logged in.
func TestLastLogins(t *testing.T) {
	const t0 = 1700000000
	recs := []wtmpRec{
		{typ: utmpBootTime, user: "reboot", line: "~", host: "6.1.0-13-amd64", t: t0},
		{typ: utmpUserProcess, user: "bob", line: "pts/0", host: "a", t: t0 + 60},
		{typ: utmpBootTime, user: "reboot", line: "~", host: "6.1.0-14-amd64", t: t0 + 3600*26 + 60},
		{typ: utmpUserProcess, user: "carol_the_long_name", line: "tty1", t: t0 + 3600*27},
		{typ: utmpRunLvl, user: "shutdown", line: "~~", t: t0 + 3600*28},
		{typ: utmpBootTime, user: "reboot", line: "~", host: "6.1.0-14-amd64", t: t0 + 3600*29},
		{typ: utmpUserProcess, user: "dave", line: "pts/1", host: "b", t: t0 + 3600*30},
	}
	got := lastLogins(recs, time.UTC)
	want := protocol.HostInfoLastLogins{
		Bootups:  []protocol.HostInfoBootup{{Type: "reboot", Kernel: "6.1.0-14-amd64"}, {Type: "reboot", Kernel: "6.1.0-14-amd64"}, {Type: "reboot", Kernel: "6.1.0-13-amd64"}},
		LoggedIn: []protocol.HostInfoLoggedIn{{User: "dave", Host: "b", LoginTime: "Thu Nov 16 04:13"}},
		PreviousLogins: []protocol.HostInfoLogin{
			{User: "carol_th", LoginTime: "Thu Nov 16 01:13", LogoutTime: "down", Duration: "01:00"},
			{User: "bob", Host: "a", LoginTime: "Tue Nov 14 22:14", LogoutTime: "crash", Duration: "1+02:00"},
		},
		DataCollectionStart: "Tue Nov 14 22:13:20 2023",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestHexAddr(t *testing.T) {
	for in, want := range map[string]string{
		"0100007F":                         "127.0.0.1",
		"00000000000000000000000001000000": "::1",
		"0000000000000000FFFF00000100007F": "::ffff:127.0.0.1",
		"000080FE00000000FF005450B6AD1DFE": "fe80::5054:ff:fe1d:adb6",
	} {
		if got, ok := hexAddr(in); !ok || got != want {
			t.Errorf("hexAddr(%s) = %q, want %q", in, got, want)
		}
	}
	if _, ok := hexAddr("zz"); ok {
		t.Error("bad hex accepted")
	}
}

// FuzzFileTypeParsers: none of the new file parsers may panic.
func FuzzFileTypeParsers(f *testing.F) {
	for _, p := range []string{"etc/passwd", "etc/shadow", "etc/pam.d/sshd", "etc/pam.d/common-auth", "root/var/spool/cron/crontabs/root", "root/var/lib/dpkg/status", "proc/net/arp", "proc/net/tcp", "proc/net/tcp6", "etc/ssh/sshd_config", "proc/1/maps"} {
		b, err := os.ReadFile(filepath.Join("testdata", "host", p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(utmpRecord(7, "pts/0", "root", "h", 1))
	f.Fuzz(func(t *testing.T, b []byte) {
		passwdRows(b, b)
		for _, line := range strings.Split(string(b), "\n") {
			parsePAMLine(line, "f")
			parseCronLine(line)
		}
		parseArp(b)
		tcpRemotes(b)
		parseDpkgStatus(bufio.NewScanner(bytes.NewReader(b)))
		packageLines(b)
		lastLogins(parseWtmp(b), time.UTC)
		sshdRows(map[string]string{string(b): string(b)})
		deletedMaps(b)
		listeners(b, "tcp")
		parseIPTables(b)
		cveIDs(bytes.NewReader(b), map[string]bool{})
	})
}

// TestRun: the one command path (rpm on the Red Hat family): no shell, the
// original's exit-code error, an absent binary's error.
func TestRun(t *testing.T) {
	s := New(Options{})
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	out, err := s.run(context.Background(), "/bin/sh", "-c", "echo 'a b'; exit 3")
	if string(out) != "a b\n" || err == nil || err.Error() != "Process exited with exit code 3" {
		t.Errorf("run = %q, %v", out, err)
	}
	if _, err := s.run(context.Background(), "/nonexistent/rpm"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("an absent command: %v", err)
	}
	if _, err := s.run(context.Background(), "/bin/sh", "-c", "echo oops >&2; exit 4"); err == nil || err.Error() != "oops\nProcess exited with exit code 4" {
		t.Errorf("stderr and exit code: %v", err)
	}
}

func TestDeletedMaps(t *testing.T) {
	got := deletedMaps([]byte("a-b rw-s 0 00:01 4097 /dev/zero (deleted)\na-b r--p 0 fd:01 1 /lib/x.so\na-b r--p 0 fd:01 2 /x y (deleted)\na-b r--p 0 fd:01 2 /x y (deleted)\n (deleted)\n"))
	if !reflect.DeepEqual(got, []string{"/dev/zero", "/x y"}) {
		t.Errorf("got %q", got)
	}
}

func TestNetstatAddr(t *testing.T) {
	for in, want := range map[string]string{
		"0100007F:0CEA":                         "127.0.0.1:3306",
		"00000000:0000":                         "0.0.0.0:*",
		"00000000000000000000000000000000:0016": ":::22",
		"0000000000000000FFFF00000100007F:1F90": "::ffff:127.0.0.1:8080",
	} {
		if got, ok := netstatAddr(in); !ok || got != want {
			t.Errorf("netstatAddr(%s) = %q, want %q", in, got, want)
		}
	}
}
