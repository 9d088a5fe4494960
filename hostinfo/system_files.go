package hostinfo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/protocol"
)

// vendor is misc.lua getInfoByVendor's key (lines 87-97): sigar's vendor
// lower-cased, "red hat" as "rhel"; here the os-release ID, which names
// the same distributions the same way (the snapshot's, else EtcRoot's).
func (s *Source) vendor(snap *collector.Snapshot) string {
	if snap != nil && snap.Host.Platform != "" {
		return strings.ToLower(snap.Host.Platform)
	}
	b, err := readFile(s.opts.etcRoot(), "os-release")
	if err != nil {
		return ""
	}
	for _, line := range contentLines(b) {
		if v, ok := strings.CutPrefix(line, "ID="); ok {
			return strings.ToLower(strings.Trim(strings.TrimSpace(v), `"'`))
		}
	}
	return ""
}

// isDebian and isRedHat are the vendors cron.lua and packages.lua know.
func isDebian(v string) bool { return v == "debian" || v == "ubuntu" }
func isRedHat(v string) bool { return v == "rhel" || v == "centos" || v == "fedora" }

func undeciphered(typ string) partial {
	return partial{errs: []string{fmt.Sprintf("Couldn't decipher linux distro for check %s", typ)}}
}

var (
	cronSpecial  = regexp.MustCompile(`(@[a-z]+)\s+(.+)`)
	cronSchedule = regexp.MustCompile(`(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(.+)`)
)

// parseCronLine is cron.lua's Reader (lines 31-53). A line matching
// neither form (an environment setting) is left out; the original sent
// it as an empty object.
func parseCronLine(line string) (protocol.HostInfoCron, bool) {
	if m := cronSpecial.FindStringSubmatch(line); m != nil {
		return protocol.HostInfoCron{Time: m[1], Command: m[2]}, true
	}
	if m := cronSchedule.FindStringSubmatch(line); m != nil {
		return protocol.HostInfoCron{M: m[1], H: m[2], Dom: m[3], Mon: m[4], Dow: m[5], Command: m[6]}, true
	}
	return protocol.HostInfoCron{}, false
}

// buildCron is hostinfo/cron.lua:62-116: every line of every user's
// crontab in the vendor's spool directory. The metrics are always a list
// (the original sets its params directly, so an empty list is not an
// error); errors count only when no line was read.
func buildCron(_ context.Context, s *Source, snap *collector.Snapshot) (any, error) {
	v := s.vendor(snap)
	var dir string
	switch {
	case isDebian(v):
		dir = filepath.Join(s.opts.root(), "var/spool/cron/crontabs")
	case isRedHat(v):
		dir = filepath.Join(s.opts.root(), "var/spool/cron")
	default:
		return undeciphered("CRON"), nil
	}
	rows := []protocol.HostInfoCron{}
	var errs []string
	names, err := readDirNames(dir)
	if err != nil {
		errs = append(errs, err.Error())
	}
	for _, n := range names {
		if fi, err := os.Stat(filepath.Join(dir, n)); err == nil && fi.IsDir() {
			continue // Debian's crontabs under the Red Hat path
		}
		b, err := readFile(dir, n)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		for _, line := range contentLines(b) {
			if r, ok := parseCronLine(line); ok && len(rows) < maxRows {
				rows = append(rows, r)
			}
		}
	}
	if len(errs) > 0 && len(rows) == 0 {
		return partial{metrics: rows, errs: []string{strings.Join(errs, " ")}}, nil
	}
	return rows, nil
}

// servicesDirs are services.lua's directories (lines 28-35) and keys;
// "systemd" is both wants directories (the original read both into the
// one key and kept whichever finished last).
var servicesDirs = []struct{ key, dir string }{
	{"init", "/etc/init/"},
	{"initd", "/etc/init.d"},
	{"system", "/usr/lib/systemd/system"},
	{"systemv", "/etc/rc3.d"},
	{"systemd", "/etc/systemd/system/multi-user.target.wants/"},
	{"systemd", "/etc/systemd/system/basic.target.wants/"},
}

// underRoots maps an original absolute path to where this Source reads
// it: /etc under EtcRoot, the rest under Root.
func (s *Source) underRoots(p string) string {
	if rest, ok := strings.CutPrefix(p, "/etc/"); ok {
		return filepath.Join(s.opts.etcRoot(), rest)
	}
	return filepath.Join(s.opts.root(), p)
}

// buildServices is hostinfo/services.lua:26-72: the names in each init
// system's directory; a directory that cannot be read adds the
// original's error and leaves its key out.
func buildServices(_ context.Context, s *Source, _ *collector.Snapshot) (any, error) {
	out := protocol.HostInfoServices{}
	var errs []string
	for _, d := range servicesDirs {
		names, err := readDirNames(s.underRoots(d.dir))
		if err != nil {
			errs = append(errs, fmt.Sprintf("Error reading services directory: %s . You can probably ignore this error", err))
			continue
		}
		if prev, ok := out[d.key]; ok {
			names = append(prev, names...)
			sort.Strings(names)
		}
		if names == nil {
			names = []string{}
		}
		out[d.key] = names
	}
	if len(out) == 0 {
		return partial{errs: errs}, nil
	}
	return partial{metrics: out, errs: errs}, nil
}

// maxDpkgStatus bounds the dpkg status file (a desktop's is ~5 MiB).
const maxDpkgStatus = 64 << 20

// parseDpkgStatus returns what `dpkg-query -W` prints for a dpkg status
// file (${binary:Package}\t${Version}: the name with ":arch" for
// Multi-Arch: same packages), every package but the not-installed ones.
func parseDpkgStatus(sc *bufio.Scanner) []protocol.HostInfoPackage {
	var out []protocol.HostInfoPackage
	var name, version, arch, multi, status string
	flush := func() {
		if name != "" && version != "" && !strings.HasSuffix(status, " not-installed") && len(out) < maxRows {
			if multi == "same" && arch != "" {
				name += ":" + arch
			}
			out = append(out, protocol.HostInfoPackage{Name: name, Version: version})
		}
		name, version, arch, multi, status = "", "", "", "", ""
	}
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "Package":
			name = v
		case "Version":
			version = v
		case "Architecture":
			arch = v
		case "Multi-Arch":
			multi = v
		case "Status":
			status = v
		}
	}
	flush()
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// packageLines is packages.lua's LinuxReader (lines 28-33): a trimmed
// line's key is everything before its last white space, the version the
// rest.
func packageLines(b []byte) []protocol.HostInfoPackage {
	var out []protocol.HostInfoPackage
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		i := strings.LastIndexAny(line, " \t")
		if i < 0 || len(out) >= maxRows {
			continue
		}
		out = append(out, protocol.HostInfoPackage{Name: line[:i], Version: line[i+1:]})
	}
	return out
}

// cmdTimeout bounds a command this package runs.
const cmdTimeout = 30 * time.Second

// run runs path with args (no shell) under cmdTimeout, with at most
// maxFile bytes of stdout. As misc.lua's run (lines 59-84) reports them,
// the error holds stderr's lines, then "Process exited with exit code N"
// for a non-zero exit; an absent command is exec's error.
func (s *Source) run(ctx context.Context, path string, args ...string) ([]byte, error) {
	if s.opts.Run != nil {
		return s.opts.Run(ctx, path, args...)
	}
	ctx, cancel := context.WithTimeout(ctx, cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	out, stderr := &limitedBuffer{max: maxFile}, &limitedBuffer{max: 64 << 10}
	cmd.Stdout, cmd.Stderr = out, stderr
	err := cmd.Run()
	var msgs []string
	for _, l := range strings.Split(string(stderr.b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			msgs = append(msgs, l)
		}
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee) && ee.ExitCode() > 0:
		msgs = append(msgs, fmt.Sprintf("Process exited with exit code %d", ee.ExitCode()))
	case err != nil:
		return out.b, err // did not start: exec's error, e.g. fs.ErrNotExist
	}
	if len(msgs) > 0 {
		return out.b, errors.New(strings.Join(msgs, "\n"))
	}
	return out.b, nil
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	b   []byte
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if n := l.max - len(l.b); n > 0 {
		l.b = append(l.b, p[:min(n, len(p))]...)
	}
	return len(p), nil
}

// rpmPath is the Red Hat family's rpm.
const rpmPath = "/usr/bin/rpm"

// buildPackages is hostinfo/packages.lua:48-81: on Debian and Ubuntu the
// dpkg status file, read as `dpkg-query -W` prints it; on the Red Hat
// family `rpm -qa` as the original runs it; elsewhere the original's
// error.
func buildPackages(ctx context.Context, s *Source, snap *collector.Snapshot) (any, error) {
	v := s.vendor(snap)
	switch {
	case isDebian(v):
		p := filepath.Join(s.opts.root(), "var/lib/dpkg/status")
		f, err := os.Open(p)
		if err != nil {
			return partial{errs: []string{err.Error()}}, nil
		}
		defer f.Close()
		sc := bufio.NewScanner(ioLimitN(f, maxDpkgStatus))
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		rows := parseDpkgStatus(sc)
		var errs []string
		if err := sc.Err(); err != nil {
			errs = append(errs, fmt.Sprintf("read %s: %v", p, err))
		}
		return partial{metrics: protocol.HostInfoRows(rows), errs: errs}, nil
	case isRedHat(v):
		out, err := s.run(ctx, rpmPath, "-qa", "--queryformat", "%{NAME} %{VERSION}-%{RELEASE}\n")
		var errs []string
		if err != nil {
			errs = append(errs, err.Error())
		}
		return partial{metrics: protocol.HostInfoRows(packageLines(out)), errs: errs}, nil
	}
	return undeciphered("PACKAGES"), nil
}
