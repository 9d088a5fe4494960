package notify

import (
	"fmt"
	"strings"
)

// smsTemplate is the SMS body template: literal text with {{.Field}} and
// {{index .Metrics "name"}} (or {{.Metrics.name}}) actions, the subset of
// text/template syntax the SMS gateway needs. It is not text/template on
// purpose: text/template resolves fields and methods by reflection, which
// makes the linker keep every exported method of every type in the binary
// (about 1.9 MB more binary and 1 MB more resident memory for the daemon
// and the console, which is measured in BENCHMARKS.md).
type smsTemplate struct {
	parts []smsPart
}

// smsPart is a literal (field == "") or an action naming an SMSData field
// or, with metric set, one key of SMSData.Metrics.
type smsPart struct {
	lit    string
	field  string
	metric string
}

// smsFields are the SMSData fields a template may name.
var smsFields = []string{
	"To", "Short", "Subject", "Entity", "CheckID", "CheckLabel", "CheckType",
	"AlarmName", "AlarmLabel", "Previous", "Current", "Message", "Time",
}

// parseSMSTemplate parses text. Errors name the byte offset of the action.
func parseSMSTemplate(text string) (*smsTemplate, error) {
	t := &smsTemplate{}
	rest, off := text, 0
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if rest != "" {
				t.parts = append(t.parts, smsPart{lit: rest})
			}
			return t, nil
		}
		if lit := rest[:i]; lit != "" {
			t.parts = append(t.parts, smsPart{lit: lit})
		}
		end := strings.Index(rest[i+2:], "}}")
		if end < 0 {
			return nil, fmt.Errorf("offset %d: unclosed action (no \"}}\")", off+i)
		}
		action := rest[i+2 : i+2+end]
		p, err := parseSMSAction(action)
		if err != nil {
			return nil, fmt.Errorf("offset %d: %w", off+i, err)
		}
		t.parts = append(t.parts, p)
		n := i + 2 + end + 2
		rest, off = rest[n:], off+n
	}
}

// parseSMSAction parses what is between {{ and }}, trim markers ("{{- x -}}")
// not supported.
func parseSMSAction(a string) (smsPart, error) {
	a = strings.TrimSpace(a)
	if rest, ok := strings.CutPrefix(a, "index"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
		rest, ok = strings.CutPrefix(strings.TrimSpace(rest), ".Metrics")
		key := strings.TrimSpace(rest)
		if !ok || key == rest && rest != "" {
			return smsPart{}, fmt.Errorf("unsupported action {{%s}}: index works on .Metrics only", a)
		}
		if len(key) < 2 || key[0] != '"' || key[len(key)-1] != '"' || strings.ContainsAny(key[1:len(key)-1], `"\`) {
			return smsPart{}, fmt.Errorf("index .Metrics wants a quoted metric name, got %s", key)
		}
		return smsPart{field: "Metrics", metric: key[1 : len(key)-1]}, nil
	}
	switch {
	case a == "":
		return smsPart{}, fmt.Errorf("empty action")
	case strings.ContainsAny(a, " \t\r\n|()"):
	case strings.HasPrefix(a, ".Metrics.") && len(a) > len(".Metrics."):
		return smsPart{field: "Metrics", metric: a[len(".Metrics."):]}, nil
	case strings.HasPrefix(a, "."):
		for _, k := range smsFields {
			if k == a[1:] {
				return smsPart{field: k}, nil
			}
		}
		return smsPart{}, fmt.Errorf("unknown field %s (known: .%s, .Metrics.NAME, index .Metrics \"NAME\")", a, strings.Join(smsFields, ", ."))
	}
	return smsPart{}, fmt.Errorf("unsupported action {{%s}}: only {{.Field}} and {{index .Metrics \"name\"}} are supported", a)
}

// execute writes the body for d to b. A metric the event does not carry
// renders as the empty string.
func (t *smsTemplate) execute(b *strings.Builder, d *SMSData) {
	for _, p := range t.parts {
		switch p.field {
		case "":
			b.WriteString(p.lit)
		case "Metrics":
			b.WriteString(d.Metrics[p.metric])
		default:
			b.WriteString(d.field(p.field))
		}
	}
}

// field is the value of the SMSData field called name ("" if unknown).
func (d *SMSData) field(name string) string {
	switch name {
	case "To":
		return d.To
	case "Short":
		return d.Short
	case "Subject":
		return d.Subject
	case "Entity":
		return d.Entity
	case "CheckID":
		return d.CheckID
	case "CheckLabel":
		return d.CheckLabel
	case "CheckType":
		return d.CheckType
	case "AlarmName":
		return d.AlarmName
	case "AlarmLabel":
		return d.AlarmLabel
	case "Previous":
		return d.Previous
	case "Current":
		return d.Current
	case "Message":
		return d.Message
	case "Time":
		return d.Time
	}
	return ""
}
