package hostinfo

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/protocol"
)

// command returns the first of the absolute paths that exists (the
// original ran the bare name through PATH); when none does, or when Run
// is replaced (tests), the first, whose exec error is then the answer.
func (s *Source) command(paths ...string) string {
	if s.opts.Run != nil {
		return paths[0]
	}
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	return paths[0]
}

// parseIPTables is iptables.lua's Reader (lines 28-43).
func parseIPTables(b []byte) []protocol.HostInfoIPTablesRule {
	var out []protocol.HostInfoIPTablesRule
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || len(out) >= maxRows {
			continue
		}
		switch f[0] {
		case "-P":
			policy := ""
			if len(f) > 2 {
				policy = f[2]
			}
			out = append(out, protocol.HostInfoIPTablesRule{Type: "-P", Chain: f[1], Policy: policy})
		case "-N":
			out = append(out, protocol.HostInfoIPTablesRule{Type: "-N", Chain: f[1]})
		case "-A":
			policy := ""
			if i := strings.Index(line, f[1]); i >= 0 {
				policy = line[i:]
			}
			out = append(out, protocol.HostInfoIPTablesRule{Type: "-A", Chain: f[1], Policy: strings.TrimRight(policy, "\r")})
		}
	}
	return out
}

// iptables runs `NAME -S` as iptables.lua and ip6tables.lua (lines
// 51-66) do: root only, so elsewhere the answer is the command's stderr
// and exit code, as the original's.
func iptables(ctx context.Context, s *Source, name string) (any, error) {
	path := s.command("/usr/sbin/"+name, "/sbin/"+name)
	out, err := s.run(ctx, path, "-S")
	var errs []string
	if err != nil {
		errs = append(errs, err.Error())
	}
	return partial{metrics: protocol.HostInfoRows(parseIPTables(out)), errs: errs}, nil
}

// buildIPTables is hostinfo/iptables.lua:51-66.
func buildIPTables(ctx context.Context, s *Source, _ *collector.Snapshot) (any, error) {
	return iptables(ctx, s, "iptables")
}

// buildIP6Tables is hostinfo/ip6tables.lua:50-65.
func buildIP6Tables(ctx context.Context, s *Source, _ *collector.Snapshot) (any, error) {
	return iptables(ctx, s, "ip6tables")
}

// CVE's bounds: the changelogs read, and the bytes read of each
// (decompressed).
const (
	maxChangelogs   = 10000
	maxChangelogLen = 8 << 20
)

// cveIDs adds to set the CVE id of each line of r that names one, as
// cve.lua's Reader (lines 26-32) cuts it: the first "CVE-" of the line and
// the 9 characters after it.
func cveIDs(r io.Reader, set map[string]bool) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		i := strings.Index(line, "CVE-")
		if i < 0 || len(set) >= maxRows {
			continue
		}
		set[line[i:min(len(line), i+13)]] = true
	}
}

// buildCVE is hostinfo/cve.lua:41-85: on Debian and Ubuntu every
// /usr/share/doc/*/changelog.Debian.gz, read here with gzip instead of the
// original's `sh -c 'zcat ... | grep CVE-'`; on the Red Hat family
// `rpm -qa --changelog` (the original piped it through grep in a shell);
// the ids sorted, under "patched_CVE".
func buildCVE(ctx context.Context, s *Source, snap *collector.Snapshot) (any, error) {
	v := s.vendor(snap)
	set := map[string]bool{}
	var errs []string
	switch {
	case isDebian(v):
		files, err := filepath.Glob(filepath.Join(s.opts.root(), "usr/share/doc/*/changelog.Debian.gz"))
		if err != nil {
			return nil, err
		}
		if len(files) > maxChangelogs {
			files = files[:maxChangelogs]
		}
		for _, f := range files {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if err := gzipCVEs(f, set); err != nil {
				errs = append(errs, err.Error())
			}
		}
	case isRedHat(v):
		out, err := s.run(ctx, rpmPath, "-qa", "--changelog")
		if err != nil {
			errs = append(errs, err.Error())
		}
		cveIDs(strings.NewReader(string(out)), set)
	default:
		return undeciphered("CVE"), nil
	}
	ids := make([]string, 0, len(set))
	for id := range set {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return partial{metrics: protocol.HostInfoCVE{PatchedCVE: ids}, errs: errs}, nil
}

func gzipCVEs(path string, set map[string]bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer z.Close()
	cveIDs(io.LimitReader(z, maxChangelogLen), set)
	return nil
}

// lshwPaths are where Debian and the Red Hat family install lshw.
var lshwPaths = []string{"/usr/bin/lshw", "/usr/sbin/lshw"}

// lshwAbsent is the original's error when lshw is not installed
// (lshw.lua:53-55).
const lshwAbsent = "Cannot find `lshw` in system path"

// buildLSHW is hostinfo/lshw.lua:26-72: `lshw -json` parsed, under
// "info".
func buildLSHW(ctx context.Context, s *Source, _ *collector.Snapshot) (any, error) {
	out, err := s.run(ctx, s.command(lshwPaths...), "-json")
	if errors.Is(err, fs.ErrNotExist) {
		return partial{errs: []string{lshwAbsent}}, nil
	}
	if err != nil {
		return partial{errs: []string{err.Error()}}, nil
	}
	var info any
	if err := json.Unmarshal(out, &info); err != nil {
		return partial{errs: []string{fmt.Sprintf("lshw -json: %v", err)}}, nil
	}
	return protocol.HostInfoLSHW{Info: info}, nil
}
