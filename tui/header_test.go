package tui

import (
	"strings"
	"testing"
	"time"
)

func TestHeaderConnection(t *testing.T) {
	const checks = "2/3 checks not OK: 1 WARNING 1 UNKNOWN"
	tests := []struct {
		st   ConnStatus
		want string
	}{
		{ConnStatus{Mode: ModeFixture, Endpoint: "127.0.0.1:4001", State: ConnConnected, RTT: time.Millisecond},
			checks + " │ ◆ fixture ● connected to 127.0.0.1:4001 rtt 1ms │ trends live │ sample 11:59:58 │ every 5s"},
		{ConnStatus{Mode: ModeLocal}, checks + " │ ◆ local mode (no endpoint) │ trends live │ sample 11:59:58 │ every 5s"},
		{ConnStatus{Mode: ModeEndpoint, Endpoint: "ep:443", State: ConnConnected, RTT: 42 * time.Millisecond},
			checks + " │ ● connected to ep:443 rtt 42ms │ trends live │ sample 11:59:58 │ every 5s"},
		{ConnStatus{Mode: ModeEndpoint, Endpoint: "ep:443", State: ConnConnected, Spooled: 3},
			checks + " │ ● connected to ep:443  spooled 3 │ trends live │ sample 11:59:58 │ every 5s"},
		{ConnStatus{Mode: ModeEndpoint, Endpoint: "ep:443", State: ConnReconnecting, RetryIn: 4600 * time.Millisecond, Spooled: 12, Err: "dial tcp: refused"},
			checks + " │ ◌ reconnecting to ep:443 in 5s  spooled 12  dial tcp: refused │ trends live │ sample 11:59:58 │ every 5s"},
		{ConnStatus{Mode: ModeEndpoint, Endpoint: "ep:443", State: ConnOffline, Spooled: 7},
			checks + " │ ○ offline (ep:443)  spooled 7 │ trends live │ sample 11:59:58 │ every 5s"},
		{ConnStatus{Mode: ModeEndpoint, Endpoint: "ep:443", State: ConnConnecting},
			checks + " │ ◌ connecting to ep:443…  spooled 0 │ trends live │ sample 11:59:58 │ every 5s"},
		{ConnStatus{Mode: ModeEndpoint, Endpoint: "ep:443", State: ConnConnected, Dead: 2, Degraded: "spool in memory only: no space left on device"},
			checks + " │ ● connected to ep:443  dead letters 2  ⚠ spool in memory only: no space left on device │ trends live │ sample 11:59:58 │ every 5s"},
		{ConnStatus{}, checks + " │ trends live │ sample 11:59:58 │ every 5s"},
	}
	for _, tt := range tests {
		m := step(newTestModel(t, 200, 50, 5), ConnMsg{Status: tt.st})
		got := strings.TrimRight(strings.Split(screen(m), "\n")[1], " ")
		if got != tt.want {
			t.Errorf("%+v:\n got %q\nwant %q", tt.st, got, tt.want)
		}
	}
}

func TestHeaderPausedAndNarrow(t *testing.T) {
	m := press(newTestModel(t, 200, 50, 5), "p")
	if l := strings.Split(screen(m), "\n")[1]; !strings.HasPrefix(l, " PAUSED  │ 2/3 checks not OK: 1 WARNING 1 UNKNOWN │ ● connected") {
		t.Errorf("paused header: %q", l)
	}
	// At 60 columns OS/kernel, uptime and clock give way to the load.
	m = step(m, sizeMsg(60, 20))
	if l := strings.TrimRight(strings.Split(screen(m), "\n")[0], " "); l != "virgo-top │ web-01 │ load 1.25 0.90 0.75 (8 cores)" {
		t.Errorf("narrow header: %q", l)
	}
}
