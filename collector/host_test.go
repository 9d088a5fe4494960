package collector

import "testing"

func TestParseOSRelease(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want osRelease
	}{
		{"NAME=\"Ubuntu\"\nID=ubuntu\nVERSION_ID=\"22.04\"\n", osRelease{id: "ubuntu", versionID: "22.04"}},
		{"ID='alpine'\nVERSION_ID=3.19.1", osRelease{id: "alpine", versionID: "3.19.1"}},
		{"# comment\nID=\"\nbroken\n", osRelease{id: "\""}},
		{"", osRelease{}},
	} {
		if got := parseOSRelease([]byte(tt.in)); got != tt.want {
			t.Errorf("parseOSRelease(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseUptime(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    uint64
		wantErr bool
	}{
		{"2924.43 5622.57\n", 2924, false},
		{"0.99", 0, false},
		{"", 0, true},
		{"-5 1", 0, true},
		{"NaN 1", 0, true},
		{"abc", 0, true},
	} {
		got, err := parseUptime(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseUptime(%q) = %d, %v; want %d, err %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
