package check

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
)

// agent.mysql, after the original's check/mysql.lua: log in to the server
// at details.host (default 127.0.0.1) port details.port (default 3306), or
// on the Unix socket details.socket, as details.username with
// details.password, run SHOW GLOBAL STATUS, SHOW GLOBAL VARIABLES and SHOW
// SLAVE STATUS, and report the values of mysqlStatus, mysqlVariables and
// mysqlReplication under the original's aliases ("core.connections",
// "innodb.rows_read", ...), types and units. The original loads
// libmysqlclient; we speak the protocol's few messages ourselves
// (mysql_proto.go): no client library, no new dependency.
//
// The password is a secret: it goes into the login's scramble only, and
// no status quotes it. Statuses follow the original's wording:
//
//	mysql_real_connect(host=H, port=P, username=U) failed: (ERRNO) MESSAGE
//	mysql_query "QUERY" failed: (ERRNO) MESSAGE
//	mysql_num_fields failed: expected 2 fields, but got N
//
// Where we differ, on purpose: a user without the privilege for SHOW
// SLAVE STATUS (error 1227) gets the other metrics, without replication
// ones (the original failed the whole run); details.mycnf is not read
// (the original had libmysqlclient read the [client] group of my.cnf):
// give username and password; thread.cache_size's unit is "threads" (the
// original says "bytes" of a thread count); a value that is not a number
// where the original's type is numeric is left out.

// mysqlStat maps one SHOW row (or column) to a metric.
type mysqlStat struct {
	key, alias, typ, unit string
}

// mysqlStatus is the original's status_stat_map (mysql.lua lines 149-213).
var mysqlStatus = []mysqlStat{
	{"Aborted_clients", "core.aborted_clients", TypeUint64, "clients"},
	{"Connections", "core.connections", TypeGauge, "connections"},
	{"Innodb_row_lock_time", "innodb.row_lock_time", TypeGauge, unitMs},
	{"Innodb_row_lock_time_avg", "innodb.row_lock_time_avg", TypeUint64, unitMs},
	{"Innodb_row_lock_time_max", "innodb.row_lock_time_max", TypeUint64, unitMs},
	{"Innodb_rows_deleted", "innodb.rows_deleted", TypeGauge, "rows"},
	{"Innodb_rows_inserted", "innodb.rows_inserted", TypeGauge, "rows"},
	{"Innodb_rows_read", "innodb.rows_read", TypeGauge, "rows"},
	{"Innodb_rows_updated", "innodb.rows_updated", TypeGauge, "rows"},
	{"Innodb_buffer_pool_pages_data", "innodb.buffer_pool_pages_data", TypeUint64, "pages"},
	{"Innodb_buffer_pool_pages_dirty", "innodb.buffer_pool_pages_dirty", TypeUint64, "pages"},
	{"Innodb_buffer_pool_pages_free", "innodb.buffer_pool_pages_free", TypeUint64, "pages"},
	{"Innodb_buffer_pool_pages_total", "innodb.buffer_pool_pages_total", TypeUint64, "pages"},
	{"Innodb_buffer_pool_read_requests", "innodb.buffer_pool_read_requests", TypeGauge, "queries"},
	{"Innodb_buffer_pool_reads", "innodb.buffer_pool_reads", TypeGauge, "queries"},
	{"Innodb_data_pending_fsyncs", "innodb.data_pending_fsyncs", TypeUint64, "queries"},
	{"Innodb_data_pending_reads", "innodb.data_pending_reads", TypeUint64, "queries"},
	{"Innodb_data_pending_writes", "innodb.data_pending_writes", TypeUint64, "queries"},
	{"Innodb_os_log_pending_fsyncs", "innodb.os_log_pending_fsyncs", TypeUint64, "queries"},
	{"Innodb_os_log_pending_writes", "innodb.os_log_pending_writes", TypeUint64, "queries"},
	{"Innodb_pages_created", "innodb.pages_created", TypeGauge, "pages"},
	{"Innodb_pages_read", "innodb.pages_read", TypeGauge, "pages"},
	{"Innodb_pages_written", "innodb.pages_written", TypeGauge, "pages"},
	{"Innodb_row_lock_waits", "innodb.row_lock_waits", TypeGauge, "locks"},
	{"Innodb_buffer_pool_pages_flushed", "innodb.buffer_pool_pages_flushed", TypeGauge, "pages"},
	{"Queries", "core.queries", TypeGauge, "queries"},
	{"Threads_connected", "threads.connected", TypeUint64, "threads"},
	{"Threads_created", "threads.created", TypeUint64, "threads"},
	{"Threads_running", "threads.running", TypeUint64, "threads"},
	{"Uptime", "core.uptime", TypeUint64, unitSeconds},
	{"Qcache_free_blocks", "qcache.free_blocks", TypeUint64, "blocks"},
	{"Qcache_free_memory", "qcache.free_memory", TypeUint64, unitBytes},
	{"Qcache_hits", "qcache.hits", TypeGauge, "hits"},
	{"Qcache_inserts", "qcache.inserts", TypeGauge, "inserts"},
	{"Qcache_lowmem_prunes", "qcache.lowmem_prunes", TypeGauge, "prunes"},
	{"Qcache_not_cached", "qcache.not_cached", TypeGauge, "queries"},
	{"Qcache_queries_in_cache", "qcache.queries_in_cache", TypeUint64, "queries"},
	{"Qcache_total_blocks", "qcache.total_blocks", TypeUint64, "blocks"},
	{"Bytes_received", "bytes.received", TypeGauge, unitBytes},
	{"Bytes_sent", "bytes.sent", TypeGauge, unitBytes},
	{"Handler_delete", "handler.delete", TypeGauge, "queries"},
	{"Handler_read_first", "handler.read_first", TypeGauge, "queries"},
	{"Handler_read_key", "handler.read_key", TypeGauge, "queries"},
	{"Handler_read_next", "handler.read_next", TypeGauge, "queries"},
	{"Handler_read_prev", "handler.read_prev", TypeGauge, "queries"},
	{"Handler_read_rnd", "handler.read_rnd", TypeGauge, "queries"},
	{"Handler_read_rnd_next", "handler.read_rnd_next", TypeGauge, "queries"},
	{"Handler_rollback", "handler.rollback", TypeUint64, "queries"},
	{"Handler_savepoint", "handler.savepoint", TypeUint64, "queries"},
	{"Handler_savepoint_rollback", "handler.savepoint_rollback", TypeUint64, "queries"},
	{"Handler_update", "handler.update", TypeGauge, "queries"},
	{"Handler_write", "handler.write", TypeGauge, "queries"},
	{"Handler_commit", "handler.commit", TypeGauge, "queries"},
	{"Slave_running", "replication.slave_running", TypeString, ""},
}

// mysqlVariables is the original's variables_stat_map (lines 215-222).
var mysqlVariables = []mysqlStat{
	{"query_cache_size", "qcache.size", TypeUint64, unitBytes},
	{"max_connections", "max.connections", TypeUint64, "connections"},
	{"innodb_buffer_pool_size", "innodb.buffer_pool_size", TypeUint64, unitBytes},
	{"key_buffer_size", "key.buffer_size", TypeUint64, unitBytes},
	{"thread_cache_size", "thread.cache_size", TypeUint64, "threads"},
}

// mysqlReplication is the original's replication_stat_map (lines
// 224-240): columns of SHOW SLAVE STATUS.
var mysqlReplication = []mysqlStat{
	{"Read_Master_Log_Pos", "replication.read_master_log_pos", TypeUint64, "position"},
	{"Slave_IO_Running", "replication.slave_io_running", TypeString, ""},
	{"Slave_SQL_Running", "replication.slave_sql_running", TypeString, ""},
	{"Exec_Master_Log_Pos", "replication.exec_master_log_pos", TypeUint64, "position"},
	{"Relay_Log_Pos", "replication.relay_log_pos", TypeUint64, "position"},
	{"Relay_Log_Size", "replication.relay_log_size", TypeUint64, unitBytes},
	{"Seconds_Behind_Master", "replication.seconds_behind_master", TypeUint64, unitSeconds},
	{"Last_Errno", "replication.last_errno", TypeUint64, "errno"},
	{"Last_Error", "replication.last_error", TypeString, ""},
	{"Slave_IO_State", "replication.slave_io_state", TypeString, ""},
	{"Last_IO_Errno", "replication.last_io_errno", TypeUint64, "errno"},
	{"Last_IO_Error", "replication.last_io_error", TypeString, ""},
	{"Slave_open_temp_tables", "replication.slave_open_temp_tables", TypeUint64, "tables"},
	{"Slave_retried_transactions", "replication.slave_retried_transactions", TypeUint64, "transactions"},
}

// The original's queries.
const (
	mysqlQueryStatus      = "show global status"
	mysqlQueryVariables   = "show global variables"
	mysqlQueryReplication = "show slave status"
)

// mysqlErrSpecificAccessDenied is ER_SPECIFIC_ACCESS_DENIED_ERROR.
const mysqlErrSpecificAccessDenied = 1227

// mysqlErrConnect is libmysqlclient's CR_CONN_HOST_ERROR, the errno the
// original's status carries when no connection could be made.
const mysqlErrConnect = 2003

func runMySQL(ctx context.Context, rc runCtx) Result {
	d := rc.def.Details
	host, ok := detailString(d, "host")
	if !ok {
		host = "127.0.0.1"
	}
	port := 3306
	if p, has, err := detailFloat(d, "port"); has {
		if err != nil || p < 1 || p > 65535 || p != float64(int(p)) {
			return ErrorResult(rc.def, rc.start, fmt.Sprintf("Invalid port %v", d["port"]))
		}
		port = int(p)
	}
	user, _ := detailString(d, "username")
	password, _ := detailString(d, "password")
	socket, _ := detailString(d, "socket")

	connectFail := func(err error) Result {
		shownUser := user
		if shownUser == "" {
			shownUser = "(null)"
		}
		var me *mysqlError
		if !errors.As(err, &me) {
			me = &mysqlError{Code: mysqlErrConnect, Message: err.Error()}
		}
		// The server's message is scrubbed of the password, should it
		// ever quote it.
		return ErrorResult(rc.def, rc.start, fmt.Sprintf(
			"mysql_real_connect(host=%s, port=%d, username=%s) failed: (%d) %s",
			host, port, shownUser, me.Code, redisScrub(me.Message, password)))
	}

	ctx, cancel := context.WithTimeout(ctx, rc.timeout)
	defer cancel()
	network, addr := "tcp", net.JoinHostPort(host, strconv.Itoa(port))
	if socket != "" {
		network, addr = "unix", socket
	}
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, network, addr)
	if err != nil {
		return connectFail(statusf("Can't connect to MySQL server on '%s' (%v)", addr, unwrapOpError(err)))
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	c := &mysqlConn{rw: conn}
	if _, err := mysqlLogin(c, user, password); err != nil {
		return connectFail(err)
	}
	defer mysqlQuit(c)

	r := NewResult(rc.def, rc.start)
	for _, q := range []struct {
		query string
		stats []mysqlStat
		kv    bool
	}{
		{mysqlQueryStatus, mysqlStatus, true},
		{mysqlQueryVariables, mysqlVariables, true},
		{mysqlQueryReplication, mysqlReplication, false},
	} {
		res, err := mysqlQuery(c, q.query)
		if err != nil {
			var me *mysqlError
			if !q.kv && errors.As(err, &me) && me.Code == mysqlErrSpecificAccessDenied {
				continue
			}
			if !errors.As(err, &me) {
				me = &mysqlError{Code: 2013, Message: err.Error()} // CR_SERVER_LOST
			}
			return ErrorResult(rc.def, rc.start, fmt.Sprintf("mysql_query %q failed: (%d) %s", q.query, me.Code, me.Message))
		}
		if q.kv {
			if len(res.Columns) != 2 {
				return ErrorResult(rc.def, rc.start, fmt.Sprintf("mysql_num_fields failed: expected 2 fields, but got %d", len(res.Columns)))
			}
			addMySQLKeyValues(&r, res, q.stats)
		} else {
			addMySQLColumns(&r, res, q.stats)
		}
	}
	return r
}

// unwrapOpError drops net.OpError's "dial tcp 127.0.0.1:3306:" prefix.
func unwrapOpError(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}

// addMySQLKeyValues adds the stats found among a two-column result's
// rows (name, value); a later row wins.
func addMySQLKeyValues(r *Result, res *mysqlResult, stats []mysqlStat) {
	vals := make(map[string]string, len(res.Rows))
	for _, row := range res.Rows {
		if row[0] != nil && row[1] != nil {
			vals[*row[0]] = *row[1]
		}
	}
	addMySQLStats(r, vals, stats)
}

// addMySQLColumns adds the stats named by a result's columns; NULL and
// empty cells are left out, and of several rows the last wins, as in the
// original's runColumnBasedQuery.
func addMySQLColumns(r *Result, res *mysqlResult, stats []mysqlStat) {
	vals := make(map[string]string)
	for _, row := range res.Rows {
		for i, cell := range row {
			if i < len(res.Columns) && cell != nil && *cell != "" {
				vals[res.Columns[i]] = *cell
			}
		}
	}
	addMySQLStats(r, vals, stats)
}

func addMySQLStats(r *Result, vals map[string]string, stats []mysqlStat) {
	for _, s := range stats {
		v, ok := vals[s.key]
		if !ok {
			continue
		}
		if s.typ != TypeString {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				continue
			}
			v = strconv.FormatUint(n, 10)
		}
		r.Add(s.alias, s.typ, v, s.unit)
	}
}
