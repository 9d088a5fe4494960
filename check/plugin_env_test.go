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

func TestPluginTimeout(t *testing.T) {
	cases := []struct {
		name    string
		run     time.Duration // the run's timeout (EffectiveTimeout)
		details map[string]any
		want    time.Duration
		wantErr bool
	}{
		{name: "default is Virgo's 60 s, not the period", run: 5 * time.Minute, want: 60 * time.Second},
		{name: "default without a run timeout", run: 0, want: 60 * time.Second},
		{name: "a shorter run timeout wins", run: 30 * time.Second, want: 30 * time.Second},
		{name: "details.timeout in ms", run: 5 * time.Minute, details: map[string]any{"timeout": 5000}, want: 5 * time.Second},
		{name: "details.timeout above 60 s", run: 5 * time.Minute, details: map[string]any{"timeout": 120000.0}, want: 2 * time.Minute},
		{name: "details.timeout above the run's", run: 90 * time.Second, details: map[string]any{"timeout": "120000"}, want: 90 * time.Second},
		{name: "details.timeout as a duration", run: time.Minute, details: map[string]any{"timeout": "1.5s"}, want: 1500 * time.Millisecond},
		{name: "bad details.timeout", run: time.Minute, details: map[string]any{"timeout": -1}, wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := pluginTimeout(runCtx{def: Def{Type: TypePlugin, Details: tc.details}, timeout: tc.run})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if !tc.wantErr && got != tc.want {
				t.Errorf("pluginTimeout = %v, want %v", got, tc.want)
			}
		})
	}
}
