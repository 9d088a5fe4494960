package check

import (
	"context"
	"fmt"
	"sort"
)

// Check types of the original this agent accepts in a schedule but cannot
// run: the Windows performance-counter and SQL Server checks
// (check/windows/*.lua) and Rackspace's Xen hypervisor check
// (check/raxxen.lua). A run answers an unavailable result that says so,
// rather than the schedule dropping the check without a word.
const (
	TypeWindowsPerfOS      = "agent.windows_perfos"
	TypeMSSQLVersion       = "agent.mssql_version"
	TypeMSSQLDatabase      = "agent.mssql_database"
	TypeMSSQLBufferManager = "agent.mssql_buffer_manager"
	TypeMSSQLSQLStatistics = "agent.mssql_sql_statistics"
	TypeMSSQLMemoryManager = "agent.mssql_memory_manager"
	TypeMSSQLPlanCache     = "agent.mssql_plan_cache"
	TypeRaxxen             = "agent.raxxen"
)

// unsupportedTypes maps each such type to where the original runs it.
var unsupportedTypes = map[string]string{
	TypeWindowsPerfOS:      "Windows",
	TypeMSSQLVersion:       "Windows",
	TypeMSSQLDatabase:      "Windows",
	TypeMSSQLBufferManager: "Windows",
	TypeMSSQLSQLStatistics: "Windows",
	TypeMSSQLMemoryManager: "Windows",
	TypeMSSQLPlanCache:     "Windows",
	TypeRaxxen:             "Rackspace XenServer hypervisors",
}

// UnsupportedTypes lists the types KnownType accepts that no run can
// serve here, sorted.
func UnsupportedTypes() []string {
	out := make([]string, 0, len(unsupportedTypes))
	for t := range unsupportedTypes {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// unsupportedStatus is the status of a run of an unsupported type. The
// original, on the wrong platform, keeps the result available with the
// status "err <type> available only on Windows platforms"
// (check/windows/winbase.lua line 133); we make it unavailable, so an
// alarm on the check sees that it never ran, and name both facts.
func unsupportedStatus(typ, where string) string {
	return fmt.Sprintf("%s is not supported on this platform: available only on %s", typ, where)
}

func runUnsupported(_ context.Context, rc runCtx) Result {
	where, ok := unsupportedTypes[rc.def.Type]
	if !ok {
		where = "other platforms"
	}
	return ErrorResult(rc.def, rc.start, unsupportedStatus(rc.def.Type, where))
}
