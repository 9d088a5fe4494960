package hostinfo

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// maxFile bounds every file this package reads whole.
const maxFile = 4 << 20

// readFile reads root/rel, at most maxFile bytes.
func readFile(root, rel string) ([]byte, error) {
	p := filepath.Join(root, rel)
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(f, maxFile)); err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return buf.Bytes(), nil
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(s)
}

// contentLines returns the lines misc.lua's read keeps: neither blank nor
// starting with '#'.
func contentLines(b []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), maxFile)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		out = append(out, line)
	}
	return out
}

// firstRW is ro.lua's test: the first option that is "ro" or "rw".
func firstRW(options string, readOnly bool) string {
	for _, o := range strings.FieldsFunc(options, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if o == "ro" || o == "rw" {
			return o
		}
	}
	if options == "" {
		if readOnly {
			return "ro"
		}
		return "rw"
	}
	return ""
}

func ioLimitN(r io.Reader, n int64) io.Reader { return io.LimitReader(r, n) }

func join(s []string, sep string) string { return strings.Join(s, sep) }
