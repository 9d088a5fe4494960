package alarm

import "testing"

// Alarm criteria Rackspace published with its agent's plugins
// (racker/rackspace-monitoring-agent-plugins-contrib, in the comment that
// heads each plugin), which the Rackspace service accepted and which use a
// number without its integer part and backslash-newline continuations, inside
// and outside strings. The agent never parsed criteria; the service did.
const (
	// onmetal_v1_smart.py, lines 14-17.
	publishedOnMetalSMART = `if (metric['percent_pe_cycles_used'] >= .8) {
  return new AlarmStatus(WARNING, 'Percentage of PE cycles used is #{percent_pe_cycles_used}');
}
return new AlarmStatus(OK, 'Percentage of PE cycles used is #{percent_pe_cycles_used}');`

	// holland_mysqldump.py, lines 31-49 (comment markers removed).
	publishedHolland = `if (metric['sql_ping_succeeds'] == 'false') {
 return new AlarmStatus(CRITICAL, 'holland-plugin: MySQL is not running.');
}
if (metric['sql_creds_exist'] == 'false') {
  return new AlarmStatus(CRITICAL, 'holland-plugin: MySQL credentials file \
           does not exist.');
}
if (metric['sql_status_succeeds'] == 'false') {
  return new AlarmStatus(CRITICAL, 'holland-plugin: MySQL credentials do \
           not authenticate.');
}
if (metric['dump_age'] > 172800) {
  return new AlarmStatus(CRITICAL, 'holland-plugin: mysqldump file is older \
           than 2d.');
}
if (metric['error_count'] > 0) {
  return new AlarmStatus(CRITICAL, 'holland-plugin: #{last_error}.');
}

return new AlarmStatus(OK, 'holland-plugin: MySQL and Holland OK');`

	// mysql_replication.py, lines 26-44 (comment markers removed).
	publishedReplication = `if (metric['SLAVE_STATUS'] != 'ONLINE') {
  return new AlarmStatus(CRITICAL, 'MySQL Replication is OFFLINE.');
}

if (metric['SLAVE_STATUS'] == 'ONLINE' && metric['SECONDS_BEHIND_MASTER'] \
      >= 120 && metric['SECONDS_BEHIND_MASTER'] < 300) {
  return new AlarmStatus(WARNING, 'MySQL Replication ONLINE \
      but Slave is more than 2 minutes behind Master.');
}

if (metric['SLAVE_STATUS'] == 'ONLINE' && metric['SECONDS_BEHIND_MASTER'] \
      >= 300) {
  return new AlarmStatus(CRITICAL, 'MySQL Replication ONLINE \
      but Slave is more than 5 minutes behind Master.');
}

return new AlarmStatus(OK, 'MySQL Replication is ONLINE');`
)

func TestPublishedCriteria(t *testing.T) {
	cases := []struct {
		name     string
		criteria string
		metrics  Metrics
		state    State
		message  string
	}{
		{"onmetal .8 above", publishedOnMetalSMART, Metrics{"percent_pe_cycles_used": num(0.81)}, Warning,
			"Percentage of PE cycles used is 0.81"},
		{"onmetal .8 below", publishedOnMetalSMART, Metrics{"percent_pe_cycles_used": num(0.5)}, OK,
			"Percentage of PE cycles used is 0.5"},
		{"onmetal .8 exactly", publishedOnMetalSMART, Metrics{"percent_pe_cycles_used": str(".8")}, Warning,
			"Percentage of PE cycles used is .8"},
		{"holland continued message", publishedHolland,
			Metrics{"sql_ping_succeeds": str("true"), "sql_creds_exist": str("false")}, Critical,
			"holland-plugin: MySQL credentials file            does not exist."},
		{"holland ok", publishedHolland,
			Metrics{"sql_ping_succeeds": str("true"), "sql_creds_exist": str("true"), "sql_status_succeeds": str("true"),
				"dump_age": num(60), "error_count": num(0)}, OK, "holland-plugin: MySQL and Holland OK"},
		{"replication behind 2 min", publishedReplication,
			Metrics{"SLAVE_STATUS": str("ONLINE"), "SECONDS_BEHIND_MASTER": num(200)}, Warning,
			"MySQL Replication ONLINE       but Slave is more than 2 minutes behind Master."},
		{"replication behind 5 min", publishedReplication,
			Metrics{"SLAVE_STATUS": str("ONLINE"), "SECONDS_BEHIND_MASTER": num(301)}, Critical,
			"MySQL Replication ONLINE       but Slave is more than 5 minutes behind Master."},
		{"replication in step", publishedReplication,
			Metrics{"SLAVE_STATUS": str("ONLINE"), "SECONDS_BEHIND_MASTER": num(3)}, OK, "MySQL Replication is ONLINE"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.criteria)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			res := c.Evaluate(Observation{Time: t0, Available: true, Metrics: tc.metrics}, nil)
			if res.State != tc.state || res.Message != tc.message {
				t.Errorf("Evaluate = %v %q, want %v %q", res.State, res.Message, tc.state, tc.message)
			}
		})
	}
}
