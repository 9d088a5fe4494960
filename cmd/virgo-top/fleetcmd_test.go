package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/fleet"
	"github.com/virgo-top/virgo-top/fleet/fleettest"
)

func TestFleetOnceJSON(t *testing.T) {
	now := time.Now()
	F := fleettest.F
	e := fleettest.New([]fleettest.Host{
		{Name: "ok1", CPU: F(10), WorstAlarm: F(0), LastSample: now, Seen: now},
		{Name: "bad1", CPU: F(90), WorstAlarm: F(2), NotOK: F(1), LastSample: now, Seen: now},
	})
	defer e.Close()
	tok := filepath.Join(t.TempDir(), "tok")
	os.WriteFile(tok, []byte("sekrit-bearer\n"), 0o600)
	var out, errb bytes.Buffer
	code := run([]string{"fleet", "--prometheus", e.URL, "--once", "--json", "--bearer-token-file", tok,
		"--header", "X-Scope-OrgID: t1", "--time", "now"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var hosts []map[string]any
	if err := json.Unmarshal(out.Bytes(), &hosts); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if len(hosts) != 2 || hosts[0]["host"] != "bad1" || hosts[0]["alarm"] != "CRITICAL" {
		t.Fatalf("hosts %v", hosts)
	}
	for _, c := range fleet.Columns {
		if _, ok := hosts[0][c]; !ok {
			t.Errorf("field %q missing", c)
		}
	}
	h := e.Headers()[0]
	if h.Get("Authorization") != "Bearer sekrit-bearer" || h.Get("X-Scope-OrgID") != "t1" {
		t.Errorf("headers %v", h)
	}
	if strings.Contains(out.String()+errb.String(), "sekrit") {
		t.Error("the token was printed")
	}

	// A failing query: exit 1 with the engine's message.
	e.SetFail("many-to-many matching not allowed")
	out.Reset()
	errb.Reset()
	if code := run([]string{"fleet", "--prometheus", e.URL, "--once", "--json"}, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "many-to-many matching not allowed") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}

func TestFleetUsage(t *testing.T) {
	for _, args := range [][]string{
		{"fleet", "--prometheus", "http://127.0.0.1:1", "--once", "--refresh", "1s"},
		{"fleet", "--prometheus", "http://127.0.0.1:1", "--once", "--host-label", "bad-label"},
		{"fleet", "--prometheus", "http://127.0.0.1:1", "--json"},
		{"fleet", "--prometheus", "http://127.0.0.1:1", "--once", "--sort", "nope"},
		{"fleet", "--prometheus", "http://127.0.0.1:1", "--once", "--header", "nocolon"},
		{"fleet", "--prometheus", "http://u:pw-in-url@127.0.0.1:1", "--once"},
		{"fleet", "--config", "/nonexistent/virgo-top.cfg", "--once"},
		{"fleet", "--prometheus", "http://127.0.0.1:1", "--once", "--time", "NaN"},
		{"fleet", "--prometheus", "http://127.0.0.1:1", "--once", "--time", "-Inf"},
	} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d (%s)", args, code, errb.String())
		}
		if strings.Contains(errb.String(), "pw-in-url") {
			t.Errorf("%v: password printed: %s", args, errb.String())
		}
	}
}

func TestFleetInRootHelp(t *testing.T) {
	var out, errb bytes.Buffer
	run([]string{"--help"}, &out, &errb)
	if !strings.Contains(out.String(), "\n  fleet ") {
		t.Errorf("virgo-top --help does not list fleet:\n%s", out.String())
	}
}
