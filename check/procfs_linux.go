package check

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"strconv"
)

// Reading /proc for the plugin sweeps: a process's children, state and
// the run marker in its environment.

// maxEnvironRead bounds how much of a process's environment is read when
// looking for the run marker (the kernel caps it at ARG_MAX-ish sizes).
const maxEnvironRead = 1 << 20

// selfChildren lists the children of every thread of this process (an
// orphan is reparented to one of our threads, not necessarily the main
// one). Without /proc/<pid>/task/<tid>/children (CONFIG_PROC_CHILDREN) it
// scans /proc for processes whose parent is us.
func selfChildren() ([]int, error) {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil, err
	}
	var out []int
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + t.Name() + "/children")
		if errors.Is(err, fs.ErrNotExist) {
			if _, serr := os.Stat("/proc/self/task/" + t.Name()); serr == nil {
				return childrenByScan(os.Getpid())
			}
			continue // the thread exited
		}
		if err != nil {
			return nil, err
		}
		out = append(out, parsePids(b)...)
	}
	return out, nil
}

// childrenByScan finds ppid's children by reading every /proc/<pid>/stat.
func childrenByScan(ppid int) ([]int, error) {
	pids, err := allPids()
	if err != nil {
		return nil, err
	}
	var out []int
	for _, pid := range pids {
		if _, pp, ok := procState(pid); ok && pp == ppid {
			out = append(out, pid)
		}
	}
	return out, nil
}

// allPids lists the numeric entries of /proc.
func allPids() ([]int, error) {
	d, err := os.Open("/proc")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	out := make([]int, 0, len(names))
	for _, n := range names {
		if pid, err := strconv.Atoi(n); err == nil && pid > 0 {
			out = append(out, pid)
		}
	}
	return out, nil
}

// parsePids parses a space-separated list of pids; junk is skipped.
func parsePids(b []byte) []int {
	var out []int
	for _, f := range bytes.Fields(b) {
		if pid, err := strconv.Atoi(string(f)); err == nil && pid > 0 {
			out = append(out, pid)
		}
	}
	return out
}

// procState returns pid's state letter and parent pid; ok is false when
// the process is gone or its stat is unreadable.
func procState(pid int) (state byte, ppid int, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	return parseProcStat(b)
}

// parseProcStat reads the state and ppid fields of /proc/<pid>/stat,
// after the command name, which may hold spaces and parentheses.
func parseProcStat(b []byte) (state byte, ppid int, ok bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 2 || len(f[0]) != 1 {
		return 0, 0, false
	}
	pp, err := strconv.Atoi(string(f[1]))
	if err != nil || pp < 0 {
		return 0, 0, false
	}
	return f[0][0], pp, true
}

// envMarker returns the run marker in pid's environment ("" when it has
// none); ok is false when the environment cannot be read (gone, another
// user's process, a kernel thread reads as empty and is ok).
func envMarker(pid int) (marker string, ok bool) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return "", false
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxEnvironRead))
	if err != nil {
		return "", false
	}
	return parseEnvMarker(b), true
}

// parseEnvMarker finds pluginRunVar in a NUL-separated environment.
func parseEnvMarker(env []byte) string {
	key := []byte(pluginRunVar + "=")
	for len(env) > 0 {
		var kv []byte
		if i := bytes.IndexByte(env, 0); i >= 0 {
			kv, env = env[:i], env[i+1:]
		} else {
			kv, env = env, nil
		}
		if v, ok := bytes.CutPrefix(kv, key); ok {
			return string(v)
		}
	}
	return ""
}
