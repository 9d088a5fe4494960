package hostinfo

import (
	"context"
	"regexp"
	"strings"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/protocol"
)

var (
	mageVersionPart = regexp.MustCompile(`'(\S+)'\s*=>\s*'(\S+)'`)       // magento.lua:42
	mageConst       = regexp.MustCompile(`const\sEDITION_`)              // magento.lua:49
	mageEdition     = regexp.MustCompile(`(EDITION_\S+)\s*=\s*'(\S+)';`) // magento.lua:50
	mageAssign      = regexp.MustCompile(`::(\S+);`)                     // magento.lua:53
	mageFile        = regexp.MustCompile(`Mage.php`)                     // magento.lua:164 ('.' any)
)

// mageVersionOpts are magento.lua:32-39's versionOpts.
var mageVersionOpts = map[string]bool{"major": true, "minor": true, "revision": true, "patch": true, "stability": true, "number": true}

// mageVersion is magento.lua's Reader (lines 31-57) and
// getVersionAndEdition's sums (lines 129-150) over Mage.php's content
// lines; ok is false when the edition named is not defined (the
// original's edition is then nil and neither is kept, lines 169-172).
func mageVersion(ls []string) (version, edition string, ok bool) {
	var parts []string
	editions := map[string]string{}
	edition, ok = "Unknown", true
	for _, line := range ls {
		switch {
		case strings.Contains(line, "=>"):
			if m := mageVersionPart.FindStringSubmatch(line); m != nil && mageVersionOpts[m[1]] {
				parts = append(parts, m[2])
			}
		case mageConst.MatchString(line):
			if m := mageEdition.FindStringSubmatch(line); m != nil {
				editions[m[1]] = m[2]
			}
		case strings.Contains(line, "static private $_currentEdition"):
			e := ""
			if m := mageAssign.FindStringSubmatch(line); m != nil {
				e = m[1]
			}
			edition, ok = editions[e]
		}
	}
	return strings.Join(parts, "."), edition, ok
}

// buildMagento is hostinfo/magento.lua:66-209: the docroots of the
// APACHE2 and NGINX_CONFIG types; under each (walked under Root) every
// file whose path has "Mage.php", the last one found naming the site's
// installation. With no docroot the errors are "No vhosts found" per
// server; with no Magento, the original's "no data".
//
// Differences, on purpose (as WORDPRESS): a docroot that cannot be
// walked is reported and the others are still searched; an empty docroot
// is skipped; sites and files are taken in name order.
func buildMagento(ctx context.Context, s *Source, snap *collector.Snapshot) (any, error) {
	roots, errs := s.docroots(ctx, snap)
	if len(roots) == 0 {
		return partial{errs: errs}, nil
	}
	errs = nil
	found := protocol.HostInfoMagento{}
	for _, name := range siteNames(roots) {
		files, err := s.walkFiles(ctx, roots[name])
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		for _, f := range files {
			if !mageFile.MatchString(f) {
				continue
			}
			site := protocol.HostInfoMagentoSite{Path: f}
			b, err := readFile(s.opts.root(), f)
			if err != nil {
				errs = append(errs, err.Error())
			} else if v, e, ok := mageVersion(contentLines(b)); ok {
				site.Version, site.Edition = &v, &e
			}
			found[name] = site
		}
	}
	if len(found) == 0 {
		return partial{errs: errs}, nil
	}
	return partial{metrics: found, errs: errs}, nil
}
