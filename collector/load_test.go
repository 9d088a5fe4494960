package collector

import "testing"

func TestParseLoadavg(t *testing.T) {
	tests := []struct {
		in      string
		want    Load
		wantErr bool
	}{
		{in: "0.36 0.45 0.22 3/99 23261\n", want: Load{Load1: 0.36, Load5: 0.45, Load15: 0.22}},
		{in: "12.00 8.50 4.25", want: Load{Load1: 12, Load5: 8.5, Load15: 4.25}},
		{in: "", wantErr: true},
		{in: "0.1 0.2", wantErr: true},
		{in: "0.1 x 0.3 1/1 1", wantErr: true},
		{in: "-1 0 0 1/1 1", wantErr: true},
		{in: "NaN 0 0", wantErr: true},
		{in: "Inf 0 0", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseLoadavg(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseLoadavg(%q) err = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if got != tt.want {
			t.Errorf("parseLoadavg(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}
