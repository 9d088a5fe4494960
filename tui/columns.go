package tui

import (
	"cmp"
	"strconv"
	"strings"
	"time"

	"github.com/virgo-top/virgo-top/collector"
)

// colID is a process table column. The table shows a chosen list of them
// in a chosen order (F2), sorts on any of them (F6), and the settings file
// names them by columnDefs[id].name.
type colID int

const (
	colPID colID = iota
	colUser
	colState
	colThreads
	colNice
	colCPU
	colMem
	colRSS
	colVirt
	colTime
	colStart
	colIORead
	colIOWrite
	colCgroup
	colContainer
	colName
	colCommand
	numCols
)

// columnDef describes one column.
type columnDef struct {
	name  string // the settings file's name: "io_read"
	title string // the header: "IO_READ"
	width int    // cells; COMMAND takes what is left
	right bool   // numbers are right-aligned
	// drop orders the columns given up when the table is too narrow for
	// them and a readable COMMAND: the highest goes first, 0 never.
	drop int
	desc bool   // sorted biggest first by default
	help string // what the setup screen says about it
}

var columnDefs = [numCols]columnDef{
	colPID:       {"pid", "PID", 7, true, 0, false, "process id (thread id on a thread row)"},
	colUser:      {"user", "USER", 9, false, 0, false, "owner"},
	colState:     {"state", "S", 1, false, 6, false, "state: R running, S sleeping, D disk wait, Z zombie, T stopped"},
	colThreads:   {"threads", "THR", 4, true, 5, true, "threads"},
	colNice:      {"nice", "NI", 3, true, 4, false, "nice value (F7/F8 or r to change)"},
	colCPU:       {"cpu", "CPU%", 6, true, 0, true, "CPU use over the last interval, 100% = one core"},
	colMem:       {"mem", "MEM%", 5, true, 0, true, "resident memory as a share of RAM"},
	colRSS:       {"rss", "RSS", 7, true, 0, true, "resident memory"},
	colVirt:      {"virt", "VIRT", 7, true, 8, true, "virtual memory"},
	colTime:      {"time", "TIME+", 10, true, 1, true, "CPU time used (user + system)"},
	colStart:     {"start", "START", 5, true, 7, false, "start time (today HH:MM, else the date)"},
	colIORead:    {"io_read", "IO_READ", 9, true, 2, true, "storage read rate; - where unreadable"},
	colIOWrite:   {"io_write", "IO_WRITE", 9, true, 2, true, "storage write rate; - where unreadable"},
	colCgroup:    {"cgroup", "CGROUP", 24, false, 9, false, "control group path"},
	colContainer: {"container", "CONTAINER", 14, false, 3, false, "container id or systemd unit"},
	colName:      {"name", "NAME", 15, false, 3, false, "process name (the kernel's comm)"},
	colCommand:   {"command", "COMMAND", 0, false, 0, false, "command line (←/→ scroll it)"},
}

// defaultColumns is the table as shipped (htop's own less PRI and VIRT).
var defaultColumns = []colID{colPID, colUser, colState, colThreads, colNice, colCPU, colMem, colRSS, colTime, colCommand}

// columnByName finds a column by its settings name.
func columnByName(name string) (colID, bool) {
	for i, d := range columnDefs {
		if d.name == name {
			return colID(i), true
		}
	}
	return 0, false
}

// cmdMinWidth is the COMMAND width the table keeps by giving up columns.
const cmdMinWidth = 20

// colSpan is one column's place in a row: its width in cells.
type colSpan struct {
	id colID
	w  int
}

// layoutColumns fits cols into a row of w cells (a selection marker, then
// the columns with a space between them): columns with the highest drop number go first
// while COMMAND would get fewer than cmdMinWidth cells; COMMAND takes the
// rest. What still does not fit is cut by the row (with an ellipsis).
func layoutColumns(cols []colID, w int) []colSpan {
	keep := make([]bool, len(cols))
	// Each column costs its width and one cell before it: the selection
	// marker's for the first, a space for the others.
	used, hasCmd := 0, false
	for i, id := range cols {
		keep[i] = true
		if id == colCommand {
			hasCmd = true
			used++
			continue
		}
		used += columnDefs[id].width + 1
	}
	need := 0
	if hasCmd {
		need = cmdMinWidth
	}
	for used+need > w {
		worst := -1
		for i, id := range cols {
			if keep[i] && columnDefs[id].drop > 0 && (worst < 0 || columnDefs[id].drop >= columnDefs[cols[worst]].drop) {
				worst = i
			}
		}
		if worst < 0 {
			break
		}
		keep[worst] = false
		used -= columnDefs[cols[worst]].width + 1
	}
	out := make([]colSpan, 0, len(cols))
	for i, id := range cols {
		if !keep[i] {
			continue
		}
		cw := columnDefs[id].width
		if id == colCommand {
			cw = max(0, w-used)
		}
		out = append(out, colSpan{id, cw})
	}
	return out
}

// cell is one column's text for a process; at is the moment shown (for
// START).
func cell(id colID, pr *collector.Process, at time.Time) string {
	switch id {
	case colPID:
		return strconv.Itoa(int(pr.PID))
	case colUser:
		return clean(pr.User)
	case colState:
		return clean(pr.State)
	case colThreads:
		return strconv.Itoa(int(pr.Threads))
	case colNice:
		return strconv.Itoa(int(pr.Nice))
	case colCPU:
		return strconv.FormatFloat(pr.CPUPct, 'f', 1, 64)
	case colMem:
		return strconv.FormatFloat(pr.MemPct, 'f', 1, 64)
	case colRSS:
		return humanBytes(float64(pr.RSSBytes))
	case colVirt:
		return humanBytes(float64(pr.VMSBytes))
	case colTime:
		return cpuTime(pr.CPUTimeS)
	case colStart:
		return startText(pr.StartTime, at)
	case colIORead:
		return ioText(pr.IOReadBps, pr.IOKnown)
	case colIOWrite:
		return ioText(pr.IOWriteBps, pr.IOKnown)
	case colCgroup:
		return orDash(clean(pr.Cgroup))
	case colContainer:
		return orDash(clean(pr.Container))
	case colName:
		return clean(pr.Name)
	}
	return ""
}

// ioText is an I/O rate, "-" when it was not read (never a made-up 0).
func ioText(bps float64, known bool) string {
	if !known {
		return "-"
	}
	return humanRate(bps)
}

// startText is a start time as htop shows it: HH:MM on the day shown,
// else the month and day ("Nov24"), else the year.
func startText(t, at time.Time) string {
	if t.IsZero() {
		return "-"
	}
	t = t.In(time.Local)
	at = at.In(time.Local)
	switch {
	case t.Year() == at.Year() && t.YearDay() == at.YearDay():
		return t.Format("15:04")
	case t.Year() == at.Year():
		return t.Format("Jan02")
	default:
		return t.Format("2006")
	}
}

// compareProc orders two processes on a column, ascending.
func compareProc(a, b *collector.Process, k colID) int {
	switch k {
	case colPID:
		return cmp.Compare(a.PID, b.PID)
	case colUser:
		return cmp.Compare(a.User, b.User)
	case colState:
		return cmp.Compare(a.State, b.State)
	case colThreads:
		return cmp.Compare(a.Threads, b.Threads)
	case colNice:
		return cmp.Compare(a.Nice, b.Nice)
	case colMem, colRSS:
		return cmp.Compare(a.RSSBytes, b.RSSBytes)
	case colVirt:
		return cmp.Compare(a.VMSBytes, b.VMSBytes)
	case colTime:
		return cmp.Compare(a.CPUTimeS, b.CPUTimeS)
	case colStart:
		return a.StartTime.Compare(b.StartTime)
	case colIORead:
		return cmp.Compare(ioKey(a.IOReadBps, a.IOKnown), ioKey(b.IOReadBps, b.IOKnown))
	case colIOWrite:
		return cmp.Compare(ioKey(a.IOWriteBps, a.IOKnown), ioKey(b.IOWriteBps, b.IOKnown))
	case colCgroup:
		return cmp.Compare(a.Cgroup, b.Cgroup)
	case colContainer:
		return cmp.Compare(a.Container, b.Container)
	case colName:
		return cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	case colCommand:
		ca, _ := commandText(a)
		cb, _ := commandText(b)
		return cmp.Compare(ca, cb)
	default:
		return cmp.Compare(a.CPUPct, b.CPUPct)
	}
}

// ioKey sorts an unreadable rate below every readable one.
func ioKey(v float64, known bool) float64 {
	if !known {
		return -1
	}
	return v
}

// needsIO reports whether cols show, or key sorts on, a per-process I/O
// rate: only then is the sampler asked to read /proc/PID/io.
func needsIO(cols []colID, key colID) bool {
	if key == colIORead || key == colIOWrite {
		return true
	}
	for _, c := range cols {
		if c == colIORead || c == colIOWrite {
			return true
		}
	}
	return false
}
