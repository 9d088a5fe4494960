package tui

import (
	"slices"
	"strconv"
	"strings"

	"github.com/virgo-top/virgo-top/collector"
)

// FormatProcDetail is the text of the process detail view for one
// collector.ProcessDetail result; an Options.Detail implementation is
//
//	d, err := collector.ProcessDetail(ctx, opts, pid)
//	if err != nil { return "", err }
//	return tui.FormatProcDetail(d), nil
func FormatProcDetail(d collector.ProcDetail) string {
	var b strings.Builder
	line := func(k, v string) {
		b.WriteString(padRight(k, 12))
		b.WriteString(v)
		b.WriteByte('\n')
	}
	unreadable := func(field string) string {
		if r, ok := d.Unreadable[field]; ok {
			return "unreadable (" + r + ")"
		}
		return "unreadable"
	}
	line("cmdline", orDash(d.Cmdline))
	line("exe", orDash(d.Exe))
	line("cwd", orDash(d.Cwd))
	if d.OpenFDs >= 0 {
		line("open files", strconv.Itoa(d.OpenFDs))
	} else {
		line("open files", unreadable("fd"))
	}
	if d.IOReadable {
		line("disk io", "read "+humanBytes(float64(d.IOReadBytes))+"  write "+humanBytes(float64(d.IOWriteBytes)))
		line("all io", "read "+humanBytes(float64(d.IORChar))+"  write "+humanBytes(float64(d.IOWChar))+" (cache hits included)")
	} else {
		line("io", unreadable("io"))
	}
	if len(d.Unreadable) > 0 {
		fields := make([]string, 0, len(d.Unreadable))
		for f := range d.Unreadable {
			fields = append(fields, f)
		}
		slices.Sort(fields)
		for _, f := range fields {
			line("unreadable", f+": "+d.Unreadable[f])
		}
	}
	if len(d.OpenFiles) > 0 {
		title := "\nopen files"
		if len(d.OpenFiles) < d.OpenFDs {
			title += " (the first " + strconv.Itoa(len(d.OpenFiles)) + " of " + strconv.Itoa(d.OpenFDs) + ")"
		}
		b.WriteString(title + "\n")
		for _, f := range d.OpenFiles {
			b.WriteString("  " + padLeft(strconv.Itoa(f.FD), 5) + "  " + f.Target + "\n")
		}
	}
	if len(d.Status) > 0 {
		b.WriteString("\n/proc/" + strconv.Itoa(int(d.PID)) + "/status\n")
		for _, kv := range d.Status {
			b.WriteString("  " + padRight(kv.Key+":", 28) + strings.Join(strings.Fields(kv.Value), " ") + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
