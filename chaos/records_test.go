package chaos

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/virgo-top/virgo-top/fixtures"
	"github.com/virgo-top/virgo-top/protocol"
)

// resultKey identifies one check result: every check_metrics.post carries
// the check's id and the run's timestamp (ms since the epoch).
type resultKey struct {
	Check string
	TS    int64
}

func (k resultKey) String() string { return k.Check + "@" + strconv.FormatInt(k.TS, 10) }

// delivery is one check_metrics.post an endpoint answered with a result.
type delivery struct {
	Key    resultKey
	At     time.Time // when the endpoint received it (the record's time)
	Conn   string    // "<record source>#<connection>", one TLS connection
	Params [32]byte  // hash of the post's params: a resend has the same
	Line   int       // line number in its record, to break time ties
}

// refusal is one check_metrics.post an endpoint answered with an error.
type refusal struct {
	Key  resultKey
	At   time.Time
	Code int
	Type string // the error's type; "unavailable" is never counted against the post
}

// counts reports whether the agent counts the refusal against its post
// (every error but type "unavailable"; see the protocol package doc).
func (r refusal) counts() bool { return r.Type != protocol.ErrorTypeUnavailable }

// recordSummary counts the rest of a record.
type recordSummary struct {
	Hellos    int // handshake.hello requests
	Schedules int // check_schedule.get requests (one per hello, more after pushes)
	Ignored   int // posts not answered (connection being dropped, or mute): resent later
	Rejected  int // posts answered with an error (the refusals)
	Truncated int // a last line cut short (the endpoint was killed mid-write)
}

// maxRecordLine bounds one record line; the agent's posts are far smaller.
const maxRecordLine = 4 << 20

// recordMessage is the part of a recorded message the analysis reads.
type recordMessage struct {
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
}

// postKey is the identifying part of check_metrics.post params.
type postKey struct {
	CheckID   string `json:"check_id"`
	Timestamp int64  `json:"timestamp"`
}

// parseRecords reads a fixture endpoint's record (fixtures.Record JSON
// lines) and returns the metric posts it answered with a result and those
// it answered with an error, in record order. source names the record in
// Delivery.Conn. A post without check_id or timestamp is an error: the
// agent must never send one.
func parseRecords(r io.Reader, source string) ([]delivery, []refusal, recordSummary, error) {
	var out []delivery
	var refused []refusal
	var sum recordSummary
	br := bufio.NewReaderSize(r, 64<<10)
	for lineNo := 1; ; lineNo++ {
		line, err := readLine(br)
		if errors.Is(err, io.EOF) {
			return out, refused, sum, nil
		}
		if err != nil {
			return out, refused, sum, fmt.Errorf("%s:%d: %w", source, lineNo, err)
		}
		complete := bytes.HasSuffix(line, []byte("\n"))
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var rec fixtures.Record
		if err := json.Unmarshal(line, &rec); err != nil {
			if !complete {
				sum.Truncated++
				return out, refused, sum, nil
			}
			return out, refused, sum, fmt.Errorf("%s:%d: record is not JSON: %w", source, lineNo, err)
		}
		var msg recordMessage
		if len(rec.Message) == 0 || rec.Message[0] != '{' || json.Unmarshal(rec.Message, &msg) != nil {
			continue // a line that was not JSON, recorded as a string
		}
		switch msg.Method {
		case "handshake.hello":
			sum.Hellos++
			continue
		case "check_schedule.get":
			sum.Schedules++
			continue
		case "check_metrics.post":
		default:
			continue
		}
		var pk postKey
		if err := json.Unmarshal(msg.Params, &pk); err != nil {
			return out, refused, sum, fmt.Errorf("%s:%d: check_metrics.post params: %w", source, lineNo, err)
		}
		if pk.CheckID == "" || pk.Timestamp <= 0 {
			return out, refused, sum, fmt.Errorf("%s:%d: check_metrics.post without check_id or timestamp: %s", source, lineNo, msg.Params)
		}
		switch rec.Reply {
		case fixtures.ReplyResult:
			out = append(out, delivery{
				Key:    resultKey{pk.CheckID, pk.Timestamp},
				At:     rec.Time,
				Conn:   source + "#" + strconv.Itoa(rec.Conn),
				Params: sha256.Sum256(msg.Params),
				Line:   lineNo,
			})
		case fixtures.ReplyError:
			sum.Rejected++
			refused = append(refused, refusal{Key: resultKey{pk.CheckID, pk.Timestamp}, At: rec.Time, Code: rec.Code, Type: rec.Type})
		default:
			sum.Ignored++
		}
	}
}

// readLine reads one line up to maxRecordLine bytes, newline included
// (absent on a last line cut short).
func readLine(br *bufio.Reader) ([]byte, error) { return readLineMax(br, maxRecordLine) }

// readLineMax reads one line up to limit bytes, newline included (absent
// on a last line cut short).
func readLineMax(br *bufio.Reader, limit int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > limit {
			return nil, fmt.Errorf("line longer than %d bytes", limit)
		}
		switch {
		case err == nil:
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(line) > 0:
			return line, nil
		default:
			return nil, err
		}
	}
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// spoolLine is one line of the daemon's persisted spool (protocol.FileStore:
// "<crc32c as 8 hex digits> <json>").
type spoolLine struct {
	Op   string          `json:"op"`
	Seq  uint64          `json:"seq"`
	Post json.RawMessage `json:"post"`
}

// spoolFile follows the daemon's spool file: the entries still waiting
// (live), every result ever added (produced, first time seen) and the seqs
// of the entries each was added under.
type spoolFile struct {
	live     map[uint64]resultKey
	produced map[resultKey]bool
	seqs     map[resultKey][]uint64 // distinct; a rewrite keeps an entry's seq
	bad      int                    // lines with a bad checksum or shape
}

func newSpoolFile() *spoolFile {
	return &spoolFile{live: map[uint64]resultKey{}, produced: map[resultKey]bool{}, seqs: map[resultKey][]uint64{}}
}

// entries returns the results added under more than one seq (two spool
// entries for one check result: produced twice), with their entry counts.
func (s *spoolFile) entries() map[resultKey]int {
	out := map[resultKey]int{}
	for k, seqs := range s.seqs {
		if len(seqs) > 1 {
			out[k] = len(seqs)
		}
	}
	return out
}

// reset forgets the live entries (the file was rewritten: it starts again
// with the entries still live).
func (s *spoolFile) reset() { s.live = map[uint64]resultKey{} }

// add applies one complete line (without its newline).
func (s *spoolFile) add(line []byte) {
	sum, body, ok := bytes.Cut(line, []byte(" "))
	if !ok || len(sum) != 8 {
		s.bad++
		return
	}
	want, err := strconv.ParseUint(string(sum), 16, 32)
	if err != nil || crc32.Checksum(body, castagnoli) != uint32(want) {
		s.bad++
		return
	}
	var l spoolLine
	if json.Unmarshal(body, &l) != nil {
		s.bad++
		return
	}
	switch l.Op {
	case "add":
		var pk postKey
		if json.Unmarshal(l.Post, &pk) != nil || pk.CheckID == "" {
			s.bad++
			return
		}
		k := resultKey{pk.CheckID, pk.Timestamp}
		s.live[l.Seq] = k
		s.produced[k] = true
		if !slices.Contains(s.seqs[k], l.Seq) {
			s.seqs[k] = append(s.seqs[k], l.Seq)
		}
	case "ack":
		delete(s.live, l.Seq)
	default:
		s.bad++
	}
}

// addAll applies every complete line of data and returns the bytes of an
// incomplete last line (to be completed by the next read).
func (s *spoolFile) addAll(data []byte) (rest []byte) {
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return data
		}
		if line := bytes.TrimSpace(data[:i]); len(line) > 0 {
			s.add(line)
		}
		data = data[i+1:]
	}
}

// liveKeys returns the entries still waiting.
func (s *spoolFile) liveKeys() map[resultKey]bool {
	out := make(map[resultKey]bool, len(s.live))
	for _, k := range s.live {
		out[k] = true
	}
	return out
}

// deadEntry is one line of the daemon's dead letter file (spool.dead, NDJSON
// of protocol.DeadLetter).
type deadEntry struct {
	Key      resultKey
	Reason   string
	Refusals []protocol.Refusal
}

// maxDeadLine bounds one dead letter line; the agent's are far smaller.
const maxDeadLine = 4 << 20

// parseDeadLetters reads a dead letter file. The key of each comes from its
// post (check_id, timestamp), or from the dead letter's own CheckID and
// Timestamp when the post was too large to keep; the two must agree. A line
// that is not a dead letter (a write cut short by a kill, which the next
// one starts after on a new line) is counted in bad, not an error; a dead
// letter without a key is an error.
func parseDeadLetters(r io.Reader, source string) (out []deadEntry, bad int, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	for lineNo := 1; ; lineNo++ {
		line, err := readLineMax(br, maxDeadLine)
		if errors.Is(err, io.EOF) {
			return out, bad, nil
		}
		if err != nil {
			return out, bad, fmt.Errorf("%s:%d: %w", source, lineNo, err)
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var d protocol.DeadLetter
		if json.Unmarshal(line, &d) != nil || d.Reason == "" {
			bad++
			continue
		}
		k := resultKey{d.CheckID, d.Timestamp}
		if len(d.Post) > 0 {
			var pk postKey
			if err := json.Unmarshal(d.Post, &pk); err != nil {
				return out, bad, fmt.Errorf("%s:%d: dead letter post: %w", source, lineNo, err)
			}
			if (d.CheckID != "" && d.CheckID != pk.CheckID) || (d.Timestamp != 0 && d.Timestamp != pk.Timestamp) {
				return out, bad, fmt.Errorf("%s:%d: dead letter says %s but its post is %s", source, lineNo, k, resultKey{pk.CheckID, pk.Timestamp})
			}
			k = resultKey{pk.CheckID, pk.Timestamp}
		}
		if k.Check == "" || k.TS <= 0 {
			return out, bad, fmt.Errorf("%s:%d: dead letter without check_id or timestamp: %.200s", source, lineNo, line)
		}
		out = append(out, deadEntry{Key: k, Reason: d.Reason, Refusals: d.Refusals})
	}
}
