package tui

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// ellipsis ends every text cut short: a reader sees that something is
// missing instead of a clipped word.
const ellipsis = "…"

// fit cuts s (which may hold ANSI styling) to exactly w cells, padding with
// spaces; a cut ends in an ellipsis. Every line the console draws goes
// through fit, so nothing wraps.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := width(s)
	if sw > w {
		s = truncate(s, w)
		sw = width(s)
	}
	if sw < w {
		s += spaces(w - sw)
	}
	return s
}

// truncate cuts s, wider than w cells, to w: with an ellipsis when text is
// lost, without one when only padding is (a line padded past its panel).
func truncate(s string, w int) string {
	if strings.TrimRight(ansi.Strip(ansi.TruncateLeft(s, w, "")), " ") == "" {
		return ansi.Truncate(s, w, "")
	}
	return ansi.Truncate(s, w, ellipsis)
}

// blanks backs spaces: most padding is a slice of it, not a new string.
var blanks = strings.Repeat(" ", 256)

// spaces is n spaces (n >= 0), without allocating for n <= 256.
func spaces(n int) string {
	if n <= len(blanks) {
		return blanks[:n]
	}
	return strings.Repeat(" ", n)
}

// cut is s cut to at most w cells (ending in an ellipsis when cut) and the
// padding that makes it w cells, for callers that write both into one
// buffer.
func cut(s string, w int) (string, string) {
	if w <= 0 {
		return "", ""
	}
	sw := width(s)
	if sw > w {
		s = truncate(s, w)
		sw = width(s)
	}
	return s, spaces(max(w-sw, 0))
}

// width is ansi.StringWidth with a fast path for the text the console
// draws most: ASCII, box drawing, blocks, arrows and SGR escape codes, all
// one cell wide. Anything else (CJK, emoji, combining marks) takes the exact
// grapheme-aware path.
func width(s string) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == 0x1b:
			// CSI: ESC [ params final(0x40-0x7e); anything else: exact path.
			if i+1 >= len(s) || s[i+1] != '[' {
				return ansi.StringWidth(s)
			}
			j := i + 2
			for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
				j++
			}
			i = j + 1
		case c < 0x80:
			if c >= 0x20 && c != 0x7f {
				n++
			}
			i++
		case c == 0xe2 && i+2 < len(s) && s[i+1] >= 0x94 && s[i+1] <= 0x96:
			// U+2500-U+25BF: box drawing, block elements, ▲▼.
			n++
			i += 3
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if !narrow(r) {
				return ansi.StringWidth(s)
			}
			n++
			i += size
		}
	}
	return n
}

// narrow reports runes known to be one cell wide and not combining.
func narrow(r rune) bool {
	switch {
	case r >= 0xa0 && r < 0x300: // Latin-1 supplement, Latin extended
		return true
	case r >= 0x2010 && r <= 0x2027: // dashes, quotes, bullet, ellipsis
		return true
	case r >= 0x2190 && r <= 0x21ff: // arrows
		return true
	case r >= 0x2500 && r <= 0x25fc: // box drawing, blocks, geometric shapes
		return true
	}
	return false
}

// clean makes text from the system (process names, check messages) safe to
// draw: control characters (C0, DEL and C1, where U+009B is a CSI on some
// terminals) and format characters (bidi overrides and isolates that would
// let a name show reversed, zero-width marks, and the "prepend" marks that
// swallow the next character, padding included) become '?', so a name can
// neither move the cursor nor disguise itself or break a column. The
// joiners ZWJ and ZWNJ stay: scripts and emoji need them.
func clean(s string) string {
	ok := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			ok = false
			break
		}
	}
	if ok {
		return s // printable ASCII
	}
	for _, r := range s {
		if unsafeRune(r) {
			ok = false
			break
		}
	}
	if ok && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unsafeRune(r) {
			r = '?'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// unsafeRune reports the runes clean replaces.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == utf8.RuneError:
		return true
	case r == 0x200c || r == 0x200d: // ZWNJ, ZWJ
		return false
	case r < 0xad:
		return false
	case unicode.Is(unicode.Cf, r):
		return true
	}
	// Grapheme-cluster "Prepend" letters (category Lo; the other prepend
	// marks are Cf): drawn before a pad space, they would join it.
	switch r {
	case 0x0d4e, 0x111c2, 0x111c3, 0x1193f, 0x11941, 0x11a3a, 0x11d46, 0x11f02:
		return true
	}
	return r >= 0x11a84 && r <= 0x11a89
}

// padRight pads or cuts plain text to w cells.
func padRight(s string, w int) string { return fit(s, w) }

// padLeft right-aligns plain text in w cells, cut with an ellipsis if too
// long.
func padLeft(s string, w int) string {
	sw := width(s)
	if sw > w {
		return ansi.Truncate(s, w, ellipsis)
	}
	if sw == w {
		return s
	}
	return spaces(w-sw) + s
}

// humanBytes formats a byte count with binary units: 512B 1.5K 12M 3.0G.
func humanBytes(b float64) string {
	const unit = 1024
	if b < 0 || math.IsNaN(b) || math.IsInf(b, 0) {
		b = 0
	}
	if b < unit {
		return strconv.FormatFloat(b, 'f', 0, 64) + "B"
	}
	units := "KMGTPE"
	i := -1
	for b >= unit && i < len(units)-1 {
		b /= unit
		i++
	}
	prec := 1
	if b >= 100 {
		prec = 0
	}
	return strconv.FormatFloat(b, 'f', prec, 64) + units[i:i+1]
}

// humanRate formats bytes per second.
func humanRate(bps float64) string { return humanBytes(bps) + "/s" }

// pct formats a percentage with one decimal.
func pct(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + "%"
}

// humanDuration is a short age or span: 45s, 12m, 3h4m, 2d3h.
func humanDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		m := int(d / time.Minute)
		s := int(d%time.Minute) / int(time.Second)
		if s == 0 {
			return strconv.Itoa(m) + "m"
		}
		return strconv.Itoa(m) + "m" + strconv.Itoa(s) + "s"
	case d < 24*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h" + strconv.Itoa(int(d%time.Hour/time.Minute)) + "m"
	default:
		return strconv.Itoa(int(d/(24*time.Hour))) + "d" + strconv.Itoa(int(d%(24*time.Hour)/time.Hour)) + "h"
	}
}

// uptime formats seconds since boot: "3d 4h 12m".
func uptime(s uint64) string {
	d := s / 86400
	h := s % 86400 / 3600
	m := s % 3600 / 60
	if d > 0 {
		return strconv.FormatUint(d, 10) + "d " + strconv.FormatUint(h, 10) + "h " + strconv.FormatUint(m, 10) + "m"
	}
	return strconv.FormatUint(h, 10) + "h " + strconv.FormatUint(m, 10) + "m"
}

// cpuTime formats process CPU seconds as h:mm:ss or m:ss.cc.
func cpuTime(sec float64) string {
	if sec < 0 || math.IsNaN(sec) || math.IsInf(sec, 0) {
		sec = 0
	}
	cs := int64(sec * 100)
	h := cs / 360000
	m := cs / 6000 % 60
	s := cs / 100 % 60
	if h > 0 {
		return strconv.FormatInt(h, 10) + ":" + two(m) + ":" + two(s)
	}
	return strconv.FormatInt(m, 10) + ":" + two(s) + "." + two(cs%100)
}

func two(v int64) string {
	if v < 10 {
		return "0" + strconv.FormatInt(v, 10)
	}
	return strconv.FormatInt(v, 10)
}

// sparkChars are the eight levels of a sparkline.
var sparkChars = []rune("▁▂▃▄▅▆▇█")

// sparkline draws the last w values as w cells scaled to their maximum
// (a flat zero series is a row of ▁). Missing leading values are blank.
func sparkline(vals []float64, w int) string {
	if len(vals) > w {
		vals = vals[len(vals)-max(w, 0):]
	}
	maxV := 0.0
	for _, v := range vals {
		if v > maxV && !math.IsInf(v, 0) {
			maxV = v
		}
	}
	return sparklineScaled(vals, w, maxV)
}

// sparklineScaled is sparkline on a fixed scale 0..maxV (100 for percent).
func sparklineScaled(vals []float64, w int, maxV float64) string {
	if w <= 0 {
		return ""
	}
	if len(vals) > w {
		vals = vals[len(vals)-w:]
	}
	var b strings.Builder
	b.Grow(w * 3)
	for i := len(vals); i < w; i++ {
		b.WriteByte(' ')
	}
	for _, v := range vals {
		b.WriteRune(sparkChars[level(v, maxV, len(sparkChars))])
	}
	return b.String()
}

// level maps v in [0,maxV] to 0..n-1.
func level(v, maxV float64, n int) int {
	if maxV <= 0 || !(v > 0) {
		return 0
	}
	l := int(math.Round(v / maxV * float64(n-1)))
	if l < 0 {
		return 0
	}
	if l >= n {
		return n - 1
	}
	return l
}

// bar draws a w-cell gauge of pct (0-100): filled part styled by level.
func (s *styles) bar(p float64, w int) string {
	if w <= 0 {
		return ""
	}
	if !(p > 0) {
		p = 0
	}
	if p > 100 {
		p = 100
	}
	full := int(math.Round(p / 100 * float64(w)))
	return s.barStyle(p).Render(strings.Repeat("█", full)) + s.BarEmpty.Render(strings.Repeat("░", w-full))
}

// borderChars are the corners and edges of a panel frame.
type borderChars struct{ tl, tr, bl, br, h, v string }

var (
	thinBorder  = borderChars{"╭", "╮", "╰", "╯", "─", "│"}
	heavyBorder = borderChars{"┏", "┓", "┗", "┛", "━", "┃"}
)

// box frames lines in a w x h border with the title set into the top edge.
// The result is exactly h lines of exactly w cells.
func box(border style, title string, lines []string, w, h int) []string {
	return frame(thinBorder, border, title, lines, w, h)
}

// frame is box with a choice of border characters.
func frame(bc borderChars, border style, title string, lines []string, w, h int) []string {
	out := make([]string, 0, max(h, 0))
	if h <= 0 || w <= 0 {
		return out
	}
	if w < 4 || h < 2 {
		for i := 0; i < h; i++ {
			out = append(out, strings.Repeat(" ", w))
		}
		return out
	}
	title = ansi.Truncate(title, w-4, "…")
	tw := ansi.StringWidth(title)
	top := border.Render(bc.tl+bc.h) + title + border.Render(strings.Repeat(bc.h, w-3-tw)+bc.tr)
	out = append(out, top)
	side := border.Render(bc.v)
	for i := 0; i < h-2; i++ {
		l := ""
		if i < len(lines) {
			l = lines[i]
		}
		// One allocation per line: the sides and the fitted text together.
		text, pad := cut(l, w-2)
		out = append(out, side+text+pad+side)
	}
	out = append(out, border.Render(bc.bl+strings.Repeat(bc.h, w-2)+bc.br))
	return out
}

// blank is h empty lines of w cells.
func blank(w, h int) []string {
	out := make([]string, max(h, 0))
	for i := range out {
		out[i] = strings.Repeat(" ", max(w, 0))
	}
	return out
}

// seg is one piece of a status line; a higher drop number goes first when
// the line is too narrow.
type seg struct {
	text string
	drop int
}

// joinFit joins segments with sep, leaving out the most droppable ones
// until the line fits in w (a lone segment that is still too wide is cut
// later by fit).
func joinFit(parts []seg, sep string, w int) string {
	keep := make([]bool, len(parts))
	total := 0
	sepW := ansi.StringWidth(sep)
	for i, p := range parts {
		keep[i] = true
		total += ansi.StringWidth(p.text)
		if i > 0 {
			total += sepW
		}
	}
	for total > w {
		worst := -1
		for i, p := range parts {
			if keep[i] && p.drop > 0 && (worst < 0 || p.drop > parts[worst].drop) {
				worst = i
			}
		}
		if worst < 0 {
			break
		}
		keep[worst] = false
		total -= ansi.StringWidth(parts[worst].text) + sepW
	}
	var b strings.Builder
	first := true
	for i, p := range parts {
		if !keep[i] {
			continue
		}
		if !first {
			b.WriteString(sep)
		}
		first = false
		b.WriteString(p.text)
	}
	return b.String()
}

// wordWrap cuts plain text s into lines of at most w cells at spaces; a
// word longer than a line is cut.
func wordWrap(s string, w int) []string {
	var out []string
	line := ""
	for _, word := range strings.Fields(s) {
		switch {
		case line == "":
			line = word
		case width(line)+1+width(word) <= w:
			line += " " + word
			continue
		default:
			out = append(out, line)
			line = word
		}
		if width(line) > w {
			parts := wrap(line, w)
			out = append(out, parts[:len(parts)-1]...)
			line = parts[len(parts)-1]
		}
	}
	if line != "" || len(out) == 0 {
		out = append(out, line)
	}
	return out
}
