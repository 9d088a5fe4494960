package check

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// agent.apache, after the original's check/apache.lua: GET details.url
// (default http://127.0.0.1/server-status?auto; a URL without a path gets
// /server-status?auto) and read mod_status's machine-readable page:
//
//	vhost                 string   the first line, when it has no colon
//	total_accesses        gauge    Total Accesses
//	total_kbytes          uint64   Total kBytes (kilobytes)
//	uptime                uint64   Uptime (seconds)
//	bytes_per_second      uint64   BytesPerSec (bytes, fraction dropped)
//	bytes_per_request     uint64   BytesPerReq (bytes, fraction dropped)
//	busy_workers          uint64   BusyWorkers
//	idle_workers          uint64   IdleWorkers
//	cpu_load              double   CPULoad (percent)
//	requests_per_second   double   ReqPerSec
//	waiting ... open      uint64   Scoreboard slots by state (apacheScoreboard)
//
// The status is "Handling %.2f requests per second" when the page has
// ReqPerSec, else "success". Where we differ from the original, on
// purpose: uptime's unit is "seconds" (the original says "milliseconds",
// but Apache reports seconds); a response other than 2xx, or a page over
// 1 MiB, fails the run (the original parsed any body, so an error page's
// first line became the vhost); redirects are not followed (neither did
// the original), and no proxy is used. details.timeout is in
// milliseconds, never longer than the run's timeout.

// apacheMaxBody bounds the status page read.
const apacheMaxBody = 1 << 20

const apacheDefaultURL = "http://127.0.0.1/server-status?auto"

// apacheField is one "Key: value" line of the ?auto page the check reports.
type apacheField struct {
	key  string // the key with spaces as underscores, as the original matches it
	name string
	typ  string
	unit string
}

// apacheFields is the original's metrics table (apache.lua lines 95-141),
// in its order.
var apacheFields = []apacheField{
	{"Total_Accesses", "total_accesses", TypeGauge, "accesses"},
	{"Total_kBytes", "total_kbytes", TypeUint64, unitKilobytes},
	{"Uptime", "uptime", TypeUint64, unitSeconds},
	{"BytesPerSec", "bytes_per_second", TypeUint64, unitBytes},
	{"BytesPerReq", "bytes_per_request", TypeUint64, unitBytes},
	{"BusyWorkers", "busy_workers", TypeUint64, "workers"},
	{"IdleWorkers", "idle_workers", TypeUint64, "workers"},
	{"CPULoad", "cpu_load", TypeDouble, unitPercent},
	{"ReqPerSec", "requests_per_second", TypeDouble, "requests"},
}

// apacheScoreboard maps scoreboard characters to metric names, in the
// original's order (apache.lua lines 52-77).
var apacheScoreboard = []struct {
	c    byte
	name string
}{
	{'_', "waiting"}, {'S', "starting"}, {'R', "reading"}, {'W', "sending"},
	{'K', "keepalive"}, {'D', "dns"}, {'C', "closing"}, {'L', "logging"},
	{'G', "gracefully_finishing"}, {'I', "idle"}, {'.', "open"},
}

func runApache(ctx context.Context, rc runCtx) Result {
	raw, ok := detailString(rc.def.Details, "url")
	if !ok {
		raw = apacheDefaultURL
	}
	u, err := apacheURL(raw)
	if err != nil {
		return ErrorResult(rc.def, rc.start, err.Error())
	}
	timeout, has, err := detailDuration(rc.def.Details, "timeout", time.Millisecond)
	if err != nil {
		return ErrorResult(rc.def, rc.start, err.Error())
	}
	if !has || timeout > rc.timeout {
		timeout = rc.timeout
	}
	body, err := apacheFetch(ctx, u, timeout)
	if err != nil {
		return ErrorResult(rc.def, rc.start, err.Error())
	}
	r := NewResult(rc.def, rc.start)
	parseApacheStatus(&r, body)
	return r
}

// apacheURL parses details.url; an empty path becomes /server-status?auto.
func apacheURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, statusf("Invalid url: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, statusf("Invalid url %q: want http:// or https:// and a host", u.Redacted())
	}
	if (u.Path == "" || u.Path == "/") && u.RawQuery == "" {
		u.Path, u.RawQuery = "/server-status", "auto"
	}
	return u, nil
}

// apacheFetch GETs the status page, bounded by timeout and apacheMaxBody.
func apacheFetch(ctx context.Context, u *url.URL, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tr := &http.Transport{Proxy: nil, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", statusf("Invalid url %q: %v", u.Redacted(), err)
	}
	req.Header.Set("User-Agent", "virgo-top agent.apache")
	resp, err := client.Do(req)
	if err != nil {
		// url.Error quotes the URL with any password in it: name it ourselves.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", statusf("Requesting %s failed: %v", u.Redacted(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", statusf("HTTP %d from %s", resp.StatusCode, u.Redacted())
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, apacheMaxBody+1))
	if err != nil {
		return "", statusf("Reading %s failed: %v", u.Redacted(), err)
	}
	if len(b) > apacheMaxBody {
		return "", statusf("The status page at %s is over %d bytes", u.Redacted(), apacheMaxBody)
	}
	return string(b), nil
}

// parseApacheStatus adds the metrics of a ?auto page to r, line by line
// as the original's _parse: only newline-terminated lines count; a first
// line without a colon is the vhost; other lines without one are skipped.
// A numeric value that does not parse is left out.
func parseApacheStatus(r *Result, body string) {
	lines := strings.Split(body, "\n")
	lines = lines[:len(lines)-1] // the text after the last newline
	for i, line := range lines {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			if i == 0 {
				r.AddString("vhost", strings.TrimSpace(line))
			}
			continue
		}
		k = strings.TrimSpace(strings.ReplaceAll(k, " ", "_"))
		v = strings.TrimSpace(v)
		for _, f := range apacheFields {
			if f.key == k {
				addApacheValue(r, f, v)
			}
		}
		if k == "ReqPerSec" {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				r.SetStatus(fmt.Sprintf("Handling %.2f requests per second", f))
			}
		}
		if k == "Scoreboard" {
			counts := make([]uint64, len(apacheScoreboard))
			for j := 0; j < len(v); j++ {
				for n, s := range apacheScoreboard {
					if v[j] == s.c {
						counts[n]++
					}
				}
			}
			for n, s := range apacheScoreboard {
				r.AddUint(s.name, TypeUint64, counts[n], "")
			}
		}
	}
}

// addApacheValue adds one field. Apache prints fractions for BytesPerSec
// and BytesPerReq (".5" on older versions); the uint64 metrics keep the
// whole part.
func addApacheValue(r *Result, f apacheField, v string) {
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || x < 0 && f.typ != TypeDouble {
		return
	}
	if f.typ == TypeDouble {
		r.AddDouble(f.name, x, f.unit)
		return
	}
	if x >= 1<<64 {
		return
	}
	if n, err := strconv.ParseUint(v, 10, 64); err == nil {
		r.AddUint(f.name, f.typ, n, f.unit)
		return
	}
	r.AddUint(f.name, f.typ, uint64(x), f.unit)
}
