package main

import (
	"io"
	"log/slog"
	"testing"

	"github.com/virgo-top/virgo-top/check"
	"github.com/virgo-top/virgo-top/config"
)

// TestApplyVirgoDirs: an existing Virgo install moves over unchanged
// (its plugin and conf.d directories are read when ours do not exist),
// and a configured directory is never replaced.
func TestApplyVirgoDirs(t *testing.T) {
	tests := []struct {
		name           string
		exist          []string
		set            map[string]string
		plugins, confd string
	}{
		{"ours exist", []string{check.VirgoTopPluginDir, check.VirgoTopConfDDir, check.VirgoPluginDir, check.VirgoConfDDir}, nil,
			check.VirgoTopPluginDir, check.VirgoTopConfDDir},
		{"only Virgo's", []string{check.VirgoPluginDir, check.VirgoConfDDir}, nil, check.VirgoPluginDir, check.VirgoConfDDir},
		{"none", nil, nil, check.VirgoTopPluginDir, check.VirgoTopConfDDir},
		{"configured wins", []string{check.VirgoPluginDir, check.VirgoConfDDir},
			map[string]string{"plugin_dir": "/opt/p", "confd_dir": "/opt/c"}, "/opt/p", "/opt/c"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config.Default()
			for k, v := range tc.set {
				if err := cfg.Set(k, v, "flag"); err != nil {
					t.Fatal(err)
				}
			}
			exists := func(p string) bool {
				for _, e := range tc.exist {
					if e == p {
						return true
					}
				}
				return false
			}
			applyVirgoDirs(&cfg, exists, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if cfg.PluginDir != tc.plugins || cfg.ConfdDir != tc.confd {
				t.Errorf("plugin_dir %q confd_dir %q, want %q %q", cfg.PluginDir, cfg.ConfdDir, tc.plugins, tc.confd)
			}
		})
	}
}
