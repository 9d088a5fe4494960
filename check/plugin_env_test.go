package check

import (
	"slices"
	"testing"
	"time"
)

func TestPluginEnvWithheld(t *testing.T) {
	cases := []struct {
		name     string
		withheld bool
	}{
		// The config's overrides: secrets, paths to secrets, URLs with
		// credentials, and every other VIRGO_TOP_ key.
		{"VIRGO_TOP_MONITORING_TOKEN", true},
		{"VIRGO_TOP_MONITORING_TOKEN_FILE", true},
		{"VIRGO_TOP_NOTIFY_WEBHOOK_SECRET", true},
		{"VIRGO_TOP_NOTIFY_SMTP_PASSWORD", true},
		{"VIRGO_TOP_NOTIFY_WEBHOOK_URL", true},
		{"VIRGO_TOP_NOTIFY_SMS_URL", true},
		{"VIRGO_TOP_MONITORING_PROXY_URL", true},
		{"VIRGO_TOP_PLUGIN_RUN", true}, // an inherited marker: the runner sets its own
		{"VIRGO_TOP_INTERVAL", true},
		{"CREDENTIALS_DIRECTORY", true},
		{"NOTIFY_SOCKET", true},
		{"WATCHDOG_PID", true},
		{"WATCHDOG_USEC", true},
		{"LISTEN_PID", true},
		{"LISTEN_FDS", true},
		{"LISTEN_FDNAMES", true},
		// What Virgo's plugins got and still get.
		{"PATH", false},
		{"HOME", false},
		{"LANG", false},
		{"TZ", false},
		{"HTTP_PROXY", false},
		{"http_proxy", false},
		{"VIRGO_CI", false},
		{"virgo_top_interval", false}, // names are case-sensitive, as the config reads them
		{"RAX_CHECK_ID", false},       // replaced, not withheld
		{"", false},
	}
	for _, tc := range cases {
		if got := pluginEnvWithheld(tc.name); got != tc.withheld {
			t.Errorf("pluginEnvWithheld(%q) = %v, want %v", tc.name, got, tc.withheld)
		}
	}
}

func TestPluginEnv(t *testing.T) {
	def := Def{ID: "chX", Type: TypePlugin, Period: 90 * time.Second,
		Details: map[string]any{"file": "x.sh", "db-host": "db1", "Port": 5432}}
	inherited := []string{
		"HOME=/root",
		"PATH=/opt/bin:/usr/bin",
		"VIRGO_TOP_MONITORING_TOKEN=tok-secret",
		"CREDENTIALS_DIRECTORY=/run/credentials/virgo-top.service",
		"RAX_CHECK_ID=stale",
		"RAX_DETAILS_FILE=stale",
		"EMPTY=",
		"=C:=C:\\odd", // a Windows drive entry passes through untouched
	}
	got := pluginEnv(def, inherited)
	want := []string{
		"HOME=/root",
		"PATH=/opt/bin:/usr/bin",
		"EMPTY=",
		"=C:=C:\\odd",
		"RAX_CHECK_ID=chX",
		"RAX_CHECK_PERIOD=90",
		"RAX_CHECK_TYPE=agent.plugin",
		"RAX_DETAILS_FILE=x.sh",
		"RAX_DETAILS_DB_HOST=db1",
		"RAX_DETAILS_PORT=5432",
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("pluginEnv:\n got %q\nwant %q", got, want)
	}

	// No PATH in the agent's environment: the minimal one.
	got = pluginEnv(Def{ID: "c"}, []string{"HOME=/"})
	if !slices.Contains(got, "PATH="+pluginPATH) {
		t.Errorf("no inherited PATH: %q lacks PATH=%s", got, pluginPATH)
	}
}
