package hostinfo

import (
	"context"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/protocol"
)

// nginxPath is nginx_config.lua:115's nginxFullPath.
const nginxPath = "/usr/sbin/nginx"

var (
	nginxVersion   = regexp.MustCompile(`nginx/(\d+.\d+.\d+)`) // line 33
	nginxQuotedArg = regexp.MustCompile(`--\S+'(.+)'`)         // line 41
	nginxDashArg   = regexp.MustCompile(`--\S+`)               // line 43
	nginxEqArg     = regexp.MustCompile(`\S+=\S+`)             // line 45
	nginxInclude   = regexp.MustCompile(`include\s(.+);`)      // line 62
	nginxDomain    = regexp.MustCompile(`server_name\s(.+);`)  // line 74
	nginxRoot      = regexp.MustCompile(`root\s(.+);`)         // line 76
	nginxListen    = regexp.MustCompile(`listen\s(.+);`)       // line 78
	nginxLocation  = regexp.MustCompile(`location\s(.+)\s\{`)  // line 81
	nginxDirective = regexp.MustCompile(`^\s*(\S+)\s`)         // line 88, key
	nginxValue     = regexp.MustCompile(`\S\s+(.+);`)          // line 88, value
	startsServer   = regexp.MustCompile(`^\s*server_name`)
	startsRoot     = regexp.MustCompile(`^\s*root`)
	startsListen   = regexp.MustCompile(`^\s*listen`)
	startsLocation = regexp.MustCompile(`^\s*location`)
)

// outputLines are a command's stdout lines and then its stderr's, as the
// original's misc.run streams both (stderr and the exit code as "error"
// events, which nginx_config.lua writes into its readers: nginx prints
// -V and -t on stderr).
func outputLines(out []byte, err error) []string {
	ls := lines(out)
	if err != nil {
		ls = append(ls, lines([]byte(err.Error()))...)
	}
	return ls
}

// nginxConfigureArgs is nginx_config.lua:34-46: a quoted --opt='...'
// first (to the line's last quote), then every --opt, then every a=b left.
func nginxConfigureArgs(line string) []string {
	args := []string{}
	take := func(s string) string { args = append(args, s); return "" }
	line = nginxQuotedArg.ReplaceAllStringFunc(line, take)
	line = nginxDashArg.ReplaceAllStringFunc(line, take)
	nginxEqArg.ReplaceAllStringFunc(line, take)
	return args
}

// nginxVhost is nginx_config.lua's VhostReader (lines 72-92) and getVhosts'
// sum of one file (lines 196-238).
func nginxVhost(ls []string) protocol.HostInfoNginxVhost {
	v := protocol.HostInfoNginxVhost{Locations: []map[string]string{}}
	var listens []string
	inLocation := false
	loc := map[string]string{}
	for _, line := range ls {
		switch {
		case startsServer.MatchString(line):
			if m := nginxDomain.FindStringSubmatch(line); m != nil {
				v.Domain = m[1]
			}
		case startsRoot.MatchString(line):
			if m := nginxRoot.FindStringSubmatch(line); m != nil {
				v.Docroot = m[1]
			}
		case startsListen.MatchString(line):
			if m := nginxListen.FindStringSubmatch(line); m != nil {
				listens = append(listens, m[1])
			}
		case startsLocation.MatchString(line):
			inLocation = true
			if m := nginxLocation.FindStringSubmatch(line); m != nil {
				loc["location"] = m[1]
			}
		}
		if !inLocation {
			continue
		}
		if strings.Contains(line, "}") {
			inLocation = false
			if len(v.Locations) < maxRows {
				v.Locations = append(v.Locations, loc)
			}
			loc = map[string]string{}
			continue
		}
		k, val := nginxDirective.FindStringSubmatch(line), nginxValue.FindStringSubmatch(line)
		if k != nil && val != nil {
			loc[k[1]] = val[1]
		}
	}
	switch len(listens) {
	case 0:
		v.Listen = ""
	case 1:
		v.Listen = listens[0]
	default:
		v.Listen = listens
	}
	return v
}

// nginxFiles is getVhosts' list (nginx_config.lua:181-194): an include
// cut at its first "*"; a directory's entries (sorted here), else the file.
func (s *Source) nginxFiles(includes []string) (files, errs []string) {
	for _, inc := range includes {
		inc = strings.TrimSpace(inc)
		if i := strings.Index(inc, "*"); i >= 0 {
			inc = inc[:i]
		}
		if !strings.HasSuffix(inc, "/") {
			files = append(files, inc)
			continue
		}
		names, err := readDirNames(filepath.Join(s.opts.root(), inc))
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		for _, n := range names {
			files = append(files, path.Join(inc, n))
		}
	}
	return files, errs
}

// buildNginx is hostinfo/nginx_config.lua:113-314. Nginx is taken as not
// installed (no data, the original's finalCb with nothing) when `nginx -V`
// says nothing; each later step runs only when the one before found
// something (compose, lines 278-291). Files are read under Root, in order
// (the original read five at once, so which of two files naming the same
// server_name won was a race).
//
// Differences, on purpose: a conf file or include that cannot be read is
// reported in the error beside what was found (the original never ended
// its stream then, and so never answered); a directory is listed sorted.
func buildNginx(ctx context.Context, s *Source, _ *collector.Snapshot) (any, error) {
	var p protocol.HostInfoNginx
	found := false
	out, err := s.run(ctx, nginxPath, "-V")
	for _, line := range outputLines(out, err) {
		switch {
		case strings.HasPrefix(line, "nginx"):
			p.Version, found = "", true
			if m := nginxVersion.FindStringSubmatch(line); m != nil {
				p.Version = m[1]
			}
		case strings.HasPrefix(line, "configure arguments"):
			p.ConfigureArguments, found = nginxConfigureArgs(line), true
		}
	}
	if !found {
		return nil, nil
	}
	out, err = s.run(ctx, nginxPath, "-t")
	for _, line := range outputLines(out, err) {
		if strings.Contains(line, "syntax is ok") || strings.Contains(line, "test is successful") {
			zero := 0
			p.Status = &zero
		} else {
			p.Stderr = line
		}
	}
	// getPrefixAndConfPath (lines 51-57, 151-164).
	for _, a := range p.ConfigureArguments {
		if v, ok := strings.CutPrefix(a, "--prefix"); ok {
			if _, val, ok := strings.Cut(v, "="); ok && val != "" {
				p.Prefix = val
			}
		}
		if v, ok := strings.CutPrefix(a, "--conf-path"); ok {
			if _, val, ok := strings.Cut(v, "="); ok && val != "" {
				p.ConfPath = val
			}
		}
	}
	if p.ConfPath == "" {
		return p, nil
	}
	// getIncludes (lines 59-65, 166-177): misc.read keeps the lines that
	// are not blank and do not start with '#'.
	b, err := readFile(s.opts.root(), p.ConfPath)
	if err != nil {
		return partial{metrics: p, errs: []string{err.Error()}}, nil
	}
	for _, line := range contentLines(b) {
		if !strings.Contains(line, "include ") && !strings.Contains(line, "include\t") {
			continue
		}
		m := nginxInclude.FindStringSubmatch(line)
		if m == nil {
			break // a nil push ends the original's stream
		}
		p.Includes = append(p.Includes, m[1])
	}
	if len(p.Includes) == 0 {
		return p, nil
	}
	files, errs := s.nginxFiles(p.Includes)
	vhosts := map[string]protocol.HostInfoNginxVhost{}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, err := readFile(s.opts.root(), f)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		v := nginxVhost(contentLines(b))
		vhosts[v.Domain] = v
	}
	p.Vhosts = vhosts
	if len(vhosts) == 0 {
		p.Vhosts = []any{} // an empty Lua table
	}
	return partial{metrics: p, errs: errs}, nil
}
