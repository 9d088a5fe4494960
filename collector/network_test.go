package collector

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestParseNetDev(t *testing.T) {
	in := "Inter-|   Receive                                                |  Transmit\n" +
		" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n" +
		"    lo:    10 1 0 0 0 0 0 0 10 1 0 0 0 0 0 0\n" +
		"  eth0:171611949 12673 2 3 21 22 23 24 1282481 11571 4 5 25 26 27 28\n"
	got, err := parseNetDev([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "ifs", got, []netCounters{
		{name: "lo", rxBytes: 10, rxPackets: 1, txBytes: 10, txPackets: 1},
		// fifo, frame, (compressed, multicast), ..., fifo, colls, carrier
		// (compressed): as sigar_net_interface_stat_get reads them.
		{name: "eth0", rxBytes: 171611949, rxPackets: 12673, rxErrors: 2, rxDropped: 3,
			txBytes: 1282481, txPackets: 11571, txErrors: 4, txDropped: 5,
			rxFifo: 21, rxFrame: 22, txFifo: 25, txColls: 26, txCarrier: 27},
	})
	for _, bad := range []string{
		"eth0: 1 2 3\n",
		"eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 x\n",
		" : 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
	} {
		if _, err := parseNetDev([]byte(bad)); err == nil {
			t.Errorf("parseNetDev(%q): want error", bad)
		}
	}
}

func TestNetFrom(t *testing.T) {
	prev := netCounters{name: "eth0", rxBytes: 1000, txBytes: 1000, rxPackets: 10}
	cur := netCounters{name: "eth0", rxBytes: 1500, txBytes: 500, rxPackets: 20}
	// tx went backwards (driver reset): 0, not a huge number.
	eq(t, "rates", netFrom(cur, prev, true, 500*time.Millisecond), NetIf{
		Name: "eth0", RxBps: 1000, RxPps: 20, RxBytes: 1500, TxBytes: 500, RxPackets: 20,
	})
}

func TestParseDefaultRoute(t *testing.T) {
	hdr := "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
	for _, tt := range []struct{ name, in, want string }{
		{"one", hdr + "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n", "eth0"},
		{"lowest metric", hdr + "wlan0\t00000000\t01\t0003\t0\t0\t600\t00000000\t0\t0\t0\neth0\t00000000\t01\t0003\t0\t0\t100\t00000000\t0\t0\t0\n", "eth0"},
		{"not up", hdr + "eth0\t00000000\t01\t0002\t0\t0\t0\t00000000\t0\t0\t0\n", ""},
		{"not default", hdr + "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n", ""},
		{"garbage", hdr + "eth0\tzz\n", ""},
		{"empty", "", ""},
	} {
		if got := parseDefaultRoute([]byte(tt.in)); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestLinkState(t *testing.T) {
	sys := t.TempDir()
	put := func(name, file, val string) {
		dir := filepath.Join(sys, "class", "net", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, file), []byte(val+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	put("a", "operstate", "up")
	put("b", "operstate", "lowerlayerdown")
	put("c", "operstate", "unknown")
	put("c", "carrier", "1")
	put("d", "operstate", "dormant")
	put("d", "carrier", "0")
	put("e", "operstate", "unknown") // no carrier (admin down)
	for name, want := range map[string]string{"a": "up", "b": "down", "c": "up", "d": "down", "e": "unknown", "missing": "unknown"} {
		if got := linkState(sys, name); got != want {
			t.Errorf("linkState(%s) = %q, want %q", name, got, want)
		}
	}
}

// sampleSigarTree samples one canned tree of testdata/sigar with only the
// given sources (the trees feed sigar's formulas with known answers).
func sampleSigarTree(t *testing.T, tree string, sources ...string) *Snapshot {
	t.Helper()
	dir := filepath.Join("testdata", "sigar", tree)
	s := newSampler(Options{ProcRoot: filepath.Join(dir, "proc"), SysRoot: filepath.Join(dir, "sys"), Sources: sources}, fixtureSystem())
	snap := s.SampleAt(context.Background(), t0)
	if snap.Errors != nil {
		t.Fatalf("%s: %v", tree, snap.Errors)
	}
	return snap
}

// TestSigarNetworkTree: the counters of testdata/sigar/vm's net/dev as
// sigar names them (rx fifo = rx_overruns, tx fifo = tx_overruns, colls =
// tx_collisions); lo as in the original's hostinfo/debug/NETWORK.json.
func TestSigarNetworkTree(t *testing.T) {
	eq(t, "network", sampleSigarTree(t, "vm", SourceNetwork).Network, []NetIf{
		{Name: "eth0", RxBytes: 1418347018, RxPackets: 3742720, RxErrors: 1, RxDropped: 2, RxOverruns: 3, RxFrame: 4,
			TxBytes: 567469458, TxPackets: 3454449, TxErrors: 7, TxDropped: 8, TxOverruns: 9, TxCollisions: 10, TxCarrier: 11,
			LinkState: "up"},
		{Name: "lo", RxBytes: 1184, RxPackets: 16, TxBytes: 1184, TxPackets: 16, LinkState: "up"},
	})
}
