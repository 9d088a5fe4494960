package main

import (
	"fmt"
	"io"
	"os"

	"github.com/virgo-top/virgo-top/config"
)

const configUsage = `Usage: virgo-top config check [FILE]
       virgo-top config example

check validates a config file (default ` + config.DefaultPath + `) with the
systemd credentials and the VIRGO_TOP_* environment applied, as the daemon
does, reads the token file if one is set, prints the effective settings and
exits 0, or names the bad line and exits 2. Secrets show at most their last
four characters; URLs show only their scheme and host, and "/***" for any
path or query (they often hold credentials).
example prints an example config with every key.`

func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "--h":
		return true
	}
	return false
}

func runConfig(args []string, stdout, _ io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: config: want \"config check [FILE]\" or \"config example\"", errUsage)
	}
	if isHelp(args[0]) {
		fmt.Fprintln(stdout, configUsage)
		return errHelp
	}
	switch args[0] {
	case "example":
		if len(args) > 1 {
			if isHelp(args[1]) {
				fmt.Fprintln(stdout, configUsage)
				return errHelp
			}
			return fmt.Errorf("%w: config example: unexpected argument %q", errUsage, args[1])
		}
		return config.WriteExample(stdout)
	case "check":
	default:
		return fmt.Errorf("%w: config: unknown subcommand %q", errUsage, args[0])
	}
	fs := newFlagSet("config check", configUsage, stdout)
	if err := fs.Parse(args[1:]); err != nil {
		return flagError(fs, err)
	}
	path := config.DefaultPath
	switch fs.NArg() {
	case 0:
	case 1:
		path = fs.Arg(0)
	default:
		return fmt.Errorf("%w: config check: one file at most", errUsage)
	}
	cfg, err := config.Load(path)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	env := environ()
	if err := layerConfig(&cfg, env, nil); err != nil {
		return fmt.Errorf("%w: %s: %v", errUsage, path, err)
	}
	if err := config.CheckPermissions(path); err != nil && !inCredentials(path, env) {
		fmt.Fprintf(stdout, "warning: %v\n", err)
	}
	fmt.Fprintf(stdout, "%s: ok\n", path)
	for _, s := range cfg.Settings() {
		fmt.Fprintf(stdout, "  %-28s %s  (%s)\n", s.Key, s.Value, s.Source)
	}
	for _, n := range cfg.Notes {
		fmt.Fprintf(stdout, "note: %s\n", n)
	}
	return nil
}

// environ is os.Environ, a variable so tests can replace it.
var environ = os.Environ
