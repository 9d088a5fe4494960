package config

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Sentinel errors; every *Error wraps one of them.
var (
	ErrUnknownKey   = errors.New("unknown key")
	ErrDuplicateKey = errors.New("duplicate key")
	ErrInvalidValue = errors.New("invalid value")
	ErrConflict     = errors.New("conflicting settings")
	ErrSyntax       = errors.New("syntax error")
	// ErrInsecurePermissions: CheckPermissions or ReadTokenFile found the
	// file readable or writable by group or others.
	ErrInsecurePermissions = errors.New("file permissions too open")
)

// Error is one bad setting. Its message starts with where the setting came
// from: "virgo-top.cfg:7", "environment VIRGO_TOP_INTERVAL" or the source
// given to Set. It never contains a secret value.
type Error struct {
	Where string // "file:line", "environment NAME", a Set source; "" for cross-key checks
	Line  int    // the line in the file, 0 if not from a file
	Key   string // the key, when it is a known key
	Msg   string // what is wrong
	Err   error  // ErrUnknownKey, ErrDuplicateKey, ErrInvalidValue, ErrConflict or ErrSyntax
}

func (e *Error) Error() string {
	if e.Where == "" {
		return e.Msg
	}
	return e.Where + ": " + e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// Limits on input: a config file is a few hundred bytes; these only stop a
// wrong file (a log, a binary) from eating memory or flooding the output.
const (
	maxFileSize = 1 << 20
	maxLineSize = 64 << 10
	maxErrors   = 20
)

// Load reads and parses the file at path; see Parse. Errors name the path
// as given.
func Load(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("open config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return Config{}, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return Config{}, fmt.Errorf("read %s: larger than %d bytes: not a config file", path, maxFileSize)
	}
	return Parse(bytes.NewReader(data), path)
}

// Parse reads a Virgo-format config on top of Default(). name is used in
// errors ("name:line: ...").
//
// Format: one "key value" per line, split at the first run of spaces or
// tabs; the value is the rest of the line with surrounding whitespace
// trimmed, so it may contain spaces. There is no quoting: quotes are part
// of the value. Blank lines and lines whose first non-blank character is
// '#' are skipped; a '#' anywhere else is part of the value
// ("notify_sms_template #{{.Short}}" keeps the '#'). A key with no value
// resets the key to its default. A key set twice is an error.
//
// Parse checks every line and reports all bad lines at once (joined, up to
// 20), each naming its line; on error it returns the zero Config. It does
// not check rules that span keys (only one endpoint key, notification keys
// that need each other): call Validate once the environment and flags are
// applied.
func Parse(r io.Reader, name string) (Config, error) {
	c := Default()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLineSize)
	var errs []error
	seen := map[string]int{}
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if line == 1 {
			text = strings.TrimPrefix(text, "\uFEFF")
		}
		text = strings.TrimSpace(text)
		if text == "" || text[0] == '#' {
			continue
		}
		key, value := text, ""
		if i := strings.IndexAny(text, " \t"); i >= 0 {
			key, value = text[:i], strings.TrimLeft(text[i:], " \t")
		}
		where := name + ":" + strconv.Itoa(line)
		k, ok := keyIndex[key]
		if !ok {
			errs = append(errs, unknownKeyError(where, line, key))
		} else if first, dup := seen[key]; dup {
			errs = append(errs, &Error{Where: where, Line: line, Key: key, Err: ErrDuplicateKey,
				Msg: fmt.Sprintf("duplicate key %q (first set at line %d)", key, first)})
		} else if first, both := seen[k.replaces]; k.replaces != "" && both {
			errs = append(errs, &Error{Where: where, Line: line, Key: key, Err: ErrConflict,
				Msg: fmt.Sprintf("%s conflicts with %s at line %d: set only one of them", key, k.replaces, first)})
		} else {
			seen[key] = line
			if err := c.apply(k, value, where, where); err != nil {
				err.Line = line
				errs = append(errs, err)
			}
		}
		if len(errs) >= maxErrors {
			errs = append(errs, fmt.Errorf("%s: too many errors", where))
			return Config{}, errors.Join(errs...)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			where := name + ":" + strconv.Itoa(line+1)
			errs = append(errs, &Error{Where: where, Line: line + 1, Err: ErrSyntax,
				Msg: fmt.Sprintf("line longer than %d bytes", maxLineSize)})
		} else {
			errs = append(errs, fmt.Errorf("read %s: %w", name, err))
		}
	}
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	return c, nil
}

// Set sets one key with the same checks as the file, for flags: source says
// where the value came from ("flag", "flag --interval") and starts any
// error. The key may use '-' for '_' ("log-level"). An empty value resets
// the key to its default. Set overrides whatever the file or environment
// set.
func (c *Config) Set(key, value, source string) error {
	name := strings.ReplaceAll(strings.ToLower(key), "-", "_")
	k, ok := keyIndex[name]
	if !ok {
		return unknownKeyError(source, 0, key)
	}
	if err := c.apply(k, value, source, source); err != nil {
		return err
	}
	return nil
}

// ApplyEnv applies VIRGO_TOP_<KEY> variables from environ ("NAME=value"
// entries, as os.Environ returns), e.g. VIRGO_TOP_MONITORING_TOKEN. They
// override the file; an empty variable is ignored, as if unset. A
// VIRGO_TOP_ variable that is a near miss of a key is an error, so a typo
// cannot silently leave the file's value in force; one that resembles no
// key is noted in Notes and ignored. All bad variables are reported; good
// ones are applied even when others fail.
func (c *Config) ApplyEnv(environ []string) error {
	var errs []error
	applied := map[string]string{} // key -> variable, for keys that replace each other
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix) {
			continue
		}
		where := "environment " + name
		k, known := keyIndex[strings.ToLower(strings.TrimPrefix(name, EnvPrefix))]
		if !known {
			// A near miss of a key is a typo worth stopping for (a
			// misspelt token variable would otherwise go unnoticed).
			// Anything else under the prefix may belong to another tool
			// (shared/tools/monitor-cost sets VIRGO_TOP_CMD): noted only.
			s := suggest(strings.ToLower(strings.TrimPrefix(name, EnvPrefix)))
			if s == "" {
				c.Notes = append(c.Notes, "ignored unknown environment variable "+name)
				continue
			}
			msg := "unknown variable " + name + " (did you mean " + EnvName(s) + "?)"
			errs = append(errs, &Error{Where: "environment", Msg: msg, Err: ErrUnknownKey})
			continue
		}
		if value == "" {
			continue
		}
		if other, both := applied[k.replaces]; k.replaces != "" && both {
			errs = append(errs, &Error{Where: "environment", Key: k.name, Err: ErrConflict,
				Msg: fmt.Sprintf("%s conflicts with %s: set only one of them", name, other)})
			continue
		}
		applied[k.name] = name
		if err := c.apply(k, value, where, "env"); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// EnvName is the environment variable that overrides key.
func EnvName(key string) string { return EnvPrefix + strings.ToUpper(key) }

// apply sets k to value and records source. where starts errors.
func (c *Config) apply(k *keyDef, value, where, source string) *Error {
	fail := func(err error) *Error {
		return &Error{Where: where, Key: k.name, Msg: k.name + ": " + err.Error(), Err: ErrInvalidValue}
	}
	if err := checkText(value); err != nil {
		return fail(err)
	}
	if value == "" {
		def := Default()
		if dv := k.get(&def); dv != "" {
			if err := k.set(c, dv); err != nil {
				return fail(err) // a broken default is a bug; say so rather than panic
			}
		} else {
			k.clear(c)
		}
	} else if err := k.set(c, value); err != nil {
		return fail(err)
	}
	if c.Source == nil {
		c.Source = map[string]string{}
	}
	if k.replaces != "" && value != "" {
		// monitoring_token and monitoring_token_file: the later layer wins.
		// An alias and its key share one field: nothing to clear.
		other := keyIndex[k.replaces]
		if !k.alias && !other.alias {
			other.clear(c)
		}
		delete(c.Source, other.name)
	}
	c.Source[k.name] = source
	if k.note != "" && !slices.Contains(c.Notes, k.note) {
		c.Notes = append(c.Notes, k.note)
	}
	return nil
}

// unknownKeyError names the key only if it looks like a key: a line that
// is only a value (a pasted token) must not end up in a log.
func unknownKeyError(where string, line int, key string) *Error {
	lower := strings.ReplaceAll(strings.ToLower(key), "-", "_")
	s := suggest(lower)
	var msg string
	switch {
	case looksLikeKey(key) && (s != "" || strings.Contains(key, "_")):
		msg = fmt.Sprintf("unknown key %q", key)
	default:
		msg = "unknown key (not shown: it does not look like a key name; is a key missing?)"
	}
	if s != "" {
		msg += " (did you mean " + s + "?)"
	}
	return &Error{Where: where, Line: line, Msg: msg, Err: ErrUnknownKey}
}

func looksLikeKey(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for i, r := range s {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !letter && (i == 0 || !(r >= '0' && r <= '9' || r == '_' || r == '-')) {
			return false
		}
	}
	return true
}

// suggest returns the known key closest to an unknown one: within edit
// distance 2 (3 for long keys), or the only key ending in "_"+name
// ("token" -> monitoring_token). "" if nothing is close.
func suggest(name string) string {
	if name == "" || len(name) > 64 {
		return ""
	}
	best, bestD := "", 3
	if len(name) >= 12 {
		bestD = 4
	}
	var suffix []string
	for _, k := range keyTable {
		if d := editDistance(name, k.name); d < bestD {
			best, bestD = k.name, d
		}
		if strings.HasSuffix(k.name, "_"+name) {
			suffix = append(suffix, k.name)
		}
	}
	if best == "" && len(suffix) > 0 && len(suffix) <= 3 {
		best = strings.Join(suffix, " or ") // "token": monitoring_token or notify_webhook_token
	}
	return best
}

// editDistance is the Levenshtein distance of two short ASCII strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
