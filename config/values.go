package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The value parsers below return errors without the key; the caller adds
// the key and where it was set. They quote the value only for keys that are
// not secret and not URLs (which may carry credentials).

// quote shows a value in an error, shortened so a pasted blob does not
// flood the message.
func quote(v string) string {
	const limit = 64
	if len(v) > limit {
		v = v[:limit] + "..."
	}
	return strconv.Quote(v)
}

// parseBool accepts true/false, yes/no, 1/0, enabled/disabled and on/off,
// in any case.
func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true", "yes", "1", "enabled", "on":
		return true, nil
	case "false", "no", "0", "disabled", "off":
		return false, nil
	}
	return false, fmt.Errorf("invalid boolean %s (want true/false, yes/no, 1/0, on/off or enabled/disabled)", quote(v))
}

// checkHostPort accepts host:port with a numeric port 1-65535. IPv6 hosts
// go in brackets. With emptyHost, ":port" (all interfaces) is allowed.
func checkHostPort(v string, emptyHost bool) error {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return fmt.Errorf("invalid address %s (want host:port)", quote(v))
	}
	if host == "" && !emptyHost {
		return fmt.Errorf("invalid address %s: missing host", quote(v))
	}
	if strings.ContainsAny(host, " \t/@") {
		return fmt.Errorf("invalid address %s: bad host", quote(v))
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 {
		return fmt.Errorf("invalid address %s: port must be a number from 1 to 65535", quote(v))
	}
	return nil
}

// splitList splits a comma list, trimming spaces around items. Empty
// items are an error.
func splitList(v string) ([]string, error) {
	parts := strings.Split(v, ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
		if parts[i] == "" {
			return nil, fmt.Errorf("empty item %d in list %s", i+1, quote(v))
		}
	}
	return parts, nil
}

func parseHostPorts(v string) ([]string, error) {
	items, err := splitList(v)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		if err := checkHostPort(it, false); err != nil {
			return nil, err
		}
	}
	return items, nil
}

// checkDNSName accepts a DNS name as used for SRV records: dot-separated
// labels of letters, digits, '-' and '_', each 1-63 bytes, at most 253 in
// all, with an optional trailing dot.
func checkDNSName(v string) error {
	name := strings.TrimSuffix(v, ".")
	if name == "" || len(name) > 253 {
		return fmt.Errorf("invalid DNS name %s", quote(v))
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("invalid DNS name %s", quote(v))
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return fmt.Errorf("invalid DNS name %s", quote(v))
			}
		}
	}
	return nil
}

func parseSRVNames(v string) ([]string, error) {
	items, err := splitList(v)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		if err := checkDNSName(it); err != nil {
			return nil, err
		}
	}
	return items, nil
}

// checkHTTPURL accepts an absolute http or https URL with a host. Its
// errors never contain the URL, which may hold credentials.
func checkHTTPURL(v string) error {
	u, err := url.Parse(v)
	if err != nil {
		return errors.New("not a valid URL")
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		if u.Scheme == "" {
			return errors.New("URL has no scheme (want http:// or https://)")
		}
		return fmt.Errorf("URL scheme %s not supported (want http or https)", quote(u.Scheme))
	}
	if u.Host == "" {
		return errors.New("URL has no host")
	}
	return nil
}

func parseEnum(v string, allowed []string) (string, error) {
	l := strings.ToLower(v)
	if slices.Contains(allowed, l) {
		return l, nil
	}
	return "", fmt.Errorf("invalid value %s (want one of %s)", quote(v), strings.Join(allowed, ", "))
}

func parseDuration(v string, lo, hi time.Duration) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %s (want e.g. 500ms, 1s, 2m)", quote(v))
	}
	if d < lo || d > hi {
		return 0, fmt.Errorf("duration %s out of range (want %v to %v)", quote(v), lo, hi)
	}
	return d, nil
}

func parsePositiveInt(v string, bits int) (int64, error) {
	n, err := strconv.ParseInt(v, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("invalid number %s (want a whole number)", quote(v))
	}
	if n < 1 {
		return 0, fmt.Errorf("invalid number %s (must be at least 1)", quote(v))
	}
	return n, nil
}

// parseRateLimit accepts a whole number of at least 1, or a negative one
// for no limit (stored as -1, notify.DispatcherOptions' "off"). 0 is
// refused: the dispatcher would read it as "default", not "none".
func parseRateLimit(v string) (int, error) {
	n, err := strconv.ParseInt(v, 10, 32)
	switch {
	case err != nil:
		return 0, fmt.Errorf("invalid number %s (want a whole number; -1 for no limit)", quote(v))
	case n == 0:
		return 0, errors.New("invalid number \"0\" (want at least 1; -1 for no limit)")
	case n < 0:
		return -1, nil
	}
	return int(n), nil
}

// byteUnits are the size suffixes parseBytes accepts; longest first so
// "KiB" is tried before "B".
var byteUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"kB", 1e3}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9},
	{"B", 1},
}

// parseBytes accepts a byte count with an optional unit: B, kB/KB, MB, GB
// (powers of 1000) or KiB, MiB, GiB (powers of 1024), e.g. "16MiB".
func parseBytes(v string) (int64, error) {
	num, mult := v, int64(1)
	for _, u := range byteUnits {
		if strings.HasSuffix(v, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(v, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid size %s (want bytes, optionally with kB, MB, GB, KiB, MiB or GiB)", quote(v))
	}
	if n < 1 {
		return 0, fmt.Errorf("invalid size %s (must be at least 1 byte)", quote(v))
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("invalid size %s (too large)", quote(v))
	}
	return n * mult, nil
}

func checkAddress(v string) error {
	if _, err := mail.ParseAddress(v); err != nil {
		return fmt.Errorf("invalid mail address %s", quote(v))
	}
	return nil
}

// parseAddressList splits a comma list of mail addresses ("Ops
// <ops@example.com>, oncall@example.com"); commas inside quoted names are
// handled.
func parseAddressList(v string) ([]string, error) {
	list, err := mail.ParseAddressList(v)
	if err != nil {
		return nil, fmt.Errorf("invalid mail address list %s", quote(v))
	}
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = a.Address
		if _, err := mail.ParseAddress(a.Address); a.Name != "" || err != nil {
			// A.String quotes what Address shows unquoted (`"a b"@c`
			// is Address `a b@c`), so the list reads back the same.
			out[i] = a.String()
		}
	}
	return out, nil
}

// checkText rejects control characters other than tab: they cannot come
// from a one-line setting on purpose.
func checkText(v string) error {
	for _, r := range v {
		if r < 0x20 && r != '\t' || r == 0x7f {
			return errors.New("value contains a control character")
		}
	}
	return nil
}
