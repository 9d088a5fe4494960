package main

import (
	"strings"
	"testing"
)

func TestPkgOf(t *testing.T) {
	for _, tc := range []struct{ sym, want string }{
		{"runtime.mallocgc", "runtime"},
		{"net/http.(*Transport).dialConn", "net/http"},
		{"github.com/charmbracelet/lipgloss.Style.Render", "github.com/charmbracelet/lipgloss"},
		{"github.com/virgo-top/virgo-top/tui.Model.Update.func1", "github.com/virgo-top/virgo-top/tui"},
		{"gopkg.in/yaml%2ev3.(*parser).parse", "gopkg.in/yaml.v3"},
		{"slices.SortFunc[go.shape.[]github.com/x/y.T,go.shape.struct { a/b.c }]", "slices"},
		{"type:*github.com/virgo-top/virgo-top/check.Result", "github.com/virgo-top/virgo-top/check"},
		{"type:[]*[4]net/netip.Addr", "net/netip"},
		{"type:map[string]int", "(types: unnamed and builtin)"},
		{"type:int", "(types: unnamed and builtin)"},
		{"go:itab.*os.File,io.Reader", "os"},
		{"go:func.*", pclntabRow},
		{"go:string.*", "(linker: strings, buildinfo, ...)"},
		{"_rt0_amd64_linux", "(assembly and linker symbols)"},
		{"vendor/golang.org/x/net/idna.idnaValues", "vendor/golang.org/x/net/idna"},
	} {
		if got := pkgOf(tc.sym); got != tc.want {
			t.Errorf("pkgOf(%q) = %q, want %q", tc.sym, got, tc.want)
		}
	}
}

func TestModuleOf(t *testing.T) {
	for _, tc := range []struct{ pkg, want string }{
		{"net/http", "std"},
		{"vendor/golang.org/x/net/idna", "std"},
		{"github.com/charmbracelet/x/ansi", "github.com/charmbracelet/x"},
		{"github.com/shirou/gopsutil/v3/cpu", "github.com/shirou/gopsutil/v3"},
		{"gopkg.in/yaml.v3", "gopkg.in/yaml.v3"},
		{"golang.org/x/sys/unix", "golang.org/x/sys"},
		{pclntabRow, pclntabRow},
	} {
		if got := moduleOf(tc.pkg); got != tc.want {
			t.Errorf("moduleOf(%q) = %q, want %q", tc.pkg, got, tc.want)
		}
	}
}

func TestParseNMBad(t *testing.T) {
	for _, in := range []string{"zz 1 T a", "10 -1 T a", "10 1 TT a", "10 1 T"} {
		if _, err := parseNM(strings.NewReader(in)); err == nil {
			t.Errorf("parseNM(%q): no error", in)
		}
	}
}

// The fips140 DRBG buffer is listed as D by nm but lies in .noptrbss: it
// must not count; .gopclntab counts whole, once; the rest of a section
// not covered by sized symbols is its own row.
func TestAttribute(t *testing.T) {
	nm := `  1000 100 T main.main
  1100  50 t runtime.memmove
  2000  30 R net/http.statusText
  2030  10 r go:func.*
  3000 999 D crypto/internal/fips140/drbg.memory
  4000   0 U undefined.sym`
	syms, err := parseNM(strings.NewReader(nm))
	if err != nil {
		t.Fatal(err)
	}
	secs := []section{
		{name: ".text", addr: 0x1000, size: 0x200, inFile: true},
		{name: ".rodata", addr: 0x2000, size: 0x30, inFile: true},
		{name: ".gopclntab", addr: 0x2030, size: 0x40, inFile: true},
		{name: ".noptrbss", addr: 0x3000, size: 0x1000, inFile: false},
	}
	r := attribute(syms, secs)
	got := map[string]int64{}
	for _, p := range r.pkgs {
		got[p.name] = p.total()
	}
	want := map[string]int64{
		"main":     100,
		"runtime":  50,
		"net/http": 30,
		pclntabRow: 0x40,
		unsizedRow: 0x200 + 0x30 - 180, // .text and .rodata less the sized symbols
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %d bytes, want %d (all: %v)", k, got[k], v, got)
		}
	}
	if r.bss != 999 {
		t.Errorf("bss = %d, want 999", r.bss)
	}
	if r.total != 0x200+0x30+0x40 {
		t.Errorf("total = %d, want the sections' %d", r.total, 0x200+0x30+0x40)
	}
}
