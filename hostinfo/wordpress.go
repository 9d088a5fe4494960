package hostinfo

import (
	"context"
	"path"
	"regexp"
	"strings"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/protocol"
)

var (
	wpVersionLine = regexp.MustCompile(`wp_version =`)         // wordpress.lua:19
	wpVersion     = regexp.MustCompile(`wp_version = '(\S+)'`) // wordpress.lua:20
	wpConfig      = regexp.MustCompile(`wp-config.php`)        // wordpress.lua:175 ('.' any)
	wpColonWord   = regexp.MustCompile(`:\s(\S+)`)             // wordpress.lua:28, 30
	wpPluginName  = regexp.MustCompile(`Plugin\sName:`)        // wordpress.lua:29
)

// wpVersions is VersionReader (wordpress.lua:18-23) over version.php's
// content lines: each $wp_version, in a list; a line naming wp_version
// without a quoted value ends the original's stream.
func wpVersions(ls []string) []string {
	var out []string
	for _, line := range ls {
		if !wpVersionLine.MatchString(line) {
			continue
		}
		m := wpVersion.FindStringSubmatch(line)
		if m == nil {
			break
		}
		out = append(out, m[1])
	}
	return out
}

// wpPlugin is PluginsReader (wordpress.lua:26-33) and getPlugins' sum
// (lines 138-152) over one file: its last "Version:" word and last
// "Plugin Name:" word.
func wpPlugin(ls []string) (protocol.HostInfoWordpressPlugin, bool) {
	var p protocol.HostInfoWordpressPlugin
	for _, line := range ls {
		switch {
		case strings.Contains(line, "Version:"):
			if m := wpColonWord.FindStringSubmatch(line); m != nil {
				p.Version = m[1]
			}
		case wpPluginName.MatchString(line):
			if m := wpColonWord.FindStringSubmatch(line); m != nil {
				p.Name = m[1]
			}
		}
	}
	return p, p.Name != "" && p.Version != ""
}

// buildWordpress is hostinfo/wordpress.lua:42-241: the docroots of the
// APACHE2 and NGINX_CONFIG types; under each (walked under Root) the
// last wp-config.php found names the installation, whose
// wp-includes/version.php gives the version and whose
// wp-content/plugins files the plugins. As the original, errors reading
// a version or the plugins are not reported (lines 231-237 keep them
// only when nothing was found).
//
// Differences, on purpose: a docroot that cannot be walked is reported
// in the error and the others are still searched (the original answered
// at the first such failure, racing the other walks, with docroots only);
// an empty docroot is skipped (the original walked ""); sites are walked
// in name order and files in path order (the original walked five at
// once).
func buildWordpress(ctx context.Context, s *Source, snap *collector.Snapshot) (any, error) {
	roots, errs := s.docroots(ctx, snap)
	if len(roots) == 0 {
		return partial{errs: errs}, nil
	}
	wp := protocol.HostInfoWordpress{Docroots: roots}
	found := map[string]protocol.HostInfoWordpressSite{}
	var walkErrs []string
	for _, name := range siteNames(roots) {
		files, err := s.walkFiles(ctx, roots[name])
		if err != nil {
			walkErrs = append(walkErrs, err.Error())
			continue
		}
		for _, f := range files {
			loc := wpConfig.FindStringIndex(f)
			if loc == nil {
				continue
			}
			dir := f[:strings.Index(f, "wp-config")]
			site := protocol.HostInfoWordpressSite{Path: dir}
			if b, err := readFile(s.opts.root(), path.Join(dir, "wp-includes", "version.php")); err == nil {
				site.Version = wpVersions(contentLines(b))
			}
			if plugins, err := s.walkFiles(ctx, path.Join(dir, "wp-content", "plugins")); err == nil {
				for _, pf := range plugins {
					if len(site.Plugins) >= maxRows {
						break
					}
					b, err := readFile(s.opts.root(), pf)
					if err != nil {
						continue
					}
					if p, ok := wpPlugin(contentLines(b)); ok {
						site.Plugins = append(site.Plugins, p)
					}
				}
			}
			found[name] = site
		}
	}
	wp.Found = found
	if len(found) == 0 {
		wp.Found = []any{} // an empty Lua table
	}
	return partial{metrics: wp, errs: walkErrs}, nil
}
