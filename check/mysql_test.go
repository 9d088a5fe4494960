package check

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// startMariaDB initialises a data dir with mariadb-install-db and starts
// mariadbd on it, on a free loopback port and a socket in the temp dir.
// Root logs in on the socket without a password.
func startMariaDB(t *testing.T) (port int, sock string) {
	t.Helper()
	installDB := serverBinary(t, "mariadb-install-db")
	server := serverBinary(t, "mariadbd")
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	sock = filepath.Join(dir, "mysql.sock")
	var user []string
	if os.Geteuid() == 0 {
		user = []string{"--user=root"} // mariadbd refuses root without it
	}
	args := append([]string{"--no-defaults", "--datadir=" + data, "--auth-root-authentication-method=normal", "--skip-test-db"}, user...)
	if out, err := exec.Command(installDB, args...).CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, tail(out, 4000))
	}
	port = freePort(t)
	p := startServer(t, dir, server, append([]string{"--no-defaults", "--datadir=" + data, "--socket=" + sock,
		"--port=" + itoa(port), "--bind-address=127.0.0.1", "--pid-file=" + filepath.Join(dir, "mariadbd.pid"),
		"--skip-name-resolve", "--skip-log-bin", "--innodb-buffer-pool-size=16M"}, user...)...)
	p.waitReady(t, "mariadbd", func(ctx context.Context) error {
		return mysqlAdmin(ctx, sock)
	})
	return port, sock
}

// mysqlAdmin logs in as root on the socket and runs stmts.
func mysqlAdmin(ctx context.Context, sock string, stmts ...string) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		return err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c := &mysqlConn{rw: conn}
	if _, err := mysqlLogin(c, "root", ""); err != nil {
		return err
	}
	defer mysqlQuit(c)
	for _, s := range stmts {
		if _, err := mysqlQuery(c, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// mariadbShow is the server's own answer to a SHOW query, through the
// mariadb command-line client.
func mariadbShow(t *testing.T, sock, query string) map[string]string {
	t.Helper()
	cli := serverBinary(t, "mariadb")
	out, err := exec.Command(cli, "--no-defaults", "-S", sock, "-uroot", "-N", "-B", "-e", query).Output()
	if err != nil {
		t.Fatalf("mariadb -e %q: %v", query, err)
	}
	m := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(line, "\t"); ok {
			m[k] = v
		}
	}
	return m
}

// TestMySQLAgainstMariaDB starts mariadbd, creates a user with a password
// (mysql_native_password, MariaDB's default), and compares the check's
// metrics with SHOW GLOBAL STATUS and SHOW GLOBAL VARIABLES as the mariadb
// client reads them before and after the run; a wrong password gets the
// original's mysql_real_connect status, without the password.
func TestMySQLAgainstMariaDB(t *testing.T) {
	port, sock := startMariaDB(t)
	const password = "m0nitor pass'word"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := mysqlAdmin(ctx, sock,
		`CREATE USER 'monitor'@'127.0.0.1' IDENTIFIED BY 'm0nitor pass''word'`,
		`CREATE USER 'replmon'@'127.0.0.1' IDENTIFIED BY 'other'`,
		`GRANT SLAVE MONITOR ON *.* TO 'replmon'@'127.0.0.1'`); err != nil {
		t.Fatal(err)
	}
	details := map[string]any{"host": "127.0.0.1", "port": float64(port), "username": "monitor", "password": password}

	stBefore := mariadbShow(t, sock, "SHOW GLOBAL STATUS")
	varsBefore := mariadbShow(t, sock, "SHOW GLOBAL VARIABLES")
	r := runDetails(t, TypeMySQL, details)
	stAfter := mariadbShow(t, sock, "SHOW GLOBAL STATUS")
	if !r.Available || r.Status != StatusSuccess {
		t.Fatalf("result %v %q, want available success", r.Available, r.Status)
	}
	got := metricMap(r)
	seen := map[string]bool{}
	check := func(stats []mysqlStat, before, after map[string]string) {
		for _, s := range stats {
			b, ok := before[s.key]
			if !ok {
				continue
			}
			seen[s.alias] = true
			g, has := got[s.alias]
			if !has {
				t.Errorf("the server has %s=%q but there is no %s", s.key, b, s.alias)
				continue
			}
			if g.Type != s.typ || g.Unit != s.unit {
				t.Errorf("%s: type %q unit %q, want %q %q", s.alias, g.Type, g.Unit, s.typ, s.unit)
			}
			if s.typ == TypeString {
				if g.Value != b {
					t.Errorf("%s = %q, server says %q", s.alias, g.Value, b)
				}
				continue
			}
			a := after[s.key]
			v, lo, hi := num(t, g.Value), num(t, b), num(t, a)
			lo, hi = min(lo, hi), max(lo, hi)
			if v < lo || v > hi {
				t.Errorf("%s (%s) = %v, server said %v then %v", s.alias, s.key, v, b, a)
			}
		}
	}
	check(mysqlStatus, stBefore, stAfter)
	check(mysqlVariables, varsBefore, varsBefore)
	for name := range got {
		if !seen[name] {
			t.Errorf("metric %s not in the server's status or variables", name)
		}
	}
	for _, name := range []string{"core.connections", "core.queries", "innodb.pages_read", "innodb.buffer_pool_reads",
		"qcache.hits", "bytes.received", "handler.read_key", "replication.slave_running", "max.connections", "innodb.buffer_pool_size"} {
		if _, ok := got[name]; !ok {
			t.Errorf("no %s", name)
		}
	}

	// SHOW SLAVE STATUS: monitor may not run it (skipped, as above);
	// replmon may, and a server that is no replica has no rows.
	r = runDetails(t, TypeMySQL, map[string]any{"host": "127.0.0.1", "port": itoa(port), "username": "replmon", "password": "other"})
	if !r.Available || len(r.Metrics) < len(got)-2 {
		t.Errorf("replmon: %v %q, %d metrics", r.Available, r.Status, len(r.Metrics))
	}
	// Root on the socket, no password.
	r = runDetails(t, TypeMySQL, map[string]any{"socket": sock, "username": "root"})
	if !r.Available {
		t.Errorf("root on the socket: %q", r.Status)
	}

	for _, tc := range []struct {
		name    string
		details map[string]any
		status  string
	}{
		{"wrong password", map[string]any{"host": "127.0.0.1", "port": port, "username": "monitor", "password": "not " + password},
			fmt.Sprintf("mysql_real_connect(host=127.0.0.1, port=%d, username=monitor) failed: (1045) Access denied for user 'monitor'@'127.0.0.1' (using password: YES)", port)},
		{"no password", map[string]any{"host": "127.0.0.1", "port": port, "username": "monitor"},
			fmt.Sprintf("mysql_real_connect(host=127.0.0.1, port=%d, username=monitor) failed: (1045) Access denied for user 'monitor'@'127.0.0.1' (using password: NO)", port)},
	} {
		r := runDetails(t, TypeMySQL, tc.details)
		if r.Available || r.Status != tc.status || len(r.Metrics) != 0 {
			t.Errorf("%s: %v %q, want unavailable %q", tc.name, r.Available, r.Status, tc.status)
		}
		if strings.Contains(r.Status, password) {
			t.Errorf("%s: the status quotes the password", tc.name)
		}
	}
}

// TestMySQLConnectFailure: nothing listens; the original's wording with
// libmysqlclient's errno 2003.
func TestMySQLConnectFailure(t *testing.T) {
	port := freePort(t)
	r := runDetails(t, TypeMySQL, map[string]any{"port": port, "password": "pw"})
	want := fmt.Sprintf("mysql_real_connect(host=127.0.0.1, port=%d, username=(null)) failed: (2003) Can't connect to MySQL server on '127.0.0.1:%d' (connect: connection refused)", port, port)
	if r.Available || r.Status != want {
		t.Errorf("got %v %q\nwant %q", r.Available, r.Status, want)
	}
}

// fakeMySQL serves one connection with script, a function that speaks
// the server's side; Stop waits for it.
func fakeMySQL(t *testing.T, script func(c *mysqlConn) error) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errc := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		conn, err := l.Accept()
		if err != nil {
			errc <- err
			return
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
		c := &mysqlConn{rw: conn, budget: mysqlMaxResult}
		errc <- script(c)
	}()
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
		if err := <-errc; err != nil {
			t.Errorf("fake server: %v", err)
		}
	})
	return l.Addr().(*net.TCPAddr).Port
}

var testNonce = []byte("abcdefghij0123456789")

// handshakeV10 is a server greeting offering plugin.
func handshakeV10(plugin string) []byte {
	b := []byte{10}
	b = append(b, "8.0.36-fake\x00"...)
	b = binary.LittleEndian.AppendUint32(b, 7)
	b = append(b, testNonce[:8]...)
	b = append(b, 0)
	caps := uint32(clientLongPassword | clientProtocol41 | clientSecureConnection | clientPluginAuth | clientTransactions)
	b = binary.LittleEndian.AppendUint16(b, uint16(caps))
	b = append(b, 45, 2, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(caps>>16))
	b = append(b, 21)
	b = append(b, make([]byte, 10)...)
	b = append(b, testNonce[8:]...)
	b = append(b, 0)
	b = append(b, plugin...)
	return append(b, 0)
}

// readLogin reads a HandshakeResponse41 and returns its user, auth data
// and plugin.
func readLogin(c *mysqlConn) (user string, auth []byte, plugin string, err error) {
	p, err := c.readPacket()
	if err != nil {
		return "", nil, "", err
	}
	r := &mysqlReader{b: p}
	r.skip(4 + 4 + 1 + 23)
	user = r.nulString()
	n := int(r.byte())
	auth = r.bytes(n)
	plugin = r.nulStringOrRest()
	return user, auth, plugin, r.err
}

func lenencStr(s string) []byte { return append([]byte{byte(len(s))}, s...) }

// writeResult writes a text result set.
func writeResult(c *mysqlConn, cols []string, rows [][]string) error {
	if err := c.writePacket([]byte{byte(len(cols))}); err != nil {
		return err
	}
	for _, name := range cols {
		var p []byte
		for _, s := range []string{"def", "", "", "", name, name} {
			p = append(p, lenencStr(s)...)
		}
		p = append(p, 0x0c, 45, 0, 0, 0, 0, 0, 253, 0, 0, 0, 0, 0)
		if err := c.writePacket(p); err != nil {
			return err
		}
	}
	eof := []byte{0xfe, 0, 0, 2, 0}
	if err := c.writePacket(eof); err != nil {
		return err
	}
	for _, row := range rows {
		var p []byte
		for _, v := range row {
			if v == "NULL" {
				p = append(p, 0xfb)
			} else {
				p = append(p, lenencStr(v)...)
			}
		}
		if err := c.writePacket(p); err != nil {
			return err
		}
	}
	return c.writePacket(eof)
}

// serveQueries answers the check's three queries, then expects COM_QUIT.
func serveQueries(c *mysqlConn, slave [][]string) error {
	answers := map[string]func() error{
		mysqlQueryStatus: func() error {
			return writeResult(c, []string{"Variable_name", "Value"}, [][]string{
				{"Connections", "42"}, {"Uptime", "100"}, {"Slave_running", "ON"}, {"Queries", "x"}, {"Other", "1"}})
		},
		mysqlQueryVariables: func() error {
			return writeResult(c, []string{"Variable_name", "Value"}, [][]string{{"max_connections", "151"}, {"thread_cache_size", "8"}})
		},
		mysqlQueryReplication: func() error {
			return writeResult(c, []string{"Slave_IO_State", "Seconds_Behind_Master", "Last_Error", "Slave_IO_Running"}, slave)
		},
	}
	for range 3 {
		c.seq = 0
		p, err := c.readPacket()
		if err != nil {
			return err
		}
		if len(p) < 1 || p[0] != mysqlComQuery {
			return fmt.Errorf("got %q, want a query", p)
		}
		answer, ok := answers[string(p[1:])]
		if !ok {
			return fmt.Errorf("unexpected query %q", p[1:])
		}
		if err := answer(); err != nil {
			return err
		}
	}
	p, err := c.readPacket()
	if err == nil && !bytes.Equal(p, []byte{mysqlComQuit}) {
		return fmt.Errorf("got %q, want COM_QUIT", p)
	}
	return nil
}

var okPacket = []byte{0, 0, 0, 2, 0, 0, 0}

// TestMySQLAuthPlugins drives the login against a scripted server: the
// native scramble, an auth switch, caching_sha2_password's fast path and
// its full authentication with the server's RSA key; then the metrics.
func TestMySQLAuthPlugins(t *testing.T) {
	const password = "pw"
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	expect := func(got, want []byte, what string) error {
		if !bytes.Equal(got, want) {
			return fmt.Errorf("%s: got %x, want %x", what, got, want)
		}
		return nil
	}
	for _, tc := range []struct {
		name  string
		login func(c *mysqlConn) error
	}{
		{"native", func(c *mysqlConn) error {
			_ = c.writePacket(handshakeV10(pluginNative))
			user, auth, plugin, err := readLogin(c)
			if err != nil || user != "mon" || plugin != pluginNative {
				return fmt.Errorf("login %q %q %v", user, plugin, err)
			}
			if err := expect(auth, scrambleNative(testNonce, password), "scramble"); err != nil {
				return err
			}
			return c.writePacket(okPacket)
		}},
		{"auth switch to native", func(c *mysqlConn) error {
			_ = c.writePacket(handshakeV10("client_ed25519"))
			if _, _, plugin, err := readLogin(c); err != nil || plugin != pluginNative {
				return fmt.Errorf("login plugin %q %v", plugin, err)
			}
			nonce2 := []byte("ZYXWVUTSRQponmlkjihg")
			_ = c.writePacket(append(append([]byte{0xfe}, pluginNative+"\x00"...), append(nonce2, 0)...))
			p, err := c.readPacket()
			if err != nil {
				return err
			}
			if err := expect(p, scrambleNative(nonce2, password), "switched scramble"); err != nil {
				return err
			}
			return c.writePacket(okPacket)
		}},
		{"caching_sha2 fast path", func(c *mysqlConn) error {
			_ = c.writePacket(handshakeV10(pluginCachingSHA2))
			_, auth, plugin, err := readLogin(c)
			if err != nil || plugin != pluginCachingSHA2 {
				return fmt.Errorf("login plugin %q %v", plugin, err)
			}
			if err := expect(auth, scrambleSHA256(testNonce, password), "sha2 scramble"); err != nil {
				return err
			}
			_ = c.writePacket([]byte{1, 3})
			return c.writePacket(okPacket)
		}},
		{"caching_sha2 full authentication", func(c *mysqlConn) error {
			_ = c.writePacket(handshakeV10(pluginCachingSHA2))
			if _, _, _, err := readLogin(c); err != nil {
				return err
			}
			_ = c.writePacket([]byte{1, 4})
			p, err := c.readPacket()
			if err != nil || !bytes.Equal(p, []byte{2}) {
				return fmt.Errorf("want a public key request, got %x %v", p, err)
			}
			_ = c.writePacket(append([]byte{1}, keyPEM...))
			enc, err := c.readPacket()
			if err != nil {
				return err
			}
			plain, err := rsa.DecryptOAEP(sha1.New(), nil, key, enc, nil)
			if err != nil {
				return err
			}
			for i := range plain {
				plain[i] ^= testNonce[i%len(testNonce)]
			}
			if err := expect(plain, []byte(password+"\x00"), "decrypted password"); err != nil {
				return err
			}
			return c.writePacket(okPacket)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := fakeMySQL(t, func(c *mysqlConn) error {
				if err := tc.login(c); err != nil {
					return err
				}
				return serveQueries(c, [][]string{
					{"Waiting", "NULL", "", "Yes"},
					{"Waiting for master", "5", "", "Yes"},
				})
			})
			r := runDetails(t, TypeMySQL, map[string]any{"port": port, "username": "mon", "password": password})
			want := []Metric{
				m("core.connections", TypeGauge, "42", "connections"),
				m("core.uptime", TypeUint64, "100", "seconds"),
				m("replication.slave_running", TypeString, "ON", ""),
				m("max.connections", TypeUint64, "151", "connections"),
				m("thread.cache_size", TypeUint64, "8", "threads"),
				m("replication.slave_io_running", TypeString, "Yes", ""),
				m("replication.seconds_behind_master", TypeUint64, "5", "seconds"),
				m("replication.slave_io_state", TypeString, "Waiting for master", ""),
			}
			if !r.Available || fmt.Sprint(r.Metrics) != fmt.Sprint(want) {
				t.Errorf("got %v %q\n%v\nwant %v", r.Available, r.Status, r.Metrics, want)
			}
		})
	}
}

// TestMySQLQueryErrors: the original's statuses for a failed query and a
// result that is not two columns; an unprivileged SHOW SLAVE STATUS only
// drops the replication metrics.
func TestMySQLQueryErrors(t *testing.T) {
	login := func(c *mysqlConn) error {
		_ = c.writePacket(handshakeV10(pluginNative))
		if _, _, _, err := readLogin(c); err != nil {
			return err
		}
		return c.writePacket(okPacket)
	}
	errPacket := func(code uint16, msg string) []byte {
		p := binary.LittleEndian.AppendUint16([]byte{0xff}, code)
		return append(append(p, "#42000"...), msg...)
	}
	nextQuery := func(c *mysqlConn) (string, error) {
		c.seq = 0
		p, err := c.readPacket()
		if err != nil || len(p) == 0 {
			return "", fmt.Errorf("reading a query: %v", err)
		}
		return string(p[1:]), nil
	}
	for _, tc := range []struct {
		name   string
		serve  func(c *mysqlConn) error
		status string
	}{
		{"status query fails", func(c *mysqlConn) error {
			if _, err := nextQuery(c); err != nil {
				return err
			}
			_ = c.writePacket(errPacket(1227, "Access denied; you need the PROCESS privilege"))
			_, _ = c.readPacket()
			return nil
		}, `mysql_query "show global status" failed: (1227) Access denied; you need the PROCESS privilege`},
		{"three columns", func(c *mysqlConn) error {
			if _, err := nextQuery(c); err != nil {
				return err
			}
			_ = writeResult(c, []string{"a", "b", "c"}, nil)
			_, _ = c.readPacket()
			return nil
		}, "mysql_num_fields failed: expected 2 fields, but got 3"},
		{"no replication privilege", func(c *mysqlConn) error {
			for range 2 {
				if _, err := nextQuery(c); err != nil {
					return err
				}
				_ = writeResult(c, []string{"Variable_name", "Value"}, [][]string{{"Uptime", "7"}})
			}
			if q, err := nextQuery(c); err != nil || q != mysqlQueryReplication {
				return fmt.Errorf("query %q %v", q, err)
			}
			_ = c.writePacket(errPacket(1227, "Access denied; you need (at least one of) the SUPER, SLAVE MONITOR privilege(s)"))
			_, _ = c.readPacket()
			return nil
		}, StatusSuccess},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := fakeMySQL(t, func(c *mysqlConn) error {
				if err := login(c); err != nil {
					return err
				}
				return tc.serve(c)
			})
			r := runDetails(t, TypeMySQL, map[string]any{"port": port, "username": "u", "password": "p"})
			if r.Status != tc.status || r.Available != (tc.status == StatusSuccess) {
				t.Errorf("got %v %q, want %q", r.Available, r.Status, tc.status)
			}
		})
	}
}

// FuzzMySQLReplies feeds arbitrary server bytes to the login and to the
// result-set reader: no panic, no unbounded allocation.
func FuzzMySQLReplies(f *testing.F) {
	packet := func(seq byte, p []byte) []byte {
		return append([]byte{byte(len(p)), byte(len(p) >> 8), byte(len(p) >> 16), seq}, p...)
	}
	f.Add(append(packet(0, handshakeV10(pluginNative)), packet(2, okPacket)...))
	f.Add(append(packet(0, handshakeV10(pluginCachingSHA2)), packet(2, []byte{1, 4})...))
	f.Add(packet(0, []byte{0xff, 0x10, 0x04, 'T', 'o', 'o'}))
	var rs bytes.Buffer
	for i, p := range [][]byte{{2}, append(lenencStr("def"), 0, 0, 0, 1, 'n'), {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, {0xfe, 0, 0, 2, 0}, append(lenencStr("k"), 0xfb), {0xfe, 0, 0, 2, 0}} {
		rs.Write(packet(byte(i+1), p))
	}
	f.Add(rs.Bytes())
	f.Add(packet(1, []byte{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := &mysqlConn{rw: &readOnly{r: bytes.NewReader(b)}}
		_, _ = mysqlLogin(c, "u", "p")
		c = &mysqlConn{rw: &readOnly{r: bytes.NewReader(b)}, budget: mysqlMaxResult}
		if res, err := readResultSet(c); err == nil {
			for _, row := range res.Rows {
				if len(row) != len(res.Columns) {
					t.Fatal("row width differs from the columns")
				}
			}
		}
		_, _ = parseHandshake(b)
	})
}

// readOnly is a connection whose writes vanish.
type readOnly struct{ r io.Reader }

func (c *readOnly) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c *readOnly) Write(p []byte) (int, error) { return len(p), nil }
