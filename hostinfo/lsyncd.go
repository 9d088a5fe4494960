package hostinfo

import (
	"context"
	"regexp"
	"sort"
	"strings"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/protocol"
)

// lsyncdPath is lsyncd.lua:52-54's default, used on every distribution.
const lsyncdPath = "/usr/bin/lsyncd"

// lsyncdConfig is lsyncd.lua:28's '%slsyncd%s*(%S+)'.
var lsyncdConfig = regexp.MustCompile(`\slsyncd\s*(\S+)`)

// lsyncdConfigs is the Reader (lsyncd.lua:26-31) over the lines of
// `ps -eo euser,ruser,suser,fuser,f,cmd` that contain "lsync" and not
// "grep" (the original's `| grep lsync | grep -v grep`): the unique
// configs, sorted (the original listed a table's keys, in no order).
// ok is false when no line is left (grep's exit code 1).
func lsyncdConfigs(ps []byte) (configs []string, ok bool) {
	seen := map[string]bool{}
	configs = []string{}
	for _, line := range lines(ps) {
		if !strings.Contains(line, "lsync") || strings.Contains(line, "grep") {
			continue
		}
		ok = true
		if m := lsyncdConfig.FindStringSubmatch(line); m != nil && !seen[m[1]] && len(configs) < maxRows {
			seen[m[1]] = true
			configs = append(configs, m[1])
		}
	}
	sort.Strings(configs)
	return configs, ok
}

// buildLsyncd is hostinfo/lsyncd.lua:40-141, with ps run directly instead
// of `sh -c 'ps ... | grep lsync | grep -v grep'`. When nothing is left
// after the filter (lsyncd not running) the original answered at once
// (lines 95-99) with the binary only and the error; when ps fails, its
// error follows "Lsyncd not found: " as the shell's stderr did.
func buildLsyncd(ctx context.Context, s *Source, _ *collector.Snapshot) (any, error) {
	p := protocol.HostInfoLsyncd{Bin: lsyncdPath}
	out, err := s.run(ctx, s.command(psPaths...), "-eo", "euser,ruser,suser,fuser,f,cmd")
	configs, ok := lsyncdConfigs(out)
	if !ok {
		msg := protocol.HostInfoLsyncdNotFound
		if err != nil {
			msg = "Lsyncd not found: " + firstLine([]byte(err.Error()))
		}
		return partial{metrics: p, errs: []string{msg}}, nil
	}
	// checkLsyncIsInstalled (lines 65-76): any stdout at all.
	v, _ := s.run(ctx, lsyncdPath, "-version")
	installed, status := len(v) > 0, false
	p.ConfigFile, p.Installed, p.Status = &configs, &installed, &status
	return p, nil
}
