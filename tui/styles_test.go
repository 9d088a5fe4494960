package tui

import (
	"io"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

func colourRenderer(profile termenv.Profile) *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(profile)
	r.SetHasDarkBackground(true)
	return r
}

// The compiled styles paint exactly what lipgloss would, in 16 colours.
func TestCompiledStylesMatchLipgloss(t *testing.T) {
	r := colourRenderer(termenv.ANSI)
	s := newStyles(r)
	tests := []struct {
		name string
		got  style
		ls   lipgloss.Style
		want string
	}{
		{"critical", s.StateCrit, r.NewStyle().Bold(true).Foreground(colRed), "\x1b[1;91mdisk full\x1b[0m"},
		{"ok", s.StateOK, r.NewStyle().Foreground(colGreen), "\x1b[92mdisk full\x1b[0m"},
		{"selected", s.Selected, r.NewStyle().Reverse(true), "\x1b[7mdisk full\x1b[0m"},
	}
	for _, tt := range tests {
		if got := tt.got.Render("disk full"); got != tt.ls.Render("disk full") || got != tt.want {
			t.Errorf("%s: %q, lipgloss %q, want %q", tt.name, got, tt.ls.Render("disk full"), tt.want)
		}
	}
	if got := newStyles(colourRenderer(termenv.Ascii)).StateCrit.Render("x"); got != "x" {
		t.Errorf("ascii profile painted %q", got)
	}
	if got := s.StateCrit.Render(""); got != "" {
		t.Errorf("empty text painted %q", got)
	}
}

// A CRITICAL check paints the checks panel's border and title red.
func TestCriticalCheckBorderIsRed(t *testing.T) {
	r := colourRenderer(termenv.ANSI)
	m := newModel(Options{History: fakeHistory{}, Now: fixedNow}, r)
	m = step(m, sizeMsg(120, 40))
	m = step(m, SnapshotMsg{Snap: testSnapshot(10)})
	red := "\x1b[1;91m"
	yellow := "\x1b[1;93m"
	checksTop := func(m Model) string {
		for _, l := range strings.Split(m.View(), "\n") {
			if strings.Contains(l, "Checks") {
				return l
			}
		}
		t.Fatal("no checks panel")
		return ""
	}
	m = step(m, ChecksMsg{Rows: testChecks()[:1]})
	if l := checksTop(m); strings.Contains(l, red) || strings.Contains(l, yellow) {
		t.Errorf("all-OK checks are highlighted: %q", l)
	}
	m = step(m, ChecksMsg{Rows: testChecks()})
	if l := checksTop(m); !strings.Contains(l, yellow+"╭") {
		t.Errorf("WARNING border not yellow: %q", l)
	}
	m = step(m, ChecksMsg{Rows: criticalChecks()})
	l := checksTop(m)
	if !strings.Contains(l, red+"╭") || !strings.Contains(l, red+"Checks 1/4 OK · 1 CRITICAL · 1 WARNING") {
		t.Errorf("CRITICAL border/title not red: %q", l)
	}
}
