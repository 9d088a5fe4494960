package config

import (
	"bufio"
	"io"
	"strings"
)

// WriteExample writes an example config file with every key commented
// out, each with its help and an example or default value; for packaging
// (/etc/virgo-top.cfg) and `--example-config`. Uncommenting a line gives a
// valid setting.
func WriteExample(w io.Writer) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(`# virgo-top configuration.
#
# One "key value" per line, split at the first run of spaces or tabs; the
# value is the rest of the line. Lines starting with # are comments; a # after
# a key is part of the value. There is no quoting. Booleans take true/false,
# yes/no, 1/0, on/off or enabled/disabled. Durations are Go durations (1s,
# 500ms, 2m). Every key can be overridden by the environment variable
# VIRGO_TOP_<KEY> (e.g. VIRGO_TOP_MONITORING_TOKEN), and by command-line flags.
# An existing /etc/rackspace-monitoring-agent.cfg is valid as it is.
#
# This file holds the monitoring token: keep it mode 0600.
`)
	def := Default()
	for _, k := range keyTable {
		if k.section != "" {
			bw.WriteString("\n# ---- " + k.section + " ----\n")
		}
		bw.WriteString("\n")
		for _, line := range strings.Split(k.help, "\n") {
			bw.WriteString("# " + line + "\n")
		}
		v, label := k.example, ""
		if dv := k.get(&def); dv != "" && k.kind != kindSecret {
			if v == "" {
				v = dv
			}
			label = "default: " + dv
		}
		if label != "" && v != k.get(&def) {
			bw.WriteString("# (" + label + ")\n")
		}
		bw.WriteString("#" + k.name + " " + v + "\n")
	}
	return bw.Flush()
}
