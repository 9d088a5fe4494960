package chaos

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/protocol"
)

func recLine(t0 time.Time, conn int, reply string, message string) string {
	return fmt.Sprintf(`{"time":%q,"conn":%d,"remote":"127.0.0.1:5","message":%s,"reply":%q}`+"\n",
		t0.UTC().Format(time.RFC3339Nano), conn, message, reply)
}

// errLine is the record of a message answered with an error.
func errLine(t0 time.Time, conn int, message string, code int, typ string) string {
	return fmt.Sprintf(`{"time":%q,"conn":%d,"remote":"127.0.0.1:5","message":%s,"reply":"error","code":%d,"type":%q}`+"\n",
		t0.UTC().Format(time.RFC3339Nano), conn, message, code, typ)
}

func postMsg(check string, ts int64) string {
	return fmt.Sprintf(`{"v":"1","id":3,"source":"chaos","target":"endpoint","method":"check_metrics.post","params":{"check_id":%q,"timestamp":%d,"metrics":[]}}`, check, ts)
}

func paramsHash(check string, ts int64) [32]byte {
	return sha256.Sum256(fmt.Appendf(nil, `{"check_id":%q,"timestamp":%d,"metrics":[]}`, check, ts))
}

func TestParseRecords(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	hello := `{"v":"1","id":0,"source":"chaos","target":"endpoint","method":"handshake.hello","params":{"token":"****1234"}}`
	tests := []struct {
		name    string
		in      string
		want    []delivery
		refused []refusal
		sum     recordSummary
		wantErr string
	}{
		{
			name: "every kind of line",
			in: recLine(t0, 1, "result", hello) +
				recLine(t0.Add(time.Second), 1, "result", postMsg("chMEM", 1000)) +
				recLine(t0.Add(2*time.Second), 1, "ignored", postMsg("chMEM", 2000)) +
				errLine(t0.Add(3*time.Second), 2, postMsg("chMEM", 2000), 503, "unavailable") +
				recLine(t0.Add(4*time.Second), 2, "none", `"this is not JSON {"`) +
				recLine(t0.Add(5*time.Second), 2, "none", `{"v":"1","id":7,"source":"chaos","target":"endpoint","result":{}}`) +
				"\n" +
				recLine(t0.Add(6*time.Second), 3, "result", postMsg("chCPU", 3000)) +
				recLine(t0.Add(7*time.Second), 3, "result", `{"v":"1","id":1,"source":"chaos","target":"endpoint","method":"check_schedule.get","params":{}}`),
			want: []delivery{
				{Key: resultKey{"chMEM", 1000}, At: t0.Add(time.Second), Conn: "r#1", Params: paramsHash("chMEM", 1000), Line: 2},
				{Key: resultKey{"chCPU", 3000}, At: t0.Add(6 * time.Second), Conn: "r#3", Params: paramsHash("chCPU", 3000), Line: 8},
			},
			refused: []refusal{{Key: resultKey{"chMEM", 2000}, At: t0.Add(3 * time.Second), Code: 503, Type: "unavailable"}},
			sum:     recordSummary{Hellos: 1, Schedules: 1, Ignored: 1, Rejected: 1},
		},
		{
			name:    "a refusal without a type",
			in:      recLine(t0, 1, "error", postMsg("chMEM", 1000)),
			refused: []refusal{{Key: resultKey{"chMEM", 1000}, At: t0}},
			sum:     recordSummary{Rejected: 1},
		},
		{
			name: "last line cut short",
			in:   recLine(t0, 1, "result", postMsg("chMEM", 1000)) + `{"time":"2026-11-24T12:00:01Z","conn":1,"mess`,
			want: []delivery{{Key: resultKey{"chMEM", 1000}, At: t0, Conn: "r#1", Params: paramsHash("chMEM", 1000), Line: 1}},
			sum:  recordSummary{Truncated: 1},
		},
		{name: "empty", in: ""},
		{
			name:    "post without check_id",
			in:      recLine(t0, 1, "result", postMsg("", 1000)),
			wantErr: "r:1: check_metrics.post without check_id or timestamp",
		},
		{
			name:    "post without timestamp",
			in:      recLine(t0, 1, "result", postMsg("chMEM", 0)),
			wantErr: "r:1: check_metrics.post without check_id or timestamp",
		},
		{
			name:    "a complete line that is not JSON",
			in:      recLine(t0, 1, "result", postMsg("chMEM", 1)) + "garbage\n",
			wantErr: "r:2: record is not JSON",
		},
		{
			name:    "params of the wrong shape",
			in:      recLine(t0, 1, "result", `{"method":"check_metrics.post","params":{"check_id":5}}`),
			wantErr: "r:1: check_metrics.post params",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, refused, sum, err := parseRecords(strings.NewReader(tt.in), "r")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("deliveries:\n got %+v\nwant %+v", got, tt.want)
			}
			if !reflect.DeepEqual(refused, tt.refused) {
				t.Errorf("refusals:\n got %+v\nwant %+v", refused, tt.refused)
			}
			if sum != tt.sum {
				t.Errorf("summary = %+v, want %+v", sum, tt.sum)
			}
		})
	}
}

func TestParseRecordsLineTooLong(t *testing.T) {
	in := strings.Repeat("x", maxRecordLine+10) + "\n"
	if _, _, _, err := parseRecords(strings.NewReader(in), "r"); err == nil || !strings.Contains(err.Error(), "line longer than") {
		t.Fatalf("err = %v, want line longer than", err)
	}
}

// storeLineFor encodes a spool line as protocol.FileStore does.
func storeLineFor(t testing.TB, op string, seq uint64, check string, ts int64) string {
	rec := map[string]any{"op": op, "seq": seq}
	if op == "add" {
		rec["post"] = map[string]any{"check_id": check, "timestamp": ts, "metrics": []any{}}
	}
	body, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%08x %s\n", crc32.Checksum(body, castagnoli), body)
}

func TestSpoolFile(t *testing.T) {
	s := newSpoolFile()
	data := storeLineFor(t, "add", 1, "chMEM", 1000) +
		storeLineFor(t, "add", 2, "chLOAD", 1001) +
		storeLineFor(t, "ack", 1, "", 0) +
		"0000000f {\"op\":\"add\",\"seq\":9}\n" + // bad checksum
		"no-space-here\n" +
		storeLineFor(t, "add", 3, "chCPU", 1002)
	cut := len(data) - 10
	rest := s.addAll([]byte(data[:cut]))
	if string(rest) != data[strings.LastIndexByte(data[:cut], '\n')+1:cut] {
		t.Fatalf("rest = %q", rest)
	}
	if got, want := s.liveKeys(), map[resultKey]bool{{"chLOAD", 1001}: true}; !reflect.DeepEqual(got, want) {
		t.Errorf("live before the last line = %v, want %v", got, want)
	}
	if rest = s.addAll(append(rest, data[cut:]...)); len(rest) != 0 {
		t.Fatalf("rest after the whole file = %q", rest)
	}
	if got, want := s.liveKeys(), map[resultKey]bool{{"chLOAD", 1001}: true, {"chCPU", 1002}: true}; !reflect.DeepEqual(got, want) {
		t.Errorf("live = %v, want %v", got, want)
	}
	wantProduced := map[resultKey]bool{{"chMEM", 1000}: true, {"chLOAD", 1001}: true, {"chCPU", 1002}: true}
	if !reflect.DeepEqual(s.produced, wantProduced) {
		t.Errorf("produced = %v, want %v", s.produced, wantProduced)
	}
	if s.bad != 2 {
		t.Errorf("bad = %d, want 2", s.bad)
	}
	s.reset()
	if len(s.liveKeys()) != 0 || len(s.produced) != 3 {
		t.Errorf("after reset: live %v, produced %d; want none live, 3 produced", s.liveKeys(), len(s.produced))
	}
}

func TestSpoolFileEntries(t *testing.T) {
	s := newSpoolFile()
	// chMEM@1000 added twice (two runs read one sample), chLOAD@1001 once
	// and again under its own seq when the file was rewritten.
	s.addAll([]byte(storeLineFor(t, "add", 1, "chMEM", 1000) + storeLineFor(t, "add", 2, "chLOAD", 1001) +
		storeLineFor(t, "add", 3, "chMEM", 1000) + storeLineFor(t, "ack", 1, "", 0)))
	s.reset()
	s.addAll([]byte(storeLineFor(t, "add", 2, "chLOAD", 1001) + storeLineFor(t, "add", 3, "chMEM", 1000)))
	if got, want := s.entries(), map[resultKey]int{{"chMEM", 1000}: 2}; !reflect.DeepEqual(got, want) {
		t.Errorf("entries() = %v, want %v", got, want)
	}
}

func TestAnalyze(t *testing.T) {
	base := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	at := func(sec float64) time.Time { return base.Add(time.Duration(math.Round(sec*1000)) * time.Millisecond) }
	tsAt := func(sec float64) int64 { return at(sec).UnixMilli() }
	checks := []checkSpec{{"chMEM", time.Second}}
	// series delivers chMEM results at the given seconds on one connection,
	// each received 50 ms after it was produced.
	series := func(conn string, secs ...float64) []delivery {
		var ds []delivery
		for _, s := range secs {
			ds = append(ds, delivery{Key: resultKey{"chMEM", tsAt(s)}, At: at(s + 0.05), Conn: conn, Params: paramsHash("chMEM", tsAt(s))})
		}
		return ds
	}
	spooled := func(secs ...float64) map[resultKey]bool {
		m := map[resultKey]bool{}
		for _, s := range secs {
			m[resultKey{"chMEM", tsAt(s)}] = true
		}
		return m
	}
	clean := []float64{0.5, 1.55, 2.5, 3.6, 4.5}
	tests := []struct {
		name  string
		facts runFacts
		want  report
	}{
		{
			name:  "clean",
			facts: runFacts{Checks: checks, Deliveries: series("a#1", clean...), Spooled: spooled(clean...), Start: at(0), End: at(5)},
			want:  report{Produced: 5, Delivered: 5, Receipts: 5},
		},
		{
			name: "a late run is not a missing one",
			facts: runFacts{Checks: checks, Deliveries: series("a#1", 0.5, 1.5, 3.18, 3.5, 4.5),
				Spooled: spooled(0.5, 1.5, 3.18, 3.5, 4.5), Start: at(0), End: at(5)},
			want: report{Produced: 5, Delivered: 5, Receipts: 5},
		},
		{
			name: "a result missing",
			facts: runFacts{Checks: checks, Deliveries: series("a#1", 0.5, 1.55, 3.6, 4.5),
				Spooled: spooled(0.5, 1.55, 3.6, 4.5), Start: at(0), End: at(5)},
			want: report{Produced: 5, Delivered: 4, Receipts: 4, Lost: 1,
				Gaps: []gap{{Check: "chMEM", From: at(1.55), To: at(3.6), Missing: 1}}},
		},
		{
			name: "spooled, never delivered",
			facts: runFacts{Checks: checks, Deliveries: series("a#1", 0.5, 1.55, 3.6, 4.5),
				Spooled: spooled(clean...), Start: at(0), End: at(5)},
			want: report{Produced: 5, Delivered: 4, Receipts: 4, Lost: 1, Undelivered: []resultKey{{"chMEM", tsAt(2.5)}}},
		},
		{
			name: "still spooled at the end",
			facts: runFacts{Checks: checks, Deliveries: series("a#1", 0.5, 1.55, 2.5, 3.6),
				Spooled: spooled(clean...), PendingEnd: spooled(4.5), Start: at(0), End: at(5)},
			want: report{Produced: 5, Delivered: 4, Receipts: 4, PendingEnd: 1},
		},
		{
			name: "missing at the start and at the end",
			facts: runFacts{Checks: checks, Deliveries: series("a#1", 2.5), Spooled: spooled(2.5),
				Start: at(0), End: at(5)},
			want: report{Produced: 5, Delivered: 1, Receipts: 1, Lost: 4, Gaps: []gap{
				{Check: "chMEM", To: at(2.5), Missing: 2}, {Check: "chMEM", From: at(2.5), Missing: 2}}},
		},
		{
			name: "the first result within the warm-up is on time",
			facts: runFacts{Checks: checks, Deliveries: series("a#1", 2.6, 3.6, 4.5), Spooled: spooled(2.6, 3.6, 4.5),
				Start: at(0), End: at(5), Warmup: time.Second},
			want: report{Produced: 3, Delivered: 3, Receipts: 3},
		},
		{
			name:  "nothing at all",
			facts: runFacts{Checks: checks, Start: at(0), End: at(5)},
			want:  report{Produced: 5, Lost: 5, Gaps: []gap{{Check: "chMEM", Missing: 5}}},
		},
		{
			name: "daemon kill excused",
			facts: runFacts{Checks: checks, Deliveries: series("a#1", 0.5, 1.5, 2.5, 6.2, 7.1), Spooled: spooled(0.5, 1.5, 2.5, 6.2, 7.1),
				Start: at(0), End: at(7.5), Down: []downWindow{{Kill: at(3), Resume: at(5.5)}}},
			want: report{Produced: 5, Delivered: 5, Receipts: 5,
				Excused: []gap{{Check: "chMEM", From: at(2.5), To: at(6.2), Missing: 3}}},
		},
		{
			name: "loss before a daemon kill is not excused",
			facts: runFacts{Checks: checks, Deliveries: series("a#1", 0.5, 6.2, 7.1), Spooled: spooled(0.5, 6.2, 7.1),
				Start: at(0), End: at(7.5), Down: []downWindow{{Kill: at(3), Resume: at(5.5)}}},
			want: report{Produced: 8, Delivered: 3, Receipts: 3, Lost: 5,
				Gaps: []gap{{Check: "chMEM", From: at(0.5), To: at(6.2), Missing: 5}}},
		},
		{
			name: "late first result after a restart is not excused",
			facts: runFacts{Checks: checks, Deliveries: series("a#1", 0.5, 1.5, 2.5, 8.2), Spooled: spooled(0.5, 1.5, 2.5, 8.2),
				Start: at(0), End: at(8.5), Down: []downWindow{{Kill: at(3), Resume: at(5.5)}}},
			want: report{Produced: 9, Delivered: 4, Receipts: 4, Lost: 5,
				Gaps: []gap{{Check: "chMEM", From: at(2.5), To: at(8.2), Missing: 5}}},
		},
		{
			name: "a resend is a duplicate",
			facts: runFacts{Checks: checks,
				Deliveries: append(series("a#1", 0.5, 1.55, 2.5), append(series("b#1", 2.5)[0:1:1], series("b#1", 3.6, 4.5)...)...),
				Spooled:    spooled(clean...), Start: at(0), End: at(5)},
			want: report{Produced: 5, Delivered: 5, Receipts: 6, Duplicated: 1, Duplicates: []resultKey{{"chMEM", tsAt(2.5)}}},
		},
		{
			name: "same key, different post",
			facts: runFacts{Checks: checks,
				Deliveries: append(series("a#1", clean...), delivery{Key: resultKey{"chMEM", tsAt(2.5)}, At: at(4.9), Conn: "b#2"}),
				Spooled:    spooled(clean...), Start: at(0), End: at(5)},
			want: report{Produced: 5, Delivered: 5, Receipts: 6, Duplicated: 1, Duplicates: []resultKey{{"chMEM", tsAt(2.5)}},
				BadDuplicates: []string{fmt.Sprintf("chMEM@%d on b#2 differs from its first delivery on a#1", tsAt(2.5))}},
		},
		{
			name: "out of order across connections",
			facts: runFacts{Checks: checks,
				Deliveries: append(series("a#1", 0.5, 1.55, 3.6), delivery{Key: resultKey{"chMEM", tsAt(2.5)}, At: at(3.7), Conn: "b#1", Params: paramsHash("chMEM", tsAt(2.5))}),
				Spooled:    spooled(0.5, 1.55, 2.5, 3.6), Start: at(0), End: at(4)},
			want: report{Produced: 4, Delivered: 4, Receipts: 4,
				OrderErrors: []string{fmt.Sprintf("chMEM@%d first delivered (on b#1) after chMEM@%d", tsAt(2.5), tsAt(3.6))}},
		},
		{
			// The agent never resends on the connection it sent on: the
			// same post twice there is the daemon producing it twice.
			name: "a repeat on the same connection is a result produced twice",
			facts: runFacts{Checks: checks,
				Deliveries: append(series("a#1", 0.5, 1.55, 2.5), series("a#1", 2.5)[0]),
				Spooled:    spooled(0.5, 1.55, 2.5), Start: at(0), End: at(3)},
			want: report{Produced: 3, Delivered: 3, Receipts: 4, Duplicated: 1, Duplicates: []resultKey{{"chMEM", tsAt(2.5)}},
				ProducedTwice: []resultKey{{"chMEM", tsAt(2.5)}}},
		},
		{
			name: "a repeat after a newer result on the same connection",
			facts: runFacts{Checks: checks,
				Deliveries: append(series("a#1", 0.5, 1.55, 2.5), delivery{Key: resultKey{"chMEM", tsAt(1.55)}, At: at(2.9), Conn: "a#1", Params: paramsHash("chMEM", tsAt(1.55))}),
				Spooled:    spooled(0.5, 1.55, 2.5), Start: at(0), End: at(3)},
			want: report{Produced: 3, Delivered: 3, Receipts: 4, Duplicated: 1, Duplicates: []resultKey{{"chMEM", tsAt(1.55)}},
				ProducedTwice: []resultKey{{"chMEM", tsAt(1.55)}},
				OrderErrors:   []string{fmt.Sprintf("on a#1: chMEM@%d after chMEM@%d", tsAt(1.55), tsAt(2.5))}},
		},
		{
			name: "a repeat with another post on the same connection",
			facts: runFacts{Checks: checks,
				Deliveries: append(series("a#1", 0.5, 1.55, 2.5), delivery{Key: resultKey{"chMEM", tsAt(2.5)}, At: at(2.9), Conn: "a#1"}),
				Spooled:    spooled(0.5, 1.55, 2.5), Start: at(0), End: at(3)},
			want: report{Produced: 3, Delivered: 3, Receipts: 4, Duplicated: 1, Duplicates: []resultKey{{"chMEM", tsAt(2.5)}},
				BadDuplicates: []string{fmt.Sprintf("chMEM@%d on a#1 differs from its first delivery on a#1", tsAt(2.5))},
				OrderErrors:   []string{fmt.Sprintf("on a#1: chMEM@%d after chMEM@%d", tsAt(2.5), tsAt(2.5))}},
		},
		{
			name: "unknown check, unspooled delivery",
			facts: runFacts{Checks: checks,
				Deliveries: append(series("a#1", 0.5), delivery{Key: resultKey{"chX", 5}, At: at(0.9), Conn: "a#1"}),
				Spooled:    spooled(0.5), Start: at(0), End: at(1)},
			want: report{Produced: 2, Delivered: 2, Receipts: 2, Unknown: []string{"chX"}, Unspooled: []resultKey{{"chX", 5}}},
		},
	}
	// The spool rules: chMEM poisoned, a spool_max_attempts of 3.
	key := func(sec float64) resultKey { return resultKey{"chMEM", tsAt(sec)} }
	refusals := func(sec float64, n, code int, typ string) []refusal {
		var out []refusal
		for i := range n {
			out = append(out, refusal{Key: key(sec), At: at(sec + 0.1 + float64(i)), Code: code, Type: typ})
		}
		return out
	}
	poisoned := map[string]bool{"chMEM": true}
	// logged says the daemon logged chMEM results 50 ms after each of secs.
	logged := func(secs ...float64) map[string][]time.Time {
		var ts []time.Time
		for _, s := range secs {
			ts = append(ts, at(s+0.05))
		}
		return map[string][]time.Time{"chMEM": ts}
	}
	deadAt := func(sec float64, types ...string) deadEntry {
		d := deadEntry{Key: key(sec), Reason: "refused 3 times"}
		for _, typ := range types {
			d.Refusals = append(d.Refusals, protocol.Refusal{Time: at(sec + 1), Code: 400, Type: typ, Error: "no"})
		}
		return d
	}
	// lateSeries delivers 0.5, 1.55 and 3.6 on a#1, then 2.5 (refused
	// before) on a#1 after 3.6, then 4.5.
	lateSeries := func() []delivery {
		ds := series("a#1", 0.5, 1.55, 3.6)
		ds = append(ds, delivery{Key: key(2.5), At: at(3.7), Conn: "a#1", Params: paramsHash("chMEM", tsAt(2.5))})
		return append(ds, series("a#1", 4.5)...)
	}
	spoolTests := []struct {
		name  string
		facts runFacts
		want  report
	}{
		{
			name: "dead-lettered results are accounted for",
			facts: runFacts{Checks: checks, Deliveries: series("a#1", 0.5, 1.55, 3.6, 4.5), Spooled: spooled(clean...),
				Refusals: refusals(2.5, 3, 400, ""), Dead: []deadEntry{deadAt(2.5, "", "")}, Poisoned: poisoned, MaxAttempts: 3,
				Start: at(0), End: at(5)},
			want: report{Produced: 5, Delivered: 4, Receipts: 4, Dead: 1, Refused: 1},
		},
		{
			name: "a dead letter never written to the spool file fills its gap",
			facts: runFacts{Checks: checks, Deliveries: series("a#1", 0.5, 1.55, 3.6, 4.5), Spooled: spooled(0.5, 1.55, 3.6, 4.5),
				Refusals: refusals(2.5, 4, 500, ""), Dead: []deadEntry{deadAt(2.5)}, Poisoned: poisoned, MaxAttempts: 3,
				Start: at(0), End: at(5)},
			want: report{Produced: 5, Delivered: 4, Receipts: 4, Dead: 1, Refused: 1},
		},
		{
			name: "the default spool_max_attempts",
			facts: runFacts{Checks: checks, Deliveries: series("a#1", 0.5, 1.55, 3.6, 4.5), Spooled: spooled(clean...),
				Refusals: refusals(2.5, 4, 400, ""), Dead: []deadEntry{deadAt(2.5)}, Poisoned: poisoned,
				Start: at(0), End: at(5)},
			want: report{Produced: 5, Delivered: 4, Receipts: 4, Dead: 1, Refused: 1,
				DeadErrors: []string{fmt.Sprintf("chMEM@%d in the dead letter (refused 3 times) after 4 counting refusals in the records, want at least 5", tsAt(2.5))}},
		},
		{
			name: "a dead letter with too few refusals",
			facts: runFacts{Checks: checks, Deliveries: series("a#1", 0.5, 1.55, 3.6, 4.5), Spooled: spooled(clean...),
				Refusals: append(refusals(2.5, 2, 400, ""), refusals(2.5, 3, 503, "unavailable")...), Dead: []deadEntry{deadAt(2.5)},
				Poisoned: poisoned, MaxAttempts: 3, Start: at(0), End: at(5)},
			want: report{Produced: 5, Delivered: 4, Receipts: 4, Dead: 1, Refused: 1,
				DeadErrors: []string{fmt.Sprintf("chMEM@%d in the dead letter (refused 3 times) after 2 counting refusals in the records, want at least 3", tsAt(2.5))}},
		},
		{
			name: "a dead letter that counts an unavailable reply",
			facts: runFacts{Checks: checks, Deliveries: series("a#1", 0.5, 1.55, 3.6, 4.5), Spooled: spooled(clean...),
				Refusals: refusals(2.5, 3, 400, ""), Dead: []deadEntry{deadAt(2.5, "", "unavailable")}, Poisoned: poisoned, MaxAttempts: 3,
				Start: at(0), End: at(5)},
			want: report{Produced: 5, Delivered: 4, Receipts: 4, Dead: 1, Refused: 1,
				DeadErrors: []string{fmt.Sprintf("chMEM@%d: its dead letter counts an \"unavailable\" reply (400 at 12:00:03.500)", tsAt(2.5))}},
		},
		{
			name: "a dead letter of a check that is not poisoned",
			facts: runFacts{Checks: checks, Deliveries: series("a#1", 0.5, 1.55, 3.6, 4.5), Spooled: spooled(clean...),
				Dead: []deadEntry{deadAt(2.5)}, MaxAttempts: 3, Start: at(0), End: at(5)},
			want: report{Produced: 5, Delivered: 4, Receipts: 4, Dead: 1,
				DeadErrors: []string{fmt.Sprintf("chMEM@%d in the dead letter (refused 3 times), but no endpoint refuses chMEM", tsAt(2.5))}},
		},
		{
			name: "a refused result delivered late is not an order error",
			facts: runFacts{Checks: checks, Deliveries: lateSeries(), Spooled: spooled(clean...),
				Refusals: refusals(2.5, 1, 400, ""), Poisoned: poisoned, MaxAttempts: 3, Start: at(0), End: at(5)},
			want: report{Produced: 5, Delivered: 5, Receipts: 5, Refused: 1, LateRefused: 1},
		},
		{
			name: "a result refused only as unavailable keeps its place",
			facts: runFacts{Checks: checks, Deliveries: lateSeries(), Spooled: spooled(clean...),
				Refusals: refusals(2.5, 2, 503, "unavailable"), Poisoned: poisoned, MaxAttempts: 3, Start: at(0), End: at(5)},
			want: report{Produced: 5, Delivered: 5, Receipts: 5, Unavailable: 1, OrderErrors: []string{
				fmt.Sprintf("on a#1: chMEM@%d after chMEM@%d", tsAt(2.5), tsAt(3.6)),
				fmt.Sprintf("chMEM@%d first delivered (on a#1) after chMEM@%d", tsAt(2.5), tsAt(3.6))}},
		},
		{
			name: "a result refused only as unavailable, delivered in order",
			facts: runFacts{Checks: checks, Deliveries: series("a#1", clean...), Spooled: spooled(clean...),
				Refusals: refusals(2.5, 2, 503, "unavailable"), Poisoned: poisoned, MaxAttempts: 3, Start: at(0), End: at(5)},
			want: report{Produced: 5, Delivered: 5, Receipts: 5, Unavailable: 1},
		},
		{
			name: "a refusal of a check that is not poisoned",
			facts: runFacts{Checks: checks, Deliveries: lateSeries(), Spooled: spooled(clean...),
				Refusals: refusals(2.5, 1, 400, ""), MaxAttempts: 3, Start: at(0), End: at(5)},
			want: report{Produced: 5, Delivered: 5, Receipts: 5,
				RefusalErrors: []string{fmt.Sprintf("chMEM@%d refused (error 400 \"\") by an endpoint that refuses no post of chMEM", tsAt(2.5))},
				OrderErrors: []string{
					fmt.Sprintf("on a#1: chMEM@%d after chMEM@%d", tsAt(2.5), tsAt(3.6)),
					fmt.Sprintf("chMEM@%d first delivered (on a#1) after chMEM@%d", tsAt(2.5), tsAt(3.6))}},
		},
		{
			name: "results produced while the disk was full reached the spool file",
			facts: runFacts{Checks: checks, Deliveries: series("a#1", clean...), Spooled: spooled(clean...),
				DiskFull: []window{{at(1.5), at(3)}}, Start: at(0), End: at(5)},
			want: report{Produced: 5, Delivered: 5, Receipts: 5, DiskFull: 2},
		},
		{
			name: "a result produced while the disk was full never reached the spool file",
			facts: runFacts{Checks: checks, Deliveries: series("a#1", clean...), Spooled: spooled(0.5, 1.55, 3.6, 4.5),
				DiskFull: []window{{at(1.5), at(3)}, {at(4.6), at(4.9)}}, Start: at(0), End: at(5)},
			want: report{Produced: 5, Delivered: 5, Receipts: 5, DiskFull: 2, Unspooled: []resultKey{key(2.5)},
				DiskFullErrors: []string{
					fmt.Sprintf("chMEM@%d, produced while the disk was full, never reached the spool file", tsAt(2.5)),
					"no result produced while the disk was full (12:00:04.600 to 12:00:04.900)"}},
		},
		{
			name: "a gap in which the daemon logged no result",
			facts: runFacts{Checks: checks, Deliveries: series("a#1", 0.5, 1.55, 3.6, 4.5), Spooled: spooled(0.5, 1.55, 3.6, 4.5),
				Runs: logged(0.5, 1.55, 3.6, 4.5), Start: at(0), End: at(5)},
			want: report{Produced: 4, Delivered: 4, Receipts: 4,
				NotProduced: []gap{{Check: "chMEM", From: at(1.55), To: at(3.6), Missing: 1}}},
		},
		{
			name: "a result logged in the gap was lost",
			facts: runFacts{Checks: checks, Deliveries: series("a#1", 0.5, 1.55, 3.6, 4.5), Spooled: spooled(0.5, 1.55, 3.6, 4.5),
				Runs: logged(0.5, 1.55, 2.5, 3.6, 4.5), Start: at(0), End: at(5)},
			want: report{Produced: 5, Delivered: 4, Receipts: 4, Lost: 1,
				Gaps: []gap{{Check: "chMEM", From: at(1.55), To: at(3.6), Missing: 1}}},
		},
		{
			name: "the next result's line is not in the gap",
			facts: runFacts{Checks: checks, Deliveries: series("a#1", 0.5, 1.55, 3.6, 4.5), Spooled: spooled(0.5, 1.55, 3.6, 4.5),
				Runs: map[string][]time.Time{"chMEM": {at(0.55), at(1.6), at(3.65), at(4.55)}, "chCPU": {at(2)}}, Start: at(0), End: at(5)},
			want: report{Produced: 4, Delivered: 4, Receipts: 4,
				NotProduced: []gap{{Check: "chMEM", From: at(1.55), To: at(3.6), Missing: 1}}},
		},
		{
			name: "first and last runs not produced, and lost",
			facts: runFacts{Checks: checks, Deliveries: series("a#1", 2.5), Spooled: spooled(2.5),
				Runs: logged(2.5, 4.1), Start: at(0), End: at(5)},
			want: report{Produced: 3, Delivered: 1, Receipts: 1, Lost: 2,
				NotProduced: []gap{{Check: "chMEM", To: at(2.5), Missing: 2}},
				Gaps:        []gap{{Check: "chMEM", From: at(2.5), Missing: 2}}},
		},
		{
			// Two runs read the sample of 1.55 (logged at 1.6 and 2.6):
			// two spool entries; nothing was produced for 2.5.
			name: "a result produced twice at the edge of a gap",
			facts: runFacts{Checks: checks, Deliveries: append(series("a#1", 0.5, 1.55), series("b#1", 1.55, 3.6, 4.5)...),
				Spooled: spooled(0.5, 1.55, 3.6, 4.5), Entries: map[resultKey]int{key(1.55): 2},
				Runs: logged(0.5, 1.55, 2.55, 3.6, 4.5), Start: at(0), End: at(5)},
			want: report{Produced: 4, Delivered: 4, Receipts: 5, Duplicated: 1, Duplicates: []resultKey{key(1.55)},
				ProducedTwice: []resultKey{key(1.55)},
				NotProduced:   []gap{{Check: "chMEM", From: at(1.55), To: at(3.6), Missing: 1}}},
		},
		{
			name: "a result produced twice does not hide a lost one",
			facts: runFacts{Checks: checks, Deliveries: append(series("a#1", 0.5, 1.55), series("b#1", 1.55, 3.6, 4.5)...),
				Spooled: spooled(0.5, 1.55, 3.6, 4.5), Entries: map[resultKey]int{key(1.55): 2},
				Runs: map[string][]time.Time{"chMEM": {at(0.55), at(1.6), at(2.3), at(2.6), at(3.65), at(4.55)}}, Start: at(0), End: at(5)},
			want: report{Produced: 5, Delivered: 4, Receipts: 5, Duplicated: 1, Lost: 1, Duplicates: []resultKey{key(1.55)},
				ProducedTwice: []resultKey{key(1.55)},
				Gaps:          []gap{{Check: "chMEM", From: at(1.55), To: at(3.6), Missing: 1}}},
		},
		{
			// The sampler stalled: three runs read the sample of 1.55,
			// posted on two connections, none written to the spool file.
			name: "a result produced three times, its entries never written",
			facts: runFacts{Checks: checks,
				Deliveries: append(series("a#1", 0.5, 1.55), append(series("b#1", 1.55), append(series("b#2", 1.55), series("b#2", 3.6, 4.5)...)...)...),
				Spooled:    spooled(0.5, 3.6, 4.5),
				Runs:       map[string][]time.Time{"chMEM": {at(0.55), at(1.6), at(2.1), at(2.6), at(3.65), at(4.55)}}, Start: at(0), End: at(5)},
			want: report{Produced: 4, Delivered: 4, Receipts: 6, Duplicated: 2, Duplicates: []resultKey{key(1.55)},
				Unspooled:   []resultKey{key(1.55)},
				NotProduced: []gap{{Check: "chMEM", From: at(1.55), To: at(3.6), Missing: 1}}},
		},
		{
			name:  "nothing produced at all",
			facts: runFacts{Checks: checks, Runs: map[string][]time.Time{}, Start: at(0), End: at(5)},
			want:  report{NotProduced: []gap{{Check: "chMEM", Missing: 5}}},
		},
	}
	tests = append(tests, spoolTests...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := analyze(tt.facts)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("analyze:\n got %+v\nwant %+v", got, tt.want)
			}
			wantOK := tt.want.Lost == 0 && tt.want.BadDuplicates == nil && tt.want.OrderErrors == nil && tt.want.Unknown == nil &&
				tt.want.RefusalErrors == nil && tt.want.DeadErrors == nil && tt.want.DiskFullErrors == nil
			if got.ok() != wantOK {
				t.Errorf("ok() = %v, want %v", got.ok(), wantOK)
			}
		})
	}
}

func TestMaxSpacing(t *testing.T) {
	base := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	at := func(ms int64) time.Time { return base.Add(time.Duration(ms) * time.Millisecond) }
	key := func(check string, ms int64) resultKey { return resultKey{check, at(ms).UnixMilli()} }
	f := runFacts{
		Checks: []checkSpec{{"chMEM", time.Second}, {"chCPU", 2 * time.Second}},
		Deliveries: []delivery{
			{Key: key("chMEM", 0)}, {Key: key("chMEM", 1100)}, {Key: key("chMEM", 5000)}, {Key: key("chMEM", 6250)},
			{Key: key("chCPU", 0)}, {Key: key("chCPU", 2000)},
		},
		Spooled: map[resultKey]bool{key("chCPU", 4600): true},
		Down:    []downWindow{{Kill: at(2000), Resume: at(4900)}},
	}
	if got := maxSpacing(f); got != 1.3 {
		t.Errorf("maxSpacing = %v, want 1.3 (chCPU 2000 -> 4600 over 2 s)", got)
	}
}

func TestGapString(t *testing.T) {
	g := gap{Check: "chMEM", From: time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC), Missing: 2}
	if got, want := g.String(), "chMEM: 2 missing between 03:04:05.006 and edge"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func FuzzParseRecords(f *testing.F) {
	t0 := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	f.Add(recLine(t0, 1, "result", postMsg("chMEM", 1000)))
	f.Add(recLine(t0, 1, "ignored", postMsg("chMEM", 1000)) + recLine(t0, 2, "result", `"not json"`))
	f.Add(`{"time":"2026-11-24T12:00:00Z","conn":1,"message":{"method":"check_metrics.post","params":null},"reply":"result"}` + "\n")
	f.Add("{\n")
	f.Fuzz(func(t *testing.T, in string) {
		ds, refused, _, err := parseRecords(strings.NewReader(in), "f")
		for _, d := range ds {
			if d.Key.Check == "" || d.Key.TS <= 0 {
				t.Fatalf("delivery without a key: %+v (err %v)", d, err)
			}
		}
		for _, r := range refused {
			if r.Key.Check == "" || r.Key.TS <= 0 {
				t.Fatalf("refusal without a key: %+v (err %v)", r, err)
			}
		}
	})
}

func FuzzSpoolFile(f *testing.F) {
	f.Add(storeLineFor(f, "add", 1, "chMEM", 1000) + storeLineFor(f, "ack", 1, "", 0))
	f.Add("00000000 {}\n")
	f.Add(storeLineFor(f, "add", 7, "chCPU", 5)[:20])
	f.Fuzz(func(t *testing.T, in string) {
		s := newSpoolFile()
		rest := s.addAll([]byte(in))
		if len(rest) > len(in) || strings.Contains(string(rest), "\n") {
			t.Fatalf("rest %q of %q", rest, in)
		}
		for k := range s.liveKeys() {
			if !s.produced[k] {
				t.Fatalf("live %v was never added", k)
			}
		}
	})
}

// deadLine encodes a dead letter as protocol.FileStore writes it.
func deadLine(t testing.TB, d protocol.DeadLetter) string {
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

func TestParseDeadLetters(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	post := func(check string, ts int64) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"check_id":%q,"timestamp":%d,"metrics":[]}`, check, ts))
	}
	refs := []protocol.Refusal{{Time: t0, Endpoint: "a:1", Code: 400, Error: "no"}}
	good := protocol.DeadLetter{Seq: 7, CheckID: "chPOISON", Timestamp: 1000, Reason: "refused 3 times", Time: t0, Refusals: refs, PostBytes: 40, Post: post("chPOISON", 1000)}
	noPost := protocol.DeadLetter{Seq: 8, CheckID: "chPOISON", Timestamp: 2000, Reason: "refused 3 times", Time: t0, PostBytes: 1 << 22}
	noHead := protocol.DeadLetter{Seq: 9, Reason: "post of 9 bytes is over", Time: t0, Post: post("chCPU", 3000)}
	tests := []struct {
		name    string
		in      string
		want    []deadEntry
		bad     int
		wantErr string
	}{
		{name: "empty"},
		{
			name: "dead letters, a torn one and an empty line",
			in:   deadLine(t, good) + `{"seq":3,"check_id":"chPOI` + "\n\n" + deadLine(t, noPost) + deadLine(t, noHead) + `{"seq":`,
			want: []deadEntry{
				{Key: resultKey{"chPOISON", 1000}, Reason: "refused 3 times", Refusals: refs},
				{Key: resultKey{"chPOISON", 2000}, Reason: "refused 3 times"},
				{Key: resultKey{"chCPU", 3000}, Reason: "post of 9 bytes is over"},
			},
			bad: 2,
		},
		{
			name:    "the head and the post disagree",
			in:      deadLine(t, protocol.DeadLetter{CheckID: "chMEM", Timestamp: 1000, Reason: "x", Post: post("chPOISON", 1000)}),
			wantErr: "d:1: dead letter says chMEM@1000 but its post is chPOISON@1000",
		},
		{
			name:    "no key",
			in:      deadLine(t, protocol.DeadLetter{Seq: 1, Reason: "x"}),
			wantErr: "d:1: dead letter without check_id or timestamp",
		},
		{
			name:    "a post that is not an object",
			in:      `{"reason":"x","post":[1]}` + "\n",
			wantErr: "d:1: dead letter post",
		},
		{
			name:    "a line too long",
			in:      strings.Repeat("x", maxDeadLine+1) + "\n",
			wantErr: "d:1: line longer than",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, bad, err := parseDeadLetters(strings.NewReader(tt.in), "d")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) || bad != tt.bad {
				t.Errorf("got %+v (bad %d)\nwant %+v (bad %d)", got, bad, tt.want, tt.bad)
			}
		})
	}
}

func FuzzParseDeadLetters(f *testing.F) {
	t0 := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	f.Add(deadLine(f, protocol.DeadLetter{Seq: 7, CheckID: "chPOISON", Timestamp: 1000, Reason: "refused 3 times", Time: t0,
		Refusals: []protocol.Refusal{{Time: t0, Code: 500, Error: "no"}}, Post: json.RawMessage(`{"check_id":"chPOISON","timestamp":1000}`)}))
	f.Add(`{"reason":"x","check_id":"c","timestamp":5}` + "\n" + `{"seq":`)
	f.Add(`{"reason":"x","post":null}` + "\n")
	f.Fuzz(func(t *testing.T, in string) {
		ds, _, err := parseDeadLetters(strings.NewReader(in), "f")
		for _, d := range ds {
			if d.Key.Check == "" || d.Key.TS <= 0 || d.Reason == "" {
				t.Fatalf("dead letter without a key or reason: %+v (err %v)", d, err)
			}
		}
	})
}
