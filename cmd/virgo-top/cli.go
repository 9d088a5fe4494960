package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
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
		{"replay", "open the console on a recording, at any moment", runReplay},
		{"dump", "print recorded data for scripts (ndjson, csv or json)", runDump},
		{"record", "record info: describe a recording (span, size, damage)", runRecord},
		{"alarm", "alarm test: evaluate alarm criteria against metrics", runAlarm},
		{"fixture-server", "run the bundled fixture endpoint", runFixtureServer},
		{"endpoint", "run a Virgo endpoint into Prometheus remote write and Alertmanager", runEndpoint},
		{"config", "config check: validate a config file", runConfig},
		{"fleet", "the fleet view: every host from a Prometheus-compatible engine", runFleet},
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
// of printing and exiting, and prints its help to stdout on --help only:
// the flag package writes the usage (after the error line) on every parse
// error, into a usageOutput that flagError copies to stdout for --help and
// drops otherwise (a bad flag is one line on stderr).
func newFlagSet(name, usage string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	out := &usageOutput{stdout: stdout}
	fs.SetOutput(out)
	fs.Usage = func() {
		out.Reset() // the error line the flag package wrote before
		fmt.Fprintln(out, usage)
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if !hasFlags {
			return
		}
		fmt.Fprintln(out, "\nFlags:")
		fs.PrintDefaults()
	}
	return fs
}

// usageOutput is the output of newFlagSet's FlagSets: what the flag
// package printed during the last Parse, for flagError.
type usageOutput struct {
	bytes.Buffer
	stdout io.Writer
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

// flagError maps an error from fs.Parse to errHelp (after printing the
// usage to stdout) or a usage error naming the flag set.
func flagError(fs *flag.FlagSet, err error) error {
	out, _ := fs.Output().(*usageOutput)
	if errors.Is(err, flag.ErrHelp) {
		if out != nil {
			out.stdout.Write(out.Bytes())
			out.Reset()
		}
		return errHelp
	}
	if out != nil {
		out.Reset()
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
	fmt.Fprintln(stdout, versionLine())
	return nil
}
