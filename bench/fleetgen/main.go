// Command fleetgen writes OpenMetrics text for a synthetic fleet of hosts
// in virgo-top's metric schema (the families `virgo-top fleet` reads), for
// `promtool tsdb create-blocks-from openmetrics` (bench/fleet.sh). Each
// host has CPU, memory, load, two filesystems, one interface, five checks
// with their alarms and an endpoint link; one host in 20 stopped 10
// minutes before the end (DOWN in the fleet view), one in 10 has a
// CRITICAL alarm and one in 7 a WARNING.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	hosts := flag.Int("hosts", 200, "hosts")
	end := flag.Int64("end", time.Now().Unix(), "unix time of the last sample")
	span := flag.Duration("span", 30*time.Minute, "time covered")
	step := flag.Duration("step", 30*time.Second, "sample interval")
	flag.Parse()
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()
	n := int(*span / *step)
	start := *end - int64(n-1)*int64(*step/time.Second)
	stepS := int64(*step / time.Second)
	// last is the last sample time of host h.
	last := func(h int) int64 {
		if h%20 == 19 {
			return *end - 600
		}
		return *end
	}
	name := func(h int) string { return fmt.Sprintf("host%05d.example.com", h) }
	base := func(h int) string {
		return fmt.Sprintf(`host="%s",instance="10.%d.%d.%d:9100",job="virgo"`, name(h), h>>16&255, h>>8&255, h&255)
	}
	type series struct {
		labels string
		value  func(h int, i int, t int64) float64
	}
	fam := func(family, typ string, per func(h int) []series) {
		fmt.Fprintf(w, "# TYPE %s %s\n", family, typ)
		for h := 0; h < *hosts; h++ {
			for _, s := range per(h) {
				for i := 0; i < n; i++ {
					t := start + int64(i)*stepS
					if t > last(h) {
						break
					}
					lbl := base(h)
					if s.labels != "" {
						lbl += "," + s.labels
					}
					suffix := ""
					if typ == "counter" {
						suffix = "_total"
					}
					fmt.Fprintf(w, "%s%s{%s} %g %d\n", family, suffix, lbl, s.value(h, i, t), t)
				}
			}
		}
	}
	one := func(v func(h, i int, t int64) float64) func(int) []series {
		return func(int) []series { return []series{{"", v}} }
	}
	fam("virgo_snapshot_timestamp_seconds", "gauge", one(func(_, _ int, t int64) float64 { return float64(t) }))
	fam("virgo_cpu_usage_percent", "gauge", func(int) []series {
		return []series{{`mode="total"`, func(h, i int, _ int64) float64 { return float64((h*7+i)%100) + 0.5 }}}
	})
	fam("virgo_cpu_core_usage_percent", "gauge", func(int) []series {
		var out []series
		for c := 0; c < 4; c++ {
			out = append(out, series{fmt.Sprintf(`cpu="%d"`, c), func(h, i int, _ int64) float64 { return float64((h + i + c) % 100) }})
		}
		return out
	})
	fam("node_load1", "gauge", one(func(h, i int, _ int64) float64 { return float64(h%8) + float64(i%10)/10 }))
	fam("node_memory_MemTotal_bytes", "gauge", one(func(int, int, int64) float64 { return 8 << 30 }))
	fam("node_memory_MemAvailable_bytes", "gauge", one(func(h, _ int, _ int64) float64 { return float64((8 << 30) / 100 * (h%90 + 5)) }))
	fss := func(int) []series {
		return []series{
			{`device="/dev/sda1",fstype="ext4",mountpoint="/"`, nil},
			{`device="/dev/sdb1",fstype="xfs",mountpoint="/var"`, nil},
		}
	}
	withFS := func(v func(h, fs int) float64) func(int) []series {
		return func(h int) []series {
			out := fss(h)
			for k := range out {
				out[k].value = func(h, _ int, _ int64) float64 { return v(h, k) }
			}
			return out
		}
	}
	fam("node_filesystem_size_bytes", "gauge", withFS(func(int, int) float64 { return 100 << 30 }))
	fam("node_filesystem_avail_bytes", "gauge", withFS(func(h, fs int) float64 { return float64((100 << 30) / 100 * ((h*3+fs*11)%95 + 2)) }))
	fam("node_network_receive_bytes", "counter", func(int) []series {
		return []series{{`device="eth0"`, func(h, i int, _ int64) float64 { return float64(i * (h%50 + 1) * 30000) }}}
	})
	fam("node_network_transmit_bytes", "counter", func(int) []series {
		return []series{{`device="eth0"`, func(h, i int, _ int64) float64 { return float64(i * (h%30 + 1) * 20000) }}}
	})
	checks := []string{"cpu", "memory", "load", "filesystem-root", "network-eth0"}
	state := func(h, c int) float64 {
		switch {
		case h%10 == 3 && c == 0:
			return 2
		case h%7 == 2 && c == 3:
			return 1
		}
		return 0
	}
	fam("virgo_alarm_state", "gauge", func(int) []series {
		var out []series
		for c, id := range checks {
			out = append(out, series{fmt.Sprintf(`check_id="default-%s",alarm="%s"`, id, id), func(h, _ int, _ int64) float64 { return state(h, c) }})
		}
		return out
	})
	fam("virgo_check_state", "gauge", func(int) []series {
		var out []series
		for c, id := range checks {
			out = append(out, series{fmt.Sprintf(`check_id="default-%s",check_type="agent.%s"`, id, id), func(h, _ int, _ int64) float64 { return state(h, c) }})
		}
		return out
	})
	fam("virgo_endpoint_up", "gauge", func(int) []series {
		return []series{{`endpoint="ep1:443"`, func(h, _ int, _ int64) float64 { return float64(1 - h%13/12) }}}
	})
	fmt.Fprintln(w, "# EOF")
}
