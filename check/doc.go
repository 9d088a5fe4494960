// Package check runs checks on a schedule: the Virgo check types
// (agent.cpu, agent.memory, agent.load_average, agent.filesystem,
// agent.disk, agent.network, agent.plugin) and ours (agent.process,
// agent.tcp, agent.http), the scheduler, conf.d loading and the plugin
// runner. Most checks derive from collector Snapshots and history; only
// plugin, tcp, http and process detail do their own I/O.
package check
