package config

import (
	"errors"
	"strings"
	"testing"
)

// TestCertificatePath: the original's key for a custom CA
// (rackspace-monitoring-agent main.lua:245, caProvided) sets the CA file
// as monitoring_ca does; one file setting both is a conflict; a later layer
// wins over an earlier one whichever name either used.
func TestCertificatePath(t *testing.T) {
	c, err := Parse(strings.NewReader("certificate_path /etc/ca.pem\n"), "virgo.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if c.CAFile != "/etc/ca.pem" || c.Source["certificate_path"] != "virgo.cfg:1" {
		t.Errorf("certificate_path: CAFile %q, source %v", c.CAFile, c.Source)
	}
	shown := map[string]string{}
	for _, s := range c.Settings() {
		shown[s.Key] = s.Value
	}
	if shown["certificate_path"] != "/etc/ca.pem" {
		t.Errorf("settings show certificate_path %q", shown["certificate_path"])
	}

	_, err = Parse(strings.NewReader("monitoring_ca /a.pem\ncertificate_path /b.pem\n"), "virgo.cfg")
	if !errors.Is(err, ErrConflict) {
		t.Errorf("both keys in one file: %v, want a conflict", err)
	}

	// The environment (a later layer) overrides the file, under either name.
	c, err = Parse(strings.NewReader("certificate_path /file.pem\n"), "virgo.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ApplyEnv([]string{"VIRGO_TOP_MONITORING_CA=/env.pem"}); err != nil {
		t.Fatal(err)
	}
	if c.CAFile != "/env.pem" || c.Source["certificate_path"] != "" || c.Source["monitoring_ca"] != "env" {
		t.Errorf("env over file: CAFile %q, source %v", c.CAFile, c.Source)
	}
	c, err = Parse(strings.NewReader("monitoring_ca /file.pem\n"), "virgo.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ApplyEnv([]string{"VIRGO_TOP_CERTIFICATE_PATH=/env.pem"}); err != nil {
		t.Fatal(err)
	}
	if c.CAFile != "/env.pem" {
		t.Errorf("certificate_path from env over monitoring_ca: CAFile %q", c.CAFile)
	}
}

// TestHealthFeatureDefault: the original announces "health" unless
// monitoring_health is disabled or false (agent.lua:234, features.lua).
func TestHealthFeatureDefault(t *testing.T) {
	if !Default().Health {
		t.Error("monitoring_health defaults to false; the original's default is enabled")
	}
	for _, v := range []string{"disabled", "false"} {
		c, err := Parse(strings.NewReader("monitoring_health "+v+"\n"), "virgo.cfg")
		if err != nil || c.Health {
			t.Errorf("monitoring_health %s: Health %v, err %v", v, c.Health, err)
		}
	}
}
