package endpoint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOriginalAgentMessages replays the original agent's messages (the
// peer's fixtures, testdata/virgo) with its token swapped for one the
// token file knows ("MYTOKEN" is shorter than a token may be): hello,
// heartbeat, schedule and the agent.memory post are answered, and the post
// reaches the output in the schema with no alarm series.
func TestOriginalAgentMessages(t *testing.T) {
	te := startEndpoint(t, nil, nil)
	toks, err := ParseTokens([]byte(tokenA + " MYUID\n"))
	if err != nil {
		t.Fatal(err)
	}
	te.srv.SetTokens(toks)
	a := dialAgent(t, te.addr)
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("testdata", "virgo", name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.NewReplacer("\r", "", "\n", "", `"MYTOKEN"`, `"`+tokenA+`"`).Replace(string(b))
	}
	for _, tt := range []struct {
		file string
		id   int
	}{
		{"handshake.hello.request.json", 0},
		{"heartbeat.post.request.json", 1},
		{"check_schedule.get.request.json", 2},
		{"check_metrics.post.request.json", 4},
	} {
		line := read(tt.file)
		a.send(line)
		m, err := a.read()
		if err != nil || m.Response == nil {
			t.Fatalf("%s: %+v %v", tt.file, m, err)
		}
		if m.Response.Error != nil {
			t.Fatalf("%s refused: %v", tt.file, m.Response.Error)
		}
		if m.Response.Target != "agentA" {
			t.Errorf("%s: reply target %q, want the agent's source", tt.file, m.Response.Target)
		}
	}
	series, alerts := te.out.taken()
	var names []string
	for _, s := range series {
		for _, l := range s.Labels {
			switch {
			case l.Name == "agent_id" && l.Value != "MYUID":
				t.Fatalf("series of %q", l.Value)
			case l.Name == "__name__":
				names = append(names, l.Value)
			}
		}
	}
	got := strings.Join(names, " ")
	if !strings.Contains(got, "virgo_check_metric_bytes") || !strings.Contains(got, "virgo_check_available") ||
		strings.Contains(got, "virgo_alarm_state") || len(alerts) != 0 {
		t.Fatalf("series %s, %d alerts", got, len(alerts))
	}
}
