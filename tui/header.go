package tui

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// headerPanel is the two status lines on top: host facts and clock, then
// the endpoint link, trend window and pause state.
type headerPanel struct {
	c        *common
	w        int
	conn     ConnStatus
	interval time.Duration
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
	if snap := p.c.snap; snap != nil && p.c.frame == nil {
		l2 = append(l2, seg{s.HeaderKey.Render("sample ") + s.HeaderValue.Render(snap.Time.Format("15:04:05")), 4})
	}
	if p.interval > 0 {
		l2 = append(l2, seg{s.HeaderKey.Render("every ") + s.HeaderValue.Render(humanDuration(p.interval)), 3})
	}
	return []string{fit(joinFit(l1, sep, p.w), p.w), fit(joinFit(l2, sep, p.w), p.w)}
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
