package check

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
)

// The few messages of the MySQL client/server protocol agent.mysql needs,
// spoken over a plain connection (TCP or a Unix socket): the v10
// handshake, a HandshakeResponse41 with mysql_native_password or
// caching_sha2_password (fast path, and full authentication with the
// server's RSA key), AuthSwitchRequest, COM_QUERY with a text result set,
// and COM_QUIT. Every decoder here reads untrusted bytes: lengths are
// checked before use and a reply is bounded (mysqlMaxResult).

// Capability flags.
const (
	clientLongPassword     = 0x00000001
	clientProtocol41       = 0x00000200
	clientTransactions     = 0x00002000
	clientSecureConnection = 0x00008000
	clientPluginAuth       = 0x00080000
)

// Packet headers.
const (
	mysqlOK         = 0x00
	mysqlAuthMore   = 0x01
	mysqlEOF        = 0xfe
	mysqlAuthSwitch = 0xfe
	mysqlErr        = 0xff
	mysqlComQuit    = 0x01
	mysqlComQuery   = 0x03
)

const (
	pluginNative      = "mysql_native_password"
	pluginCachingSHA2 = "caching_sha2_password"
)

// mysqlMaxPacket is the largest packet payload (a longer one continues in
// the next packet); mysqlMaxResult bounds a whole reply: SHOW GLOBAL
// VARIABLES is about 60 KiB.
const (
	mysqlMaxPacket = 1<<24 - 1
	mysqlMaxResult = 8 << 20
)

// errMySQLMalformed is a reply that does not follow the protocol.
var errMySQLMalformed = errors.New("malformed packet from the MySQL server")

// mysqlError is an ERR packet: the server's error number and message.
type mysqlError struct {
	Code    uint16
	Message string
}

func (e *mysqlError) Error() string { return fmt.Sprintf("(%d) %s", e.Code, e.Message) }

// mysqlConn reads and writes packets, keeping the sequence number.
type mysqlConn struct {
	rw  io.ReadWriter
	seq byte
	// budget is what reads may still take of the current reply.
	budget int
}

// readPacket reads one logical packet (joining 16 MiB continuations).
func (c *mysqlConn) readPacket() ([]byte, error) {
	var out []byte
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(c.rw, hdr[:]); err != nil {
			return nil, fmt.Errorf("reading from the MySQL server: %w", err)
		}
		n := int(hdr[0]) | int(hdr[1])<<8 | int(hdr[2])<<16
		c.seq = hdr[3] + 1
		if n > c.budget {
			return nil, fmt.Errorf("%w: reply over %d bytes", errMySQLMalformed, mysqlMaxResult)
		}
		c.budget -= n
		start := len(out)
		out = append(out, make([]byte, n)...)
		if _, err := io.ReadFull(c.rw, out[start:]); err != nil {
			return nil, fmt.Errorf("reading from the MySQL server: %w", err)
		}
		if n < mysqlMaxPacket {
			return out, nil
		}
	}
}

// writePacket writes payload as one or more packets.
func (c *mysqlConn) writePacket(payload []byte) error {
	for {
		n := min(len(payload), mysqlMaxPacket)
		buf := make([]byte, 4+n)
		buf[0], buf[1], buf[2], buf[3] = byte(n), byte(n>>8), byte(n>>16), c.seq
		copy(buf[4:], payload[:n])
		c.seq++
		if _, err := c.rw.Write(buf); err != nil {
			return fmt.Errorf("writing to the MySQL server: %w", err)
		}
		payload = payload[n:]
		if n < mysqlMaxPacket {
			return nil
		}
	}
}

// startCommand begins a command: sequence 0, a fresh reply budget.
func (c *mysqlConn) startCommand() {
	c.seq = 0
	c.budget = mysqlMaxResult
}

// mysqlHandshake is what the client needs of the server's HandshakeV10.
type mysqlHandshake struct {
	Version string
	Caps    uint32
	Nonce   []byte // auth-plugin-data, 20 bytes for both plugins
	Plugin  string
}

// parseHandshake decodes a HandshakeV10 payload (or the ERR a server
// sends instead when it refuses the connection).
func parseHandshake(p []byte) (*mysqlHandshake, error) {
	if len(p) > 0 && p[0] == mysqlErr {
		return nil, parseErrPacket(p)
	}
	r := &mysqlReader{b: p}
	if v := r.byte(); v != 10 {
		return nil, fmt.Errorf("%w: handshake protocol %d, want 10", errMySQLMalformed, v)
	}
	h := &mysqlHandshake{Version: r.nulString()}
	r.skip(4) // connection id
	nonce := r.bytes(8)
	r.skip(1)
	h.Caps = uint32(r.uint16())
	if r.err == nil && r.left() > 0 {
		r.skip(1 + 2) // character set, status flags
		h.Caps |= uint32(r.uint16()) << 16
		dataLen := int(r.byte())
		r.skip(10)
		if h.Caps&clientSecureConnection != 0 {
			n := max(13, dataLen-8)
			part2 := r.bytes(n)
			// The part ends with a NUL that is not part of the nonce.
			nonce = append(append([]byte{}, nonce...), bytes.TrimRight(part2, "\x00")...)
		}
		if h.Caps&clientPluginAuth != 0 {
			h.Plugin = r.nulStringOrRest()
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	if h.Caps&clientProtocol41 == 0 {
		return nil, fmt.Errorf("MySQL server %s does not speak protocol 4.1", h.Version)
	}
	h.Nonce = nonce
	if h.Plugin == "" {
		h.Plugin = pluginNative
	}
	return h, nil
}

// parseErrPacket decodes an ERR packet ("#" and a SQL state are optional).
func parseErrPacket(p []byte) error {
	r := &mysqlReader{b: p}
	r.skip(1)
	code := r.uint16()
	if r.err != nil {
		return r.err
	}
	rest := r.b[r.off:]
	if len(rest) >= 6 && rest[0] == '#' {
		rest = rest[6:]
	}
	return &mysqlError{Code: code, Message: string(rest)}
}

// handshakeResponse builds a HandshakeResponse41.
func handshakeResponse(h *mysqlHandshake, user string, auth []byte, plugin string) []byte {
	caps := uint32(clientLongPassword|clientProtocol41|clientTransactions|clientSecureConnection|clientPluginAuth) & h.Caps
	caps |= clientProtocol41
	b := make([]byte, 0, 64+len(user)+len(auth))
	b = binary.LittleEndian.AppendUint32(b, caps)
	b = binary.LittleEndian.AppendUint32(b, mysqlMaxPacket)
	b = append(b, 45) // utf8mb4_general_ci
	b = append(b, make([]byte, 23)...)
	b = append(b, user...)
	b = append(b, 0)
	if caps&clientSecureConnection != 0 {
		b = append(b, byte(len(auth)))
		b = append(b, auth...)
	} else {
		b = append(b, auth...)
		b = append(b, 0)
	}
	if caps&clientPluginAuth != 0 {
		b = append(b, plugin...)
		b = append(b, 0)
	}
	return b
}

// scrambleNative is mysql_native_password's answer:
// SHA1(password) XOR SHA1(nonce + SHA1(SHA1(password))); empty for no password.
func scrambleNative(nonce []byte, password string) []byte {
	if password == "" {
		return nil
	}
	h1 := sha1.Sum([]byte(password))
	h2 := sha1.Sum(h1[:])
	s := sha1.New()
	s.Write(nonce[:min(len(nonce), 20)])
	s.Write(h2[:])
	h3 := s.Sum(nil)
	for i := range h3 {
		h3[i] ^= h1[i]
	}
	return h3
}

// scrambleSHA256 is caching_sha2_password's fast-path answer:
// SHA256(password) XOR SHA256(SHA256(SHA256(password)) + nonce).
func scrambleSHA256(nonce []byte, password string) []byte {
	if password == "" {
		return nil
	}
	h1 := sha256.Sum256([]byte(password))
	h2 := sha256.Sum256(h1[:])
	s := sha256.New()
	s.Write(h2[:])
	s.Write(nonce[:min(len(nonce), 20)])
	h3 := s.Sum(nil)
	for i := range h3 {
		h3[i] ^= h1[i]
	}
	return h3
}

// authAnswer is the first answer for plugin.
func authAnswer(plugin string, nonce []byte, password string) ([]byte, error) {
	switch plugin {
	case pluginNative:
		return scrambleNative(nonce, password), nil
	case pluginCachingSHA2:
		return scrambleSHA256(nonce, password), nil
	}
	return nil, fmt.Errorf("the MySQL server asks for authentication plugin %q, which virgo-top does not speak (use %s or %s)",
		plugin, pluginNative, pluginCachingSHA2)
}

// mysqlLogin runs the handshake as user; it returns the server version.
// The password goes only into scrambles, or RSA-encrypted with the key
// the server sends when caching_sha2_password needs the full exchange.
func mysqlLogin(c *mysqlConn, user, password string) (string, error) {
	c.seq, c.budget = 0, mysqlMaxResult
	p, err := c.readPacket()
	if err != nil {
		return "", err
	}
	h, err := parseHandshake(p)
	if err != nil {
		return "", err
	}
	plugin, nonce := h.Plugin, h.Nonce
	if plugin != pluginNative && plugin != pluginCachingSHA2 {
		// Offer native; the server switches us if it must.
		plugin = pluginNative
	}
	auth, err := authAnswer(plugin, nonce, password)
	if err != nil {
		return "", err
	}
	if err := c.writePacket(handshakeResponse(h, user, auth, plugin)); err != nil {
		return "", err
	}
	for range 5 { // at most: switch, more data, public key, OK
		p, err := c.readPacket()
		if err != nil {
			return "", err
		}
		if len(p) == 0 {
			return "", errMySQLMalformed
		}
		switch p[0] {
		case mysqlOK:
			return h.Version, nil
		case mysqlErr:
			return "", parseErrPacket(p)
		case mysqlAuthSwitch:
			r := &mysqlReader{b: p, off: 1}
			plugin = r.nulStringOrRest()
			nonce = bytes.TrimRight(r.b[r.off:], "\x00")
			auth, err := authAnswer(plugin, nonce, password)
			if err != nil {
				return "", err
			}
			if err := c.writePacket(auth); err != nil {
				return "", err
			}
		case mysqlAuthMore:
			if plugin != pluginCachingSHA2 || len(p) < 2 {
				return "", errMySQLMalformed
			}
			switch {
			case p[1] == 3: // fast authentication succeeded; OK follows
			case p[1] == 4: // full authentication: ask for the RSA key
				if err := c.writePacket([]byte{2}); err != nil {
					return "", err
				}
			case p[1] == '-' || len(p) > 2: // the public key (PEM)
				enc, err := encryptPassword(p[1:], nonce, password)
				if err != nil {
					return "", err
				}
				if err := c.writePacket(enc); err != nil {
					return "", err
				}
			default:
				return "", errMySQLMalformed
			}
		default:
			return "", errMySQLMalformed
		}
	}
	return "", fmt.Errorf("%w: authentication did not end", errMySQLMalformed)
}

// encryptPassword is caching_sha2_password's full authentication over a
// connection without TLS: (password + NUL) XOR nonce, RSA-OAEP (SHA-1)
// encrypted with the server's public key.
func encryptPassword(keyPEM, nonce []byte, password string) ([]byte, error) {
	block, _ := pem.Decode(keyPEM)
	if block == nil || len(nonce) == 0 {
		return nil, fmt.Errorf("%w: no public key", errMySQLMalformed)
	}
	var pub *rsa.PublicKey
	if k, err := x509.ParsePKIXPublicKey(block.Bytes); err == nil {
		pub, _ = k.(*rsa.PublicKey)
	} else if k, err := x509.ParsePKCS1PublicKey(block.Bytes); err == nil {
		pub = k
	}
	if pub == nil {
		return nil, fmt.Errorf("%w: the server's public key is not RSA", errMySQLMalformed)
	}
	plain := append([]byte(password), 0)
	for i := range plain {
		plain[i] ^= nonce[i%len(nonce)]
	}
	out, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, pub, plain, nil)
	if err != nil {
		return nil, fmt.Errorf("encrypting the password for the MySQL server: %w", err)
	}
	return out, nil
}

// mysqlResult is a text result set: column names and rows; a NULL cell
// is nil.
type mysqlResult struct {
	Columns []string
	Rows    [][]*string
}

// mysqlQuery sends COM_QUERY and reads its text result set.
func mysqlQuery(c *mysqlConn, query string) (*mysqlResult, error) {
	c.startCommand()
	if err := c.writePacket(append([]byte{mysqlComQuery}, query...)); err != nil {
		return nil, err
	}
	return readResultSet(c)
}

// readResultSet reads a text result set: the column count, the column
// definitions, an EOF, the rows, an EOF. An OK instead of a column count
// is an empty result (a statement without rows).
func readResultSet(c *mysqlConn) (*mysqlResult, error) {
	p, err := c.readPacket()
	if err != nil {
		return nil, err
	}
	if len(p) == 0 {
		return nil, errMySQLMalformed
	}
	switch p[0] {
	case mysqlOK:
		return &mysqlResult{}, nil
	case mysqlErr:
		return nil, parseErrPacket(p)
	}
	r := &mysqlReader{b: p}
	n, null := r.lenenc()
	if r.err != nil || null || n == 0 || n > 4096 {
		return nil, fmt.Errorf("%w: column count", errMySQLMalformed)
	}
	res := &mysqlResult{Columns: make([]string, n)}
	for i := range res.Columns {
		p, err := c.readPacket()
		if err != nil {
			return nil, err
		}
		cr := &mysqlReader{b: p}
		for range 4 { // catalog, schema, table, org_table
			cr.lenencString()
		}
		name, _ := cr.lenencString()
		if cr.err != nil {
			return nil, fmt.Errorf("%w: column definition", errMySQLMalformed)
		}
		res.Columns[i] = name
	}
	if p, err := c.readPacket(); err != nil {
		return nil, err
	} else if !isEOF(p) {
		return nil, fmt.Errorf("%w: no EOF after the column definitions", errMySQLMalformed)
	}
	for {
		p, err := c.readPacket()
		if err != nil {
			return nil, err
		}
		if isEOF(p) {
			return res, nil
		}
		if len(p) > 0 && p[0] == mysqlErr {
			return nil, parseErrPacket(p)
		}
		rr := &mysqlReader{b: p}
		row := make([]*string, n)
		for i := range row {
			s, null := rr.lenencString()
			if !null {
				row[i] = &s
			}
		}
		if rr.err != nil || rr.left() != 0 {
			return nil, fmt.Errorf("%w: row", errMySQLMalformed)
		}
		res.Rows = append(res.Rows, row)
	}
}

// isEOF reports an EOF packet (0xfe and under 9 bytes; a longer 0xfe
// packet is a row starting with an 8-byte length).
func isEOF(p []byte) bool { return len(p) > 0 && len(p) < 9 && p[0] == mysqlEOF }

// mysqlQuit sends COM_QUIT; the server closes without a reply.
func mysqlQuit(c *mysqlConn) {
	c.startCommand()
	_ = c.writePacket([]byte{mysqlComQuit})
}

// mysqlReader decodes a payload; the first failure sticks in err and
// every later read returns zero values.
type mysqlReader struct {
	b   []byte
	off int
	err error
}

func (r *mysqlReader) left() int { return len(r.b) - r.off }

func (r *mysqlReader) need(n int) bool {
	if r.err != nil {
		return false
	}
	if n < 0 || n > r.left() {
		r.err = errMySQLMalformed
		return false
	}
	return true
}

func (r *mysqlReader) skip(n int) {
	if r.need(n) {
		r.off += n
	}
}

func (r *mysqlReader) byte() byte {
	if !r.need(1) {
		return 0
	}
	r.off++
	return r.b[r.off-1]
}

func (r *mysqlReader) uint16() uint16 {
	if !r.need(2) {
		return 0
	}
	r.off += 2
	return binary.LittleEndian.Uint16(r.b[r.off-2:])
}

func (r *mysqlReader) bytes(n int) []byte {
	if !r.need(n) {
		return nil
	}
	r.off += n
	return r.b[r.off-n : r.off]
}

// nulString reads up to a NUL, which must be there.
func (r *mysqlReader) nulString() string {
	if r.err != nil {
		return ""
	}
	i := bytes.IndexByte(r.b[r.off:], 0)
	if i < 0 {
		r.err = errMySQLMalformed
		return ""
	}
	s := string(r.b[r.off : r.off+i])
	r.off += i + 1
	return s
}

// nulStringOrRest reads up to a NUL or to the end.
func (r *mysqlReader) nulStringOrRest() string {
	if r.err != nil {
		return ""
	}
	rest := r.b[r.off:]
	if i := bytes.IndexByte(rest, 0); i >= 0 {
		r.off += i + 1
		return string(rest[:i])
	}
	r.off = len(r.b)
	return string(rest)
}

// lenenc reads a length-encoded integer; null is the NULL marker 0xfb.
func (r *mysqlReader) lenenc() (v uint64, null bool) {
	first := r.byte()
	if r.err != nil {
		return 0, false
	}
	switch {
	case first < 0xfb:
		return uint64(first), false
	case first == 0xfb:
		return 0, true
	case first == 0xfc:
		if r.need(2) {
			v = uint64(binary.LittleEndian.Uint16(r.b[r.off:]))
			r.off += 2
		}
	case first == 0xfd:
		if r.need(3) {
			v = uint64(r.b[r.off]) | uint64(r.b[r.off+1])<<8 | uint64(r.b[r.off+2])<<16
			r.off += 3
		}
	case first == 0xfe:
		if r.need(8) {
			v = binary.LittleEndian.Uint64(r.b[r.off:])
			r.off += 8
		}
	default:
		r.err = errMySQLMalformed
	}
	return v, false
}

func (r *mysqlReader) lenencString() (string, bool) {
	n, null := r.lenenc()
	if null || r.err != nil {
		return "", null
	}
	if n > uint64(r.left()) {
		r.err = errMySQLMalformed
		return "", false
	}
	return string(r.bytes(int(n))), false
}
