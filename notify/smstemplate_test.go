package notify

import (
	"strings"
	"testing"
)

func TestSMSTemplate(t *testing.T) {
	d := &SMSData{
		To: "+1555", Short: "CRITICAL web1", Subject: "subj", Entity: "web1", CheckID: "chCPU",
		CheckLabel: "CPU", CheckType: "agent.cpu", AlarmName: "hot", AlarmLabel: "Hot CPU",
		Previous: "OK", Current: "CRITICAL", Message: "cpu at 97%", Time: "2026-11-24T18:00:00Z",
		Metrics: map[string]string{"usage_average": "97.1", "a b": "x"},
	}
	tests := []struct {
		name, text, want string
	}{
		{"literal only", `to=1&text=hi`, `to=1&text=hi`},
		{"empty", ``, ``},
		{"default form", DefaultSMSFormTemplate, `to=+1555&text=CRITICAL web1`},
		{"default json", DefaultSMSJSONTemplate, `{"to":"+1555","text":"CRITICAL web1"}`},
		{"spaces inside action", `{{ .Entity }}/{{	.Current	}}`, `web1/CRITICAL`},
		{"every field", `{{.To}}|{{.Short}}|{{.Subject}}|{{.Entity}}|{{.CheckID}}|{{.CheckLabel}}|{{.CheckType}}|{{.AlarmName}}|{{.AlarmLabel}}|{{.Previous}}|{{.Current}}|{{.Message}}|{{.Time}}`,
			`+1555|CRITICAL web1|subj|web1|chCPU|CPU|agent.cpu|hot|Hot CPU|OK|CRITICAL|cpu at 97%|2026-11-24T18:00:00Z`},
		{"index metric", `u={{index .Metrics "usage_average"}}`, `u=97.1`},
		{"dotted metric", `u={{.Metrics.usage_average}}`, `u=97.1`},
		{"metric with a space by index", `{{index .Metrics "a b"}}`, `x`},
		{"missing metric is empty", `u={{index .Metrics "nope"}};`, `u=;`},
		{"braces in literal JSON", `{"a":{"b":"{{.To}}"}}`, `{"a":{"b":"+1555"}}`},
		{"single braces", `{x}{{.To}}}`, `{x}+1555}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := parseSMSTemplate(tt.text)
			if err != nil {
				t.Fatalf("parse %q: %v", tt.text, err)
			}
			var b strings.Builder
			tmpl.execute(&b, d)
			if b.String() != tt.want {
				t.Errorf("execute %q = %q, want %q", tt.text, b.String(), tt.want)
			}
		})
	}
}

func TestSMSTemplateErrors(t *testing.T) {
	tests := []struct{ text, want string }{
		{`{{.To`, `offset 0: unclosed action (no "}}")`},
		{`ab{{.To}}{{`, `offset 9: unclosed action (no "}}")`},
		{`x{{}}`, `offset 1: empty action`},
		{`{{.Nope}}`, `offset 0: unknown field .Nope`},
		{`{{.to}}`, `offset 0: unknown field .to`},
		{`{{.Metrics}}`, `offset 0: unknown field .Metrics`},
		{`{{index .Metrics usage}}`, `offset 0: index .Metrics wants a quoted metric name, got usage`},
		{`{{index .Metrics "a\"b"}}`, `offset 0: index .Metrics wants a quoted metric name`},
		{`{{if .To}}x{{end}}`, `offset 0: unsupported action {{if .To}}`},
		{`{{printf "%s" .To}}`, `offset 0: unsupported action`},
		{`{{.To | html}}`, `offset 0: unsupported action`},
		{`{{- .To -}}`, `offset 0: unsupported action`},
	}
	for _, tt := range tests {
		_, err := parseSMSTemplate(tt.text)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("parse %q: err = %v, want prefix %q", tt.text, err, tt.want)
		}
	}
}

// FuzzSMSTemplate: any text parses or fails with an error, never panics;
// text without "{{" renders as itself, and a parsed template renders
// without panicking on any data.
func FuzzSMSTemplate(f *testing.F) {
	for _, s := range []string{DefaultSMSFormTemplate, DefaultSMSJSONTemplate, `{{index .Metrics "x"}}`, `{{.Metrics.a.b}}`, `{{`, `}}{{}}`, `{{ .To }}{{.Nope}}`} {
		f.Add(s, "v")
	}
	f.Fuzz(func(t *testing.T, text, v string) {
		tmpl, err := parseSMSTemplate(text)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		var b strings.Builder
		tmpl.execute(&b, &SMSData{To: v, Short: v, Metrics: map[string]string{v: v}})
		if !strings.Contains(text, "{{") && b.String() != text {
			t.Fatalf("literal %q rendered as %q", text, b.String())
		}
	})
}
