package tui

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
)

// xterm256 is the RGB of an xterm colour index (its default first 16).
func xterm256(i int) [3]float64 {
	base := [16][3]float64{
		{0, 0, 0}, {205, 0, 0}, {0, 205, 0}, {205, 205, 0}, {0, 0, 238}, {205, 0, 205}, {0, 205, 205}, {229, 229, 229},
		{127, 127, 127}, {255, 0, 0}, {0, 255, 0}, {255, 255, 0}, {92, 92, 255}, {255, 0, 255}, {0, 255, 255}, {255, 255, 255},
	}
	switch {
	case i < 16:
		return base[i]
	case i < 232:
		lv := [6]float64{0, 95, 135, 175, 215, 255}
		i -= 16
		return [3]float64{lv[i/36], lv[i/6%6], lv[i%6]}
	default:
		v := float64(8 + 10*(i-232))
		return [3]float64{v, v, v}
	}
}

func rgbOf(t *testing.T, c string) [3]float64 {
	t.Helper()
	if strings.HasPrefix(c, "#") && len(c) == 7 {
		v, err := strconv.ParseUint(c[1:], 16, 32)
		if err != nil {
			t.Fatalf("colour %q: %v", c, err)
		}
		return [3]float64{float64(v >> 16), float64(v >> 8 & 0xff), float64(v & 0xff)}
	}
	i, err := strconv.Atoi(c)
	if err != nil || i < 0 || i > 255 {
		t.Fatalf("colour %q is neither #rrggbb nor 0-255", c)
	}
	return xterm256(i)
}

// luminance is WCAG 2's relative luminance.
func luminance(rgb [3]float64) float64 {
	lin := func(v float64) float64 {
		v /= 255
		if v <= 0.03928 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(rgb[0]) + 0.7152*lin(rgb[1]) + 0.0722*lin(rgb[2])
}

func contrast(a, b [3]float64) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func TestContrastFormula(t *testing.T) {
	if c := contrast([3]float64{0, 0, 0}, [3]float64{255, 255, 255}); math.Abs(c-21) > 0.01 {
		t.Errorf("black on white %v, want 21", c)
	}
	if c := contrast(rgbOf(t, "#777777"), rgbOf(t, "#ffffff")); math.Abs(c-4.48) > 0.01 {
		t.Errorf("#777 on white %v, want 4.48", c)
	}
}

// Every theme's text reads at 4.5:1 and its accents at 3:1 (WCAG AA for
// body text and for large text and graphics) on the backgrounds it is made
// for: black and a common dark grey for dark themes (an adaptive colour's
// Light shade on white and a light grey), white and a light grey for light
// ones.
func TestThemeContrast(t *testing.T) {
	darkBgs := []string{"#000000", "#262626", "#1e1e2e"}
	lightBgs := []string{"#ffffff", "#eeeeee", "#fdf6e3"}
	for _, p := range themes {
		if p.mono {
			continue
		}
		roles := []struct {
			name string
			c    lipgloss.TerminalColor
			min  float64
		}{
			{"text", p.text, 4.5}, {"dim", p.dim, 4.5},
			{"accent", p.accent, 3}, {"ok", p.ok, 3}, {"warn", p.warn, 3}, {"crit", p.crit, 3}, {"info", p.info, 3},
		}
		for _, r := range roles {
			var shades []struct{ fg, bgKind string }
			switch c := r.c.(type) {
			case lipgloss.AdaptiveColor:
				shades = append(shades, struct{ fg, bgKind string }{c.Dark, "dark"}, struct{ fg, bgKind string }{c.Light, "light"})
			case lipgloss.Color:
				shades = append(shades, struct{ fg, bgKind string }{string(c), p.bg})
			default:
				t.Fatalf("%s %s: colour type %T not checked", p.name, r.name, r.c)
			}
			for _, sh := range shades {
				bgs := darkBgs
				if sh.bgKind == "light" {
					bgs = lightBgs
				}
				for _, bg := range bgs {
					if c := contrast(rgbOf(t, sh.fg), rgbOf(t, bg)); c < r.min {
						t.Errorf("%s: %s %s on %s: contrast %.2f, want >= %.1f", p.name, r.name, sh.fg, bg, c, r.min)
					}
				}
			}
		}
	}
}

// The light theme never uses light grey text: every colour of it is dark.
func TestLightThemeHasNoLightGrey(t *testing.T) {
	p, ok := themeByName("light")
	if !ok {
		t.Fatal("no light theme")
	}
	for _, c := range []lipgloss.TerminalColor{p.text, p.dim, p.accent, p.ok, p.warn, p.crit, p.info} {
		if l := luminance(rgbOf(t, string(c.(lipgloss.Color)))); l > 0.25 {
			t.Errorf("light theme colour %v is too light (luminance %.2f)", c, l)
		}
	}
}

func TestThemeNames(t *testing.T) {
	names := themeNames()
	want := []string{"dark", "truecolor", "light", "mono"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("themeNames = %v, want %v", names, want)
	}
	for _, n := range names {
		if p, ok := themeByName(n); !ok || p.name != n {
			t.Errorf("themeByName(%q) = %v, %v", n, p.name, ok)
		}
	}
	if p, ok := themeByName("solarized"); ok || p.name != "dark" {
		t.Errorf("unknown theme gave %q, %v", p.name, ok)
	}
	if nextTheme("mono") != "dark" || nextTheme("dark") != "truecolor" || nextTheme("?") != "dark" {
		t.Error("nextTheme does not cycle")
	}
}

// fgCode matches an SGR foreground colour: 30-37, 38;..., 90-97.
var fgCode = regexp.MustCompile(`\x1b\[(?:[0-9]+;)*(?:3[0-8]|9[0-7])[;m]`)

// apply sets every style. The ASCII profile draws no escape codes at all
// (not even reverse video); NO_COLOR is the mono theme on a colour
// profile: no colour, and the selected row still reversed.
func TestThemeApply(t *testing.T) {
	for _, name := range themeNames() {
		p, _ := themeByName(name)
		for _, prof := range []termenv.Profile{termenv.TrueColor, termenv.ANSI256, termenv.ANSI, termenv.Ascii} {
			r := colourRenderer(prof)
			st := newStyles(r)
			p.apply(st, r)
			if got := st.Selected.Render("x"); (got == "x") != (prof == termenv.Ascii) {
				t.Errorf("%s/%v: selected row not reversed", name, prof)
			}
			line := st.Value.Render("v") + st.StateCrit.Render("c") + st.BarLow.Render("b") + st.Dim.Render("d")
			if ansi.Strip(line) != "vcbd" {
				t.Errorf("%s/%v: styles change the text: %q", name, prof, ansi.Strip(line))
			}
			hasColour := fgCode.MatchString(line)
			if want := prof != termenv.Ascii && !p.mono; hasColour != want {
				t.Errorf("%s/%v: colour %v, want %v: %q", name, prof, hasColour, want, line)
			}
			if p.mono && prof != termenv.Ascii && st.StateCrit.Render("c") == st.StateOK.Render("c") {
				t.Errorf("mono: CRITICAL looks like OK")
			}
		}
	}
	var nilStyles *styles
	themes[0].apply(nilStyles, nil) // no panic
}
