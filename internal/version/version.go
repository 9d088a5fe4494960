// Package version is virgo-top's version: the dotted release number in the
// VERSION file next to this source, embedded so that every build carries it
// (go build, go install, go run and the Makefile alike), and the commit the
// binary was built from, which Go records in the build info.
//
// Version is what the agent sends to the endpoint in handshake.hello
// (process_version and bundle_version): a dotted number, as the original
// sends its own (virgo.virgo_version and virgo.bundle_version, e.g. 2.1.10
// and 2.6.23). The commit is for people: `virgo-top version` shows it.
package version

import (
	_ "embed"
	"runtime/debug"
	"strings"
)

//go:embed VERSION
var raw string

// Version is the release number from VERSION, e.g. "0.9.0".
var Version = parse(raw)

// parse trims the file's text to its first line; a file that is not a
// dotted number gives "0.0.0" (Valid says whether it is one).
func parse(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	s = strings.TrimSpace(s)
	if !Valid(s) {
		return "0.0.0"
	}
	return s
}

// Valid reports whether s is a dotted release number: two to four parts of
// decimal digits, such as 0.9.0 or 1.2.3.4 (the original's bundle versions
// have four).
func Valid(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 4 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 9 {
			return false
		}
		for _, r := range p {
			if r < '0' || r > '9' {
				return false
			}
		}
	}
	return true
}

// Commit returns the VCS revision the binary was built from, with
// "-dirty" when the tree had changes, or "" when the build info has none
// (go run, tests, or a build outside a git checkout, or with -buildvcs=false).
func Commit() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	return commitOf(bi.Settings)
}

func commitOf(settings []debug.BuildSetting) string {
	var rev string
	var dirty bool
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return ""
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}
