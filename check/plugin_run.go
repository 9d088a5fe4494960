package check

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Plugin output limits.
const (
	// MaxPluginOutput caps a plugin's stdout. A plugin that prints more is
	// killed (with its process group) and the result is the error "Plugin
	// output truncated at 65536 bytes".
	MaxPluginOutput = 64 << 10
	// maxPluginStderr caps the stderr kept for the status.
	maxPluginStderr = 4 << 10
	// DefaultPluginTimeout is Virgo's DEFAULT_PLUGIN_TIMEOUT (constants.lua),
	// a plugin's timeout without details.timeout; the check's own timeout,
	// when shorter, still ends the run first.
	DefaultPluginTimeout = 60 * time.Second
)

// pluginPATH is the PATH a plugin gets when the agent has none.
const pluginPATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// shellPath runs a plugin the kernel cannot execute (ENOEXEC: no "#!"
// line), as execvp(3) does.
const shellPath = "/bin/sh"

// shellArgv is the argv execvp(3) gives the shell for a script without a
// "#!" line: the shell, the script (here, how the child reaches the file
// that was checked) and the plugin's arguments (argv[1:]).
func shellArgv(script string, argv []string) []string {
	out := make([]string, 0, len(argv)+1)
	out = append(out, shellPath, script)
	if len(argv) > 1 {
		out = append(out, argv[1:]...)
	}
	return out
}

// ErrPluginPath is returned (wrapped) for a plugin file outside the plugin
// directory or with unsafe permissions.
var ErrPluginPath = errors.New("unsafe plugin path")

// pluginRunVar is the environment variable that marks every process of one
// plugin run (the plugin and whatever it starts without clearing its
// environment), so that a sweep can find descendants that left the
// plugin's process group.
const pluginRunVar = "VIRGO_TOP_PLUGIN_RUN"

// runSeq numbers plugin runs, for their markers and cgroups.
var runSeq atomic.Uint64

// pluginExe is a plugin file that passed openPlugin's checks.
type pluginExe struct {
	path string // the real path: argv[0], the working directory, messages
	// file is the checked file: on Linux its O_PATH descriptor, which is
	// what runs; on other unix systems an O_NOFOLLOW descriptor kept until
	// the start; nil on windows.
	file *os.File
}

func (p *pluginExe) close() {
	if p.file != nil {
		p.file.Close()
		p.file = nil
	}
}

// ResolvePlugin returns the real path of plugin file inside dir, refusing
// absolute paths, "..", symlinks that leave the directory, non-regular
// files, and (on unix) any path component, from "/" down to the file, that
// someone other than root or the agent's user owns or could change: a
// directory writable by group or others (a sticky one, like /tmp, is
// allowed above the plugin directory), a symlink or file owned by another
// user, a file writable by group or others. Plugin runs make the same
// checks on descriptors and execute the descriptor they checked (Linux),
// so the returned path is for messages: a path checked now may name
// something else later.
func ResolvePlugin(dir, file string) (string, error) {
	exe, err := openPlugin(dir, file)
	if err != nil {
		return "", err
	}
	exe.close()
	return exe.path, nil
}

// pluginEnv is the plugin's whole environment but for the run marker
// (VIRGO_TOP_PLUGIN_RUN, added per run), as Virgo's ChildCheck:_childEnv
// builds it (check/base.lua): the agent's environment (inherited, "NAME=value"
// entries as os.Environ gives them) without the names pluginEnvWithheld
// names, then RAX_CHECK_ID, RAX_CHECK_PERIOD (seconds), RAX_CHECK_TYPE and
// RAX_DETAILS_<KEY> for each detail (key upper-cased, characters other than
// A-Z 0-9 _ become _), which replace inherited variables of the same name.
// PATH is the agent's, or a minimal one when the agent has none.
func pluginEnv(def Def, inherited []string) []string {
	rax := []string{
		"RAX_CHECK_ID=" + def.ID,
		"RAX_CHECK_PERIOD=" + strconv.FormatInt(int64(def.Period/time.Second), 10),
		"RAX_CHECK_TYPE=" + def.Type,
	}
	for k, v := range def.Details {
		key := strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z':
				return r - 'a' + 'A'
			case r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
				return r
			}
			return '_'
		}, k)
		val := strings.ReplaceAll(formatDetail(v), "\x00", "")
		rax = append(rax, "RAX_DETAILS_"+key+"="+val)
	}
	ours := make(map[string]bool, len(rax))
	for _, kv := range rax {
		name, _, _ := strings.Cut(kv, "=")
		ours[name] = true
	}
	env := make([]string, 0, len(inherited)+len(rax)+1)
	hasPath := false
	for _, kv := range inherited {
		name, _, _ := strings.Cut(kv, "=")
		if ours[name] || pluginEnvWithheld(name) {
			continue
		}
		hasPath = hasPath || name == "PATH"
		env = append(env, kv)
	}
	if !hasPath {
		env = append(env, "PATH="+pluginPATH)
	}
	return append(env, rax...)
}

// pluginEnvWithheld reports whether the agent's environment variable name
// is kept from plugins. Virgo passes its whole environment on; virgo-top
// passes all of it but what would hand a plugin the agent's secrets or
// its handles:
//   - every VIRGO_TOP_* variable: they override the config, and among them
//     are the monitoring token (VIRGO_TOP_MONITORING_TOKEN, or the path of
//     the file holding it), the webhook secret and the SMTP password
//     (VIRGO_TOP_NOTIFY_*), and URLs that may embed credentials (the proxy,
//     the webhook, the SMS gateway). All of them, not a list of today's
//     secret keys, so that a key added later is not handed out by default;
//     a plugin has no use for the agent's settings. (The run marker
//     VIRGO_TOP_PLUGIN_RUN is added afterwards, by the runner.)
//   - CREDENTIALS_DIRECTORY: systemd's directory of the agent's
//     credentials (the monitoring token, config.CredentialToken).
//   - NOTIFY_SOCKET, WATCHDOG_PID, WATCHDOG_USEC, LISTEN_PID, LISTEN_FDS,
//     LISTEN_FDNAMES: the service manager's channel to the agent and its
//     socket activation; a plugin that used them would speak for the agent.
func pluginEnvWithheld(name string) bool {
	if strings.HasPrefix(name, "VIRGO_TOP_") {
		return true
	}
	switch name {
	case "CREDENTIALS_DIRECTORY",
		"NOTIFY_SOCKET", "WATCHDOG_PID", "WATCHDOG_USEC",
		"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES":
		return true
	}
	return false
}

// cappedBuffer keeps the first limit bytes written and counts the rest.
// When overflow is set it is closed once the limit is passed.
type cappedBuffer struct {
	buf      []byte
	limit    int
	total    int64
	overflow chan struct{}
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	over := c.truncated()
	c.total += int64(len(p))
	if room := c.limit - len(c.buf); room > 0 {
		c.buf = append(c.buf, p[:min(room, len(p))]...)
	}
	if !over && c.truncated() && c.overflow != nil {
		close(c.overflow)
	}
	return len(p), nil
}

func (c *cappedBuffer) truncated() bool { return c.total > int64(c.limit) }

// pluginTimeout is Virgo's plugin timeout (check/plugin.lua:88):
// details.timeout in milliseconds, else DefaultPluginTimeout (60 s), never
// longer than the run's timeout (the check's timeout or its period), which
// bounds every run here as the period bounds one in Virgo.
func pluginTimeout(rc runCtx) (time.Duration, error) {
	t := DefaultPluginTimeout
	d, ok, err := detailDuration(rc.def.Details, "timeout", time.Millisecond)
	if err != nil {
		return 0, err
	}
	if ok {
		t = d
	}
	if rc.timeout > 0 && rc.timeout < t {
		t = rc.timeout
	}
	return t, nil
}

// testHookPluginOpened, when set, runs between a plugin's check and its
// start (tests swap the file there).
var testHookPluginOpened atomic.Pointer[func(path string)]

// runPlugin runs details.file from the plugin directory with details.args,
// no shell, in its own process group, and parses its stdout with
// ParsePluginOutput. At the timeout the plugin and everything it started
// are killed ("Plugin didn't finish in N seconds"); when the plugin exits,
// whatever it left running is killed too (its process group, and
// descendants that left the group: see pluginexec_linux.go), so nothing
// holds the pipes open or outlives the run. stdout beyond MaxPluginOutput
// kills the plugin too; stderr beyond 4 KiB is read and dropped, and its
// first line completes the status of a plugin that exits non-zero without
// a status line.
func runPlugin(ctx context.Context, rc runCtx) Result {
	file, ok := detailString(rc.def.Details, "file")
	if !ok {
		return ErrorResult(rc.def, rc.start, "Missing file parameter")
	}
	args, err := detailStrings(rc.def.Details, "args")
	if err != nil {
		return ErrorResult(rc.def, rc.start, err.Error())
	}
	timeout, err := pluginTimeout(rc)
	if err != nil {
		return ErrorResult(rc.def, rc.start, err.Error())
	}
	exe, err := openPlugin(rc.opts.PluginDir, file)
	if err != nil {
		return ErrorResult(rc.def, rc.start, err.Error())
	}
	defer exe.close()
	if ctx.Err() != nil {
		return ErrorResult(rc.def, rc.start, "Plugin run cancelled")
	}
	if hook := testHookPluginOpened.Load(); hook != nil {
		(*hook)(exe.path)
	}

	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errRunTimeout)
	defer cancel()
	stdout := &cappedBuffer{limit: MaxPluginOutput, overflow: make(chan struct{})}
	stderr := &cappedBuffer{limit: maxPluginStderr}
	stdin, err := os.Open(os.DevNull)
	if err != nil {
		return ErrorResult(rc.def, rc.start, fmt.Sprintf("Plugin stdin: %v", err))
	}
	defer stdin.Close()
	outR, outW, err := os.Pipe()
	if err != nil {
		return ErrorResult(rc.def, rc.start, fmt.Sprintf("Plugin pipe: %v", err))
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return ErrorResult(rc.def, rc.start, fmt.Sprintf("Plugin pipe: %v", err))
	}
	seq := runSeq.Add(1)
	marker := strconv.Itoa(os.Getpid()) + "." + strconv.FormatUint(seq, 10)
	env := append(pluginEnv(rc.def, os.Environ()), pluginRunVar+"="+marker)
	argv := append([]string{exe.path}, args...)
	proc, err := startPlugin(exe, argv, env, marker, seq, [3]*os.File{stdin, outW, errW}, rc.opts.Logger)
	outW.Close()
	errW.Close()
	exe.close()
	if err != nil {
		outR.Close()
		errR.Close()
		return ErrorResult(rc.def, rc.start, fmt.Sprintf("Plugin failed to start: %v", err))
	}
	copied := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(stdout, outR); copied <- struct{}{} }()
	go func() { _, _ = io.Copy(stderr, errR); copied <- struct{}{} }()

	timedOut := false
	select {
	case <-proc.exited():
	case <-stdout.overflow:
		// The result is an error whatever follows: stop the flood now.
		proc.kill()
	case <-ctx.Done():
		timedOut = true
		proc.kill()
	}
	code, waitErr := proc.finish(rc.opts.Logger)
	// Everything of the run is dead, so the pipes are at EOF; where a
	// descendant escaped (no cgroup, no subreaper, environment cleared) it
	// may hold them open: give up on it at the timeout.
	for pending := 2; pending > 0; {
		select {
		case <-copied:
			pending--
		case <-ctx.Done():
			rc.opts.Logger.Warn("plugin run: a descendant kept its output open until the timeout", "check", rc.def.ID)
			outR.Close()
			errR.Close()
			for ; pending > 0; pending-- {
				<-copied
			}
		}
	}
	outR.Close()
	errR.Close()

	if timedOut {
		if errors.Is(context.Cause(ctx), errRunTimeout) {
			return ErrorResult(rc.def, rc.start, fmt.Sprintf("Plugin didn't finish in %s seconds", formatSeconds(timeout)))
		}
		return ErrorResult(rc.def, rc.start, "Plugin run cancelled")
	}
	return pluginResult(rc, stdout, stderr, code, waitErr)
}

// pluginResult turns a finished plugin's output and exit status (code -1
// when a signal killed it) into a Result.
func pluginResult(rc runCtx, stdout, stderr *cappedBuffer, code int, waitErr error) Result {
	if stdout.truncated() {
		return ErrorResult(rc.def, rc.start, fmt.Sprintf("Plugin output truncated at %d bytes", MaxPluginOutput))
	}
	if waitErr != nil {
		return ErrorResult(rc.def, rc.start, fmt.Sprintf("Plugin failed: %v", waitErr))
	}
	out, perr := ParsePluginOutput(stdout.buf)
	r := NewResult(rc.def, rc.start)
	if !out.Timestamp.IsZero() {
		r.Time = out.Timestamp
	}
	if perr != nil {
		r.SetError(perr.Error())
		return r
	}
	r.Metrics = out.Metrics
	if out.HasState {
		r.Available = out.Available
	}
	if out.HasStatus {
		r.SetStatus(out.Status)
	}
	if code != 0 {
		msg := r.Status
		if !out.HasStatus {
			msg = fmt.Sprintf("Plugin exited with non-zero status code (code=%d)", code)
			if errText := firstLine(stderr.buf); errText != "" {
				msg += ": " + errText
			}
		}
		r.SetError(msg)
	}
	return r
}

// firstLine is the first non-blank line of b, sanitised.
func firstLine(b []byte) string {
	for _, line := range strings.Split(string(b), "\n") {
		if s := strings.TrimSpace(sanitizeLine([]byte(line))); s != "" {
			return s
		}
	}
	return ""
}

// formatSeconds renders d in seconds without trailing zeros ("1", "0.5").
func formatSeconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}
