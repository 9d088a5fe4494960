package check

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// apacheConf is a minimal apache2 configuration: mod_status on a loopback
// port, everything in dir.
func apacheConf(dir string, port int, mpm string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ServerRoot %q\nServerName 127.0.0.1\nListen 127.0.0.1:%d\n", dir, port)
	// The document root is one the workers can read when apache drops
	// root (the temp dir is 0700); nothing is served from it.
	fmt.Fprintf(&b, "PidFile %q\nErrorLog %q\nDefaultRuntimeDir %q\nDocumentRoot %q\n",
		filepath.Join(dir, "apache.pid"), filepath.Join(dir, "error.log"), dir, filepath.Dir(apacheModules))
	fmt.Fprintf(&b, "LoadModule %s_module %q\n", "mpm_"+mpm, filepath.Join(apacheModules, "mod_mpm_"+mpm+".so"))
	fmt.Fprintf(&b, "LoadModule status_module %q\n", filepath.Join(apacheModules, "mod_status.so"))
	fmt.Fprintf(&b, "LoadModule authz_core_module %q\n", filepath.Join(apacheModules, "mod_authz_core.so"))
	if os.Geteuid() == 0 {
		// Apache drops root for its workers.
		b.WriteString("User nobody\nGroup nogroup\n")
	}
	b.WriteString("ExtendedStatus On\nStartServers 1\n<Location /server-status>\n  SetHandler server-status\n  Require all granted\n</Location>\n")
	return b.String()
}

// apacheModules is where Debian's apache2 keeps its modules.
const apacheModules = "/usr/lib/apache2/modules"

// TestApacheAgainstApache2 starts apache2 with mod_status and compares
// the check's metrics with the server's own server-status?auto: exactly,
// on a page the server served (replayed to the check), and live, where
// counters must lie between the server's readings before and after.
func TestApacheAgainstApache2(t *testing.T) {
	bin := serverBinary(t, "apache2")
	if _, err := os.Stat(filepath.Join(apacheModules, "mod_status.so")); err != nil {
		if os.Getenv("VIRGO_CI") != "" {
			t.Fatalf("apache2's mod_status is missing: %v", err)
		}
		t.Skipf("apache2's mod_status is missing: %v", err)
	}
	dir := t.TempDir()
	port := freePort(t)
	conf := filepath.Join(dir, "httpd.conf")
	if err := os.WriteFile(conf, []byte(apacheConf(dir, port, "event")), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startServer(t, dir, bin, "-f", conf, "-DFOREGROUND")
	url := fmt.Sprintf("http://127.0.0.1:%d/server-status?auto", port)
	// Apache leaves out ReqPerSec, BytesPerSec and BytesPerReq while its
	// uptime is 0 s (and prints CPULoad as "0.e+79"): ready once they show.
	p.waitReady(t, "apache2", func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if !strings.Contains(string(b), "\nReqPerSec:") {
			return fmt.Errorf("no ReqPerSec yet (HTTP %d)", resp.StatusCode)
		}
		return nil
	})
	serverPage := func() string {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("server-status: %d %v", resp.StatusCode, err)
		}
		return string(b)
	}

	// Exactly: the check reads a page apache2 served.
	page := serverPage()
	fields := apachePageFields(page)
	if fields["Scoreboard"] == "" || fields["ReqPerSec"] == "" {
		t.Fatalf("apache2's page lacks the ExtendedStatus fields:\n%s", page)
	}
	replay := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, page) }))
	defer replay.Close()
	r := runDetails(t, TypeApache, map[string]any{"url": replay.URL + "/server-status?auto"})
	if !r.Available {
		t.Fatalf("unavailable: %q", r.Status)
	}
	got := metricMap(r)
	if want := fmt.Sprintf("Handling %.2f requests per second", num(t, fields["ReqPerSec"])); r.Status != want {
		t.Errorf("status %q, want %q", r.Status, want)
	}
	if vhost := strings.SplitN(page, "\n", 2)[0]; got["vhost"].Value != vhost || got["vhost"].Type != TypeString {
		t.Errorf("vhost %v, page starts %q", got["vhost"], vhost)
	}
	for _, f := range apacheFields {
		v, ok := fields[strings.ReplaceAll(f.key, "_", " ")]
		if !ok {
			v, ok = fields[f.key]
		}
		g, has := got[f.name]
		if !ok {
			if has {
				t.Errorf("%s reported, but the page has no %s", f.name, f.key)
			}
			continue
		}
		want := v
		if f.typ != TypeDouble {
			want = strconv.FormatUint(uint64(num(t, v)), 10)
		}
		if !has || num(t, g.Value) != num(t, want) || g.Type != f.typ || g.Unit != f.unit {
			t.Errorf("%s = %v, page says %s: %q (want %s %s)", f.name, g, f.key, v, f.typ, f.unit)
		}
	}
	board := fields["Scoreboard"]
	total := uint64(0)
	for _, s := range apacheScoreboard {
		g := got[s.name]
		want := strings.Count(board, string(s.c))
		if g.Value != strconv.Itoa(want) || g.Type != TypeUint64 {
			t.Errorf("%s = %v, scoreboard has %d %q", s.name, g, want, s.c)
		}
		total += uint64(num(t, g.Value))
	}
	if total != uint64(len(board)) {
		t.Errorf("scoreboard counts add to %d, the board has %d slots", total, len(board))
	}

	// Live: counters between the server's readings around the run.
	before := apachePageFields(serverPage())
	r = runDetails(t, TypeApache, map[string]any{"url": url})
	after := apachePageFields(serverPage())
	if !r.Available || !strings.HasPrefix(r.Status, "Handling ") {
		t.Fatalf("live: %v %q", r.Available, r.Status)
	}
	got = metricMap(r)
	for _, c := range []struct{ name, key string }{
		{"total_accesses", "Total Accesses"}, {"total_kbytes", "Total kBytes"}, {"uptime", "Uptime"},
	} {
		v, lo, hi := num(t, got[c.name].Value), num(t, before[c.key]), num(t, after[c.key])
		if v < lo || v > hi {
			t.Errorf("live %s = %v, server said %v then %v", c.name, v, lo, hi)
		}
	}
}

// apachePageFields splits a ?auto page into its "Key: value" fields.
func apachePageFields(page string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(page, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

// TestApachePages table-tests the parse and the statuses on canned pages.
func TestApachePages(t *testing.T) {
	// Apache 2.2's page: no vhost line, fractions written without the 0.
	const old = "Total Accesses: 33742435\nTotal kBytes: 1471296\nCPULoad: .0213\nUptime: 246417\n" +
		"ReqPerSec: 136.982\nBytesPerSec: 6114.2\nBytesPerReq: .5\nBusyWorkers: 3\nIdleWorkers: 7\n" +
		"Scoreboard: _W_K..RSDCLGI_\n"
	for _, tc := range []struct {
		name   string
		code   int
		page   string
		status string
		want   []Metric
	}{
		{name: "apache 2.2", code: 200, page: old, status: "Handling 136.98 requests per second", want: []Metric{
			m("total_accesses", TypeGauge, "33742435", "accesses"),
			m("total_kbytes", TypeUint64, "1471296", "kilobytes"),
			m("cpu_load", TypeDouble, "0.0213", "percent"),
			m("uptime", TypeUint64, "246417", "seconds"),
			m("requests_per_second", TypeDouble, "136.982", "requests"),
			m("bytes_per_second", TypeUint64, "6114", "bytes"),
			m("bytes_per_request", TypeUint64, "0", "bytes"),
			m("busy_workers", TypeUint64, "3", "workers"),
			m("idle_workers", TypeUint64, "7", "workers"),
			m("waiting", TypeUint64, "3", ""), m("starting", TypeUint64, "1", ""),
			m("reading", TypeUint64, "1", ""), m("sending", TypeUint64, "1", ""),
			m("keepalive", TypeUint64, "1", ""), m("dns", TypeUint64, "1", ""),
			m("closing", TypeUint64, "1", ""), m("logging", TypeUint64, "1", ""),
			m("gracefully_finishing", TypeUint64, "1", ""), m("idle", TypeUint64, "1", ""),
			m("open", TypeUint64, "2", ""),
		}},
		{name: "vhost, no ReqPerSec, CRLF, last line unterminated", code: 200,
			page:   "www.example.com\r\nServerVersion: Apache/2.4\r\nTotal Accesses: 9\r\nBusyWorkers: x\r\nIdleWorkers: 2",
			status: StatusSuccess,
			want:   []Metric{m("vhost", TypeString, "www.example.com", ""), m("total_accesses", TypeGauge, "9", "accesses")}},
		{name: "not a number", code: 200, page: "Total Accesses: -1\nUptime: NaN\nCPULoad: Inf\nReqPerSec: y\n", status: StatusSuccess},
		{name: "error page", code: 403, page: "<html>Forbidden</html>\n", status: "HTTP 403 from http://u:xxxxx@HOST/server-status?auto"},
		{name: "too big", code: 200, page: strings.Repeat("x", apacheMaxBody+1), status: "The status page at http://u:xxxxx@HOST/server-status?auto is over 1048576 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/server-status" || r.URL.RawQuery != "auto" {
					http.NotFound(w, r)
					return
				}
				w.WriteHeader(tc.code)
				io.WriteString(w, tc.page)
			}))
			defer srv.Close()
			host := strings.TrimPrefix(srv.URL, "http://")
			// A URL without a path gets /server-status?auto, as the original.
			r := runDetails(t, TypeApache, map[string]any{"url": "http://u:secret@" + host})
			r.Status = strings.ReplaceAll(r.Status, host, "HOST")
			if r.Status != tc.status {
				t.Errorf("status %q, want %q", r.Status, tc.status)
			}
			if r.Available != (tc.code == 200 && tc.name != "too big") {
				t.Errorf("available %v", r.Available)
			}
			if fmt.Sprint(r.Metrics) != fmt.Sprint(tc.want) {
				t.Errorf("metrics\n got %v\nwant %v", r.Metrics, tc.want)
			}
		})
	}
}

// TestApacheBadURLs: refused before any request, without the password.
func TestApacheBadURLs(t *testing.T) {
	for _, tc := range []struct{ url, status string }{
		{"ftp://h/x", `Invalid url "ftp://h/x": want http:// or https:// and a host`},
		{"http:///server-status", `Invalid url "http:///server-status": want http:// or https:// and a host`},
		{"http://u:pw@127.0.0.1:" + itoa(freePort(t)) + "/s", "Requesting http://u:xxxxx@127.0.0.1:PORT/s failed: "},
	} {
		r := runDetails(t, TypeApache, map[string]any{"url": tc.url})
		status := r.Status
		if i := strings.Index(status, "127.0.0.1:"); i >= 0 {
			j := strings.Index(status[i:], "/")
			status = status[:i] + "127.0.0.1:PORT" + status[i+j:]
		}
		if r.Available || !strings.HasPrefix(status, tc.status) || strings.Contains(status, "pw@") {
			t.Errorf("%s: %v %q, want %q", tc.url, r.Available, r.Status, tc.status)
		}
	}
}

func FuzzParseApacheStatus(f *testing.F) {
	f.Add("localhost\nTotal Accesses: 1\nScoreboard: _W.\nReqPerSec: .5\n")
	f.Add("BytesPerSec: 1e30\nBytesPerReq: 18446744073709551616\nUptime: 1.5\n")
	f.Fuzz(func(t *testing.T, page string) {
		r := NewResult(Def{}, t0)
		parseApacheStatus(&r, page)
		for _, m := range r.Metrics {
			if m.Type == TypeString {
				continue
			}
			if _, err := strconv.ParseFloat(m.Value, 64); err != nil || strings.ContainsAny(m.Value, "NI") {
				t.Fatalf("%s=%q", m.Name, m.Value)
			}
		}
		if len(r.Status) > MaxStatusLen {
			t.Fatal("status too long")
		}
	})
}
