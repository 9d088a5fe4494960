package hostinfo

import (
	"context"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/protocol"
)

// maxSiteWalk bounds the entries walked under one docroot.
const maxSiteWalk = 100000

// docroots is wordpress.lua:43-96 and magento.lua:68-121 (getDocroots):
// the APACHE2 type's vhosts (each NameVirtualHost's sites, in name order)
// then NGINX_CONFIG's, name -> docroot; each server without vhosts adds
// HostInfoNoVhosts to errs, which matter only when no docroot is found.
func (s *Source) docroots(ctx context.Context, snap *collector.Snapshot) (map[string]string, []string) {
	roots := map[string]string{}
	var errs []string
	a, _ := buildApache2(ctx, s, snap)
	if p, ok := a.(partial); ok {
		a = p.metrics
	}
	if ap, ok := a.(protocol.HostInfoApache2); ok && ap.Vhosts != nil {
		for _, group := range ap.Vhosts {
			names := make([]string, 0, len(group))
			for n := range group {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				roots[group[n].Vhost] = group[n].Docroot
			}
		}
	} else {
		errs = append(errs, protocol.HostInfoNoVhosts)
	}
	n, _ := buildNginx(ctx, s, snap)
	if p, ok := n.(partial); ok {
		n = p.metrics
	}
	if np, ok := n.(protocol.HostInfoNginx); ok && np.Vhosts != nil {
		if vs, ok := np.Vhosts.(map[string]protocol.HostInfoNginxVhost); ok {
			for _, v := range vs {
				roots[v.Domain] = v.Docroot
			}
		}
	} else {
		errs = append(errs, protocol.HostInfoNoVhosts)
	}
	return roots, errs
}

// walkFiles is luvit-walk's readdirRecursive as the original uses it: the
// files under dir (read under Root), as paths without Root, sorted, at
// most maxSiteWalk entries visited.
func (s *Source) walkFiles(ctx context.Context, dir string) ([]string, error) {
	root := s.opts.root()
	var files []string
	seen := 0
	err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if seen++; seen > maxSiteWalk {
			return filepath.SkipAll
		}
		if d.Type().IsRegular() {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			files = append(files, "/"+filepath.ToSlash(rel))
		}
		return nil
	})
	return files, err
}

// siteNames are a docroots map's names, sorted, without the empty
// docroots (a file without a server block in NGINX_CONFIG).
func siteNames(roots map[string]string) []string {
	var names []string
	for n, d := range roots {
		if strings.TrimSpace(d) != "" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}
