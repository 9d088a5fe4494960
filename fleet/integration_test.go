package fleet_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/fleet"
	"github.com/virgo-top/virgo-top/internal/enginetest"
)

// TestFleetRealEngines: three virgo-top daemons (one with a CRITICAL
// alarm) and one node_exporter, scraped every second by Prometheus and by
// VictoriaMetrics; `virgo-top fleet --once --json` shows the four hosts with
// sane values from each engine, the CRITICAL host first, and a daemon that
// is stopped stays, marked DOWN.
func TestFleetRealEngines(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real engines")
	}
	bin := virgoTop(t)
	root := t.TempDir()
	agents := []*agent{
		startAgent(t, bin, root, "vt1", "CRITICAL"),
		startAgent(t, bin, root, "vt2", "OK"),
		startAgent(t, bin, root, "vt3", "OK"),
	}
	nodeExporter := enginetest.StartNodeExporter(t)
	nodename, _ := os.Hostname()
	scrape := scrapeConfigs(agents, strings.TrimPrefix(nodeExporter, "http://"))
	engines := []engine{
		{"prometheus", enginetest.StartPrometheus(t, enginetest.PrometheusOptions{ScrapeConfigs: scrape})},
		{"victoria-metrics", enginetest.StartVictoriaMetrics(t, enginetest.VictoriaMetricsOptions{ScrapeConfigs: scrape})},
	}
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			hosts := waitFleet(t, bin, e.url, func(hosts []map[string]any) string {
				if len(hosts) != 4 {
					return fmt.Sprintf("%d hosts", len(hosts))
				}
				for _, h := range hosts {
					for _, c := range []string{"cpu", "mem", "load", "disk"} {
						if h[c] == nil {
							return fmt.Sprintf("%s has no %s yet", h["host"], c)
						}
					}
				}
				for _, h := range hosts {
					// Until a check's first run its alarm is UNKNOWN.
					if name, _ := h["host"].(string); strings.HasPrefix(name, "vt") && h["alarm"] == "UNKNOWN" {
						return name + "'s alarm has not run yet"
					}
				}
				if hosts[0]["alarm"] != "CRITICAL" {
					return "no CRITICAL host yet"
				}
				return ""
			})
			ready := time.Now()
			for _, h := range hosts {
				t.Logf("%s: %v", e.name, h)
			}
			if hosts[0]["host"] != "vt1" || hosts[0]["not_ok"] != 1.0 {
				t.Errorf("first host %v, want vt1 CRITICAL with 1 alarm not OK", hosts[0])
			}
			seen := map[string]bool{}
			for _, h := range hosts {
				name, _ := h["host"].(string)
				seen[name] = true
				if h["status"] != "UP" {
					t.Errorf("%s: status %v", name, h["status"])
				}
				for _, c := range []string{"cpu", "mem", "disk"} {
					if v, _ := h[c].(float64); v < 0 || v > 100 {
						t.Errorf("%s: %s = %v", name, c, h[c])
					}
				}
				if v, _ := h["load"].(float64); v < 0 || v > 1000 {
					t.Errorf("%s: load %v", name, h["load"])
				}
				if v, _ := h["age"].(float64); v < 0 || v > 30 {
					t.Errorf("%s: age %v", name, h["age"])
				}
				for _, c := range []string{"rx", "tx"} {
					if v, ok := h[c].(float64); h[c] != nil && (!ok || v < 0) {
						t.Errorf("%s: %s = %v", name, c, h[c])
					}
				}
				if strings.HasPrefix(name, "vt") && name != "vt1" && h["alarm"] != "OK" {
					t.Errorf("%s: alarm %v, want OK", name, h["alarm"])
				}
			}
			for _, want := range []string{"vt1", "vt2", "vt3", nodename} {
				if !seen[want] {
					t.Errorf("host %q missing from %v", want, hosts)
				}
			}
			if nodeRow := rowOf(hosts, nodename); nodeRow != nil && nodeRow["alarm"] != "" {
				t.Errorf("node_exporter host has an alarm: %v", nodeRow)
			}
			// The console's paging (sort key, topk and "unless" in the
			// engine), one host a page: every host once, the CRITICAL
			// one first.
			c, err := fleet.New(fleet.Config{URL: e.url})
			if err != nil {
				t.Fatal(err)
			}
			f, err := fleet.NewFleet(c, fleet.Options{})
			if err != nil {
				t.Fatal(err)
			}
			// Every page at one time, when the table above was ready,
			// once the engine has taken every sample up to it: the
			// data does not change between pages.
			at := ready
			time.Sleep(time.Until(at.Add(2 * time.Second)))
			var paged []string
			for off := 0; off < len(hosts)+1; off++ {
				tb, err := f.Table(context.Background(), fleet.Request{Sort: fleet.ColAlarm, Desc: true, Offset: off, Limit: 1, At: at})
				if err != nil {
					t.Fatalf("page %d: %v", off, err)
				}
				for _, h := range tb.Hosts {
					paged = append(paged, h.Host)
				}
			}
			if len(paged) != len(hosts) || paged[0] != "vt1" {
				t.Errorf("paged one by one: %v, want the %d hosts once each, vt1 first", paged, len(hosts))
			}
			for _, want := range []string{"vt1", "vt2", "vt3", nodename} {
				if !slices.Contains(paged, want) {
					t.Errorf("paging never showed %s: %v", want, paged)
				}
			}
			// Ascending (bottomk), on a column the hosts mostly share,
			// and on a column of unrounded values (VictoriaMetrics
			// prints them rounded).
			for _, req := range []fleet.Request{{Sort: fleet.ColLink}, {Sort: fleet.ColCPU, Desc: true}, {Sort: fleet.ColMem}} {
				paged = nil
				for off := 0; off < len(hosts)+1; off++ {
					req.Offset, req.Limit, req.At = off, 1, at
					tb, err := f.Table(context.Background(), req)
					if err != nil {
						t.Fatalf("page %d by %s: %v", off, req.Sort, err)
					}
					for _, h := range tb.Hosts {
						paged = append(paged, h.Host)
					}
				}
				if uniq := slices.Compact(slices.Sorted(slices.Values(paged))); len(paged) != len(hosts) || len(uniq) != len(hosts) {
					t.Errorf("paged by %s: %v, want the %d hosts once each", req.Sort, paged, len(hosts))
				}
			}
		})
	}
	// A daemon that stops answering stays in the table, DOWN (Prometheus
	// marks its series stale at the next failed scrape).
	agents[2].cmd.Process.Kill()
	hosts := waitFleet(t, bin, engines[0].url, func(hosts []map[string]any) string {
		if r := rowOf(hosts, "vt3"); r == nil || r["status"] != "DOWN" {
			return fmt.Sprintf("vt3 is %v", r)
		}
		return ""
	})
	if r := rowOf(hosts, "vt3"); r["age"] == nil || r["cpu"] != nil {
		t.Errorf("DOWN vt3 = %v, want an age and no CPU", r)
	}
}

func rowOf(hosts []map[string]any, name string) map[string]any {
	for _, h := range hosts {
		if h["host"] == name {
			return h
		}
	}
	return nil
}

// waitFleet runs fleet --once --json until ready says "" (or 90 s).
func waitFleet(t *testing.T, bin, url string, ready func([]map[string]any) string) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	var last string
	for {
		hosts, _, err := fleetOnce(bin, url)
		if err != nil {
			last = err.Error()
		} else if last = ready(hosts); last == "" {
			return hosts
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not ready after 90 s: %s (last table %v)", url, last, hosts)
		}
		time.Sleep(time.Second)
	}
}
