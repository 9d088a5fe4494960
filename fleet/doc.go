// Package fleet reads a fleet of hosts from an engine that speaks the
// Prometheus HTTP API (Prometheus, Thanos, Mimir, VictoriaMetrics): a small
// client written with the standard library (/api/v1/query,
// /api/v1/query_range, /api/v1/status/buildinfo; basic auth, a bearer
// token read from a file, a CA file, extra headers such as X-Scope-OrgID:
// internal/httpauth, shared with endpoint/remotewrite; a timeout per
// query) and the queries behind `virgo-top fleet`'s host
// table, alarms list and host drill-down.
//
// Every column of the host table is one query for the whole fleet,
// aggregated in the engine by the host label (never one query per host),
// and the columns are fetched concurrently. A host is the host label
// (internal/schema.LabelHost unless Options.HostLabel says otherwise) of
// virgo-top's series; node_exporter hosts, whose series carry no host
// label, are named by node_uname_info{nodename} joined on instance and
// job. Where both give a value for a host, virgo_* (and the host label)
// wins: each column is "virgo expression or node expression or node
// expression through node_uname_info", and PromQL's or keeps the left
// side's series. The metric names and labels come from internal/schema.
//
// A page of the table (Request.Limit) is sorted in the engine: topk or
// bottomk of the sort key for the first offset+limit hosts, then the
// hosts whose key ties with the last of them, in full (names are the
// tie-break, and engines choose among ties each their own way), then the
// page's hosts' columns. So a page costs the page plus the edge's tie
// group: in a fleet of OK hosts sorted by alarm, one value a host, as
// sorting by name costs.
//
// What does not live here: rendering (tui/fleet), flags (cmd/virgo-top)
// and any store of our own: the engine holds the data.
package fleet
