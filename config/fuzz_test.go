package config

import (
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
)

// errLine is how every Parse error line must start: the name and a line.
var errLine = regexp.MustCompile(`^fuzz\.cfg:[0-9]+: `)

// FuzzParse feeds arbitrary files to Parse. It must never panic; every
// error line must name a line; a config that parses must survive being
// written back out and parsed again unchanged.
func FuzzParse(f *testing.F) {
	for _, path := range []string{"testdata/monitoring-agent-localhost.cfg", "testdata/full.cfg", "testdata/crlf.cfg"} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data))
	}
	var ex strings.Builder
	if err := WriteExample(&ex); err != nil {
		f.Fatal(err)
	}
	f.Add(ex.String())
	f.Add("")
	f.Add("\n\n#\n")
	f.Add("monitoring_id\n")
	f.Add("monitoring_id a\nmonitoring_id b\n")
	f.Add("monitoring_endpoint 1.2.3.4:5\n")
	f.Add("monitoring_endpoints [::1]:1,a:65535\nmonitoring_snet_region dfw\n")
	f.Add("monitoring_proxy_url http://u:p@[::1\n")
	f.Add("interval 1h\nspool_max_bytes 9223372036854775807B\n")
	f.Add("notify_smtp_to \"a, b\" <a@b.c>, d@e.f\n")
	f.Add("\uFEFFlog_level WARN\r\n")
	f.Add("monitoring_token \x00\n")
	f.Add(strings.Repeat("x", 70000))

	f.Fuzz(func(t *testing.T, in string) {
		c, err := Parse(strings.NewReader(in), "fuzz.cfg")
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !errLine.MatchString(line) {
					t.Fatalf("error line does not name a line: %q", line)
				}
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error is not an *Error: %v", err)
			}
			return
		}
		_ = c.Validate()
		_ = c.Settings()

		// Write the set keys back and parse again: same values.
		var out strings.Builder
		for _, k := range keyTable {
			if _, set := c.Source[k.name]; set {
				out.WriteString(k.name + " " + k.get(&c) + "\n")
			}
		}
		c2, err := Parse(strings.NewReader(out.String()), "fuzz.cfg")
		if err != nil {
			t.Fatalf("written back config does not parse: %v\n%s", err, out.String())
		}
		for _, k := range keyTable {
			if a, b := k.get(&c), k.get(&c2); a != b {
				t.Fatalf("%s: %q became %q", k.name, a, b)
			}
		}
	})
}
