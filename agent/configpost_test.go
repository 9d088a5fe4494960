package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/virgo-top/virgo-top/fixtures"
)

const (
	mysqlConfD = `type: agent.mysql
label: MySQL
period: 60
timeout: 30
details:
  host: 127.0.0.1
  port: 3306
  username: monitor
  password: correct-horse-battery-staple
alarms:
  conns:
    label: Connections
    criteria: |
      if (metric['connections'] > 100) { return new AlarmStatus(WARNING); }
`
	redisConfD  = "type: agent.redis\ndetails:\n  host: 127.0.0.1\n  password: \"r3dis-pw-0000-7777\"\n"
	apacheConfD = "type: agent.apache\ndetails:\n  url: http://stats:s3cret-apache-pw@127.0.0.1/server-status?auto\n"
	cpuConfD    = "# the cpu, as shipped\ntype: agent.cpu\nperiod: 30\nalarms:\n  hot:\n    criteria: \"if (metric['usage_average'] > 90) { return new AlarmStatus(CRITICAL); }\"\n"
)

// TestMaskConfD: secrets in conf.d details are masked as config check shows
// secrets (at most the last four characters); everything else is kept, and
// a file with no secret is sent byte for byte.
func TestMaskConfD(t *testing.T) {
	tests := []struct {
		name, in string
		secret   string // must not appear in the output
		want     map[string]any
	}{
		{"mysql", mysqlConfD, "correct-horse-battery-staple", map[string]any{"password": "****aple", "username": "monitor", "port": 3306}},
		{"redis", redisConfD, "r3dis-pw-0000-7777", map[string]any{"password": "****7777"}},
		{"apache url", apacheConfD, "s3cret-apache-pw", map[string]any{"url": "http://stats:****e-pw@127.0.0.1/server-status?auto"}},
		{"short", "type: agent.redis\ndetails:\n  password: abc\n", "abc", map[string]any{"password": "****"}},
		{"nested", "type: agent.plugin\ndetails:\n  env:\n    - api_key: 0123456789abcdef\n", "0123456789abcdef", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := MaskConfD([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(out, tt.secret) {
				t.Fatalf("secret left in:\n%s", out)
			}
			var doc struct {
				Type    string         `yaml:"type"`
				Details map[string]any `yaml:"details"`
				Alarms  map[string]any `yaml:"alarms"`
			}
			if err := yaml.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("masked output is not YAML: %v\n%s", err, out)
			}
			for k, v := range tt.want {
				if doc.Details[k] != v {
					t.Errorf("details.%s = %#v, want %#v", k, doc.Details[k], v)
				}
			}
			if tt.name == "mysql" && doc.Alarms["conns"] == nil {
				t.Error("alarms lost")
			}
		})
	}
	out, err := MaskConfD([]byte(cpuConfD))
	if err != nil || out != cpuConfD {
		t.Errorf("a file without secrets changed: %q, %v", out, err)
	}
	if _, err := MaskConfD([]byte("type: [unclosed\n")); err == nil {
		t.Error("broken YAML accepted")
	}
}

// FuzzMaskConfD: any text is masked or refused without a panic, and a
// password under details never survives.
func FuzzMaskConfD(f *testing.F) {
	for _, s := range []string{mysqlConfD, redisConfD, apacheConfD, cpuConfD, "details: &a {password: x}\nother: *a\n", "- 1\n", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		const pw = "Zq9-fuzz-password-Zq9"
		out, err := MaskConfD([]byte(in))
		if err != nil {
			return
		}
		_ = out
		doc := "type: agent.mysql\ndetails:\n  password: " + pw + "\n"
		if m, err := MaskConfD([]byte(doc)); err != nil || strings.Contains(m, pw) {
			t.Fatalf("password kept: %q %v", m, err)
		}
	})
}

// TestConfDPostedWhenConnected: once connected to an endpoint that names an
// entity, the agent posts its conf.d *.yaml files with config_file.post,
// name to text, as the original (confd.lua:110-167, virgo_messages.lua
// ConfigFilePost), with the mysql and redis passwords masked.
func TestConfDPostedWhenConnected(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{"mysql.yaml": mysqlConfD, "redis.yaml": redisConfD, "cpu.yaml": cpuConfD, "notes.txt": "not a check"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	l := startLink(t, fixtures.Options{}, func(s *Setup) { s.Config.ConfdDir = dir })
	l.waitFor(t, "config_file.post", func() bool { return l.fx.Stats().ConfigPosts > 0 })
	files := l.fx.ConfigFiles()
	if len(files) != 3 || files["cpu.yaml"] != cpuConfD {
		t.Fatalf("posted files %v", files)
	}
	for name, text := range files {
		for _, secret := range []string{"correct-horse-battery-staple", "r3dis-pw-0000-7777"} {
			if strings.Contains(text, secret) {
				t.Errorf("%s posted with its password:\n%s", name, text)
			}
		}
	}
	if !strings.Contains(files["mysql.yaml"], "****aple") || !strings.Contains(files["redis.yaml"], "****7777") {
		t.Errorf("masked passwords missing:\n%s\n%s", files["mysql.yaml"], files["redis.yaml"])
	}
	if n := l.fx.Stats().ConfigPosts; n != 1 {
		t.Errorf("%d config_file.post, want 1 (the original posts once)", n)
	}
}
