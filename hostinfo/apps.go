package hostinfo

// The application types of the original (hostinfo/php.lua, postfix.lua,
// ...): each runs the application's own commands, by absolute path with no
// shell, and reads its files under Root. Where the original piped a
// command through `sh -c` (tail, grep, awk) the filtering is done here.

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/protocol"
)

// lines splits command output or a file into its lines, without "\r".
func lines(b []byte) []string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		out = append(out, strings.TrimRight(l, "\r"))
	}
	if len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// errLines adds err's text to errs (nil: nothing).
func errLines(errs []string, err error) []string {
	if err != nil {
		return append(errs, err.Error())
	}
	return errs
}

// phpPaths are where distributions install the php CLI (the original
// ran `php` through PATH).
var phpPaths = []string{"/usr/bin/php", "/usr/local/bin/php"}

var (
	phpVersion    = regexp.MustCompile(`\d\.\S+`)             // php.lua:39 (%d%.%S+)
	hipHopVersion = regexp.MustCompile(`\s(\d+\.\d+\.\d+)\s`) // php.lua:32
	phpWarning    = regexp.MustCompile(`[wW]arning|[Ee]rror`) // php.lua:42
)

// phpFatal is what php.lua:87 greps the error logs for.
const phpFatal = "PHP Fatal error:"

// phpTailLines is php.lua:87's `tail -n 5000`.
const phpTailLines = 5000

// phpVersionLines is php.lua's VersionAndErrorReader (lines 27-46) over
// `php --version` and the end of getPHPVersionAndErrors (lines 114-123).
func phpVersionLines(p *protocol.HostInfoPHP, out []byte) bool {
	found := false
	for _, line := range lines(out) {
		switch {
		case strings.HasPrefix(line, "HipHop"):
			v := protocol.HostInfoPHPVersion{Type: "HipHop"}
			if m := hipHopVersion.FindStringSubmatch(line); m != nil {
				v.Version = m[1]
			}
			p.Version, found = &v, true
		case strings.HasPrefix(line, "PHP"):
			p.Version, found = &protocol.HostInfoPHPVersion{Type: "PHP", Version: phpVersion.FindString(line)}, true
		case phpWarning.MatchString(line):
			p.StartupErrorLines, found = line, true
			p.StartupErrorCount++
			p.StartupErrors = true
		}
	}
	return found
}

// phpModules is php.lua's ModulesReader (lines 49-54): the lines of
// `php --modules` that are not empty and have no "[".
func phpModules(out []byte) []string {
	mods := []string{}
	for _, line := range lines(out) {
		if line != "" && !strings.Contains(line, "[") && len(mods) < maxRows {
			mods = append(mods, line)
		}
	}
	return mods
}

// tailFile returns the last n lines of path (of its last maxFile bytes).
func tailFile(path string, n int) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, nil
	}
	if off := fi.Size() - maxFile; off > 0 {
		if _, err := f.Seek(off, 0); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(ioLimitN(f, maxFile)); err != nil {
		return nil, err
	}
	ls := lines(buf.Bytes())
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return ls, nil
}

// phpLogDir is php.lua:73-83's getWeblogFileLocations: apache2 on Debian
// and Ubuntu, httpd on the Red Hat family.
func phpLogDir(vendor string) string {
	if isRedHat(vendor) {
		return "httpd"
	}
	return "apache2"
}

// phpApacheErrors is php.lua:85-105 (getApacheErrors): the "PHP Fatal
// error:" lines among the last 5000 of each of the web server's error
// logs, read here instead of `sh -c "tail -n 5000 ... | grep ..."`.
func (s *Source) phpApacheErrors(p *protocol.HostInfoPHP) []string {
	files, err := filepath.Glob(filepath.Join(s.opts.root(), p.LogFiles))
	if err != nil {
		return []string{err.Error()}
	}
	var errs []string
	for _, f := range files {
		ls, err := tailFile(f, phpTailLines)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		for _, l := range ls {
			if !strings.Contains(l, phpFatal) {
				continue
			}
			if p.MostRecentError == "" {
				p.MostRecentError = l
			}
			p.ErrorLines = l
			p.ErrorCount++
			p.Errors = true
		}
	}
	return errs
}

// buildPHP is hostinfo/php.lua:71-169: log_files always; the version and
// startup errors of `php --version`; the modules of `php --modules` (an
// empty list when php is absent, as the original merges {modules = {}});
// the fatal errors of the web server's logs. A part that found nothing
// contributes its errors instead (callbackTemplate, lines 146-155).
//
// Differences, on purpose: the original formatted the log glob with the
// function instead of its result (line 87), so its tail never read a log;
// here the logs are read. grep finding no fatal line is not an error (the
// original's debug/PHP.json shows none). The count fields are set where
// the original's table.getn on the merged string would have raised.
func buildPHP(ctx context.Context, s *Source, snap *collector.Snapshot) (any, error) {
	p := protocol.HostInfoPHP{LogFiles: "/var/log/" + phpLogDir(s.vendor(snap)) + "/*error.log*"}
	php := s.command(phpPaths...)
	var errs []string
	apacheErrs := s.phpApacheErrors(&p)
	if p.ErrorCount == 0 {
		errs = append(errs, apacheErrs...)
	}
	out, err := s.run(ctx, php, "--version")
	if !phpVersionLines(&p, out) {
		errs = errLines(errs, err)
	}
	out, _ = s.run(ctx, php, "--modules")
	p.Modules = phpModules(out)
	return partial{metrics: p, errs: errs}, nil
}

// postconfKeys are postfix.lua:22-34's filter.
var postconfKeys = map[string]bool{
	"inet_interfaces": true, "inet_protocols": true, "myhostname": true, "mydomain": true,
	"mydestination": true, "mynetworks": true, "myorigin": true, "alias_database": true,
	"config_directory": true, "queue_directory": true, "mail_version": true,
}

// postconfLine is postfix.lua:52's '(.*)%s%=%s(.*)': the key runs to the
// last " = ".
var postconfLine = regexp.MustCompile(`^(.*)\s=\s(.*)$`)

// postfixQueues are postfix.lua:102-109's queues.
var postfixQueues = []string{"incoming", "active", "deferred", "bounce", "hold", "corrupt"}

// maxQueueWalk bounds the entries walked in one mail queue.
const maxQueueWalk = 1 << 20

// Where pgrep and postconf live on Debian and the Red Hat family.
var (
	pgrepPaths    = []string{"/usr/bin/pgrep", "/bin/pgrep"}
	postconfPaths = []string{"/usr/sbin/postconf", "/sbin/postconf"}
)

// countFiles is luvit-walk's readdirRecursive as postfix.lua:112-118
// counts it: the files under dir, recursively.
func countFiles(dir string) (int, error) {
	n, seen := 0, 0
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if seen++; seen > maxQueueWalk {
			return filepath.SkipAll
		}
		if !d.IsDir() {
			n++
		}
		return nil
	})
	return n, err
}

// buildPostfix is hostinfo/postfix.lua:64-155: the last line of
// `pgrep -a master` (postfix.lua:42-48, the base Reader's transform, which
// ProcessReader inherits: the PID and the line's last word), or "Postfix
// is not running" with no error when it printed nothing; the kept keys of
// `postconf`; the files in each queue under queue_directory (read under
// Root), 0 with the error for a queue that cannot be read.
func buildPostfix(ctx context.Context, s *Source, _ *collector.Snapshot) (any, error) {
	var p protocol.HostInfoPostfix
	var errs []string
	out, err := s.run(ctx, s.command(pgrepPaths...), "-a", "master")
	for _, line := range lines(out) {
		f := strings.Fields(line)
		pid := ""
		if len(line) > 0 && line[0] >= '0' && line[0] <= '9' {
			pid = line[:len(line)-len(strings.TrimLeft(line, "0123456789"))]
		}
		last := ""
		if len(f) > 0 && !strings.HasSuffix(line, " ") && !strings.HasSuffix(line, "\t") {
			last = f[len(f)-1]
		}
		p.Process = protocol.HostInfoPostfixProcess{PID: pid, Process: last}
	}
	if len(lines(out)) == 0 {
		p.Process = protocol.HostInfoPostfixProcess{Process: protocol.HostInfoPostfixNotRunning}
	} else {
		errs = errLines(errs, err)
	}

	out, err = s.run(ctx, s.command(postconfPaths...))
	errs = errLines(errs, err)
	conf := map[string]string{}
	for _, line := range lines(out) {
		if m := postconfLine.FindStringSubmatch(line); m != nil && postconfKeys[m[1]] {
			conf[m[1]] = m[2]
		}
	}
	p.CurrentConfiguration = conf
	if len(conf) == 0 {
		p.CurrentConfiguration = []any{}
	}

	qdir, ok := conf["queue_directory"]
	if !ok {
		// postfix.lua:98-100.
		errs = append(errs, "No mail queue directory found")
		return partial{metrics: p, errs: errs}, nil
	}
	p.MailQueueSize = map[string]int{}
	for _, q := range postfixQueues {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, err := countFiles(filepath.Join(s.opts.root(), qdir, q))
		if err != nil && !errors.Is(err, filepath.SkipAll) {
			errs = append(errs, err.Error())
			n = 0
		}
		p.MailQueueSize[q] = n
	}
	return partial{metrics: p, errs: errs}, nil
}
