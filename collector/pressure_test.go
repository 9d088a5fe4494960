package collector

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParsePSI(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		want     PSI
		wantErr  bool
	}{
		{name: "some and full", in: "some avg10=1.50 avg60=0.25 avg300=0.00 total=12345\nfull avg10=0.10 avg60=0.20 avg300=0.30 total=1\n",
			want: PSI{SomeAvg10: 1.5, SomeAvg60: 0.25, FullAvg10: 0.1, FullAvg60: 0.2, FullAvg300: 0.3, HasFull: true}},
		{name: "cpu before 5.13: no full line", in: "some avg10=5.00 avg60=4.00 avg300=3.00 total=9\n",
			want: PSI{SomeAvg10: 5, SomeAvg60: 4, SomeAvg300: 3}},
		{name: "keys in another order, one unknown", in: "some total=1 avg300=3 avg60=2 avg10=1 extra=7\n",
			want: PSI{SomeAvg10: 1, SomeAvg60: 2, SomeAvg300: 3}},
		{name: "another kind of line is ignored", in: "some avg10=1 avg60=1 avg300=1 total=0\nlater avg10=x\n",
			want: PSI{SomeAvg10: 1, SomeAvg60: 1, SomeAvg300: 1}},
		{name: "no some line", in: "full avg10=0 avg60=0 avg300=0 total=0\n", wantErr: true},
		{name: "empty", in: "", wantErr: true},
		{name: "missing avg", in: "some avg10=1 avg60=1 total=0\n", wantErr: true},
		{name: "not a number", in: "some avg10=1,5 avg60=1 avg300=1 total=0\n", wantErr: true},
		{name: "negative", in: "some avg10=-1 avg60=1 avg300=1 total=0\n", wantErr: true},
		{name: "above 100", in: "some avg10=100.01 avg60=1 avg300=1 total=0\n", wantErr: true},
		{name: "NaN", in: "some avg10=NaN avg60=1 avg300=1 total=0\n", wantErr: true},
		{name: "no =", in: "some avg10 avg60=1 avg300=1\n", wantErr: true},
	} {
		got, err := parsePSI([]byte(tt.in))
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err %v, wantErr %v", tt.name, err, tt.wantErr)
			continue
		}
		if got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// TestPressureSource: host PSI of a recent and an older kernel; a host
// without PSI gives none and no error; a malformed or half-present
// pressure directory is an error naming the file.
func TestPressureSource(t *testing.T) {
	collect := func(t *testing.T, procRoot string) (*Snapshot, error) {
		t.Helper()
		var s Snapshot
		err := newPressureSource(Options{ProcRoot: procRoot}).Collect(context.Background(), &s)
		return &s, err
	}
	s, err := collect(t, "testdata/pressure/psi-6.1/proc")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "6.1", s.Pressure, &Pressure{
		CPU:    psiFull([3]float64{21.34, 19.4, 8.22}, [3]float64{}),
		Memory: psiFull([3]float64{0.45, 0.54, 0.23}, [3]float64{0, 0.14, 0.06}),
		IO:     psiFull([3]float64{1.14, 0.58, 0.42}, [3]float64{0.24, 0.15, 0.06}),
	})
	s, err = collect(t, "testdata/pressure/psi-5.10/proc")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "5.10", s.Pressure, &Pressure{
		CPU:    psiOf(5, 4, 3),
		Memory: psiFull([3]float64{}, [3]float64{}),
		IO:     psiFull([3]float64{12.5, 10, 7.5}, [3]float64{6.25, 5, 2.5}),
	})
	if s, err := collect(t, "testdata/basic/step0/proc"); err != nil || s.Pressure != nil {
		t.Errorf("no pressure dir: %+v, %v; want nil and no error", s.Pressure, err)
	}

	bad := t.TempDir()
	copyTree(t, "testdata/pressure/psi-6.1/proc", bad)
	os.WriteFile(filepath.Join(bad, "pressure", "io"), []byte("some avg10=x\n"), 0o644)
	if _, err := collect(t, bad); err == nil || !strings.Contains(err.Error(), filepath.Join("pressure", "io")) {
		t.Errorf("malformed io: err %v, want one naming pressure/io", err)
	}
	os.Remove(filepath.Join(bad, "pressure", "io"))
	if _, err := collect(t, bad); err == nil {
		t.Error("io missing beside cpu and memory: want an error")
	}
}
