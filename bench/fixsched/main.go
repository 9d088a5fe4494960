// Command fixsched prints, as the JSON that `virgo-top fixture-server
// --schedule FILE` reads, the schedule the fixture server serves by default
// on this host (fixtures.DefaultSchedule with this host's default interface
// and the disk behind /), optionally with one agent.process check added.
//
// bench/run.sh uses it to run a daemon that lists processes at every
// sample (an agent.process check turns ProcessesOnDemand's list on) with
// the same checks as the others: the cost of the process scan alone,
// against which the flight recorder's cost is measured. It is not part of
// the virgo-top binary.
//
//	go run ./bench/fixsched --process virgo-top >sched.json
//	virgo-top fixture-server --schedule sched.json ...
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/fixtures"
	"github.com/virgo-top/virgo-top/protocol"
)

func main() {
	process := flag.String("process", "", "add an agent.process check matching this process name")
	period := flag.Int("period", 300, "period of the agent.process check, in seconds")
	flag.Parse()
	iface := collector.DefaultInterface(collector.Options{})
	// As fixture-server finds the disk behind "/" (cmd/virgo-top rootDisk).
	disk := collector.RootDisk(collector.NewSampler(collector.Options{Sources: []string{"filesystems", "disks"}}).Sample(context.Background()))
	sched := fixtures.DefaultSchedule(iface, disk)
	if *process != "" {
		details, err := json.Marshal(map[string]string{"name": *process})
		if err != nil {
			fmt.Fprintln(os.Stderr, "fixsched:", err)
			os.Exit(1)
		}
		sched = append(sched, protocol.CheckDef{ID: "chPROC00001", Type: "agent.process", Label: "Process " + *process,
			Period: *period, Timeout: 10, Details: details})
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(sched); err != nil {
		fmt.Fprintln(os.Stderr, "fixsched:", err)
		os.Exit(1)
	}
}
