package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSMSFormDefault(t *testing.T) {
	rec, srv := newRecorder(t)
	s, err := NewSMS(SMSOptions{URL: srv.URL + "/send", To: "+15551234567", Username: "acct", Password: "pa:ss", UserAgent: "virgo-top/1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Notify(context.Background(), testEvent()); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	reqs := rec.requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.Path != "/send" {
		t.Errorf("request = %s %s", r.Method, r.Path)
	}
	if got, want := string(r.Body), "to=%2B15551234567&text=CRITICAL+cpu%40web1%3A+CPU+at+97%25"; got != want {
		t.Errorf("body = %q, want %q", got, want)
	}
	for k, want := range map[string]string{
		"Content-Type":  "application/x-www-form-urlencoded",
		"User-Agent":    "virgo-top/1.2.3",
		"Authorization": "Basic YWNjdDpwYTpzcw==", // acct:pa:ss
	} {
		if got := r.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	form, err := url.ParseQuery(string(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	if want := (url.Values{"to": {"+15551234567"}, "text": {"CRITICAL cpu@web1: CPU at 97%"}}); !reflect.DeepEqual(form, want) {
		t.Errorf("form = %v, want %v", form, want)
	}
}

func TestSMSJSONTemplate(t *testing.T) {
	rec, srv := newRecorder(t)
	s, err := NewSMS(SMSOptions{
		URL:         srv.URL + "/api/sms",
		Method:      "put",
		Format:      SMSJSON,
		Template:    `{"to":"{{.To}}","text":"{{.Short}}","host":"{{.Entity}}","usage":"{{index .Metrics "usage_average"}}","at":"{{.Time}}"}`,
		To:          "+4930 123",
		TokenHeader: "x-api-key",
		Token:       "tok-123",
	})
	if err != nil {
		t.Fatal(err)
	}
	ev := testEvent()
	ev.Entity = `db"1\`
	ev.Message = "load \"high\"\nsee </script> & more"
	if err := s.Notify(context.Background(), ev); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	r := rec.requests()[0]
	if r.Method != http.MethodPut {
		t.Errorf("method = %s, want PUT", r.Method)
	}
	if got := r.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	if got := r.Header.Get("X-Api-Key"); got != "tok-123" {
		t.Errorf("X-Api-Key = %q", got)
	}
	if got := r.Header.Get("Authorization"); got != "" {
		t.Errorf("Authorization = %q, want none", got)
	}
	var body map[string]string
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, r.Body)
	}
	want := map[string]string{
		"to":    "+4930 123",
		"text":  `CRITICAL cpu@db"1\: load "high" see </script> & more`,
		"host":  `db"1\`,
		"usage": "97.20%",
		"at":    "2026-11-24T15:59:30Z",
	}
	if !reflect.DeepEqual(body, want) {
		t.Errorf("body = %q, want %q", body, want)
	}
}

func TestSMSGatewayErrors(t *testing.T) {
	for _, tt := range []struct {
		status    int
		permanent bool
	}{{400, true}, {401, true}, {429, false}, {500, false}} {
		rec, srv := newRecorder(t, tt.status)
		rec.body = `{"error":"bad"}`
		s, err := NewSMS(SMSOptions{URL: srv.URL + "/send?apikey=SECRETKEY", To: "1", Password: "pw-secret", Username: "u"})
		if err != nil {
			t.Fatal(err)
		}
		err = s.Notify(context.Background(), testEvent())
		want := fmt.Sprintf(`sms: POST %s/***: HTTP status %d: {"error":"bad"}`, srv.URL, tt.status)
		if err == nil || err.Error() != want {
			t.Errorf("status %d: err = %v, want %s", tt.status, err, want)
		}
		if err != nil && IsPermanent(err) != tt.permanent {
			t.Errorf("status %d: permanent = %v", tt.status, IsPermanent(err))
		}
	}
}

func TestNewSMSRejects(t *testing.T) {
	tests := []struct {
		o    SMSOptions
		want string
	}{
		{SMSOptions{To: "1"}, "sms: URL is empty"},
		{SMSOptions{URL: "mailto:x@example.com", To: "1"}, `sms: URL scheme must be http or https, not "mailto"`},
		{SMSOptions{URL: "https://gw.example.com/", To: "1", Method: "GET"}, `sms: method must be POST or PUT, not "GET"`},
		{SMSOptions{URL: "https://gw.example.com/", To: "1", Format: "xml"}, `sms: format must be "form" or "json", not "xml"`},
		{SMSOptions{URL: "https://gw.example.com/"}, "sms: no recipient (to)"},
		{SMSOptions{URL: "https://gw.example.com/", To: "1", Username: "u"}, "sms: username and password go together"},
		{SMSOptions{URL: "https://gw.example.com/", To: "1", Token: "t"}, "sms: token header and token go together"},
		{SMSOptions{URL: "https://gw.example.com/", To: "1", TokenHeader: "Bad Header", Token: "t"}, `sms: token header "Bad Header" is not a valid header name`},
		{SMSOptions{URL: "https://gw.example.com/", To: "1", TokenHeader: "X-Key", Token: "t\r\nX: y"}, "sms: token contains a line break"},
		{SMSOptions{URL: "https://gw.example.com/", To: "1", Timeout: -1}, "sms: timeout must not be negative, got -1ns"},
		{SMSOptions{URL: "https://gw.example.com/", To: "1", Template: "{{.To"}, `sms: template: offset 0: unclosed action (no "}}")`},
		{SMSOptions{URL: "https://gw.example.com/", To: "1", Template: "{{.Nope}}"}, `sms: template: offset 0: unknown field .Nope (known: .To, .Short, .Subject, .Entity, .CheckID, .CheckLabel, .CheckType, .AlarmName, .AlarmLabel, .Previous, .Current, .Message, .Time, .Metrics.NAME, index .Metrics "NAME")`},
		{SMSOptions{URL: "https://gw.example.com/", To: "+1", Format: "json", Template: `{"to":{{.To}}}`}, `sms: template output is not valid JSON: {"to":+1}`},
		{SMSOptions{URL: "https://gw.example.com/", To: "1", Template: "a=%zz"}, `sms: template output is not a valid form body: invalid URL escape "%zz"`},
	}
	for _, tt := range tests {
		_, err := NewSMS(tt.o)
		if err == nil || err.Error() != tt.want {
			t.Errorf("NewSMS(%+v)\n err = %v\nwant %s", tt.o, err, tt.want)
		}
	}
}

// FuzzSMSRender checks that the default templates give a well-formed body
// carrying exactly Event.Short, whatever the event holds.
func FuzzSMSRender(f *testing.F) {
	f.Add("web1", "cpu", "CPU at 97%", "+15551234567")
	f.Add(`a"b\c`, "&x=y", "</script>\u2028\x00", "")
	f.Add("\xff\xfe", "{{.To}}", strings.Repeat("é", 300), "%zz")
	form, err := NewSMS(SMSOptions{URL: "http://127.0.0.1/", To: "x"})
	if err != nil {
		f.Fatal(err)
	}
	js, err := NewSMS(SMSOptions{URL: "http://127.0.0.1/", To: "x", Format: SMSJSON})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, entity, label, message, to string) {
		ev := Event{Entity: entity, CheckLabel: label, Message: message, Current: StateCritical}
		short := ev.Short()
		if n := utf8.RuneCountInString(short); n > ShortMax {
			t.Fatalf("Short has %d characters", n)
		}
		form.to, js.to = to, to
		b, err := form.Render(ev)
		if err != nil {
			t.Fatalf("form: %v", err)
		}
		v, err := url.ParseQuery(string(b))
		if err != nil || v.Get("text") != short || v.Get("to") != to {
			t.Fatalf("form body %q decodes to %v, %v", b, v, err)
		}
		b, err = js.Render(ev)
		if err != nil {
			t.Fatalf("json: %v", err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("json body %q: %v", b, err)
		}
		// Short is valid UTF-8 (oneLine replaces bad bytes), so it survives JSON.
		// A recipient with invalid UTF-8 comes back with U+FFFD per bad byte.
		if m["text"] != short || (utf8.ValidString(to) && m["to"] != to) {
			t.Fatalf("json text = %q, want %q", m["text"], short)
		}
	})
}
