package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/virgo-top/virgo-top/alarm"
)

const alarmUsage = `Usage: virgo-top alarm test --criteria FILE|TEXT --metrics JSON|@FILE [--previous JSON|@FILE] [--json]

Evaluate alarm criteria (Rackspace's alarm language) against metrics and
print the state and message. Metrics are {"name": 12.5, "other": "text"} or
Virgo's shape {"name": {"t": "double", "v": "12.5", "u": "percent"}}.
--previous gives the observation previous() and rate() read (taken
--elapsed earlier, default 30s).

Example:
  virgo-top alarm test --criteria "if (metric['usage_average'] > 90) { return new AlarmStatus(CRITICAL, 'CPU at #{usage_average}%'); } return new AlarmStatus(OK);" --metrics '{"usage_average": 97.5}'`

func runAlarm(args []string, stdout, _ io.Writer) error {
	if len(args) == 0 || args[0] != "test" {
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h" || args[0] == "-help") {
			fmt.Fprintln(stdout, alarmUsage)
			return errHelp
		}
		return fmt.Errorf("%w: alarm: want \"alarm test\" (see virgo-top alarm --help)", errUsage)
	}
	fs := newFlagSet("alarm test", alarmUsage, stdout)
	criteria := fs.String("criteria", "", "criteria text, or a file holding it")
	metrics := fs.String("metrics", "", "metrics JSON, or @FILE")
	previous := fs.String("previous", "", "previous observation's metrics JSON, or @FILE")
	elapsed := fs.Duration("elapsed", 30*time.Second, "time between --previous and --metrics")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if *criteria == "" || *metrics == "" {
		return fmt.Errorf("%w: alarm test: --criteria and --metrics are required", errUsage)
	}
	text := *criteria
	if b, err := os.ReadFile(text); err == nil {
		text = string(b)
	}
	c, err := alarm.Parse(text)
	if err != nil {
		return fmt.Errorf("%w: alarm test: criteria: %v", errUsage, err)
	}
	now := time.Now()
	cur, err := loadMetrics(*metrics)
	if err != nil {
		return fmt.Errorf("%w: alarm test: --metrics: %v", errUsage, err)
	}
	obs := alarm.Observation{Time: now, Available: true, Metrics: cur}
	var prev *alarm.Observation
	if *previous != "" {
		pm, err := loadMetrics(*previous)
		if err != nil {
			return fmt.Errorf("%w: alarm test: --previous: %v", errUsage, err)
		}
		prev = &alarm.Observation{Time: now.Add(-*elapsed), Available: true, Metrics: pm}
	}
	res := c.Evaluate(obs, prev)
	if *asJSON {
		return json.NewEncoder(stdout).Encode(res)
	}
	if res.Message != "" {
		fmt.Fprintf(stdout, "%s: %s\n", res.State, res.Message)
	} else {
		fmt.Fprintln(stdout, res.State)
	}
	return nil
}

// loadMetrics reads metrics JSON given inline or as @FILE.
func loadMetrics(arg string) (alarm.Metrics, error) {
	data := []byte(arg)
	if name, ok := strings.CutPrefix(arg, "@"); ok {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		data = b
	}
	return alarm.ParseMetricsJSON(data)
}
