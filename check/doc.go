// Package check runs checks on a schedule: the Virgo check types
// (agent.cpu, agent.memory, agent.load_average, agent.filesystem,
// agent.filesystem_state, agent.disk, agent.network, agent.plugin,
// agent.redis, agent.apache, agent.mysql) and ours (agent.process,
// agent.tcp, agent.http), the scheduler, conf.d loading and the plugin
// runner. Most checks derive from collector Snapshots and history; only
// plugin, tcp, http, redis, apache, mysql and process detail do their own
// I/O. Virgo's Windows-only and Rackspace-internal types (agent.windows_*,
// agent.mssql_*, agent.raxxen) stay in a schedule and every run answers
// unavailable, "not supported on this platform" (unsupported.go).
//
// What lives here:
//   - Def (a check definition), Result and Metric (one run's outcome, with
//     Virgo's metric names, types and units), Env (what the agent provides:
//     the latest Snapshot and CPU averages over a window).
//   - RunOnce and Targets for `virgo-top check`, check.test and
//     check.targets; Scheduler for the periodic runs.
//   - ParsePluginOutput (Virgo's plugin output format; format characters
//     such as bidi overrides are removed from every line) and the plugin
//     runner (timeouts, output caps, path checks, killing descendants).
//   - EnableReaper, which the daemon and the console call once at start.
//   - ParseConfD, LoadConfD and DefaultChecks.
//
// Plugins run with the agent's privileges, so the runner trusts a plugin
// only when nobody but root or the agent's user could have changed any
// component of its path, from "/" down to the file (pluginpath_unix.go),
// and on Linux it executes the very descriptor it checked, through
// /proc/self/fd (pluginexec_linux.go). A run ends with nothing of it left:
// the plugin's process group is killed when it exits, and so are
// descendants that left the group (setsid, double fork), through a per-run
// cgroup's cgroup.kill where this process's cgroup v2 is ours (no systemd,
// or Delegate=yes), else through the subreaper EnableReaper set up, else
// by a sweep for the run's marker in process environments.
//
// A plugin inherits the agent's environment, as Virgo's does, plus RAX_*
// variables, minus what the agent holds secret (every VIRGO_TOP_*
// variable, CREDENTIALS_DIRECTORY, the systemd notify and socket
// variables: pluginEnvWithheld); its default timeout is Virgo's 60 s
// (details.timeout in ms, capped by the check's). A script without a #!
// line runs under /bin/sh, as execvp does, from the checked descriptor.
// The plugin and conf.d directories are ours, or Virgo's when only they
// exist (FallbackPluginDir, FallbackConfDDir).
//
// What does not: alarm evaluation (package alarm reads Def.Alarms'
// criteria and Results), the wire encoding of results (package protocol),
// history storage (the agent implements Env.CPUWindow over it).
package check
