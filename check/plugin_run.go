package check

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
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
	// DefaultPluginTimeout is Virgo's DEFAULT_PLUGIN_TIMEOUT, used when
	// neither details.timeout nor the check timeout is shorter.
	DefaultPluginTimeout = 60 * time.Second
)

// pluginPATH is the whole PATH a plugin gets.
const pluginPATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// ErrPluginPath is returned (wrapped) for a plugin file outside the plugin
// directory or with unsafe permissions.
var ErrPluginPath = errors.New("unsafe plugin path")

// ResolvePlugin returns the absolute path of plugin file inside dir after
// resolving symlinks, refusing absolute paths, "..", links that leave the
// directory, non-regular files, and (on unix) a directory or file that is
// writable by group or others or owned by someone other than root or the
// agent's user.
func ResolvePlugin(dir, file string) (string, error) {
	if file == "" {
		return "", fmt.Errorf("%w: empty file name", ErrPluginPath)
	}
	if filepath.IsAbs(file) || !filepath.IsLocal(file) {
		return "", fmt.Errorf("%w: %q must be a relative path inside the plugin directory", ErrPluginPath, file)
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("plugin directory: %w", err)
	}
	if realDir, err = filepath.Abs(realDir); err != nil {
		return "", fmt.Errorf("plugin directory: %w", err)
	}
	real, err := filepath.EvalSymlinks(filepath.Join(realDir, file))
	if err != nil {
		return "", fmt.Errorf("plugin %s: %w", file, err)
	}
	if real, err = filepath.Abs(real); err != nil {
		return "", fmt.Errorf("plugin %s: %w", file, err)
	}
	if !strings.HasPrefix(real, realDir+string(filepath.Separator)) {
		return "", fmt.Errorf("%w: %q resolves to %s, outside %s", ErrPluginPath, file, real, realDir)
	}
	dirInfo, err := os.Stat(realDir)
	if err != nil {
		return "", fmt.Errorf("plugin directory: %w", err)
	}
	info, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("plugin %s: %w", file, err)
	}
	if !info.Mode().IsRegular() {
		return "", fmt.Errorf("%w: %s is not a regular file", ErrPluginPath, real)
	}
	if runtime.GOOS != "windows" {
		if dirInfo.Mode().Perm()&0o022 != 0 {
			return "", fmt.Errorf("%w: plugin directory %s is writable by group or others (mode %v)", ErrPluginPath, realDir, dirInfo.Mode().Perm())
		}
		if info.Mode().Perm()&0o022 != 0 {
			return "", fmt.Errorf("%w: %s is writable by group or others (mode %v)", ErrPluginPath, real, info.Mode().Perm())
		}
		if uid, ok := ownerTrusted(dirInfo); !ok {
			return "", fmt.Errorf("%w: plugin directory %s is owned by uid %d, not root or this user", ErrPluginPath, realDir, uid)
		}
		if uid, ok := ownerTrusted(info); !ok {
			return "", fmt.Errorf("%w: %s is owned by uid %d, not root or this user", ErrPluginPath, real, uid)
		}
	}
	return real, nil
}

// pluginEnv is the plugin's whole environment: a minimal PATH, RAX_CHECK_ID,
// RAX_CHECK_PERIOD (seconds), RAX_CHECK_TYPE and RAX_DETAILS_<KEY> for each
// detail (key upper-cased, characters other than A-Z 0-9 _ become _).
func pluginEnv(def Def) []string {
	env := []string{
		"PATH=" + pluginPATH,
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
		env = append(env, "RAX_DETAILS_"+key+"="+val)
	}
	return env
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

// pluginTimeout is details.timeout (milliseconds, as Virgo) when shorter
// than the run's timeout, else the run's timeout.
func pluginTimeout(rc runCtx) (time.Duration, error) {
	t := rc.timeout
	if t <= 0 {
		t = DefaultPluginTimeout
	}
	d, ok, err := detailDuration(rc.def.Details, "timeout", time.Millisecond)
	if err != nil {
		return 0, err
	}
	if ok && d < t {
		t = d
	}
	return t, nil
}

// runPlugin runs details.file from the plugin directory with details.args,
// no shell, in its own process group, and parses its stdout with
// ParsePluginOutput. At the timeout the whole group is killed ("Plugin
// didn't finish in N seconds"); when the plugin exits, whatever it left in
// its group is killed too so nothing holds the pipes open. stdout beyond
// MaxPluginOutput kills the group too; stderr beyond 4 KiB is read and
// dropped, and its first line completes the status of a plugin that exits
// non-zero without a status line.
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
	path, err := ResolvePlugin(rc.opts.PluginDir, file)
	if err != nil {
		return ErrorResult(rc.def, rc.start, err.Error())
	}
	if ctx.Err() != nil {
		return ErrorResult(rc.def, rc.start, "Plugin run cancelled")
	}

	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errRunTimeout)
	defer cancel()
	cmd := exec.Command(path, args...)
	cmd.Dir = filepath.Dir(path)
	cmd.Env = pluginEnv(rc.def)
	setProcessGroup(cmd)
	stdout := &cappedBuffer{limit: MaxPluginOutput, overflow: make(chan struct{})}
	stderr := &cappedBuffer{limit: maxPluginStderr}
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
	cmd.Stdout, cmd.Stderr = outW, errW
	err = cmd.Start()
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return ErrorResult(rc.def, rc.start, fmt.Sprintf("Plugin failed to start: %v", err))
	}
	copied := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(stdout, outR); copied <- struct{}{} }()
	go func() { _, _ = io.Copy(stderr, errR); copied <- struct{}{} }()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	var waitErr error
	timedOut := false
	select {
	case waitErr = <-exited:
		// Stragglers in the group would keep the pipes open.
		killProcessGroup(cmd)
	case <-stdout.overflow:
		// The result is an error whatever follows: stop the flood now.
		killProcessGroup(cmd)
		waitErr = <-exited
	case <-ctx.Done():
		timedOut = true
		killProcessGroup(cmd)
		waitErr = <-exited
	}
	// Wait for the copies; a process that left the group (setsid) may
	// still hold the pipe, so give up on it at the timeout.
	for pending := 2; pending > 0; {
		select {
		case <-copied:
			pending--
		case <-ctx.Done():
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
	return pluginResult(rc, stdout, stderr, waitErr)
}

// pluginResult turns a finished plugin's output and exit status into a Result.
func pluginResult(rc runCtx, stdout, stderr *cappedBuffer, waitErr error) Result {
	if stdout.truncated() {
		return ErrorResult(rc.def, rc.start, fmt.Sprintf("Plugin output truncated at %d bytes", MaxPluginOutput))
	}
	code := 0
	if waitErr != nil {
		var ee *exec.ExitError
		if !errors.As(waitErr, &ee) {
			return ErrorResult(rc.def, rc.start, fmt.Sprintf("Plugin failed: %v", waitErr))
		}
		code = ee.ExitCode() // -1 when killed by a signal
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
