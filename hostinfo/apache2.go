package hostinfo

import (
	"context"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/protocol"
)

// apacheCommand is apache2.lua:127-143's spawnConfig: apache2ctl on Debian
// and Ubuntu, httpd on RHEL and CentOS, "" elsewhere; and the name of the
// server's processes (see buildApache2).
func apacheCommand(vendor string) (bin, proc string) {
	switch vendor {
	case "ubuntu", "debian":
		return "/usr/sbin/apache2ctl", "apache2"
	case "rhel", "centos":
		return "/usr/sbin/httpd", "httpd"
	}
	return "", ""
}

// psPaths are where procps installs ps.
var psPaths = []string{"/usr/bin/ps", "/bin/ps"}

var (
	apacheDigits    = regexp.MustCompile(`\d+`)
	apacheColonRest = regexp.MustCompile(`: (.+)`)             // line 45
	apacheQuoted    = regexp.MustCompile(`"(.*)"`)             // line 60
	apacheUser      = regexp.MustCompile(`^\s*User:`)          // line 59
	apacheDefault   = regexp.MustCompile(`^\s*default\s`)      // line 64
	apachePort      = regexp.MustCompile(`^\s*port\s`)         // line 70
	apacheParens    = regexp.MustCompile(`\((.*)\)`)           // lines 67, 75
	apacheSecond    = regexp.MustCompile(`\s+\S+\s+(\S+)`)     // lines 86-90
	apacheDocRoot   = regexp.MustCompile(`^\s*DocumentRoot\s`) // line 85
	apacheErrorLog  = regexp.MustCompile(`^\s*ErrorLog\s`)     // line 87
	apacheCustomLog = regexp.MustCompile(`^\s*CustomLog\s`)    // line 89
	apacheConfLine  = regexp.MustCompile(`^(.+):(.+)$`)        // line 224
)

// sub is Lua's string.sub(s, i, j) for 1 <= i, j < 0 meaning from the end.
func sub(s string, i, j int) string {
	end := len(s) + j + 1
	if i-1 >= end || i-1 >= len(s) {
		return ""
	}
	return s[i-1 : end]
}

// apacheOutput is apache2.lua's ApacheOutputReader (lines 31-52) over
// every line of `apache2ctl -V`, stdout and stderr (lines 170-178).
func apacheOutput(p *protocol.HostInfoApache2, ls []string) {
	for _, line := range ls {
		switch {
		case strings.Contains(line, "-D HTTPD_ROOT="):
			p.ConfigPath = sub(line, 17, -2)
		case strings.Contains(line, "Server version:"):
			p.Version = sub(line, 17, -1)
		case strings.Contains(line, "Server MPM:"):
			p.Mpm = sub(line, 17, -1)
		case strings.Contains(line, "-D SERVER_CONFIG_FILE="):
			p.ConfigFile = sub(line, 25, -2)
		case strings.Contains(line, "WARNING: Require MaxClients > 0, setting to"):
			p.MaxClients = apacheDigits.FindString(sub(line, 45, -1))
		case strings.Contains(line, "Syntax OK"):
			p.SyntaxOK = true
		case strings.Contains(line, "Syntax error"):
			p.SyntaxOK = false
			p.SyntaxErrors = ""
			if m := apacheColonRest.FindStringSubmatch(line); m != nil {
				p.SyntaxErrors = m[1]
			}
		}
	}
}

// apacheVhostLine is one line of `apache2ctl -S` as VhostOutputReader
// (lines 55-80) reads it: a "default server" line (port "") or a "port"
// line, with its "(file:line)".
type apacheVhostLine struct {
	vhost, port, conf string
}

// apacheVhostConfig is VhostConfigReader (lines 83-93) over the content
// lines of file from line_number on (getVhostsConfig, lines 185-204: its
// count starts at 2 and skips comments and blank lines, and it reads to
// the end of the file, so the last directive of the rest of the file wins).
func (s *Source) apacheVhostConfig(file, lineNum string) (docroot, errorLog, accessLog string, err error) {
	b, err := readFile(s.opts.root(), file)
	if err != nil {
		return "", "", "", err
	}
	n, _ := strconv.Atoi(strings.TrimSpace(lineNum))
	for i, line := range contentLines(b) {
		if i+2 < n {
			continue
		}
		m := apacheSecond.FindStringSubmatch(line)
		val, ok := "", m != nil
		if ok {
			val = m[1]
		}
		switch {
		case apacheDocRoot.MatchString(line):
			if ok {
				docroot = val
			}
		case apacheErrorLog.MatchString(line):
			if ok {
				errorLog = val
			}
		case apacheCustomLog.MatchString(line):
			if ok {
				accessLog = val
			}
		}
	}
	return docroot, errorLog, accessLog, nil
}

// buildApache2 is hostinfo/apache2.lua:124-323.
//
// Differences, on purpose:
//   - The original answered (line 321) before its prefork estimate (lines
//     301-319: ps | xargs pmap | awk, and MaxClients read from the config
//     file) finished, so an endpoint never received
//     estimatedRAMperpreforkchild nor that max_clients; neither is sent.
//   - cients: the original ran `sh -c "ps -u USER -o cmd | grep -c X"`
//     where X was a field that does not exist (nil), so it counted the
//     lines containing "nil". Here ps runs directly and the lines naming
//     the server (apache2, httpd) are counted; "0" when there is no user.
//   - Every vhost goes under the last "is a NameVirtualHost" address (the
//     original's file reads finished after the whole -S output was read,
//     and each reset the table), read in order; a config file that
//     cannot be read is reported in the error (the original then indexed
//     nil and failed). The original's error of N-1 commas (the empty
//     error tables of N vhosts, stringified) is not reproduced.
func buildApache2(ctx context.Context, s *Source, snap *collector.Snapshot) (any, error) {
	bin, procName := apacheCommand(s.vendor(snap))
	if bin == "" {
		return undeciphered("APACHE2"), nil
	}
	p := protocol.HostInfoApache2{Bin: bin, Cients: "0"}
	var errs []string
	out, err := s.run(ctx, bin, "-V")
	apacheOutput(&p, outputLines(out, err))
	p.SyntaxOK = true // line 282

	// getVhostsOutput (lines 205-258): stdout only.
	out, _ = s.run(ctx, bin, "-S")
	current := ""
	var entries []apacheVhostLine
	for _, line := range lines(out) {
		switch {
		case strings.Contains(line, "is a NameVirtualHost"):
			if f := strings.Fields(line); len(f) > 0 {
				current = f[0]
			}
			continue
		case apacheUser.MatchString(line):
			p.User = ""
			if m := apacheQuoted.FindStringSubmatch(line); m != nil {
				p.User = m[1]
			}
			continue
		}
		f := strings.Fields(line)
		var e apacheVhostLine
		switch {
		case apacheDefault.MatchString(line) && len(f) >= 4:
			e = apacheVhostLine{vhost: f[2], conf: f[3]}
		case apachePort.MatchString(line) && len(f) >= 5:
			e = apacheVhostLine{vhost: f[3], port: f[1], conf: f[4]}
		default:
			continue
		}
		m := apacheParens.FindStringSubmatch(e.conf)
		if m == nil || current == "" || len(entries) >= maxRows {
			continue
		}
		e.conf = m[1]
		entries = append(entries, e)
	}
	if len(entries) > 0 {
		group := map[string]protocol.HostInfoApache2Vhost{}
		for _, e := range entries {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			var docroot, errorLog, accessLog string
			if m := apacheConfLine.FindStringSubmatch(e.conf); m != nil {
				var err error
				if docroot, errorLog, accessLog, err = s.apacheVhostConfig(m[1], m[2]); err != nil {
					errs = append(errs, err.Error())
				}
			}
			v := protocol.HostInfoApache2Vhost{Vhost: e.vhost, Conf: e.conf, Docroot: docroot, Errorlog: errorLog}
			key := "default"
			if e.port != "" {
				key, v.Port, v.Accesslogs = e.vhost, e.port, accessLog
			}
			group[key] = v
		}
		p.Vhosts = map[string]map[string]protocol.HostInfoApache2Vhost{current: group}
	}

	// getApacheClients (lines 179-183, 290-294).
	if p.User != "" {
		out, _ := s.run(ctx, s.command(psPaths...), "-u", p.User, "-o", "cmd")
		n := 0
		for _, l := range lines(out) {
			if strings.Contains(l, procName) {
				n++
			}
		}
		p.Cients = strconv.Itoa(n)
	}
	if p.ConfigFile != "" { // line 298-300
		p.ConfigFile = path.Join(p.ConfigPath, p.ConfigFile)
	}
	return partial{metrics: p, errs: errs}, nil
}
