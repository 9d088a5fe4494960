package check

import (
	"slices"
	"testing"
	"time"
)

// TestUnsupportedTypes: every check type of the original this agent
// cannot run (check/windows/*.lua, check/raxxen.lua) is accepted in a
// schedule and answered with an unavailable result that says so; Types
// (the `virgo-top check` usage) does not list them.
func TestUnsupportedTypes(t *testing.T) {
	want := map[string]string{
		"agent.windows_perfos":       "agent.windows_perfos is not supported on this platform: available only on Windows",
		"agent.mssql_version":        "agent.mssql_version is not supported on this platform: available only on Windows",
		"agent.mssql_database":       "agent.mssql_database is not supported on this platform: available only on Windows",
		"agent.mssql_buffer_manager": "agent.mssql_buffer_manager is not supported on this platform: available only on Windows",
		"agent.mssql_sql_statistics": "agent.mssql_sql_statistics is not supported on this platform: available only on Windows",
		"agent.mssql_memory_manager": "agent.mssql_memory_manager is not supported on this platform: available only on Windows",
		"agent.mssql_plan_cache":     "agent.mssql_plan_cache is not supported on this platform: available only on Windows",
		"agent.raxxen":               "agent.raxxen is not supported on this platform: available only on Rackspace XenServer hypervisors",
	}
	if got := UnsupportedTypes(); len(got) != len(want) {
		t.Errorf("UnsupportedTypes() = %v", got)
	}
	types := Types()
	for typ, status := range want {
		def := Def{ID: "w", Type: typ, Period: time.Minute, Details: map[string]any{"x": 1}}
		if err := def.Validate(); err != nil {
			t.Errorf("%s refused in a schedule: %v", typ, err)
		}
		if slices.Contains(types, typ) {
			t.Errorf("Types() lists %s", typ)
		}
		r := runAt(t, &fakeEnv{snap: testSnapshot()}, def)
		if r.Available || r.Status != status || len(r.Metrics) != 0 || r.CheckType != typ {
			t.Errorf("%s: %v %q %v, want unavailable %q", typ, r.Available, r.Status, r.Metrics, status)
		}
	}
}

// TestNewTypesRegistered: the original's service and state checks run
// under their names (and `virgo-top check TYPE` lists them).
func TestNewTypesRegistered(t *testing.T) {
	types := Types()
	for _, typ := range []string{"agent.redis", "agent.apache", "agent.mysql", "agent.filesystem_state"} {
		if !KnownType(typ) || !slices.Contains(types, typ) {
			t.Errorf("%s is not a known, listed type", typ)
		}
	}
}
