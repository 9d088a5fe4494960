package version

import (
	"os"
	"runtime/debug"
	"strings"
	"testing"
)

// TestVersionIsTheFile: the embedded version is the VERSION file's dotted
// number, not "dev" nor a commit.
func TestVersionIsTheFile(t *testing.T) {
	b, err := os.ReadFile("VERSION")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.TrimSpace(string(b))
	if Version != want || !Valid(Version) {
		t.Errorf("Version %q, want the VERSION file's %q (a dotted number)", Version, want)
	}
}

func TestValidAndParse(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"0.9.0\n", "0.9.0"},
		{"  1.2.3.4  \r\n", "1.2.3.4"},
		{"1.2", "1.2"},
		{"dev", "0.0.0"},
		{"958f3b7", "0.0.0"},
		{"1.2.3-dirty", "0.0.0"},
		{"1..2", "0.0.0"},
		{"1.2.3.4.5", "0.0.0"},
		{"", "0.0.0"},
		{"0.9.0\nextra line", "0.9.0"},
	}
	for _, tt := range tests {
		if got := parse(tt.in); got != tt.want {
			t.Errorf("parse(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCommitOf(t *testing.T) {
	tests := []struct {
		settings []debug.BuildSetting
		want     string
	}{
		{nil, ""},
		{[]debug.BuildSetting{{Key: "vcs.revision", Value: "958f3b7aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}}, "958f3b7aaaaa"},
		{[]debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "true"}}, "abc-dirty"},
		{[]debug.BuildSetting{{Key: "vcs.modified", Value: "true"}}, ""},
	}
	for _, tt := range tests {
		if got := commitOf(tt.settings); got != tt.want {
			t.Errorf("commitOf(%v) = %q, want %q", tt.settings, got, tt.want)
		}
	}
}
