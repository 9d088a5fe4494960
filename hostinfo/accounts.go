package hostinfo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/protocol"
)

// maxRows bounds the rows of any one type; maxDirEntries the files read
// from one directory.
const (
	maxRows       = 20000
	maxDirEntries = 2000
)

// shadowEntry is one line of /etc/shadow.
type shadowEntry struct {
	pw                                string
	lastChange, min, max, warn, inact string
}

func parseShadow(b []byte) map[string]shadowEntry {
	out := map[string]shadowEntry{}
	for _, line := range contentLines(b) {
		f := strings.Split(line, ":")
		if len(f) < 2 || f[0] == "" {
			continue
		}
		f = append(f, "", "", "", "", "", "", "")
		out[f[0]] = shadowEntry{pw: f[1], lastChange: f[2], min: f[3], max: f[4], warn: f[5], inact: f[6]}
	}
	return out
}

// passwdStatus is what `passwd -S NAME` prints for e (shadow-utils
// passwd.c print_status): L for a locked password ('!' or '*'), NP for
// none, else P; the last change as %m/%d/%Y (the original's debug output,
// hostinfo/debug/PASSWD.json); empty numbers as -1.
func passwdStatus(name string, e shadowEntry) []string {
	status := "P"
	switch {
	case strings.HasPrefix(e.pw, "!") || strings.HasPrefix(e.pw, "*"):
		status = "L"
	case e.pw == "":
		status = "NP"
	}
	num := func(s string) string {
		if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			return strconv.FormatInt(n, 10)
		}
		return "-1"
	}
	changed := "never"
	if d, err := strconv.ParseInt(strings.TrimSpace(e.lastChange), 10, 64); err == nil && d >= 0 && d < 1e6 {
		changed = time.Unix(d*86400, 0).UTC().Format("01/02/2006")
	}
	return []string{name, status, changed, num(e.min), num(e.max), num(e.warn), num(e.inact)}
}

// passwdRows joins /etc/passwd's names with /etc/shadow as passwd.lua
// does through `passwd -S` (lines 50-82), its Reader (lines 32-46) naming
// the first six words. A name without a shadow entry is left out.
func passwdRows(passwd, shadow []byte) []protocol.HostInfoPasswd {
	sh := parseShadow(shadow)
	var out []protocol.HostInfoPasswd
	for _, line := range strings.Split(string(passwd), "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || len(out) >= maxRows {
			continue
		}
		name, _, _ := strings.Cut(line, ":")
		e, ok := sh[name]
		if !ok {
			continue
		}
		w := passwdStatus(name, e)
		out = append(out, protocol.HostInfoPasswd{
			Name: w[0], Status: w[1], LastChanged: w[2], MinimumAge: w[3], WarningPeriod: w[4], InactivityPeriod: w[5],
		})
	}
	return out
}

// buildPasswd is hostinfo/passwd.lua:50-82. It reads /etc/shadow, which
// is what `passwd -S` reads, instead of running passwd once per user; both
// need root.
func buildPasswd(_ context.Context, s *Source, _ *collector.Snapshot) (any, error) {
	pw, err := readFile(s.opts.etcRoot(), "passwd")
	if err != nil {
		return partial{errs: []string{"Couldn't read /etc/passwd"}}, nil
	}
	sh, err := readFile(s.opts.etcRoot(), "shadow")
	if err != nil {
		return partial{errs: []string{err.Error()}}, nil
	}
	return protocol.HostInfoRows(passwdRows(pw, sh)), nil
}

// pamKeywords are pam.lua's module interfaces (lines 35-40).
var pamKeywords = map[string]bool{"password": true, "auth": true, "account": true, "session": true}

// parsePAMLine is pam.lua's Reader (lines 31-70) for one line of file. The
// original splits a line holding a tab at the tabs themselves and so
// drops it; here every line is split at white space.
func parsePAMLine(line, file string) (protocol.HostInfoPAM, bool) {
	f := strings.Fields(line)
	if len(f) == 0 || !pamKeywords[f[0]] {
		return protocol.HostInfoPAM{}, false
	}
	at := func(i int) string {
		if i < len(f) {
			return f[i]
		}
		return ""
	}
	soEnd := -1
	if i := strings.Index(line, ".so"); i >= 0 {
		soEnd = i + 3
	}
	var flags, module string
	lb, rb := strings.Index(line, "["), strings.Index(line, "]")
	if rb >= 0 && lb >= 0 && lb < rb {
		flags = line[lb+1 : rb]
		end := len(line)
		if soEnd >= 0 {
			end = soEnd
		}
		if start := rb + 2; start < end {
			module = line[start:end]
		}
	} else {
		flags, module = at(1), at(2)
	}
	args := ""
	if soEnd >= 0 && soEnd+1 < len(line) {
		args = line[soEnd+1:]
	}
	return protocol.HostInfoPAM{
		ModuleInterface: strings.TrimSpace(f[0]), ControlFlags: strings.TrimSpace(flags),
		ModuleName: strings.TrimSpace(module), ModuleArguments: strings.TrimSpace(args), FileName: file,
	}, true
}

// readDirNames lists dir's names, sorted, at most maxDirEntries.
func readDirNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(maxDirEntries)
	if err != nil && len(names) == 0 && !errors.Is(err, io.EOF) {
		return nil, err
	}
	sort.Strings(names)
	return names, nil
}

// buildPAM is hostinfo/pam.lua:78-112: every rule of every file in
// /etc/pam.d, with its file's name; a file that cannot be read adds its
// error and the others still count.
func buildPAM(_ context.Context, s *Source, _ *collector.Snapshot) (any, error) {
	dir := filepath.Join(s.opts.etcRoot(), "pam.d")
	names, err := readDirNames(dir)
	if err != nil {
		return partial{errs: []string{err.Error()}}, nil
	}
	var rows []protocol.HostInfoPAM
	var errs []string
	for _, n := range names {
		b, err := readFile(dir, n)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		for _, line := range contentLines(b) {
			if r, ok := parsePAMLine(line, n); ok && len(rows) < maxRows {
				rows = append(rows, r)
			}
		}
	}
	return partial{metrics: protocol.HostInfoRows(rows), errs: errs}, nil
}

// filepermsList is fileperms.lua's list (lines 29-48).
var filepermsList = []string{
	"/etc/grub.conf", "/boot/grub/grub.cfg", "/etc/passwd", "/etc/shadow", "/etc/hosts.allow",
	"/etc/hosts.deny", "/etc/anacrontab", "/etc/crontab", "/etc/cron.hourly", "/etc/cron.daily",
	"/etc/cron.weekly", "/etc/cron.monthly", "/etc/cron.d", "/etc/ssh/sshd_config", "/etc/gshadow",
	"/etc/group", "/etc/login.defs", "/var/run/php-fpm.sock",
}

// filePerm is fileperms.lua's row (lines 66-75): the permission bits in
// octal, and the sticky, setgid and setuid bits.
func filePerm(name string, m fs.FileMode) protocol.HostInfoFilePerm {
	return protocol.HostInfoFilePerm{
		FileName: name, OctalFilePerms: strconv.FormatUint(uint64(m.Perm()), 8),
		StickyBit: m&fs.ModeSticky != 0, Setgid: m&fs.ModeSetgid != 0, Setuid: m&fs.ModeSetuid != 0,
	}
}

// buildFileperms is hostinfo/fileperms.lua:28-92: stat (following links)
// each file of the list that exists. /etc paths are read under EtcRoot,
// the others under Root; the rows name the original paths.
func buildFileperms(_ context.Context, s *Source, _ *collector.Snapshot) (any, error) {
	var rows []protocol.HostInfoFilePerm
	var errs []string
	for _, name := range filepermsList {
		p := filepath.Join(s.opts.root(), name)
		if rest, ok := strings.CutPrefix(name, "/etc/"); ok {
			p = filepath.Join(s.opts.etcRoot(), rest)
		}
		fi, err := os.Stat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			errs = append(errs, fmt.Sprintf("fs.stat in fileperms.lua erred: %s", err))
			continue
		}
		rows = append(rows, filePerm(name, fi.Mode()))
	}
	return partial{metrics: protocol.HostInfoRows(rows), errs: errs}, nil
}

// maxSSHDInclude bounds Include nesting in sshd_config.
const maxSSHDInclude = 4

// sshdArrays are the settings sshd -T prints once per value.
var sshdArrays = map[string]bool{
	"port": true, "listenaddress": true, "hostkey": true, "acceptenv": true, "setenv": true,
	"allowusers": true, "denyusers": true, "allowgroups": true, "denygroups": true,
}

// readSSHDConfig collects sshd_config's settings as sshd reads them: keys
// lower-cased, the first value of a key wins, Include expanded (relative
// to /etc/ssh), reading stops at the first Match block.
func readSSHDConfig(etc, rel string, depth int, out map[string]string, errs *[]string) bool {
	b, err := readFile(etc, rel)
	if err != nil {
		*errs = append(*errs, err.Error())
		return false
	}
	for _, line := range contentLines(b) {
		line = strings.TrimSpace(line)
		f := strings.Fields(strings.Replace(line, "=", " ", 1))
		if len(f) == 0 {
			continue
		}
		key, rest := strings.ToLower(f[0]), strings.Join(f[1:], " ")
		switch {
		case key == "" || strings.HasPrefix(key, "#"):
			continue
		case key == "match":
			return true
		case key == "include":
			if depth >= maxSSHDInclude {
				continue
			}
			for _, pat := range strings.Fields(rest) {
				if !filepath.IsAbs(pat) {
					pat = "/etc/ssh/" + pat
				}
				relPat, ok := strings.CutPrefix(pat, "/etc/")
				if !ok {
					continue
				}
				matches, _ := filepath.Glob(filepath.Join(etc, relPat))
				sort.Strings(matches)
				for _, m := range matches {
					r, _ := filepath.Rel(etc, m)
					if readSSHDConfig(etc, r, depth+1, out, errs) {
						return true
					}
				}
			}
			continue
		}
		switch _, seen := out[key]; {
		case rest == "" || len(out) >= maxRows:
		case sshdArrays[key]:
			// sshd -T prints one line per value: the last one stays.
			out[key] = f[len(f)-1]
		case !seen:
			out[key] = rest
		}
	}
	return false
}

// sshdRows applies sshd.lua's Reader (lines 27-32) to each "key value"
// line: the key is everything before the last white space, the value the
// last word.
func sshdRows(settings map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range settings {
		line := k + " " + v
		i := strings.LastIndexAny(line, " \t")
		out[line[:i]] = line[i+1:]
	}
	return out
}

// buildSSHD is hostinfo/sshd.lua:37-56. The original runs `sshd -T`
// (root only; every setting with its default); this reads the settings
// sshd_config sets, as sshd -T would name them.
func buildSSHD(_ context.Context, s *Source, _ *collector.Snapshot) (any, error) {
	settings := map[string]string{}
	var errs []string
	readSSHDConfig(s.opts.etcRoot(), "ssh/sshd_config", 0, settings, &errs)
	rows := sshdRows(settings)
	if len(rows) == 0 {
		return partial{errs: errs}, nil
	}
	return partial{metrics: rows, errs: errs}, nil
}
