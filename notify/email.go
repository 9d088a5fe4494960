package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DefaultSMTPTimeout bounds one whole SMTP session (connect to QUIT).
const DefaultSMTPTimeout = 30 * time.Second

// EmailOptions configures an Email notifier.
type EmailOptions struct {
	// Name is the notifier name in stats and logs; default "email".
	Name string
	// Addr is the SMTP server, host:port.
	Addr string
	// StartTLS requires STARTTLS: sending fails if the server does not offer it.
	StartTLS bool
	// ImplicitTLS speaks TLS from the first byte (SMTPS, usually port 465).
	ImplicitTLS bool
	// TLSConfig verifies the server; nil means system roots and the host of
	// Addr as ServerName. Tests set RootCAs for a self-signed certificate.
	TLSConfig *tls.Config
	// Username and Password enable AUTH PLAIN. As in net/smtp, credentials
	// are only sent over TLS or to localhost.
	Username string
	Password string
	// From is the sender, "Name <addr>" or "addr"; To the recipients.
	From string
	To   []string
	// Hello is the EHLO name; default the host name.
	Hello string
	// Timeout bounds a whole session; default DefaultSMTPTimeout.
	Timeout time.Duration
	// Now is the clock for the Date header; default time.Now.
	Now func() time.Time
}

// Email sends each Event as a plain-text mail over SMTP.
type Email struct {
	name     string
	addr     string
	host     string
	startTLS bool
	implicit bool
	tls      *tls.Config
	username string
	password string
	from     *mail.Address
	to       []*mail.Address
	hello    string
	timeout  time.Duration
	now      func() time.Time
}

// NewEmail checks the options and returns an Email notifier.
func NewEmail(o EmailOptions) (*Email, error) {
	host, port, err := net.SplitHostPort(o.Addr)
	if err != nil {
		return nil, fmt.Errorf("email: server address %q: want host:port: %w", o.Addr, err)
	}
	if host == "" {
		return nil, fmt.Errorf("email: server address %q has no host", o.Addr)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return nil, fmt.Errorf("email: server address %q: port must be 1-65535", o.Addr)
	}
	if o.StartTLS && o.ImplicitTLS {
		return nil, errors.New("email: choose STARTTLS or implicit TLS, not both")
	}
	if (o.Username == "") != (o.Password == "") {
		return nil, errors.New("email: username and password go together")
	}
	if o.Timeout < 0 {
		return nil, fmt.Errorf("email: timeout must not be negative, got %s", o.Timeout)
	}
	from, err := mail.ParseAddress(o.From)
	if err != nil {
		return nil, fmt.Errorf("email: from address %q: %w", o.From, err)
	}
	if len(o.To) == 0 {
		return nil, errors.New("email: no recipients (to)")
	}
	to := make([]*mail.Address, 0, len(o.To))
	for _, s := range o.To {
		a, err := mail.ParseAddress(s)
		if err != nil {
			return nil, fmt.Errorf("email: to address %q: %w", s, err)
		}
		to = append(to, a)
	}
	e := &Email{
		name:     o.Name,
		addr:     o.Addr,
		host:     host,
		startTLS: o.StartTLS,
		implicit: o.ImplicitTLS,
		username: o.Username,
		password: o.Password,
		from:     from,
		to:       to,
		hello:    o.Hello,
		timeout:  o.Timeout,
		now:      o.Now,
	}
	if o.TLSConfig != nil {
		e.tls = o.TLSConfig.Clone()
	} else {
		e.tls = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if e.tls.ServerName == "" {
		e.tls.ServerName = host
	}
	if e.name == "" {
		e.name = "email"
	}
	if e.hello == "" {
		e.hello = "localhost"
		if h, err := os.Hostname(); err == nil && h != "" && !strings.ContainsAny(h, " \r\n") {
			e.hello = h
		}
	}
	if e.timeout == 0 {
		e.timeout = DefaultSMTPTimeout
	}
	if e.now == nil {
		e.now = time.Now
	}
	return e, nil
}

// Name implements Notifier.
func (e *Email) Name() string { return e.name }

// String describes the notifier without the password.
func (e *Email) String() string {
	return fmt.Sprintf("%s smtp://%s from %s to %d recipient(s)", e.name, e.addr, e.from.Address, len(e.to))
}

// Notify implements Notifier: one SMTP session delivering one message.
// Replies 5xx and configuration problems (no STARTTLS, no AUTH, credentials
// refused on a plain connection) are Permanent; 4xx and network errors are
// retryable.
func (e *Email) Notify(ctx context.Context, ev Event) error {
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	if err := e.send(ctx, ev); err != nil {
		switch {
		case IsPermanent(err):
		case ctx.Err() != nil:
			err = fmt.Errorf("%w (%w)", err, context.Cause(ctx))
		case errors.Is(err, os.ErrDeadlineExceeded):
			// The connection deadline is ctx's; it can fire a moment before ctx.
			err = fmt.Errorf("%w (%w)", err, context.DeadlineExceeded)
		}
		return fmt.Errorf("email via %s: %w", e.addr, err)
	}
	return nil
}

func (e *Email) send(ctx context.Context, ev Event) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", e.addr)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	// net/smtp takes no context: bound the connection by ctx's deadline and
	// unblock it at once when ctx is cancelled.
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if e.implicit {
		tc := tls.Client(conn, e.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return classifySMTP("TLS handshake", err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, e.host)
	if err != nil {
		conn.Close()
		return classifySMTP("greeting", err)
	}
	defer c.Close()
	if err := c.Hello(e.hello); err != nil {
		return classifySMTP("EHLO", err)
	}
	if e.startTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return Permanent(errors.New("STARTTLS required but the server does not offer it"))
		}
		if err := c.StartTLS(e.tls); err != nil {
			return classifySMTP("STARTTLS", err)
		}
	}
	if e.username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return Permanent(errors.New("credentials configured but the server does not offer AUTH (it may require TLS first)"))
		}
		if err := c.Auth(smtp.PlainAuth("", e.username, e.password, e.host)); err != nil {
			return classifySMTP("AUTH PLAIN", err)
		}
	}
	if err := c.Mail(e.from.Address); err != nil {
		return classifySMTP("MAIL FROM", err)
	}
	for _, a := range e.to {
		if err := c.Rcpt(a.Address); err != nil {
			return classifySMTP("RCPT TO "+a.Address, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return classifySMTP("DATA", err)
	}
	msg := buildMessage(ev, e.from, e.to, e.now(), newMessageID(e.from.Address))
	if _, err := w.Write(msg); err != nil {
		return classifySMTP("DATA", err)
	}
	if err := w.Close(); err != nil {
		return classifySMTP("end of DATA", err)
	}
	// The message is accepted; a failing QUIT does not undo that.
	_ = c.Quit()
	return nil
}

// classifySMTP wraps err with the step that failed; 5xx replies and
// net/smtp's refusal to send credentials in the clear are Permanent.
func classifySMTP(step string, err error) error {
	err = fmt.Errorf("%s: %w", step, err)
	var cv *tls.CertificateVerificationError
	if errors.As(err, &cv) {
		// An untrusted or mismatched certificate stays so until reconfigured.
		return Permanent(err)
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		if te.Code >= 500 {
			return Permanent(err)
		}
		return err
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return err
	}
	if strings.HasPrefix(step, "AUTH") {
		// Neither a reply nor the network: PlainAuth itself refused to send
		// the password (unencrypted connection to another host, wrong host).
		return Permanent(err)
	}
	return err
}

// newMessageID returns a unique Message-ID in the sender's domain.
func newMessageID(from string) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	domain := "virgo-top.invalid"
	if i := strings.LastIndexByte(from, '@'); i >= 0 && i+1 < len(from) {
		domain = from[i+1:]
	}
	return "<" + hex.EncodeToString(b[:]) + "@" + domain + ">"
}

// buildMessage renders the mail: headers, a blank line and a text/plain
// UTF-8 body, every line ending in CRLF. The body is 7bit when it is ASCII
// with short lines, quoted-printable otherwise. net/smtp's DATA writer does
// the dot-stuffing.
func buildMessage(ev Event, from *mail.Address, to []*mail.Address, now time.Time, msgID string) []byte {
	body := messageBody(ev)
	encoding := "7bit"
	if needsQP(body) {
		encoding = "quoted-printable"
		var qp bytes.Buffer
		w := quotedprintable.NewWriter(&qp)
		_, _ = w.Write([]byte(body))
		_ = w.Close()
		body = qp.String()
	}
	// Fold long headers so no line passes 78 characters without need:
	// recipients one per line, encoded words one per line.
	rcpts := make([]string, len(to))
	n := len("To: ")
	for i, a := range to {
		rcpts[i] = a.String()
		n += len(rcpts[i]) + 2
	}
	rcptSep := ", "
	if n > 78 {
		rcptSep = ",\r\n "
	}
	subject := mime.QEncoding.Encode("utf-8", ev.Subject())
	if strings.HasPrefix(subject, "=?") {
		// Encoded words hold no spaces; the spaces between them may fold.
		subject = strings.ReplaceAll(subject, "?= =?", "?=\r\n =?")
	}
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("Date", now.Format(time.RFC1123Z))
	header("From", from.String())
	header("To", strings.Join(rcpts, rcptSep))
	header("Subject", subject)
	header("Message-ID", msgID)
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", encoding)
	header("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	b.WriteString(body)
	return b.Bytes()
}

// messageBody is the readable text of the mail, CRLF line endings.
func messageBody(ev Event) string {
	var lines []string
	add := func(s ...string) { lines = append(lines, s...) }
	add(oneLine(ev.Current + ": " + ev.checkName() + " on " + ev.Entity))
	if ev.Message != "" {
		add(strings.Split(normalizeNewlines(ev.Message), "\n")...)
	}
	add("")
	field := func(k, v string) {
		if v = oneLine(v); v != "" {
			add(fmt.Sprintf("%-8s %s", k+":", v))
		}
	}
	field("Entity", ev.Entity)
	field("Check", withDetail(ev.checkName(), ev.CheckType, ev.CheckID))
	field("Alarm", withDetail(firstNonEmpty(ev.AlarmLabel, ev.AlarmName), ev.AlarmName))
	if w := ev.Worst; w != nil {
		field("State", ev.Previous+" -> "+w.State+" -> "+ev.Current)
		between := w.State
		if !w.Time.IsZero() {
			between += " at " + w.Time.Format(time.RFC3339)
		}
		if w.Message != "" {
			between += ": " + w.Message
		}
		field("Between", between)
	} else {
		field("State", ev.Previous+" -> "+ev.Current)
	}
	if ev.Changes > 1 {
		field("Changes", strconv.Itoa(ev.Changes)+" state changes since the last notification")
	}
	if !ev.Time.IsZero() {
		field("Time", ev.Time.Format(time.RFC3339))
	}
	if len(ev.Metrics) > 0 {
		keys := make([]string, 0, len(ev.Metrics))
		for k := range ev.Metrics {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		add("", "Metrics:")
		for _, k := range keys {
			add("  " + oneLine(k) + ": " + oneLine(ev.Metrics[k]))
		}
	}
	add("", "-- ", "Sent by virgo-top.")
	return strings.Join(lines, "\r\n") + "\r\n"
}

// withDetail renders "main (d1, d2)", skipping empty details and any detail
// equal to main.
func withDetail(main string, details ...string) string {
	var ds []string
	for _, d := range details {
		if d != "" && d != main {
			ds = append(ds, d)
		}
	}
	if len(ds) == 0 {
		return main
	}
	return main + " (" + strings.Join(ds, ", ") + ")"
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func normalizeNewlines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// needsQP reports whether body cannot go as 7bit: non-ASCII bytes, NUL, or
// a line longer than SMTP's 998 octets.
func needsQP(body string) bool {
	n := 0
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c >= 0x80 || c == 0:
			return true
		case c == '\n':
			n = 0
		default:
			n++
			if n > 998 {
				return true
			}
		}
	}
	return false
}
