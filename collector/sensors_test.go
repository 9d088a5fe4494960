package collector

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestSensorsLaptop(t *testing.T) {
	var s Snapshot
	if err := newSensorSource(Options{SysRoot: "testdata/sensors-laptop/sys"}).Collect(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
	eq(t, "sensors", s.Sensors, []Sensor{
		{Chip: "acpitz", Label: "temp1", TempC: 45, CritC: 105},
		{Chip: "coretemp", Label: "Package id 0", TempC: 52, HighC: 84, CritC: 100},
		{Chip: "coretemp", Label: "Core 0", TempC: 50, HighC: 84, CritC: 100},
		{Chip: "coretemp", Label: "Core 8", TempC: 51.5}, // temp10 after temp2
		// Sensor 2 reads -273.15 °C: no reading, left out.
		{Chip: "nvme", Label: "Composite", TempC: 38.85, HighC: 82.85, CritC: 84.85},
		{Chip: "nvme", Label: "Sensor 1", TempC: 38.85},
		{Chip: "iwlwifi_1", Label: "temp1", TempC: 41}, // hwmon10 after hwmon3
		// thermal_zone0 (acpitz) and thermal_zone1 (x86_pkg_temp, coretemp's
		// package) are hwmon chips already; pch_skylake is not.
		{Chip: "pch_skylake", Label: "thermal_zone2", TempC: 48.5, HighC: 100, CritC: 115},
	})
	eq(t, "batteries", s.Batteries, []Battery{
		{Name: "BAT0", Percent: 87, Status: "Discharging", PowerW: 9.876},
		// No capacity: charge_now/charge_full; current (negative on
		// some drivers) times voltage.
		{Name: "BAT1", Percent: 50, Status: "Charging", PowerW: 18},
		// AC is mains, hidpp_battery_0 a mouse's (scope Device).
	})
}

func TestSensorsServer(t *testing.T) {
	var s Snapshot
	if err := newSensorSource(Options{SysRoot: "testdata/sensors-server/sys"}).Collect(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
	eq(t, "sensors", s.Sensors, []Sensor{
		{Chip: "coretemp", Label: "Package id 0", TempC: 61, HighC: 89, CritC: 99},
		{Chip: "coretemp", Label: "Core 0", TempC: 58},
		{Chip: "coretemp#2", Label: "Package id 1", TempC: 63, HighC: 89, CritC: 99},
		{Chip: "nvme", Label: "Composite", TempC: 44.85},
		{Chip: "nvme#2", Label: "Composite", TempC: 46.85},
		{Chip: "drivetemp", Label: "temp1", TempC: 35, CritC: 70}, // attributes in device/
	})
	if s.Batteries != nil {
		t.Errorf("batteries %+v on a host without power_supply", s.Batteries)
	}
}

func TestSensorsAbsent(t *testing.T) {
	var s Snapshot
	if err := newSensorSource(Options{SysRoot: t.TempDir()}).Collect(context.Background(), &s); err != nil || s.Sensors != nil || s.Batteries != nil {
		t.Errorf("empty /sys: %v %v %v", s.Sensors, s.Batteries, err)
	}
}

// TestSensorsEvery: sensors are read at most every 5 s; the samples in
// between carry the last reading.
func TestSensorsEvery(t *testing.T) {
	root := t.TempDir()
	copyTree(t, "testdata/sensors-server/sys", root)
	src := newSensorSource(Options{SysRoot: root})
	temp := func(sec int) float64 {
		s := Snapshot{Time: t0.Add(time.Duration(sec) * time.Second)}
		if err := src.Collect(context.Background(), &s); err != nil {
			t.Fatal(err)
		}
		return s.Sensors[0].TempC
	}
	temp(0)
	os.WriteFile(filepath.Join(root, "class", "hwmon", "hwmon0", "temp1_input"), []byte("70000\n"), 0o644)
	if got := temp(4); got != 61 {
		t.Errorf("4 s later: %v °C, want the reading of 0 s (61)", got)
	}
	if got := temp(5); got != 70 {
		t.Errorf("5 s later: %v °C, want a new reading (70)", got)
	}
}

func TestBatteryFrom(t *testing.T) {
	a := func(m map[string]string) attrs {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	for _, tt := range []struct {
		name  string
		attrs map[string]string
		want  Battery
		ok    bool
	}{
		{"energy", map[string]string{"type": "Battery", "energy_now": "30000000", "energy_full": "40000000", "status": "Full"},
			Battery{Name: "B", Percent: 75, Status: "Full"}, true},
		{"over 100 clamps", map[string]string{"type": "Battery", "capacity": "104"}, Battery{Name: "B", Percent: 100, Status: "Unknown"}, true},
		{"not present", map[string]string{"type": "Battery", "present": "0", "capacity": "50"}, Battery{}, false},
		{"no level", map[string]string{"type": "Battery", "status": "Charging"}, Battery{}, false},
		{"zero full", map[string]string{"type": "Battery", "charge_now": "1", "charge_full": "0"}, Battery{}, false},
		{"ups", map[string]string{"type": "UPS", "capacity": "50"}, Battery{}, false},
	} {
		got, ok := batteryFrom("B", a(tt.attrs))
		if ok != tt.ok || got != tt.want {
			t.Errorf("%s: %+v %v, want %+v %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}
