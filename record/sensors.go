package record

import (
	"slices"

	"github.com/virgo-top/virgo-top/collector"
)

// sensorKeys are the text of a sensors record: which sensors and
// batteries, with the batteries' status. They are written when they
// change; the readings in between are numbers only.
type sensorKeys struct {
	sensors   []sensorKey
	batteries []batteryKey
}

type sensorKey struct{ Chip, Label string }

type batteryKey struct{ Name, Status string }

func (k *sensorKeys) of(ss []collector.Sensor, bs []collector.Battery) {
	k.sensors, k.batteries = k.sensors[:0], k.batteries[:0]
	for _, s := range ss {
		k.sensors = append(k.sensors, sensorKey{s.Chip, s.Label})
	}
	for _, b := range bs {
		k.batteries = append(k.batteries, batteryKey{b.Name, b.Status})
	}
}

func (k *sensorKeys) equal(o *sensorKeys) bool {
	return slices.Equal(k.sensors, o.sensors) && slices.Equal(k.batteries, o.batteries)
}

func (k *sensorKeys) clone() sensorKeys {
	return sensorKeys{slices.Clone(k.sensors), slices.Clone(k.batteries)}
}

func (k *sensorKeys) encode(e *enc) {
	e.uvarint(uint64(len(k.sensors)))
	for _, s := range k.sensors {
		e.str(s.Chip)
		e.str(s.Label)
	}
	e.uvarint(uint64(len(k.batteries)))
	for _, b := range k.batteries {
		e.str(b.Name)
		e.str(b.Status)
	}
}

func (k *sensorKeys) decode(d *dec) {
	n := min(d.count(2), maxDevs)
	k.sensors = k.sensors[:0]
	for i := 0; i < n && d.err == nil; i++ {
		k.sensors = append(k.sensors, sensorKey{Chip: d.str(), Label: d.str()})
	}
	n = min(d.count(2), maxDevs)
	k.batteries = k.batteries[:0]
	for i := 0; i < n && d.err == nil; i++ {
		k.batteries = append(k.batteries, batteryKey{Name: d.str(), Status: d.str()})
	}
}

// sensorValues appends the readings, x100: per sensor its temperature,
// high and critical thresholds; per battery its percent and watts.
func sensorValues(dst []uint64, ss []collector.Sensor, bs []collector.Battery) []uint64 {
	for _, s := range ss {
		dst = append(dst, q100(s.TempC), q100(s.HighC), q100(s.CritC))
	}
	for _, b := range bs {
		dst = append(dst, q100(b.Percent), q100(b.PowerW))
	}
	return dst
}

func (k *sensorKeys) values() int { return 3*len(k.sensors) + 2*len(k.batteries) }

// readings are the Sensors and Batteries of keys k and values v.
func (k *sensorKeys) readings(v []uint64) ([]collector.Sensor, []collector.Battery) {
	var ss []collector.Sensor
	var bs []collector.Battery
	if len(k.sensors) > 0 {
		ss = make([]collector.Sensor, len(k.sensors))
		for i, s := range k.sensors {
			ss[i] = collector.Sensor{Chip: s.Chip, Label: s.Label, TempC: uq100(v[3*i]), HighC: uq100(v[3*i+1]), CritC: uq100(v[3*i+2])}
		}
	}
	if len(k.batteries) > 0 {
		bs = make([]collector.Battery, len(k.batteries))
		o := 3 * len(k.sensors)
		for i, b := range k.batteries {
			bs[i] = collector.Battery{Name: b.Name, Status: b.Status, Percent: uq100(v[o+2*i]), PowerW: uq100(v[o+2*i+1])}
		}
	}
	return ss, bs
}
