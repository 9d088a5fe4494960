// Command binsize attributes an unstripped Go binary's file bytes to the
// packages they come from, for bench/size.sh (`make size`) and the size
// gate in .ci/run. It reads `go tool nm -size -sort size BINARY` on stdin
// and the ELF section table of BINARY: a symbol counts only when it lies
// in a section that has bytes in the file (crypto/internal/fips140/drbg's
// 32 MiB buffer is listed as data by nm but lives in .noptrbss, which
// takes no room in the file). go:func.* and the rest of .gopclntab (the
// function tables the runtime needs for stacks and GC) are one row, since
// nm cannot split them by package.
//
//	go build -trimpath -o /tmp/full ./cmd/virgo-top
//	go tool nm -size -sort size /tmp/full | go run ./bench/binsize --elf /tmp/full --stripped /tmp/stripped
//
// It is not part of the virgo-top binary.
package main

import (
	"bufio"
	"debug/elf"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

func main() {
	elfPath := flag.String("elf", "", "the unstripped binary nm read (for its section table)")
	stripped := flag.String("stripped", "", "the stripped binary, whose size is reported")
	top := flag.Int("top", 30, "packages listed")
	topMod := flag.Int("top-modules", 15, "modules listed")
	flag.Parse()
	if *elfPath == "" {
		fmt.Fprintln(os.Stderr, "binsize: --elf is required")
		os.Exit(2)
	}
	secs, err := fileSections(*elfPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "binsize:", err)
		os.Exit(1)
	}
	syms, err := parseNM(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "binsize:", err)
		os.Exit(1)
	}
	var strippedSize int64 = -1
	if *stripped != "" {
		st, err := os.Stat(*stripped)
		if err != nil {
			fmt.Fprintln(os.Stderr, "binsize:", err)
			os.Exit(1)
		}
		strippedSize = st.Size()
	}
	r := attribute(syms, secs)
	r.write(os.Stdout, *top, *topMod, strippedSize)
}

// symbol is one line of `go tool nm -size`.
type symbol struct {
	addr uint64
	size int64
	kind byte // T t R r D d B b ...
	name string
}

// parseNM reads `go tool nm -size` output: "addr size kind name" (the
// name may hold spaces, e.g. types of struct literals).
func parseNM(r io.Reader) ([]symbol, error) {
	var out []symbol
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) < 4 {
			return nil, fmt.Errorf("nm line %d: %q: want address, size, kind and name", n, sc.Text())
		}
		addr, err := strconv.ParseUint(f[0], 16, 64)
		if err != nil {
			return nil, fmt.Errorf("nm line %d: address %q: %v", n, f[0], err)
		}
		size, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil || size < 0 {
			return nil, fmt.Errorf("nm line %d: size %q", n, f[1])
		}
		if len(f[2]) != 1 {
			return nil, fmt.Errorf("nm line %d: kind %q", n, f[2])
		}
		// the name is the rest of the line after the third field
		line := strings.TrimSpace(sc.Text())
		for i := 0; i < 3; i++ {
			line = strings.TrimLeft(line, " \t")
			line = line[strings.IndexAny(line+" ", " \t"):]
		}
		out = append(out, symbol{addr: addr, size: size, kind: f[2][0], name: strings.TrimSpace(line)})
	}
	return out, sc.Err()
}

// section is an address range of the binary and whether it has file bytes.
type section struct {
	name       string
	addr, size uint64
	inFile     bool
}

func fileSections(path string) ([]section, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []section
	for _, s := range f.Sections {
		if s.Flags&elf.SHF_ALLOC == 0 {
			continue
		}
		out = append(out, section{name: s.Name, addr: s.Addr, size: s.Size, inFile: s.Type != elf.SHT_NOBITS})
	}
	if len(out) == 0 {
		return nil, errors.New(path + ": no loadable sections")
	}
	return out, nil
}

func sectionOf(secs []section, addr uint64) *section {
	for i := range secs {
		if addr >= secs[i].addr && addr < secs[i].addr+secs[i].size {
			return &secs[i]
		}
	}
	return nil
}

// pclntabRow names the row of .gopclntab (go:func.* and the tables nm has no symbols for).
const pclntabRow = "(.gopclntab: function tables)"

// unsizedRow names the bytes of the sections that no sized symbol covers.
const unsizedRow = "(.rodata etc. without sized symbols: types, strings)"

// pkgOf returns the package a symbol's bytes belong to: the import path
// before the symbol's first dot after its last slash (generic arguments in
// brackets aside), %2e unescaped; types and itabs by their package; other
// linker-made symbols in one row.
func pkgOf(name string) string {
	switch {
	case strings.HasPrefix(name, "go:itab."):
		name = strings.TrimPrefix(name, "go:itab.")
		if i := strings.IndexByte(name, ','); i >= 0 {
			name = name[:i]
		}
		name = strings.TrimLeft(name, "*")
	case strings.HasPrefix(name, "go:func."):
		return pclntabRow
	case strings.HasPrefix(name, "go:"), strings.HasPrefix(name, "go."):
		return "(linker: strings, buildinfo, ...)"
	case strings.HasPrefix(name, "type:"):
		name = strings.TrimPrefix(name, "type:")
		for {
			switch {
			case strings.HasPrefix(name, "*"):
				name = name[1:]
				continue
			case strings.HasPrefix(name, "[]"):
				name = name[2:]
				continue
			case strings.HasPrefix(name, "["):
				if i := strings.IndexByte(name, ']'); i > 0 {
					name = name[i+1:]
					continue
				}
			case strings.HasPrefix(name, "chan "):
				name = name[5:]
				continue
			}
			break
		}
		if strings.HasPrefix(name, "map[") || strings.HasPrefix(name, "func(") ||
			strings.HasPrefix(name, "struct {") || strings.HasPrefix(name, "interface {") ||
			strings.HasPrefix(name, ".") || !strings.Contains(name, ".") {
			return "(types: unnamed and builtin)"
		}
	}
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = name[:i]
	}
	slash := strings.LastIndexByte(name, '/')
	dot := strings.IndexByte(name[slash+1:], '.')
	if dot < 0 {
		return "(assembly and linker symbols)"
	}
	return strings.ReplaceAll(name[:slash+1+dot], "%2e", ".")
}

// moduleOf groups a package path by module: the standard library (no dot
// in the first element) is "std"; github.com/x/y and golang.org/x/y by
// their first three elements, gopkg.in/x by two.
func moduleOf(pkg string) string {
	if strings.HasPrefix(pkg, "(") {
		return pkg
	}
	el := strings.Split(pkg, "/")
	switch {
	case el[0] == "vendor" || !strings.Contains(el[0], "."):
		return "std"
	case el[0] == "gopkg.in" && len(el) >= 2:
		return strings.Join(el[:2], "/")
	case len(el) >= 3:
		m := strings.Join(el[:3], "/")
		if len(el) >= 4 && isMajor(el[3]) {
			m += "/" + el[3]
		}
		return m
	}
	return pkg
}

func isMajor(s string) bool {
	if len(s) < 2 || s[0] != 'v' {
		return false
	}
	_, err := strconv.Atoi(s[1:])
	return err == nil
}

// row is one package's or module's file bytes.
type row struct {
	name       string
	text, data int64
}

func (r row) total() int64 { return r.text + r.data }

type report struct {
	pkgs, mods []row
	total      int64 // bytes of every counted symbol
	pclntab    int64 // .gopclntab's size (includes go:func.*)
	bss        int64 // bytes nm lists that are not in the file
}

func attribute(syms []symbol, secs []section) report {
	pk := map[string]*row{}
	var r report
	var fileBytes int64 // loadable sections with file bytes, .gopclntab aside
	for _, s := range secs {
		switch {
		case s.name == ".gopclntab":
			r.pclntab = int64(s.size)
		case s.inFile:
			fileBytes += int64(s.size)
		}
	}
	for _, s := range syms {
		if s.size == 0 || s.kind == 'U' {
			continue
		}
		sec := sectionOf(secs, s.addr)
		if sec == nil || !sec.inFile {
			r.bss += s.size
			continue
		}
		if sec.name == ".gopclntab" {
			continue // counted whole below
		}
		p := pkgOf(s.name)
		rw := pk[p]
		if rw == nil {
			rw = &row{name: p}
			pk[p] = rw
		}
		if s.kind == 'T' || s.kind == 't' {
			rw.text += s.size
		} else {
			rw.data += s.size
		}
		r.total += s.size
	}
	if r.pclntab > 0 {
		if pk[pclntabRow] == nil {
			pk[pclntabRow] = &row{name: pclntabRow}
		}
		pk[pclntabRow].data += r.pclntab
		r.total += r.pclntab
	}
	// The linker gives type descriptors and string data no sized symbols
	// (they sit between runtime.types and runtime.etypes): the rest of
	// the sections is one row.
	if rest := fileBytes - (r.total - r.pclntab); rest > 0 {
		pk[unsizedRow] = &row{name: unsizedRow, data: rest}
		r.total += rest
	}
	md := map[string]*row{}
	for _, p := range pk {
		r.pkgs = append(r.pkgs, *p)
		m := moduleOf(p.name)
		if md[m] == nil {
			md[m] = &row{name: m}
		}
		md[m].text += p.text
		md[m].data += p.data
	}
	for _, m := range md {
		r.mods = append(r.mods, *m)
	}
	sortRows(r.pkgs)
	sortRows(r.mods)
	return r
}

func sortRows(rs []row) {
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].total() != rs[j].total() {
			return rs[i].total() > rs[j].total()
		}
		return rs[i].name < rs[j].name
	})
}

func kib(n int64) string { return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) }

func (r report) write(w io.Writer, top, topMod int, stripped int64) {
	pct := func(n int64) string {
		if r.total == 0 {
			return "NA"
		}
		return strconv.FormatFloat(100*float64(n)/float64(r.total), 'f', 1, 64)
	}
	table := func(title string, rs []row, n int) {
		fmt.Fprintf(w, "| %s | text KiB | data KiB | total KiB | %% |\n|---|---|---|---|---|\n", title)
		var rest row
		for i, x := range rs {
			if i >= n {
				rest.text += x.text
				rest.data += x.data
				continue
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", x.name, kib(x.text), kib(x.data), kib(x.total()), pct(x.total()))
		}
		if len(rs) > n {
			fmt.Fprintf(w, "| (%d more) | %s | %s | %s | %s |\n", len(rs)-n, kib(rest.text), kib(rest.data), kib(rest.total()), pct(rest.total()))
		}
		fmt.Fprintf(w, "| **total** | | | **%s** | 100 |\n", kib(r.total))
	}
	if stripped >= 0 {
		fmt.Fprintf(w, "Stripped binary: %d KiB (%d bytes).\n\n", (stripped+1023)/1024, stripped)
	}
	fmt.Fprintf(w, "Bytes of the loadable sections (text, data, .gopclntab %s KiB); %s KiB of BSS that nm lists take no room in the file and are not counted; ELF headers and the symbol tables -s -w strips are not in the total.\n\n", kib(r.pclntab), kib(r.bss))
	table("package", r.pkgs, top)
	fmt.Fprintln(w)
	table("module", r.mods, topMod)
}
