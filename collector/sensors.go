package collector

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// sensorsEvery is how often temperatures and batteries are read: they
// change slowly, and a laptop's hwmon and ACPI reads cost more than the
// rest of a sample. Samples in between carry the last reading.
const sensorsEvery = 5 * time.Second

// Temperatures outside this range are a sensor's way of saying it has no
// reading (-128, -273.15, 255.5): left out.
const (
	minTempC = -100
	maxTempC = 250
)

// attrs reads the attributes (files) of one sysfs device directory.
type attrs func(name string) (string, bool)

func dirAttrs(dir string) attrs {
	return func(name string) (string, bool) {
		v, err := readShort(filepath.Join(dir, name))
		return v, err == nil
	}
}

// milli parses a sysfs integer in thousandths (millidegrees, or µW/µA/µV
// scaled by the caller).
func milli(a attrs, name string) (float64, bool) {
	s, ok := a(name)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false
	}
	return float64(v), true
}

// tempSensors reads the temperatures of one hwmon chip: tempN_input (m°C),
// tempN_label (else "tempN"), tempN_max, tempN_crit. idx are the N that
// have an input, in order.
func tempSensors(chip string, idx []int, a attrs) []Sensor {
	var out []Sensor
	for _, n := range idx {
		p := "temp" + strconv.Itoa(n) + "_"
		in, ok := milli(a, p+"input")
		if !ok || in/1000 < minTempC || in/1000 > maxTempC {
			continue
		}
		label, ok := a(p + "label")
		if !ok || label == "" {
			label = "temp" + strconv.Itoa(n)
		}
		s := Sensor{Chip: chip, Label: label, TempC: in / 1000}
		if v, ok := milli(a, p+"max"); ok && v > 0 && v/1000 <= maxTempC {
			s.HighC = v / 1000
		}
		if v, ok := milli(a, p+"crit"); ok && v > 0 && v/1000 <= maxTempC {
			s.CritC = v / 1000
		}
		out = append(out, s)
	}
	return out
}

// tempIndexes lists the N of the tempN_input files among names, sorted.
func tempIndexes(names []string) []int {
	var idx []int
	for _, n := range names {
		rest, ok := strings.CutPrefix(n, "temp")
		if !ok {
			continue
		}
		num, ok := strings.CutSuffix(rest, "_input")
		if v, err := strconv.Atoi(num); ok && err == nil && v >= 0 {
			idx = append(idx, v)
		}
	}
	slices.Sort(idx)
	return idx
}

// batteryFrom reads one power_supply; ok is false unless it is a battery
// of the system (type Battery, not a peripheral's: scope Device) that is
// present and says how full it is.
func batteryFrom(name string, a attrs) (Battery, bool) {
	if t, _ := a("type"); t != "Battery" {
		return Battery{}, false
	}
	if scope, _ := a("scope"); scope == "Device" {
		return Battery{}, false // a mouse's or a headset's
	}
	if p, ok := a("present"); ok && p == "0" {
		return Battery{}, false
	}
	b := Battery{Name: name, Status: "Unknown"}
	if st, ok := a("status"); ok && st != "" {
		b.Status = st
	}
	pct, ok := milli(a, "capacity")
	if !ok {
		for _, pair := range [...][2]string{{"energy_now", "energy_full"}, {"charge_now", "charge_full"}} {
			now, ok1 := milli(a, pair[0])
			full, ok2 := milli(a, pair[1])
			if ok1 && ok2 && full > 0 {
				pct, ok = now*100/full, true
				break
			}
		}
	}
	if !ok {
		return Battery{}, false
	}
	b.Percent = math.Max(0, math.Min(100, pct))
	if p, ok := milli(a, "power_now"); ok {
		b.PowerW = math.Abs(p) / 1e6
	} else if i, ok := milli(a, "current_now"); ok {
		if v, ok := milli(a, "voltage_now"); ok {
			b.PowerW = math.Abs(i) * math.Abs(v) / 1e12
		}
	}
	return b, true
}

// sensorSource reads temperatures (SysRoot/class/hwmon, class/thermal)
// and batteries (class/power_supply) at most once every sensorsEvery.
// Absent hardware gives nil, never an error.
type sensorSource struct {
	opts      Options
	last      time.Time
	sensors   []Sensor
	batteries []Battery
}

func newSensorSource(opts Options) *sensorSource { return &sensorSource{opts: opts} }

func (*sensorSource) Name() string { return SourceSensors }

func (ss *sensorSource) Collect(_ context.Context, s *Snapshot) error {
	if runtime.GOOS != "linux" && ss.opts.SysRoot == "" {
		return nil // sysfs is Linux's
	}
	if ss.last.IsZero() || s.Time.Sub(ss.last) >= sensorsEvery || s.Time.Before(ss.last) {
		ss.last = s.Time
		root := ss.opts.sysRoot()
		ss.sensors = readTemperatures(root)
		ss.batteries = readBatteries(root)
	}
	// The slices are shared between snapshots: nobody modifies them.
	s.Sensors, s.Batteries = ss.sensors, ss.batteries
	return nil
}

// classDevices lists the entries of SysRoot/class/<class> that start with
// prefix, sorted by their number (hwmon2 before hwmon10), then name.
func classDevices(sysRoot, class, prefix string) []string {
	ents, err := os.ReadDir(filepath.Join(sysRoot, "class", class))
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) {
			names = append(names, e.Name())
		}
	}
	num := func(s string) int {
		v, err := strconv.Atoi(strings.TrimPrefix(s, prefix))
		if err != nil {
			return -1
		}
		return v
	}
	slices.SortFunc(names, func(a, b string) int {
		if d := num(a) - num(b); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	return names
}

func fileNames(dir string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	return names
}

// readTemperatures reads every hwmon chip, then the thermal zones that no
// hwmon chip already shows: the kernel registers most thermal zones as an
// hwmon chip named after the zone's type ('-' made '_'), and x86_pkg_temp
// zones repeat coretemp's "Package id N". A chip name seen twice (two
// NVMe drives) gets "#2", "#3".
func readTemperatures(sysRoot string) []Sensor {
	var out []Sensor
	chips := map[string]int{}
	for _, hw := range classDevices(sysRoot, "hwmon", "hwmon") {
		dir := filepath.Join(sysRoot, "class", "hwmon", hw)
		name, err := readShort(filepath.Join(dir, "name"))
		if err != nil || name == "" {
			name = hw
		}
		idx := tempIndexes(fileNames(dir))
		if len(idx) == 0 {
			// Kernels before 3.15 keep the attributes in device/.
			dir = filepath.Join(dir, "device")
			idx = tempIndexes(fileNames(dir))
		}
		if len(idx) == 0 {
			continue
		}
		chips[name]++
		chip := name
		if n := chips[name]; n > 1 {
			chip = name + "#" + strconv.Itoa(n)
		}
		out = append(out, tempSensors(chip, idx, dirAttrs(dir))...)
	}
	for _, tz := range classDevices(sysRoot, "thermal", "thermal_zone") {
		a := dirAttrs(filepath.Join(sysRoot, "class", "thermal", tz))
		typ, _ := a("type")
		if typ == "" {
			typ = tz
		}
		if chips[strings.ReplaceAll(typ, "-", "_")] > 0 || typ == "x86_pkg_temp" && chips["coretemp"] > 0 {
			continue
		}
		t, ok := milli(a, "temp")
		if !ok || t/1000 < minTempC || t/1000 > maxTempC {
			continue
		}
		s := Sensor{Chip: typ, Label: tz, TempC: t / 1000}
		for k := 0; k < 16; k++ {
			p := "trip_point_" + strconv.Itoa(k) + "_"
			kind, ok := a(p + "type")
			if !ok {
				break
			}
			v, ok := milli(a, p+"temp")
			if !ok || v <= 0 || v/1000 > maxTempC {
				continue
			}
			switch kind {
			case "critical":
				s.CritC = v / 1000
			case "hot":
				s.HighC = v / 1000
			}
		}
		out = append(out, s)
	}
	return out
}

// readBatteries reads the system's batteries from class/power_supply.
func readBatteries(sysRoot string) []Battery {
	var out []Battery
	for _, ps := range classDevices(sysRoot, "power_supply", "") {
		if b, ok := batteryFrom(ps, dirAttrs(filepath.Join(sysRoot, "class", "power_supply", ps))); ok {
			out = append(out, b)
		}
	}
	return out
}
