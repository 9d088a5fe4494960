package collector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path/filepath"
	"strconv"
	"syscall"
)

// psiResources are the resources of a pressure directory, in the order of
// Pressure's fields; the cgroup files are named "<resource>.pressure".
var psiResources = [3]string{"cpu", "memory", "io"}

// parsePSI parses one pressure file:
//
//	some avg10=0.12 avg60=0.05 avg300=0.01 total=123456
//	full avg10=0.00 avg60=0.00 avg300=0.00 total=0
//
// The "some" line is required; "full" is optional (cpu before Linux 5.13).
// total and unknown keys are ignored; a line of another kind is ignored
// too, so a later kernel's additions do not break it.
func parsePSI(data []byte) (PSI, error) {
	var p PSI
	some := false
	for len(data) > 0 {
		var line []byte
		line, data = nextLine(data)
		kind, rest := nextField(line)
		var vals [3]float64
		switch string(kind) {
		case "some":
			some = true
		case "full":
			p.HasFull = true
		default:
			continue
		}
		seen := 0
		for len(rest) > 0 {
			var kv []byte
			kv, rest = nextField(rest)
			if len(kv) == 0 {
				break
			}
			k, v, ok := bytes.Cut(kv, []byte("="))
			if !ok {
				return PSI{}, fmt.Errorf("pressure %s: %q is not key=value", kind, kv)
			}
			i := -1
			switch string(k) {
			case "avg10":
				i = 0
			case "avg60":
				i = 1
			case "avg300":
				i = 2
			}
			if i < 0 {
				continue
			}
			x, err := strconv.ParseFloat(string(v), 64)
			if err != nil || x < 0 || x > 100 || math.IsNaN(x) {
				return PSI{}, fmt.Errorf("pressure %s %s=%q: not a percentage", kind, k, v)
			}
			vals[i] = x
			seen |= 1 << i
		}
		if seen != 7 {
			return PSI{}, fmt.Errorf("pressure %s: want avg10, avg60 and avg300", kind)
		}
		if string(kind) == "some" {
			p.SomeAvg10, p.SomeAvg60, p.SomeAvg300 = vals[0], vals[1], vals[2]
		} else {
			p.FullAvg10, p.FullAvg60, p.FullAvg300 = vals[0], vals[1], vals[2]
		}
	}
	if !some {
		return PSI{}, errors.New("pressure: no \"some\" line")
	}
	return p, nil
}

// absent reports whether err means the file is not there for a reason
// that is no failure: it does not exist (no PSI before Linux 4.20, no
// cgroup controller), or the kernel has the feature turned off (psi=0
// makes reads fail with EOPNOTSUPP).
func absent(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.EOPNOTSUPP)
}

// readPressure reads the three pressure files at paths (cpu, memory, io)
// into buf (reused, returned grown). It returns nil and no error when all
// three are absent; one absent beside others present, or one malformed,
// is an error naming the file.
func readPressure(paths [3]string, buf []byte) (*Pressure, []byte, error) {
	var out Pressure
	dst := [3]*PSI{&out.CPU, &out.Memory, &out.IO}
	found := 0
	var missing error
	for i, p := range paths {
		data, err := readInto(p, buf)
		buf = data[:0]
		if err != nil {
			if absent(err) {
				missing = err
				continue
			}
			return nil, buf, err
		}
		psi, err := parsePSI(data)
		if err != nil {
			return nil, buf, fmt.Errorf("parse %s: %w", p, err)
		}
		*dst[i] = psi
		found++
	}
	switch {
	case found == 0:
		return nil, buf, nil
	case missing != nil:
		return nil, buf, missing
	}
	return &out, buf, nil
}

// pressureSource reads the host's pressure stall information from
// ProcRoot/pressure/{cpu,memory,io}. Hosts without PSI give nil and no
// error.
type pressureSource struct {
	opts  Options
	paths [3]string
	buf   []byte
}

func newPressureSource(opts Options) *pressureSource {
	p := &pressureSource{opts: opts, buf: make([]byte, 0, 256)}
	for i, r := range psiResources {
		p.paths[i] = filepath.Join(opts.procRoot(), "pressure", r)
	}
	return p
}

func (*pressureSource) Name() string { return SourcePressure }

func (p *pressureSource) Collect(_ context.Context, s *Snapshot) error {
	if !p.opts.procFS() {
		return nil // macOS and Windows have no PSI
	}
	pr, buf, err := readPressure(p.paths, p.buf)
	p.buf = buf
	if err != nil {
		return err
	}
	s.Pressure = pr
	return nil
}
