// Command reflectcheck fails when the linker sees a reachable call of
// reflect's Method or MethodByName with a name not known at compile time.
// Such a call makes the linker keep every exported method of every
// reachable type (cmd/link's deadcode pass, "reflectSeen"), which costs
// the binary megabytes. It reads the linker's -dumpdep output on stdin
// (lines "from -> to", flags such as <ReflectMethod> after a name) and,
// for each symbol flagged <ReflectMethod> whose parent is not, prints the
// chain from the program's roots to it, the way a dead-code explainer
// (github.com/aarzilli/whydeadcode) does.
//
//	go build -ldflags=-dumpdep -o /dev/null ./cmd/virgo-top 2>&1 | go run ./bench/reflectcheck
//
// .ci/run runs it through `make reflect-check`. It is not part of the
// virgo-top binary.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	chains, err := check(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "reflectcheck:", err)
		os.Exit(2)
	}
	if len(chains) == 0 {
		fmt.Println("reflect method check: ok: no reachable reflect Method/MethodByName call with a non-constant name")
		return
	}
	fmt.Println("reflect method check: FAIL: a reflect Method/MethodByName call with a non-constant name is reachable,")
	fmt.Println("so the linker keeps every exported method of every reachable type. Remove the call or the")
	fmt.Println("import that brings it (e.g. text/template's execution, html/template, net/http/pprof):")
	for i, c := range chains {
		if i == 5 {
			fmt.Printf("\n  (%d more chains)\n", len(chains)-i)
			break
		}
		fmt.Println()
		fmt.Println("  " + strings.Join(c, "\n    -> "))
	}
	os.Exit(1)
}

const flagReflect = "<ReflectMethod>"

// splitFlags splits "name <A><B>" into the name and whether it carries
// <ReflectMethod>.
func splitFlags(s string) (string, bool) {
	s = strings.TrimSpace(s)
	i := strings.LastIndex(s, " <")
	if i < 0 || !strings.HasSuffix(s, ">") {
		return s, false
	}
	return s[:i], strings.Contains(s[i:], flagReflect)
}

// check returns one chain (root first) for each symbol flagged
// <ReflectMethod> that was reached from a symbol that is not.
func check(r io.Reader) ([][]string, error) {
	parent := map[string]string{}
	flagged := map[string]bool{}
	var order []string
	lines := 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		from, to, ok := strings.Cut(line, " -> ")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		lines++
		f, ff := splitFlags(from)
		t, tf := splitFlags(to)
		if ff {
			flagged[f] = true
		}
		if tf && !flagged[t] {
			flagged[t] = true
			order = append(order, t)
		}
		if _, seen := parent[t]; !seen {
			parent[t] = f // the linker marks a symbol once: its first parent
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if lines == 0 {
		return nil, errors.New("no -dumpdep lines on stdin (did the build fail?)")
	}
	var out [][]string
	for _, s := range order {
		if flagged[parent[s]] {
			continue // reached through another flagged symbol: that one's chain says it
		}
		var c []string
		seen := map[string]bool{}
		for n := s; n != "" && n != "_" && !seen[n]; n = parent[n] {
			seen[n] = true
			c = append([]string{n}, c...)
		}
		out = append(out, c)
	}
	return out, nil
}
