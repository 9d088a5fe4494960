package notify

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"time"
)

// SMS body formats.
const (
	SMSForm = "form" // application/x-www-form-urlencoded
	SMSJSON = "json" // application/json
)

// Default SMS templates, one per format.
const (
	DefaultSMSFormTemplate = `to={{.To}}&text={{.Short}}`
	DefaultSMSJSONTemplate = `{"to":"{{.To}}","text":"{{.Short}}"}`
)

// SMSOptions configures an SMS notifier that posts to an HTTP SMS gateway.
type SMSOptions struct {
	// Name is the notifier name in stats and logs; default "sms".
	Name string
	// URL is the gateway endpoint.
	URL string
	// Method is POST (default) or PUT.
	Method string
	// Format is SMSForm (default) or SMSJSON; it sets the Content-Type and
	// how template values are escaped.
	Format string
	// Template renders the request body: literal text with {{.Field}}
	// actions naming SMSData fields ({{.To}}, {{.Short}}, {{.Subject}},
	// {{.Entity}}, {{.Current}} and the other Event fields) and
	// {{index .Metrics "name"}} or {{.Metrics.name}} for one metric (empty
	// when the event lacks it); no other text/template syntax. Every value is
	// already escaped for Format (URL query escaping for form, JSON string
	// escaping for json), so `"{{.Short}}"` is safe inside JSON. Default:
	// DefaultSMSFormTemplate or DefaultSMSJSONTemplate.
	Template string
	// To is the recipient number, as the gateway wants it.
	To string
	// Username and Password, when set, are sent as HTTP basic auth.
	Username string
	Password string
	// TokenHeader and Token, when set, are sent as one header, e.g.
	// "Authorization" and "Bearer abc".
	TokenHeader string
	Token       string
	// Timeout bounds each request; default DefaultHTTPTimeout.
	Timeout time.Duration
	// UserAgent defaults to DefaultUserAgent.
	UserAgent string
	// Client replaces the default client (which does not follow redirects).
	Client *http.Client
}

// SMSData is what an SMS template sees. All strings are escaped for the
// body format.
type SMSData struct {
	To, Short, Subject                       string
	Entity, CheckID, CheckLabel, CheckType   string
	AlarmName, AlarmLabel, Previous, Current string
	Message                                  string
	// Time is RFC 3339.
	Time    string
	Metrics map[string]string
}

// SMS sends Event.Short through an HTTP SMS gateway.
type SMS struct {
	name      string
	url       *url.URL
	method    string
	format    string
	tmpl      *smsTemplate
	to        string
	username  string
	password  string
	tokenHdr  string
	token     string
	timeout   time.Duration
	userAgent string
	client    *http.Client
}

// NewSMS checks the options, parses and trial-renders the template, and
// returns an SMS notifier.
func NewSMS(o SMSOptions) (*SMS, error) {
	u, err := parseHTTPURL("sms", o.URL)
	if err != nil {
		return nil, err
	}
	s := &SMS{
		name:      o.Name,
		url:       u,
		method:    strings.ToUpper(o.Method),
		format:    strings.ToLower(o.Format),
		to:        o.To,
		username:  o.Username,
		password:  o.Password,
		tokenHdr:  o.TokenHeader,
		token:     o.Token,
		timeout:   o.Timeout,
		userAgent: o.UserAgent,
		client:    newHTTPClient(o.Client),
	}
	if s.name == "" {
		s.name = "sms"
	}
	switch s.method {
	case "":
		s.method = http.MethodPost
	case http.MethodPost, http.MethodPut:
	default:
		return nil, fmt.Errorf("sms: method must be POST or PUT, not %q", o.Method)
	}
	text := o.Template
	switch s.format {
	case "", SMSForm:
		s.format = SMSForm
		if text == "" {
			text = DefaultSMSFormTemplate
		}
	case SMSJSON:
		if text == "" {
			text = DefaultSMSJSONTemplate
		}
	default:
		return nil, fmt.Errorf("sms: format must be %q or %q, not %q", SMSForm, SMSJSON, o.Format)
	}
	if s.to == "" {
		return nil, errors.New("sms: no recipient (to)")
	}
	if (s.username == "") != (s.password == "") {
		return nil, errors.New("sms: username and password go together")
	}
	if (s.tokenHdr == "") != (s.token == "") {
		return nil, errors.New("sms: token header and token go together")
	}
	if s.tokenHdr != "" && !validHeaderName(s.tokenHdr) {
		return nil, fmt.Errorf("sms: token header %q is not a valid header name", s.tokenHdr)
	}
	if strings.ContainsAny(s.token, "\r\n") {
		return nil, errors.New("sms: token contains a line break")
	}
	if o.Timeout < 0 {
		return nil, fmt.Errorf("sms: timeout must not be negative, got %s", o.Timeout)
	}
	if s.timeout == 0 {
		s.timeout = DefaultHTTPTimeout
	}
	if s.userAgent == "" {
		s.userAgent = DefaultUserAgent
	}
	s.tmpl, err = parseSMSTemplate(text)
	if err != nil {
		return nil, fmt.Errorf("sms: template: %w", err)
	}
	// Render once now so unknown fields fail at configuration, not at 3 am.
	if _, err := s.Render(Event{Entity: "host", CheckID: "check", AlarmName: "alarm", Previous: StateOK, Current: StateCritical, Message: `a "test" & more`, Time: time.Unix(0, 0).UTC()}); err != nil {
		return nil, err
	}
	return s, nil
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// Name implements Notifier.
func (s *SMS) Name() string { return s.name }

// String describes the notifier without credentials.
func (s *SMS) String() string { return s.name + " " + s.format + " " + redactURL(s.url) }

// Render returns the request body for ev: the template run over SMSData with
// values escaped for the format. A JSON body must be valid JSON and a form
// body a valid query string.
func (s *SMS) Render(ev Event) ([]byte, error) {
	esc := func(v string) string { return url.QueryEscape(v) }
	if s.format == SMSJSON {
		esc = jsonEscape
	}
	d := SMSData{
		To: esc(s.to), Short: esc(ev.Short()), Subject: esc(ev.Subject()),
		Entity: esc(ev.Entity), CheckID: esc(ev.CheckID), CheckLabel: esc(ev.CheckLabel), CheckType: esc(ev.CheckType),
		AlarmName: esc(ev.AlarmName), AlarmLabel: esc(ev.AlarmLabel), Previous: esc(ev.Previous), Current: esc(ev.Current),
		Message: esc(ev.Message),
	}
	if !ev.Time.IsZero() {
		d.Time = esc(ev.Time.Format(time.RFC3339))
	}
	if len(ev.Metrics) > 0 {
		d.Metrics = make(map[string]string, len(ev.Metrics))
		for k, v := range ev.Metrics {
			d.Metrics[k] = esc(v)
		}
	}
	var b strings.Builder
	s.tmpl.execute(&b, &d)
	switch s.format {
	case SMSJSON:
		if !json.Valid([]byte(b.String())) {
			return nil, fmt.Errorf("sms: template output is not valid JSON: %s", truncate(oneLine(b.String()), 80))
		}
	default:
		if _, err := url.ParseQuery(b.String()); err != nil {
			return nil, fmt.Errorf("sms: template output is not a valid form body: %w", err)
		}
	}
	return []byte(b.String()), nil
}

// jsonEscape escapes v for use between the quotes of a JSON string.
func jsonEscape(v string) string {
	b, _ := json.Marshal(v) // a string always marshals
	return string(b[1 : len(b)-1])
}

// Notify implements Notifier: one request to the gateway.
func (s *SMS) Notify(ctx context.Context, ev Event) error {
	body, err := s.Render(ev)
	if err != nil {
		return Permanent(err)
	}
	h := http.Header{}
	if s.format == SMSJSON {
		h.Set("Content-Type", "application/json")
	} else {
		h.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	h.Set("User-Agent", s.userAgent)
	if s.username != "" {
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(s.username+":"+s.password)))
	}
	if s.tokenHdr != "" {
		h[textproto.CanonicalMIMEHeaderKey(s.tokenHdr)] = []string{s.token}
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := postRequest(ctx, s.client, s.method, s.url, h, body); err != nil {
		return fmt.Errorf("sms: %w", err)
	}
	return nil
}
