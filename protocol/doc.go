// Package protocol speaks the Virgo endpoint protocol: TLS, one JSON object
// per line, JSON-RPC-like requests and responses (handshake.hello,
// heartbeat.post, check_schedule.get, check_metrics.post, ...). It holds the
// wire types, the line codec, the client with its reconnect and failover
// logic, and the metrics spool. It knows nothing of collectors: the agent
// answers endpoint requests through small interfaces.
package protocol
