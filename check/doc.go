// Package check runs checks on a schedule: the Virgo check types
// (agent.cpu, agent.memory, agent.load_average, agent.filesystem,
// agent.disk, agent.network, agent.plugin) and ours (agent.process,
// agent.tcp, agent.http), the scheduler, conf.d loading and the plugin
// runner. Most checks derive from collector Snapshots and history; only
// plugin, tcp, http and process detail do their own I/O.
//
// What lives here:
//   - Def (a check definition), Result and Metric (one run's outcome, with
//     Virgo's metric names, types and units), Env (what the agent provides:
//     the latest Snapshot and CPU averages over a window).
//   - RunOnce and Targets for `virgo-top check`, check.test and
//     check.targets; Scheduler for the periodic runs.
//   - ParsePluginOutput (Virgo's plugin output format) and the plugin
//     runner (process groups, timeouts, output caps, path checks).
//   - ParseConfD, LoadConfD and DefaultChecks.
//
// What does not: alarm evaluation (package alarm reads Def.Alarms'
// criteria and Results), the wire encoding of results (package protocol),
// history storage (the agent implements Env.CPUWindow over it).
package check
