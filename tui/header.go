package tui

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/virgo-top/virgo-top/collector"
)

// headerPanel is the two status lines on top: host facts and clock, then
// the endpoint link, trend window and pause state.
type headerPanel struct {
	c        *common
	w        int
	conn     ConnStatus
	interval time.Duration
	// checks counts the states shown in the header, whether or not the
	// checks panel is.
	checks *checksPanel
	layout preset
}

func (p *headerPanel) SetSize(w int) { p.w = w }

func (p *headerPanel) view(paused bool) []string {
	s := p.c.styles
	sep := s.Dim.Render(" │ ")
	l1 := []seg{{s.Title.Render("virgo-top"), 0}}
	if snap := p.c.snap; snap != nil {
		h := snap.Host
		l1 = append(l1, seg{s.HeaderValue.Render(clean(h.Hostname)), 0})
		osName := strings.TrimSpace(h.Platform + " " + h.PlatformVersion)
		if osName == "" {
			osName = h.OS
		}
		kernel := strings.TrimSpace(h.OS + " " + h.Kernel + " " + h.Arch)
		l1 = append(l1, seg{s.HeaderValue.Render(clean(osName)) + s.Dim.Render(" · ") + s.HeaderValue.Render(clean(kernel)), 4})
		l1 = append(l1, seg{s.HeaderKey.Render("up ") + s.HeaderValue.Render(uptime(h.UptimeS)), 3})
		ld := snap.Load
		load := s.HeaderKey.Render("load ") + s.HeaderValue.Render(
			strconv.FormatFloat(ld.Load1, 'f', 2, 64)+" "+strconv.FormatFloat(ld.Load5, 'f', 2, 64)+" "+strconv.FormatFloat(ld.Load15, 'f', 2, 64))
		if ld.Cores > 0 {
			load += s.Dim.Render(" (" + strconv.Itoa(ld.Cores) + " cores)")
		}
		l1 = append(l1, seg{load, 1})
	}
	l1 = append(l1, seg{s.HeaderValue.Render(p.c.now().Format("15:04:05")), 2})

	var l2 []seg
	if f := p.c.frame; f != nil {
		// REPLAY 03:12:05 (5h 48m ago), the date too when not today.
		now := p.c.now()
		l2 = append(l2, seg{s.Replay.Render(" REPLAY "+stampAt(f.Time(), now, p.c.loc)+" ") +
			s.Dim.Render("("+agoText(now.Sub(f.Time()))+" ago)"), 0})
	}
	if paused {
		l2 = append(l2, seg{s.Paused.Render(" PAUSED "), 0})
	}
	// Checks first: a check in trouble is what must never be cut off.
	if t := p.checksText(); t != "" {
		l2 = append(l2, seg{t, 0})
	}
	switch {
	case p.c.frame != nil:
		if t := linkText(s, p.c.frame.Links); t != "" {
			l2 = append(l2, seg{t, 1})
		}
	case p.conn.Mode != "" || p.conn.State != "":
		l2 = append(l2, seg{p.connText(), 0})
	}
	if snap := p.c.snap; snap != nil && len(snap.Errors) > 0 {
		names := make([]string, 0, len(snap.Errors))
		for k := range snap.Errors {
			names = append(names, k)
		}
		slices.Sort(names)
		l2 = append(l2, seg{s.Error.Render("failed: " + clean(strings.Join(names, ", "))), 1})
	}
	l2 = append(l2, seg{s.HeaderKey.Render("trends ") + s.HeaderValue.Render(p.c.windowLabel()), 2})
	if p.layout != presetOverview {
		l2 = append(l2, seg{s.HeaderKey.Render("layout ") + s.HeaderValue.Render(presetNames[p.layout]), 5})
	}
	if snap := p.c.snap; snap != nil && p.c.frame == nil {
		l2 = append(l2, seg{s.HeaderKey.Render("sample ") + s.HeaderValue.Render(snap.Time.Format("15:04:05")), 4})
	}
	if p.interval > 0 {
		l2 = append(l2, seg{s.HeaderKey.Render("every ") + s.HeaderValue.Render(humanDuration(p.interval)), 3})
	}
	return []string{fit(joinFit(l1, sep, p.w), p.w), fit(joinFit(l2, sep, p.w), p.w)}
}

// checksText is how many checks are not OK ("2 checks not OK: 1 CRITICAL
// 1 WARNING", coloured by the worst), or that all are; "" with no checks.
func (p *headerPanel) checksText() string {
	if p.checks == nil || len(p.checks.rows) == 0 {
		return ""
	}
	s := p.c.styles
	ok, warn, crit, unknown := p.checks.counts()
	bad := warn + crit + unknown
	if bad == 0 {
		return s.StateOK.Render("checks: all " + strconv.Itoa(ok) + " OK")
	}
	st := s.StateUnknown
	switch {
	case crit > 0:
		st = s.StateCrit
	case warn > 0:
		st = s.StateWarn
	}
	t := strconv.Itoa(bad) + "/" + strconv.Itoa(len(p.checks.rows)) + " checks not OK:"
	for _, c := range []struct {
		n    int
		name string
	}{{crit, StateCritical}, {warn, StateWarning}, {unknown, StateUnknown}} {
		if c.n > 0 {
			t += " " + strconv.Itoa(c.n) + " " + c.name
		}
	}
	return st.Render(t)
}

// connText is the endpoint link state: "● connected to host:port".
func (p *headerPanel) connText() string {
	s := p.c.styles
	c := p.conn
	if c.Mode == ModeLocal {
		return s.ConnFixture.Render("◆ local mode") + s.Dim.Render(" (no endpoint)")
	}
	// In fixture mode the endpoint is real but in-process: say so, then
	// show its link like any other.
	prefix := ""
	if c.Mode == ModeFixture {
		prefix = s.ConnFixture.Render("◆ fixture ")
	}
	ep := clean(c.Endpoint)
	var t string
	switch c.State {
	case ConnConnected:
		t = s.ConnOK.Render("● connected to " + ep)
		if c.RTT > 0 {
			t += s.Dim.Render(" rtt " + humanDuration(c.RTT))
		}
	case ConnReconnecting:
		t = s.ConnRetry.Render("◌ reconnecting to " + ep)
		if c.RetryIn > 0 {
			t += s.ConnRetry.Render(" in " + humanDuration(c.RetryIn.Round(time.Second)))
		}
	case ConnOffline:
		t = s.ConnDown.Render("○ offline")
		if ep != "" {
			t += s.Dim.Render(" (" + ep + ")")
		}
	case ConnConnecting:
		t = s.ConnRetry.Render("◌ connecting to " + ep + "…")
	default:
		t = s.Dim.Render("○ endpoint state unknown")
	}
	if c.Spooled > 0 || c.State != ConnConnected {
		t += s.HeaderKey.Render("  spooled ") + s.HeaderValue.Render(strconv.Itoa(c.Spooled))
	}
	if c.Dead > 0 {
		t += s.StateWarn.Render("  dead letters " + strconv.FormatUint(c.Dead, 10))
	}
	if c.Degraded != "" {
		t += s.Error.Render("  ⚠ " + clean(c.Degraded))
	}
	if c.Err != "" && c.State != ConnConnected {
		t += s.Error.Render("  " + clean(c.Err))
	}
	return prefix + t
}

// numMeters is how many one-line meters the header shows: cpu, memory,
// swap, load, disk, network.
const numMeters = 6

// meters draws the header meters in rows lines of w cells, column-major
// as htop lays its header out (cpu, memory, swap on the left).
func (p *headerPanel) meters(w, rows int) []string {
	if rows <= 0 || w <= 0 {
		return nil
	}
	cols := (numMeters + rows - 1) / rows
	const gap = 2
	cellW := (w - gap*(cols-1)) / cols
	cells := p.meterCells(cellW)
	out := make([]string, rows)
	for r := range out {
		var b strings.Builder
		for c := 0; c < cols; c++ {
			i := c*rows + r
			if i >= len(cells) {
				break
			}
			if c > 0 {
				b.WriteString(spaces(gap))
			}
			b.WriteString(fit(cells[i], cellW))
		}
		out[r] = b.String()
	}
	return out
}

// meterCells are the meters, each at most w cells: a bar (the shared
// meterBar) and, where it has one, its figures after it.
func (p *headerPanel) meterCells(w int) []string {
	s := p.c.styles
	nan := math.NaN()
	cpu, mem, swap, load, disk := nan, nan, nan, nan, nan
	var memText, swapText, loadText, diskText, netText string
	if snap := p.c.snap; snap != nil {
		if p.c.sourceErr(collector.SourceCPU) == "" {
			cpu = snap.CPU.UsagePct
		}
		m := snap.Memory
		if p.c.sourceErr(collector.SourceMemory) == "" && m.TotalBytes > 0 {
			mem = m.UsedPct
			memText = humanBytes(float64(m.UsedBytes)) + "/" + humanBytes(float64(m.TotalBytes))
			if m.SwapTotalBytes > 0 {
				swap = 100 * float64(m.SwapUsedBytes) / float64(m.SwapTotalBytes)
				swapText = humanBytes(float64(m.SwapUsedBytes)) + "/" + humanBytes(float64(m.SwapTotalBytes))
			} else {
				swapText = "none"
			}
		}
		ld := snap.Load
		if ld.Cores > 0 {
			load = 100 * ld.Load1 / float64(ld.Cores)
		}
		loadText = strconv.FormatFloat(ld.Load1, 'f', 2, 64) + " " + strconv.FormatFloat(ld.Load5, 'f', 2, 64) + " " +
			strconv.FormatFloat(ld.Load15, 'f', 2, 64)
		var rd, wr float64
		for i, d := range snap.Disks {
			if i == 0 || d.BusyPct > disk {
				disk = d.BusyPct
			}
			rd += d.ReadBps
			wr += d.WriteBps
		}
		if len(snap.Disks) > 0 {
			diskText = "r " + humanRate(rd) + " w " + humanRate(wr)
		}
		var rx, tx float64
		for _, n := range snap.Network {
			if n.Name == "lo" {
				continue // loopback is not the host's traffic
			}
			rx += n.RxBps
			tx += n.TxBps
		}
		netText = s.Label.Render("rx ") + s.SparkRx.Render(humanRate(rx)) + s.Label.Render("  tx ") + s.SparkTx.Render(humanRate(tx))
	}
	withText := func(label string, v float64, text string) string {
		if text == "" || w-width(text)-1 < len(label)+8 {
			return s.meterBar(label, v, w)
		}
		return s.meterBar(label, v, w-width(text)-1) + " " + s.Value.Render(text)
	}
	// A failed source says why in its meter's place.
	failed := func(label, source string) (string, bool) {
		if e := p.c.sourceErr(source); e != "" {
			return s.Label.Render(label+" ") + s.Error.Render(source+": "+clean(e)), true
		}
		return "", false
	}
	out := []string{
		withText("CPU", cpu, ""),
		withText("Mem", mem, memText),
		withText("Swp", swap, swapText),
		withText("Load", load, loadText),
		withText("Disk", disk, diskText),
		s.Label.Render("Net ") + netText,
	}
	for i, f := range []struct{ label, source string }{
		{"CPU", collector.SourceCPU}, {"Mem", collector.SourceMemory}, {"Swp", collector.SourceMemory},
		{"Load", collector.SourceLoad}, {"Disk", collector.SourceDisks}, {"Net", collector.SourceNetwork},
	} {
		if t, ok := failed(f.label, f.source); ok {
			out[i] = t
		}
	}
	return out
}
