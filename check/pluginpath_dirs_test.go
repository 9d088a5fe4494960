package check_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/virgo-top/virgo-top/check"
	"github.com/virgo-top/virgo-top/config"
)

func TestFallbackDirs(t *testing.T) {
	// check's names for our directories are config's defaults.
	if check.VirgoTopPluginDir != config.DefaultPluginDir || check.VirgoTopConfDDir != config.DefaultConfdDir {
		t.Fatalf("check (%s, %s) and config (%s, %s) disagree on the default directories",
			check.VirgoTopPluginDir, check.VirgoTopConfDDir, config.DefaultPluginDir, config.DefaultConfdDir)
	}
	cases := []struct {
		name           string
		exist          []string
		plugins, confd string
	}{
		{"fresh host: ours", nil, check.VirgoTopPluginDir, check.VirgoTopConfDDir},
		{"virgo install: virgo's", []string{check.VirgoPluginDir, check.VirgoConfDDir}, check.VirgoPluginDir, check.VirgoConfDDir},
		{"both: ours", []string{check.VirgoTopPluginDir, check.VirgoPluginDir, check.VirgoTopConfDDir, check.VirgoConfDDir},
			check.VirgoTopPluginDir, check.VirgoTopConfDDir},
		{"each on its own", []string{check.VirgoTopPluginDir, check.VirgoConfDDir}, check.VirgoTopPluginDir, check.VirgoConfDDir},
		{"virgo plugins only", []string{check.VirgoPluginDir}, check.VirgoPluginDir, check.VirgoTopConfDDir},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			exists := func(p string) bool {
				for _, e := range tc.exist {
					if p == e {
						return true
					}
				}
				return false
			}
			if got := check.FallbackPluginDir(exists); got != tc.plugins {
				t.Errorf("FallbackPluginDir = %s, want %s", got, tc.plugins)
			}
			if got := check.FallbackConfDDir(exists); got != tc.confd {
				t.Errorf("FallbackConfDDir = %s, want %s", got, tc.confd)
			}
		})
	}
	if got := check.FallbackPluginDir(nil); got != check.VirgoTopPluginDir {
		t.Errorf("FallbackPluginDir(nil) = %s", got)
	}
}

func TestDirExists(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "l")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{dir: true, link: true, file: false, filepath.Join(dir, "missing"): false} {
		if got := check.DirExists(p); got != want {
			t.Errorf("DirExists(%s) = %v, want %v", p, got, want)
		}
	}
}
