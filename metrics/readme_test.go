package metrics

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEListsEveryFamily: the README's /metrics section, which the
// endpoint and the fleet view are written against, names every family
// /metrics has (`a_{b,c}_d` stands for a_b_d and a_c_d), and every
// family name it mentions exists, but the old names of its rename table
// (`name{label}` is the family name).
func TestREADMEListsEveryFamily(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "\n### /metrics\n")
	if start < 0 {
		t.Fatal("README has no ### /metrics section")
	}
	section := text[start+1:]
	if end := strings.Index(section[4:], "\n### "); end >= 0 {
		section = section[:end+4]
	}
	named := map[string]bool{}
	for _, m := range regexp.MustCompile("`([A-Za-z0-9_{},]+)`").FindAllStringSubmatch(section, -1) {
		for _, name := range expandBraces(m[1]) {
			named[name] = true
		}
	}
	known := map[string]bool{}
	build := buildInfoFamily()
	for _, f := range append(append(newFamilies().all, build), newSelfFamilies().all()...) {
		known[f.name] = true
		if !named[f.name] {
			t.Errorf("README's /metrics section does not name %s", f.name)
		}
	}
	renamed := map[string]bool{"virgo_collector_errors": true, "virgo_collector_duration_seconds": true}
	for name := range named {
		isFamily := strings.HasPrefix(name, "node_") || strings.HasPrefix(name, "virgo_") ||
			strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_")
		if isFamily && !known[name] && !renamed[name] {
			t.Errorf("README's /metrics section names %s, which /metrics does not have", name)
		}
	}
}

// expandBraces expands each {a,b} group of s; a group without a comma is
// a label set (name{label}) and is dropped.
func expandBraces(s string) []string {
	i := strings.IndexByte(s, '{')
	j := strings.IndexByte(s, '}')
	if i < 0 || j < i {
		return []string{s}
	}
	if !strings.Contains(s[i:j], ",") {
		return expandBraces(s[:i] + s[j+1:])
	}
	var out []string
	for _, alt := range strings.Split(s[i+1:j], ",") {
		out = append(out, expandBraces(s[:i]+alt+s[j+1:])...)
	}
	return out
}
