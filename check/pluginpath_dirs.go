package check

import "os"

// The default plugin and conf.d directories: virgo-top's own, and Virgo's
// (rackspace-monitoring-agent's constants.lua: DEFAULT_CUSTOM_PLUGINS_PATH
// and DEFAULT_CONFD_PATH), which are read when ours do not exist, so an
// existing Virgo install moves over unchanged.
const (
	VirgoTopPluginDir = "/usr/lib/virgo-top/plugins"
	VirgoPluginDir    = "/usr/lib/rackspace-monitoring-agent/plugins"
	VirgoTopConfDDir  = "/etc/virgo-top.conf.d"
	VirgoConfDDir     = "/etc/rackspace-monitoring-agent.conf.d"
)

// FallbackPluginDir is the plugin directory when none is configured:
// VirgoTopPluginDir when it exists, else VirgoPluginDir when that exists,
// else VirgoTopPluginDir (so messages name ours). exists reports whether a
// directory exists; DirExists is the real one.
func FallbackPluginDir(exists func(string) bool) string {
	return fallbackDir(exists, VirgoTopPluginDir, VirgoPluginDir)
}

// FallbackConfDDir is the conf.d directory when none is configured:
// VirgoTopConfDDir when it exists, else VirgoConfDDir when that exists,
// else VirgoTopConfDDir.
func FallbackConfDDir(exists func(string) bool) string {
	return fallbackDir(exists, VirgoTopConfDDir, VirgoConfDDir)
}

func fallbackDir(exists func(string) bool, ours, virgos string) string {
	if exists == nil || exists(ours) || !exists(virgos) {
		return ours
	}
	return virgos
}

// DirExists reports whether p is a directory (following symlinks).
func DirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
