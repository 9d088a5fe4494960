package main

import "io"

const rootUsage = `Usage: virgo-top [flags]
       virgo-top <command> [flags]

virgo-top is a monitoring agent and a live terminal console in one binary.

Commands:
  snapshot   take one sample of the host and print it (--json for scripts)
  version    print the version

Run "virgo-top <command> --help" for a command's flags.`

func runRoot(args []string, stdout, _ io.Writer) error {
	fs := newFlagSet("virgo-top", rootUsage, stdout)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fs.Usage()
	return nil
}
