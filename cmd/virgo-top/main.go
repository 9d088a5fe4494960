// Command virgo-top is a monitoring agent and a live terminal console in one
// binary. main stays thin: parse flags and subcommands, build the config,
// pick the mode, map errors to exit codes.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/virgo-top/virgo-top/check"
	iversion "github.com/virgo-top/virgo-top/internal/version"
)

// version is the release number (internal/version's VERSION file, embedded
// in every build): what the hello sends, notifications and /metrics show.
var version = iversion.Version

// versionLine is what `virgo-top version` prints: the release number, the
// commit it was built from when Go recorded one, the Go version and the
// platform.
func versionLine() string {
	build := fmt.Sprintf("%s, %s/%s", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if c := iversion.Commit(); c != "" {
		build = "commit " + c + ", " + build
	}
	return fmt.Sprintf("virgo-top %s (%s)", version, build)
}

// Exit codes, documented in the README.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// errUsage marks errors that are the user's to fix (bad flag, bad config).
var errUsage = errors.New("usage")

func main() {
	if runsPlugins(os.Args[1:]) {
		// Before anything starts: the reaper must own every wait, and a
		// plugin's descendants that escape its process group (setsid)
		// are reparented to us and killed at the end of the run.
		if err := check.EnableReaper(); err != nil {
			fmt.Fprintf(os.Stderr, "virgo-top: plugin descendants will not be reaped: %v\n", err)
		}
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// runsPlugins reports whether the command line runs checks, hence plugins:
// the console and the daemon (no subcommand) and `check`.
// (A subcommand is the first argument, as dispatch reads it.)
func runsPlugins(args []string) bool {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0] == "check"
	}
	return true
}

func run(args []string, stdout, stderr io.Writer) int {
	err := dispatch(args, stdout, stderr)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errHelp):
		return exitOK
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "virgo-top: %v\n", trimUsage(err))
		return exitUsage
	default:
		var ec exitCoder
		if errors.As(err, &ec) {
			fmt.Fprintf(stderr, "virgo-top: %v\n", err)
			return ec.ExitCode()
		}
		fmt.Fprintf(stderr, "virgo-top: %v\n", err)
		return exitFailure
	}
}

// exitCoder is an error that carries its own exit code (e.g. rate limit).
type exitCoder interface {
	error
	ExitCode() int
}
