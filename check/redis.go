package check

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// agent.redis, after the original's check/redis.lua: connect to
// details.host (default localhost) port details.port (default 6379),
// send AUTH when details.password is set, then INFO, and report the INFO
// fields of redisMetrics under the original's names and types (no units).
// details.timeout is in milliseconds, as the original's (default 5000),
// and never longer than the run's timeout.
//
// The password is a secret: it is sent only inside AUTH, and no status
// ever quotes it (redisScrub removes it from anything the server says).

// redisMaxReply is the original's MAX_BUFFER_LENGTH: a reply longer than
// 1 MiB fails the run with msgRedisMaxBuffer.
const redisMaxReply = 1 << 20

// Status texts of the original (check/redis.lua).
const (
	msgRedisMaxBuffer      = "Maximum buffer length reached"
	msgRedisInvalidPass    = "Could not authenticate. Invalid password."
	msgRedisMissingPass    = "Could not authenticate. Missing password?"
	redisDefaultPort       = 6379
	redisDefaultTimeout    = 5 * time.Second
	redisDefaultHost       = "localhost"
	redisMsgConnectTimeout = "Connection timed out in %dms"
)

// redisMetric is one INFO field the check reports.
type redisMetric struct {
	field string // INFO field name
	name  string // metric name (the original's alias, or the field)
	typ   string
}

// redisMetrics is the original's METRICS_MAP (redis.lua lines 30-44), in
// its order, plus the fields Redis renamed since 2.6 reported under the
// original's names: rdb_bgsave_in_progress, rdb_changes_since_last_save
// and aof_rewrite_in_progress. The original's map names "expired_key",
// which no Redis sends (the field is expired_keys), so it never reported
// it; we report expired_keys under the original's name.
var redisMetrics = []redisMetric{
	{"redis_version", "version", TypeString},
	{"uptime_in_seconds", "uptime_in_seconds", TypeUint32},
	{"connected_clients", "connected_clients", TypeUint32},
	{"blocked_clients", "blocked_clients", TypeUint32},
	{"used_memory", "used_memory", TypeUint64},
	{"bgsave_in_progress", "bgsave_in_progress", TypeUint32},
	{"rdb_bgsave_in_progress", "bgsave_in_progress", TypeUint32},
	{"changes_since_last_save", "changes_since_last_save", TypeUint32},
	{"rdb_changes_since_last_save", "changes_since_last_save", TypeUint32},
	{"bgrewriteaof_in_progress", "bgrewriteaof_in_progress", TypeUint32},
	{"aof_rewrite_in_progress", "bgrewriteaof_in_progress", TypeUint32},
	{"total_connections_received", "total_connections_received", TypeGauge},
	{"total_commands_processed", "total_commands_processed", TypeGauge},
	{"expired_keys", "expired_key", TypeUint32},
	{"evicted_keys", "evicted_keys", TypeUint32},
	{"pubsub_patterns", "pubsub_patterns", TypeUint32},
}

// errRedisMaxBuffer is a reply over redisMaxReply.
var errRedisMaxBuffer = statusf(msgRedisMaxBuffer)

func runRedis(ctx context.Context, rc runCtx) Result {
	d := rc.def.Details
	host, ok := detailString(d, "host")
	if !ok {
		host = redisDefaultHost
	}
	port := redisDefaultPort
	if p, has, err := detailFloat(d, "port"); has {
		if err != nil || p < 1 || p > 65535 || p != float64(int(p)) {
			return ErrorResult(rc.def, rc.start, fmt.Sprintf("Invalid port %v", d["port"]))
		}
		port = int(p)
	}
	password, _ := detailString(d, "password")
	timeout, has, err := detailDuration(d, "timeout", time.Millisecond)
	if err != nil {
		return ErrorResult(rc.def, rc.start, err.Error())
	}
	if !has {
		timeout = redisDefaultTimeout
	}
	timeout = min(timeout, rc.timeout)

	info, err := redisFetchInfo(ctx, net.JoinHostPort(host, strconv.Itoa(port)), password, timeout)
	if err != nil {
		return ErrorResult(rc.def, rc.start, err.Error())
	}
	r := NewResult(rc.def, rc.start)
	addRedisMetrics(&r, info)
	return r
}

// addRedisMetrics adds the redisMetrics found in an INFO reply. A field
// whose numeric value does not parse is left out (the original would
// have failed formatting it).
func addRedisMetrics(r *Result, info map[string]string) {
	seen := make(map[string]bool, len(redisMetrics))
	for _, m := range redisMetrics {
		v, ok := info[m.field]
		if !ok || seen[m.name] {
			continue
		}
		if m.typ != TypeString {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil || m.typ == TypeUint32 && n > 1<<32-1 {
				continue
			}
			v = strconv.FormatUint(n, 10)
		}
		seen[m.name] = true
		r.Add(m.name, m.typ, v, "")
	}
}

// redisFetchInfo connects, authenticates when password is set, and
// returns the INFO reply's fields.
func redisFetchInfo(ctx context.Context, addr, password string, timeout time.Duration) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, statusf(redisMsgConnectTimeout, timeout.Milliseconds())
		}
		return nil, statusf("Connecting to %s failed: %w", addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	w := bufio.NewWriter(conn)
	if password != "" {
		// The multibulk form: a password with spaces or CRLF stays one
		// argument (the original's inline AUTH split it).
		writeRESP(w, "AUTH", password)
	}
	writeRESP(w, "INFO")
	writeRESP(w, "QUIT")
	if err := w.Flush(); err != nil {
		return nil, redisIOError(ctx, timeout, err)
	}
	br := bufio.NewReaderSize(conn, 4096)
	if password != "" {
		line, err := readRESPLine(br)
		if err != nil {
			return nil, redisIOError(ctx, timeout, err)
		}
		if !strings.HasPrefix(line, "+") {
			return nil, redisAuthError(line, password)
		}
	}
	info, err := readRESPBulk(br, password)
	if err != nil {
		return nil, redisIOError(ctx, timeout, err)
	}
	return parseRedisInfo(info), nil
}

// redisIOError words a read or write failure; a deadline is the
// original's timeout message.
func redisIOError(ctx context.Context, timeout time.Duration, err error) error {
	var ne net.Error
	if ctx.Err() != nil || errors.As(err, &ne) && ne.Timeout() {
		return statusf(redisMsgConnectTimeout, timeout.Milliseconds())
	}
	return err
}

// redisAuthError maps an error reply to AUTH or INFO to the original's
// texts: old Redis says "-ERR invalid password" and "-ERR operation not
// permitted", Redis 6 and later "-WRONGPASS ..." and "-NOAUTH ...".
//
// Anything else the server says is quoted, with the password scrubbed.
func redisAuthError(line, password string) error {
	low := strings.ToLower(line)
	switch {
	case strings.HasPrefix(low, "-err invalid password"), strings.HasPrefix(low, "-wrongpass"):
		return statusf(msgRedisInvalidPass)
	case strings.HasPrefix(low, "-err operation not permitted"), strings.HasPrefix(low, "-noauth"):
		return statusf(msgRedisMissingPass)
	}
	line = redisScrub(line, password)
	msg := strings.TrimPrefix(line, "-")
	if strings.HasPrefix(line, "-") {
		return statusf("Redis error: %s", msg)
	}
	return statusf("Unexpected reply from Redis: %.64q", line)
}

// redisScrub removes the password from server text a status quotes,
// should a server ever echo it.
func redisScrub(s, password string) string {
	if password == "" {
		return s
	}
	return strings.ReplaceAll(s, password, "********")
}

// writeRESP writes one command as a RESP array of bulk strings.
func writeRESP(w *bufio.Writer, args ...string) {
	fmt.Fprintf(w, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(w, "$%d\r\n%s\r\n", len(a), a)
	}
}

// readRESPLine reads one CRLF-terminated line of at most redisMaxReply
// bytes, without its line ending.
func readRESPLine(br *bufio.Reader) (string, error) {
	var b []byte
	for {
		chunk, err := br.ReadSlice('\n')
		b = append(b, chunk...)
		if len(b) > redisMaxReply {
			return "", errRedisMaxBuffer
		}
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			if len(b) == 0 {
				return "", statusf("Connection closed by Redis")
			}
			break
		}
		return "", err
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// readRESPBulk reads the reply to INFO: a bulk string ("$N" CRLF, N
// bytes, CRLF). An error reply is mapped by redisAuthError; a bulk string
// longer than redisMaxReply is refused before it is read.
func readRESPBulk(br *bufio.Reader, password string) (string, error) {
	line, err := readRESPLine(br)
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(line, "$") {
		return "", redisAuthError(line, password)
	}
	n, err := strconv.Atoi(line[1:])
	if err != nil || n < 0 {
		return "", statusf("Unexpected reply from Redis: %.64q", redisScrub(line, password))
	}
	if n > redisMaxReply {
		return "", errRedisMaxBuffer
	}
	buf := make([]byte, n+2)
	if _, err := io.ReadFull(br, buf); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return "", statusf("Connection closed by Redis")
		}
		return "", err
	}
	return string(buf[:n]), nil
}

// parseRedisInfo splits INFO text into fields as the original's
// _parseLine does: the line split at colons, the first two parts
// trimmed; lines with fewer than two non-empty parts (section headers,
// blank lines) are skipped. A later line wins over an earlier one.
func parseRedisInfo(s string) map[string]string {
	out := make(map[string]string)
	for line := range strings.SplitSeq(s, "\n") {
		parts := strings.FieldsFunc(line, func(r rune) bool { return r == ':' })
		if len(parts) < 2 {
			continue
		}
		k, v := strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])
		if k == "" {
			continue
		}
		out[k] = v
	}
	return out
}

// statusError is an error whose text is a check's status, worded as the
// original's statuses are (capitalised, sometimes ending with a period).
type statusError struct {
	msg string
	err error
}

func (e *statusError) Error() string { return e.msg }
func (e *statusError) Unwrap() error { return e.err }

// statusf formats a status as an error; a %w verb wraps as fmt.Errorf does.
func statusf(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &statusError{msg: err.Error(), err: errors.Unwrap(err)}
}
