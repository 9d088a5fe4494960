package protocol

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"
)

// TLSReason says why a TLS handshake with an endpoint was refused.
type TLSReason string

// The reasons a handshake is refused. TLSOther is any failure the others do
// not name (a timeout, a reset, a malformed certificate...).
const (
	TLSUnknownAuthority TLSReason = "unknown_authority" // signed by a CA we do not trust
	TLSExpired          TLSReason = "expired"           // expired or not yet valid
	TLSHostnameMismatch TLSReason = "hostname_mismatch" // not issued for the name we dialed
	TLSProtocolVersion  TLSReason = "protocol_version"  // the endpoint offers only TLS < 1.2
	TLSOther            TLSReason = "other"
)

// TLSError is a failed TLS handshake with an endpoint, with a message that
// says which check refused it. Err is the error crypto/tls returned.
type TLSError struct {
	Reason   TLSReason
	Endpoint string // host:port dialed
	Detail   string // the explanation, e.g. "certificate of HOST expired on DATE"
	Err      error
}

func (e *TLSError) Error() string {
	if e.Endpoint == "" {
		return "TLS handshake: " + e.Detail
	}
	return "TLS handshake with " + e.Endpoint + ": " + e.Detail
}

func (e *TLSError) Unwrap() error { return e.Err }

// tlsDateLayout is how certificate validity dates appear in messages.
const tlsDateLayout = "2006-01-02 15:04:05 UTC"

// alertProtocolVersion is the TLS protocol_version alert (RFC 8446 6.2).
const alertProtocolVersion = 70

// describeTLSError classifies err, the failure of a TLS handshake with
// endpoint whose certificate must be valid for serverName, as a *TLSError.
// A nil err gives nil.
func describeTLSError(err error, endpoint, serverName string) error {
	if err == nil {
		return nil
	}
	e := &TLSError{Reason: TLSOther, Endpoint: endpoint, Detail: err.Error(), Err: err}
	var (
		unknown   x509.UnknownAuthorityError
		noRoots   x509.SystemRootsError
		invalid   x509.CertificateInvalidError
		hostname  x509.HostnameError
		verifyErr *tls.CertificateVerificationError
	)
	var leaf *x509.Certificate
	if errors.As(err, &verifyErr) && len(verifyErr.UnverifiedCertificates) > 0 {
		leaf = verifyErr.UnverifiedCertificates[0]
	}
	switch {
	case errors.As(err, &unknown):
		e.Reason = TLSUnknownAuthority
		issuer := ""
		if unknown.Cert != nil {
			issuer = " (issuer " + quoteName(unknown.Cert.Issuer.CommonName, unknown.Cert.Issuer.String()) + ")"
		}
		e.Detail = "certificate of " + serverName + " is signed by an unknown authority" + issuer +
			": set monitoring_ca (--ca-file) to the CA that signed it"
	case errors.As(err, &noRoots):
		e.Reason = TLSUnknownAuthority
		e.Detail = "certificate of " + serverName + " cannot be verified: this system has no root CAs" +
			": set monitoring_ca (--ca-file) to the CA that signed it"
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		e.Reason = TLSExpired
		e.Detail = describeExpired(invalid, leaf, serverName)
	case errors.As(err, &hostname):
		e.Reason = TLSHostnameMismatch
		e.Detail = describeHostname(hostname, serverName)
	case isProtocolVersionError(err):
		e.Reason = TLSProtocolVersion
		e.Detail = serverName + " offers only TLS versions older than 1.2; TLS 1.2 or newer is required"
	}
	return e
}

// describeExpired names the date a certificate stopped (or starts) being
// valid, and which certificate of the chain it is when not the endpoint's.
func describeExpired(ie x509.CertificateInvalidError, leaf *x509.Certificate, serverName string) string {
	cert := ie.Cert
	if cert == nil {
		cert = leaf
	}
	if cert == nil {
		return "certificate of " + serverName + " is expired or not yet valid"
	}
	subject := "certificate of " + serverName
	if leaf != nil && !cert.Equal(leaf) {
		subject = "certificate of " + serverName + " was issued by " +
			quoteName(cert.Subject.CommonName, cert.Subject.String()) + ", whose certificate"
	}
	// crypto/x509 says "current time T is before NotBefore" or "... is
	// after NotAfter"; fall back to the clock if that wording changes.
	notYet := strings.Contains(ie.Detail, " is before ")
	if !notYet && !strings.Contains(ie.Detail, " is after ") {
		notYet = time.Now().Before(cert.NotBefore)
	}
	if notYet {
		return subject + " is not valid until " + cert.NotBefore.UTC().Format(tlsDateLayout)
	}
	return subject + " expired on " + cert.NotAfter.UTC().Format(tlsDateLayout)
}

// describeHostname lists the names the certificate is valid for.
func describeHostname(he x509.HostnameError, serverName string) string {
	host := he.Host
	if host == "" {
		host = serverName
	}
	cert := he.Certificate
	if cert == nil {
		return "certificate is not valid for " + host
	}
	names := append([]string(nil), cert.DNSNames...)
	for _, ip := range cert.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return "certificate has no subject alternative names, so it is not valid for " + host +
			" (its common name " + quoteName(cert.Subject.CommonName, "") + " is not checked)"
	}
	return "certificate is valid for " + strings.Join(names, ", ") + ", not " + host
}

// isProtocolVersionError reports whether the handshake failed because the
// endpoint and we share no TLS version: the endpoint's protocol_version alert,
// or a server hello with a version older than our minimum.
func isProtocolVersionError(err error) bool {
	var alert tls.AlertError // QUIC-style alerts
	if errors.As(err, &alert) && alert == alertProtocolVersion {
		return true
	}
	var op *net.OpError // crypto/tls reports a peer's alert as "remote error"
	if errors.As(err, &op) && op.Op == "remote error" && op.Err != nil &&
		op.Err.Error() == "tls: protocol version not supported" {
		return true
	}
	return strings.Contains(err.Error(), "server selected unsupported protocol version")
}

// quoteName quotes name, or fallback when name is empty.
func quoteName(name, fallback string) string {
	if name == "" {
		name = fallback
	}
	return strconv.Quote(name)
}
