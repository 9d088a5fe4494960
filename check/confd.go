package check

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/virgo-top/virgo-top/collector"
)

// MaxConfDFile bounds the size of one conf.d file.
const MaxConfDFile = 1 << 20

// MaxCriteriaLen is the alarm language's limit on criteria text.
const MaxCriteriaLen = 16384

// DefaultConfDPeriod is the period of a conf.d check that sets none.
const DefaultConfDPeriod = 60 * time.Second

// confdFile is a conf.d document with Virgo's keys. Keys that only matter
// to remote checks are accepted and ignored.
type confdFile struct {
	Type         string                `yaml:"type"`
	Label        string                `yaml:"label"`
	Period       *float64              `yaml:"period"`
	Timeout      *float64              `yaml:"timeout"`
	TargetAlias  string                `yaml:"target_alias"`
	Details      map[string]any        `yaml:"details"`
	Disabled     bool                  `yaml:"disabled"`
	Alarms       map[string]confdAlarm `yaml:"alarms"`
	ZonesPoll    any                   `yaml:"monitoring_zones_poll"`
	TargetHost   any                   `yaml:"target_hostname"`
	TargetResolv any                   `yaml:"target_resolver"`
}

type confdAlarm struct {
	Label              string `yaml:"label"`
	NotificationPlanID any    `yaml:"notification_plan_id"` // ignored: notify has its own routing
	Criteria           string `yaml:"criteria"`
}

// ConfDID is the check id of conf.d file name: "confd-" and the base name
// without its .yaml extension. It depends on the name only, so a check
// keeps its id (and history) across edits and restarts.
func ConfDID(name string) string {
	return "confd-" + strings.TrimSuffix(filepath.Base(name), ".yaml")
}

// ParseConfD parses one conf.d YAML document (the contents of file name)
// into a Def with Source "confd:<name>". It checks the keys (unknown keys
// are errors, so typos are caught), that the type is one this agent runs,
// period >= 1 s (default 60 s), 0 < timeout <= period (seconds), and
// alarm criteria length. Errors carry the line of the offending key.
func ParseConfD(name string, data []byte) (Def, error) {
	base := filepath.Base(name)
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return Def{}, fmt.Errorf("%s: empty document", base)
		}
		return Def{}, fmt.Errorf("%s: %w", base, err)
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return Def{}, fmt.Errorf("%s:%d: the document must be a mapping of check keys", base, doc.Line)
	}
	var f confdFile
	if err := decodeStrict(data, &f); err != nil {
		return Def{}, fmt.Errorf("%s: %w", base, err)
	}
	at := func(key string) string {
		for i := 0; i+1 < len(doc.Content); i += 2 {
			if doc.Content[i].Value == key {
				return fmt.Sprintf("%s:%d", base, doc.Content[i].Line)
			}
		}
		return base
	}
	def := Def{
		ID:       ConfDID(name),
		Label:    f.Label,
		Type:     f.Type,
		Details:  f.Details,
		Disabled: f.Disabled,
		Source:   SourceConfDPrefix + base,
		Period:   DefaultConfDPeriod,
	}
	if f.Type == "" {
		return Def{}, fmt.Errorf("%s: missing type", base)
	}
	if !KnownType(f.Type) {
		return Def{}, fmt.Errorf("%s: %w %q (known: %s)", at("type"), ErrUnknownType, f.Type, strings.Join(Types(), ", "))
	}
	if f.Period != nil {
		p, err := seconds(*f.Period)
		if err != nil || p < time.Second {
			return Def{}, fmt.Errorf("%s: period %v must be at least 1 second", at("period"), *f.Period)
		}
		def.Period = p
	}
	if f.Timeout != nil {
		t, err := seconds(*f.Timeout)
		if err != nil || t <= 0 {
			return Def{}, fmt.Errorf("%s: timeout %v must be a positive number of seconds", at("timeout"), *f.Timeout)
		}
		if t > def.Period {
			return Def{}, fmt.Errorf("%s: timeout %v s is longer than the period %v", at("timeout"), *f.Timeout, def.Period)
		}
		def.Timeout = t
	}
	if len(f.Alarms) > 0 {
		def.Alarms = make(map[string]AlarmDef, len(f.Alarms))
		for n, a := range f.Alarms {
			if len(a.Criteria) > MaxCriteriaLen {
				return Def{}, fmt.Errorf("%s: alarm %s: criteria longer than %d characters", at("alarms"), n, MaxCriteriaLen)
			}
			def.Alarms[n] = AlarmDef{Label: a.Label, Criteria: a.Criteria}
		}
	}
	return def, nil
}

// decodeStrict decodes the first document of data into v rejecting
// unknown keys; yaml's errors carry the line.
func decodeStrict(data []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	return dec.Decode(v)
}

func seconds(f float64) (time.Duration, error) {
	if math.IsNaN(f) || f < 0 || f > float64(math.MaxInt64)/float64(time.Second) {
		return 0, fmt.Errorf("%v seconds is out of range", f)
	}
	return time.Duration(f * float64(time.Second)), nil
}

// LoadConfD reads every *.yaml file of dir (sorted by name) as a conf.d
// check. A file that fails is reported in the errors and skipped; the others
// still load. A missing dir is one error wrapping fs.ErrNotExist.
func LoadConfD(dir string) ([]Def, []error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, []error{fmt.Errorf("conf.d: %w", err)}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	var defs []Def
	var errs []error
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		data, err := readCapped(path, MaxConfDFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("conf.d: %w", err))
			continue
		}
		def, err := ParseConfD(e.Name(), data)
		if err != nil {
			errs = append(errs, fmt.Errorf("conf.d: %w", err))
			continue
		}
		defs = append(defs, def)
	}
	return defs, errs
}

func readCapped(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return data, nil
}

// Default check periods.
const (
	DefaultPeriod           = 30 * time.Second
	DefaultFilesystemPeriod = 60 * time.Second
)

// DefaultChecks are the checks an agent runs with no endpoint and no
// conf.d: cpu, memory, load average, the filesystem mounted at "/" (when
// snap has one, or snap is nil) and the interface defaultIface (when not
// empty), each with alarm criteria in the Rackspace language. The load
// thresholds scale with the core count of snap (1 when unknown).
func DefaultChecks(snap *collector.Snapshot, defaultIface string) []Def {
	cores := 1
	if snap != nil {
		if snap.Load.Cores > 0 {
			cores = snap.Load.Cores
		} else if snap.CPU.Cores > 0 {
			cores = snap.CPU.Cores
		}
	}
	defs := []Def{
		{
			ID: "default-cpu", Label: "CPU", Type: TypeCPU, Period: DefaultPeriod, Source: SourceDefault,
			Alarms: map[string]AlarmDef{"cpu-usage": {Label: "CPU usage", Criteria: `if (metric['usage_average'] > 90) {
  return new AlarmStatus(CRITICAL, 'CPU usage is #{usage_average}%');
}
if (metric['usage_average'] > 75) {
  return new AlarmStatus(WARNING, 'CPU usage is #{usage_average}%');
}
return new AlarmStatus(OK, 'CPU usage is #{usage_average}%');
`}},
		},
		{
			ID: "default-memory", Label: "Memory", Type: TypeMemory, Period: DefaultPeriod, Source: SourceDefault,
			Alarms: map[string]AlarmDef{"memory-usage": {Label: "Memory usage", Criteria: `if (percentage(metric['actual_used'], metric['total']) > 95) {
  return new AlarmStatus(CRITICAL, 'Memory usage is above 95%');
}
if (percentage(metric['actual_used'], metric['total']) > 85) {
  return new AlarmStatus(WARNING, 'Memory usage is above 85%');
}
return new AlarmStatus(OK, 'Memory usage is normal');
`}},
		},
		{
			ID: "default-load", Label: "Load average", Type: TypeLoad, Period: DefaultPeriod, Source: SourceDefault,
			Alarms: map[string]AlarmDef{"load": {Label: "Load average", Criteria: fmt.Sprintf(`if (metric['1m'] > %d) {
  return new AlarmStatus(CRITICAL, '1 minute load average is #{1m}');
}
if (metric['5m'] > %d) {
  return new AlarmStatus(WARNING, '5 minute load average is #{5m}');
}
return new AlarmStatus(OK, '1 minute load average is #{1m}');
`, cores*2, cores)}},
		},
	}
	hasRoot := snap == nil
	if snap != nil {
		for _, fs := range snap.Filesystems {
			if fs.Mount == "/" {
				hasRoot = true
			}
		}
	}
	if hasRoot {
		defs = append(defs, Def{
			ID: "default-filesystem-root", Label: "Filesystem /", Type: TypeFilesystem, Period: DefaultFilesystemPeriod,
			Details: map[string]any{"target": "/"}, Source: SourceDefault,
			Alarms: map[string]AlarmDef{"filesystem-usage": {Label: "Filesystem / usage", Criteria: `if (percentage(metric['used'], metric['total']) > 90) {
  return new AlarmStatus(CRITICAL, 'Filesystem / is more than 90% full');
}
if (percentage(metric['used'], metric['total']) > 80) {
  return new AlarmStatus(WARNING, 'Filesystem / is more than 80% full');
}
return new AlarmStatus(OK, 'Filesystem / has room');
`}},
		})
	}
	if defaultIface != "" {
		defs = append(defs, Def{
			ID: "default-network-" + defaultIface, Label: "Network " + defaultIface, Type: TypeNetwork, Period: DefaultPeriod,
			Details: map[string]any{"target": defaultIface}, Source: SourceDefault,
			Alarms: map[string]AlarmDef{"link": {Label: "Link " + defaultIface, Criteria: `if (metric['link_state'] == 'down') {
  return new AlarmStatus(CRITICAL, 'Link is down');
}
return new AlarmStatus(OK, 'Link is #{link_state}');
`}},
		})
	}
	return defs
}
