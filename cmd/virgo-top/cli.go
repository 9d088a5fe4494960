package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"strings"
)

// errHelp is returned when --help was asked for and printed.
var errHelp = errors.New("help")

// command is one subcommand: its name, one-line summary and entry point.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"snapshot", "take one sample of the host and print it (--json for scripts)", runSnapshot},
		{"check", "run one check once and print its state and metrics", runCheck},
		{"alarm", "alarm test: evaluate alarm criteria against metrics", runAlarm},
		{"fixture-server", "run the bundled fixture endpoint", runFixtureServer},
		{"config", "config check: validate a config file", runConfig},
		{"version", "print the version", runVersion},
	}
}

func dispatch(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		for _, c := range commands() {
			if c.name == args[0] {
				return c.run(args[1:], stdout, stderr)
			}
		}
		return fmt.Errorf("%w: unknown command %q (see virgo-top --help)", errUsage, args[0])
	}
	return runRoot(args, stdout, stderr)
}

// newFlagSet returns a FlagSet that reports errors as usage errors instead
// of printing and exiting, and prints its help to stdout on --help.
func newFlagSet(name, usage string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintln(stdout, usage)
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if !hasFlags {
			return
		}
		fmt.Fprintln(stdout, "\nFlags:")
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parseFlags parses args into fs and maps flag errors to errUsage/errHelp.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return flagError(fs, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: %s: unexpected argument %q", errUsage, fs.Name(), fs.Arg(0))
	}
	return nil
}

// flagError maps an error from fs.Parse to errHelp (fs.Parse has printed
// the usage already) or a usage error naming the flag set.
func flagError(fs *flag.FlagSet, err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return errHelp
	}
	return fmt.Errorf("%w: %s: %v", errUsage, fs.Name(), err)
}

// trimUsage drops the "usage: " prefix that wrapping errUsage adds.
func trimUsage(err error) string {
	return strings.TrimPrefix(err.Error(), errUsage.Error()+": ")
}

func runVersion(args []string, stdout, _ io.Writer) error {
	fs := newFlagSet("version", "Usage: virgo-top version\n\nPrint the version of virgo-top.", stdout)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "virgo-top %s (%s, %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
