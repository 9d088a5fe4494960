package check

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/collector"
)

func TestParseConfD(t *testing.T) {
	cases := []struct {
		name, file, in string
		want           Def
		err            string
	}{
		{
			name: "virgo example", file: "my_http.yaml",
			in: `type: agent.http
label: Website
period: 60
timeout: 30
target_alias: default
monitoring_zones_poll: [mzdfw]
details:
  url: http://127.0.0.1/
  status: 200
alarms:
  alarm-http:
    label: http failing
    notification_plan_id: npTechnicalContactsEmail
    criteria: |
      if (metric['code'] != 200) { return new AlarmStatus(CRITICAL); }
`,
			want: Def{
				ID: "confd-my_http", Label: "Website", Type: TypeHTTP, Period: time.Minute, Timeout: 30 * time.Second,
				Details: map[string]any{"url": "http://127.0.0.1/", "status": 200}, Source: "confd:my_http.yaml",
				Alarms: map[string]AlarmDef{"alarm-http": {Label: "http failing", Criteria: "if (metric['code'] != 200) { return new AlarmStatus(CRITICAL); }\n"}},
			},
		},
		{
			name: "defaults", file: "/etc/conf.d/cpu.yaml", in: "type: agent.cpu\n",
			want: Def{ID: "confd-cpu", Type: TypeCPU, Period: DefaultConfDPeriod, Source: "confd:cpu.yaml"},
		},
		{
			name: "plugin disabled, fractional period", file: "p.yaml", in: "type: agent.plugin\nperiod: 1.5\ndisabled: true\ndetails: {file: x.sh, args: [a, b]}\n",
			want: Def{ID: "confd-p", Type: TypePlugin, Period: 1500 * time.Millisecond, Disabled: true, Source: "confd:p.yaml",
				Details: map[string]any{"file": "x.sh", "args": []any{"a", "b"}}},
		},
		{name: "empty", file: "e.yaml", in: "", err: "e.yaml: empty document"},
		{name: "not a mapping", file: "l.yaml", in: "- a\n- b\n", err: "l.yaml:1: the document must be a mapping of check keys"},
		{name: "missing type", file: "m.yaml", in: "period: 30\n", err: "m.yaml: missing type"},
		{name: "unknown type", file: "u.yaml", in: "label: x\ntype: agent.nosuch\n", err: `u.yaml:2: unknown check type "agent.nosuch" (known: `},
		{name: "short period", file: "s.yaml", in: "type: agent.cpu\nperiod: 0.5\n", err: "s.yaml:2: period 0.5 must be at least 1 second"},
		{name: "negative timeout", file: "n.yaml", in: "type: agent.cpu\ntimeout: -1\n", err: "n.yaml:2: timeout -1 must be a positive number of seconds"},
		{name: "timeout over period", file: "o.yaml", in: "type: agent.cpu\nperiod: 30\ntimeout: 31\n", err: "o.yaml:3: timeout 31 s is longer than the period 30s"},
		{name: "typo key", file: "k.yaml", in: "type: agent.cpu\nperoid: 30\n", err: "k.yaml: yaml: unmarshal errors:\n  line 2: field peroid not found in type check.confdFile"},
		{name: "wrong type", file: "w.yaml", in: "type: agent.cpu\nperiod: soon\n", err: "w.yaml: yaml: unmarshal errors:\n  line 2: cannot unmarshal !!str `soon` into float64"},
		{name: "syntax", file: "y.yaml", in: "type: [agent.cpu\n", err: "y.yaml: yaml: line 1: did not find expected ',' or ']'"},
		{name: "long criteria", file: "c.yaml", in: "type: agent.cpu\nalarms:\n  a:\n    criteria: " + strings.Repeat("x", MaxCriteriaLen+1) + "\n",
			err: "c.yaml:2: alarm a: criteria longer than 16384 characters"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseConfD(tc.file, []byte(tc.in))
			if tc.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
					t.Fatalf("err = %v, want prefix %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %#v\nwant %#v", got, tc.want)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestLoadConfD(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"b-mem.yaml":  "type: agent.memory\nperiod: 30\n",
		"a-cpu.yaml":  "type: agent.cpu\n",
		"bad.yaml":    "type: agent.cpu\nperiod: 0\n",
		"notes.txt":   "type: agent.cpu\n",
		"broken.yaml": "type: : :\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "dir.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	defs, errs := LoadConfD(dir)
	if len(defs) != 2 || defs[0].ID != "confd-a-cpu" || defs[1].ID != "confd-b-mem" {
		t.Fatalf("defs = %+v", defs)
	}
	if len(errs) != 2 || !strings.HasPrefix(errs[0].Error(), "conf.d: bad.yaml:2: period 0 must be") ||
		!strings.HasPrefix(errs[1].Error(), "conf.d: broken.yaml: yaml: mapping values are not allowed") {
		t.Fatalf("errs = %v", errs)
	}
	_, errs = LoadConfD(filepath.Join(dir, "missing"))
	if len(errs) != 1 || !errors.Is(errs[0], fs.ErrNotExist) {
		t.Errorf("missing dir errs = %v", errs)
	}
}

func FuzzParseConfD(f *testing.F) {
	f.Add([]byte("type: agent.cpu\nperiod: 30\ntimeout: 10\n"))
	f.Add([]byte("type: agent.plugin\ndetails: {file: x.sh, args: [a]}\nalarms: {a: {criteria: x}}\n"))
	f.Add([]byte("- 1\n"))
	f.Add([]byte("type: [\n"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, in []byte) {
		def, err := ParseConfD("fuzz.yaml", in)
		if err != nil {
			return
		}
		if err := def.Validate(); err != nil {
			t.Fatalf("parsed def does not validate: %v", err)
		}
		if def.ID != "confd-fuzz" || def.Source != "confd:fuzz.yaml" {
			t.Fatalf("id %q source %q", def.ID, def.Source)
		}
	})
}

func TestDefaultChecks(t *testing.T) {
	defs := DefaultChecks(testSnapshot(), "eth0")
	wantIDs := []string{"default-cpu", "default-memory", "default-load", "default-filesystem-root", "default-network-eth0"}
	if len(defs) != len(wantIDs) {
		t.Fatalf("got %d defs", len(defs))
	}
	for i, d := range defs {
		if d.ID != wantIDs[i] || d.Source != SourceDefault || len(d.Alarms) != 1 {
			t.Errorf("def %d = %+v", i, d)
		}
		if err := d.Validate(); err != nil {
			t.Errorf("%s: %v", d.ID, err)
		}
		for _, a := range d.Alarms {
			if !strings.Contains(a.Criteria, "return new AlarmStatus(") {
				t.Errorf("%s criteria %q", d.ID, a.Criteria)
			}
		}
	}
	if defs[3].Period != time.Minute || defs[0].Period != 30*time.Second {
		t.Errorf("periods %v %v", defs[3].Period, defs[0].Period)
	}
	if c := defs[2].Alarms["load"].Criteria; !strings.Contains(c, "metric['1m'] > 8)") || !strings.Contains(c, "metric['5m'] > 4)") {
		t.Errorf("load criteria for 4 cores: %s", c)
	}
	if c := defs[0].Alarms["cpu-usage"].Criteria; !strings.Contains(c, "metric['usage_average'] > 90") || !strings.Contains(c, "metric['usage_average'] > 75") {
		t.Errorf("cpu criteria: %s", c)
	}
	if c := defs[3].Alarms["filesystem-usage"].Criteria; !strings.Contains(c, "percentage(metric['used'], metric['total']) > 90") {
		t.Errorf("filesystem criteria: %s", c)
	}
	// No snapshot, no interface: cpu, memory, load, "/"; no root mount: no filesystem.
	if n := len(DefaultChecks(nil, "")); n != 4 {
		t.Errorf("nil snapshot: %d defs", n)
	}
	if n := len(DefaultChecks(&collector.Snapshot{}, "")); n != 3 {
		t.Errorf("no mounts: %d defs", n)
	}
}
