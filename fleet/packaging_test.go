package fleet_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virgo-top/virgo-top/internal/enginetest"
)

// The example scrape config of packaging/prometheus is valid for
// promtool, with its target files in place.
func TestPackagedScrapeConfig(t *testing.T) {
	promtool := enginetest.Binary(t, "/usr/bin/promtool")
	dir := t.TempDir()
	src, err := os.ReadFile("../packaging/prometheus/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.ReplaceAll(string(src), "/etc/prometheus/targets/", dir+"/")
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"virgo-top-agents.yml", "node-exporters.yml"} {
		b, err := os.ReadFile(filepath.Join("../packaging/prometheus", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(promtool, "check", "config", filepath.Join(dir, "prometheus.yml")).CombinedOutput()
	if err != nil || strings.Contains(string(out), "WARNING") || !strings.Contains(string(out), "SUCCESS") {
		t.Fatalf("promtool check config: %v\n%s", err, out)
	}
}
