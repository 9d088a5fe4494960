// Package secretaudit finds secrets in bytes, for tests: logs, ps output,
// /metrics pages, the spool, plugin environments, recordings. Given the
// secrets (the monitoring token, SMTP and proxy passwords, the webhook
// secret, credentials in notification URLs), it looks for each one and its
// obvious encodings:
//
//	plain              the value itself
//	url-query-escaped  url.QueryEscape (with %XX in either case)
//	url-path-escaped   url.PathEscape
//	url-userinfo       as URL user info escapes it
//	json-escaped       as encoding/json writes it (with and without HTML escaping)
//	hex                hex of the bytes, either case
//	base64             standard or URL alphabet, padded or not, at any offset
//	                   in a longer base64 text (the three alignments)
//	basic-auth         base64 of "user:password" (HTTP Basic, Proxy-Authorization)
//	smtp-auth-plain    base64 of "\x00user\x00password" (SMTP AUTH PLAIN)
//
// and reports where (offset, line), never the value. It is imported only
// from _test files, so it costs the binary nothing.
//
// Secrets shorter than MinLen are not searched (a short one would match by
// chance); Auditor.Skipped names them. Tests should use long, distinctive
// secrets (16 characters or more) so that a hit is never a coincidence.
package secretaudit

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/virgo-top/virgo-top/config"
)

// MinLen is the shortest secret searched for.
const MinLen = 6

// Secret is one value that must not appear.
type Secret struct {
	Name  string // what it is, for reports: "monitoring_token"
	Value string
	// User is the user name that goes with a password, for the
	// basic-auth and smtp-auth-plain forms; "" if none.
	User string
}

// Finding is one occurrence of a secret.
type Finding struct {
	Secret   string // Secret.Name
	Encoding string // "plain", "base64", ... (see the package doc)
	Offset   int    // byte offset in the data
	Line     int    // 1-based line of Offset
}

func (f Finding) String() string {
	return fmt.Sprintf("%s (%s) at line %d, offset %d", f.Secret, f.Encoding, f.Line, f.Offset)
}

// TB is the part of testing.TB that Check uses.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
}

type needle struct {
	secret, encoding string
	text             []byte
}

// Auditor searches data for a fixed set of secrets. It is safe for
// concurrent use once built.
type Auditor struct {
	needles []needle
	skipped []string
}

// New returns an Auditor for secrets. Empty values are ignored; values
// shorter than MinLen are listed by Skipped.
func New(secrets ...Secret) *Auditor {
	a := &Auditor{}
	seen := map[string]bool{}
	add := func(s Secret, encoding, text string) {
		if len(text) < MinLen || seen[text] {
			return
		}
		seen[text] = true
		a.needles = append(a.needles, needle{secret: s.Name, encoding: encoding, text: []byte(text)})
	}
	for _, s := range secrets {
		if s.Value == "" {
			continue
		}
		if len(s.Value) < MinLen {
			a.skipped = append(a.skipped, s.Name)
			continue
		}
		v := s.Value
		add(s, "plain", v)
		if s.User != "" {
			add(s, "basic-auth", base64.StdEncoding.EncodeToString([]byte(s.User+":"+v)))
			add(s, "smtp-auth-plain", base64.StdEncoding.EncodeToString([]byte("\x00"+s.User+"\x00"+v)))
		}
		for _, e := range []string{url.QueryEscape(v), url.PathEscape(v), userinfoEscape(v)} {
			add(s, escapeName(v, e), e)
			add(s, escapeName(v, e), lowerPercent(e))
		}
		add(s, "json-escaped", jsonEscape(v, true))
		add(s, "json-escaped", jsonEscape(v, false))
		add(s, "hex", hex.EncodeToString([]byte(v)))
		add(s, "hex", strings.ToUpper(hex.EncodeToString([]byte(v))))
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			for _, t := range base64Needles(enc, v) {
				add(s, "base64", t)
			}
		}
	}
	return a
}

// Skipped names the secrets too short to search for.
func (a *Auditor) Skipped() []string { return append([]string(nil), a.skipped...) }

// Scan returns every occurrence of a secret in data, by offset. A match
// inside a longer match of the same secret (the password's base64 inside
// its basic-auth form) is not reported again.
func (a *Auditor) Scan(data []byte) []Finding {
	type hit struct {
		Finding
		end int
	}
	var hits []hit
	for _, n := range a.needles {
		for off := 0; off <= len(data); {
			i := bytes.Index(data[off:], n.text)
			if i < 0 {
				break
			}
			at := off + i
			hits = append(hits, hit{Finding{Secret: n.secret, Encoding: n.encoding, Offset: at}, at + len(n.text)})
			off = at + 1
		}
	}
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].Offset != hits[j].Offset {
			return hits[i].Offset < hits[j].Offset
		}
		return hits[i].end > hits[j].end
	})
	var out []Finding
	covered := map[string]int{} // secret -> end of its last reported match
	for _, h := range hits {
		if end, ok := covered[h.Secret]; ok && h.end <= end {
			continue
		}
		covered[h.Secret] = h.end
		h.Line = 1 + bytes.Count(data[:h.Offset], []byte("\n"))
		out = append(out, h.Finding)
	}
	return out
}

// Check reports through t.Errorf every secret found in data, naming where
// ("daemon log", "/metrics", a file name). It reports whether data was
// clean.
func (a *Auditor) Check(t TB, where string, data []byte) bool {
	t.Helper()
	found := a.Scan(data)
	for _, f := range found {
		t.Errorf("secret leaked in %s: %s", where, f)
	}
	return len(found) == 0
}

// CheckDir runs Check on every regular file under dir (a state dir, a
// spool), naming each file. Unreadable files are reported as errors.
func (a *Auditor) CheckDir(t TB, dir string) bool {
	t.Helper()
	clean := true
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !a.Check(t, path, data) {
			clean = false
		}
		return nil
	})
	if err != nil {
		t.Errorf("secret audit of %s: %v", dir, err)
		return false
	}
	return clean
}

// FromConfig lists the secrets in c: the monitoring token, the webhook
// secret, the SMTP password (with its user), and from monitoring_proxy_url,
// notify_webhook_url and notify_sms_url the user info password (with its
// user), every query value, and every path segment of 16 characters or more
// (webhook paths such as Slack's carry a credential; shorter segments are
// names like "send", which would match by chance).
func FromConfig(c config.Config) []Secret {
	out := []Secret{
		{Name: "monitoring_token", Value: c.Token.Reveal()},
		{Name: "notify_webhook_secret", Value: c.Notify.WebhookSecret.Reveal()},
		{Name: "notify_smtp_password", Value: c.Notify.SMTPPassword.Reveal(), User: c.Notify.SMTPUser},
	}
	for _, u := range []struct{ key, raw string }{
		{"monitoring_proxy_url", c.ProxyURL},
		{"notify_webhook_url", c.Notify.WebhookURL},
		{"notify_sms_url", c.Notify.SMSURL},
	} {
		out = append(out, urlSecrets(u.key, u.raw)...)
	}
	var kept []Secret
	for _, s := range out {
		if s.Value != "" {
			kept = append(kept, s)
		}
	}
	return kept
}

func urlSecrets(key, raw string) []Secret {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		// Unparsable: the whole value is the secret.
		return []Secret{{Name: key, Value: raw}}
	}
	var out []Secret
	if pw, ok := u.User.Password(); ok {
		out = append(out, Secret{Name: key + " password", Value: pw, User: u.User.Username()})
	}
	for name, vals := range u.Query() {
		for _, v := range vals {
			out = append(out, Secret{Name: key + " query " + name, Value: v})
		}
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if len(seg) >= 16 {
			out = append(out, Secret{Name: key + " path", Value: seg})
		}
	}
	return out
}

// base64Needles are the parts of v's base64 form that appear whatever the
// offset of v in a longer encoded text: for each of the three alignments,
// the encoding of v after 0, 1 or 2 bytes of prefix, without the groups
// the prefix or the end share with other bytes. Padding is left out, so
// the padded and unpadded forms both match.
func base64Needles(enc *base64.Encoding, v string) []string {
	var out []string
	for k := 0; k < 3; k++ {
		full := enc.EncodeToString(append(make([]byte, k), v...))
		start, end := 0, len(full)
		if k > 0 {
			start = 4
		}
		if (k+len(v))%3 != 0 {
			end -= 4
		}
		if end-start >= 8 {
			out = append(out, full[start:end])
		}
	}
	return out
}

func escapeName(v, e string) string {
	switch e {
	case url.QueryEscape(v):
		return "url-query-escaped"
	case url.PathEscape(v):
		return "url-path-escaped"
	}
	return "url-userinfo"
}

// userinfoEscape is how url.URL writes a password in user info.
func userinfoEscape(v string) string {
	return strings.TrimPrefix(url.UserPassword("", v).String(), ":")
}

var percentHex = regexp.MustCompile(`%[0-9A-F]{2}`)

func lowerPercent(s string) string { return percentHex.ReplaceAllStringFunc(s, strings.ToLower) }

func jsonEscape(v string, html bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(html)
	_ = enc.Encode(v) // a string always encodes
	return strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(b.String()), `"`), `"`)
}
