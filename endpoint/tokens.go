package endpoint

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"path"
	"strings"
)

// Tokens are the accepted agent tokens, each bound to the agent ids (globs)
// it may say hello with. Only SHA-256 digests are kept, and every check
// compares against every entry in constant time, so neither the time taken
// nor a memory dump tells a token.
//
// The token file has one token per line, then the agent-id globs it may
// use (path.Match syntax: *, ?, [a-z]), separated by white space; '#'
// starts a comment line; blank lines are skipped:
//
//	# token                             agent ids
//	3f1c9a0e5b7d4c2a8e6f0b1d3c5a7e9f    web-*  db-1
//	b2d4f6a8c0e2a4c6e8f0a2c4e6a8c0e2    *
//
// A token is at least 16 characters and has no white space; a token
// listed twice is an error (its lines would disagree about its agents).
type Tokens struct {
	entries []tokenEntry
}

type tokenEntry struct {
	digest [sha256.Size]byte
	globs  []string
}

// MinTokenLength is the shortest token the token file accepts.
const MinTokenLength = 16

// Auth results of Tokens.Check.
var (
	// ErrBadToken: no entry has this token.
	ErrBadToken = errors.New("unknown token")
	// ErrAgentNotAllowed: the token is known but not for this agent id.
	ErrAgentNotAllowed = errors.New("agent id not allowed for this token")
)

// ParseTokens reads a token file. Errors name the line, never the token.
func ParseTokens(data []byte) (*Tokens, error) {
	t := &Tokens{}
	seen := map[[sha256.Size]byte]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), MaxConfigFile)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		f := strings.Fields(text)
		if len(f[0]) < MinTokenLength {
			return nil, fmt.Errorf("token file line %d: the token is shorter than %d characters", line, MinTokenLength)
		}
		if len(f) < 2 {
			return nil, fmt.Errorf("token file line %d: no agent id glob after the token", line)
		}
		for _, g := range f[1:] {
			if _, err := path.Match(g, ""); err != nil {
				return nil, fmt.Errorf("token file line %d: bad agent id glob %q", line, g)
			}
		}
		d := sha256.Sum256([]byte(f[0]))
		if prev, ok := seen[d]; ok {
			return nil, fmt.Errorf("token file line %d: the token of line %d again", line, prev)
		}
		seen[d] = line
		t.entries = append(t.entries, tokenEntry{digest: d, globs: f[1:]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("token file line %d: %w", line+1, err)
	}
	if len(t.entries) == 0 {
		return nil, errors.New("token file: no token")
	}
	return t, nil
}

// LoadTokens reads and parses a token file of at most MaxConfigFile bytes.
// Errors name the file and the line, never a token.
func LoadTokens(file string) (*Tokens, error) {
	data, err := readCapped(file, MaxConfigFile)
	if err != nil {
		return nil, fmt.Errorf("token_file: %w", err)
	}
	t, err := ParseTokens(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return t, nil
}

// Len returns the number of tokens.
func (t *Tokens) Len() int { return len(t.entries) }

// Check returns nil when token is accepted for agentID, else ErrBadToken
// or ErrAgentNotAllowed. Every entry's digest is compared, match or not.
func (t *Tokens) Check(token, agentID string) error {
	d := sha256.Sum256([]byte(token))
	found := -1
	for i := range t.entries {
		if subtle.ConstantTimeCompare(d[:], t.entries[i].digest[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return ErrBadToken
	}
	for _, g := range t.entries[found].globs {
		if ok, _ := path.Match(g, agentID); ok {
			return nil
		}
	}
	return ErrAgentNotAllowed
}
