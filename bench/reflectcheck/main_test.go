package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     [][]string
	}{
		{"none", "# pkg\n_ -> main.main\nmain.main -> fmt.Println\ntype:reflect.Value <UsedInIface> -> reflect.Value.Kind\n", nil},
		{
			// the lines of a real program's -dumpdep (bench/reflectcheck's testdata-free copy)
			"MethodByName", `# rm
_ -> main.main
main.main -> main.call <ReflectMethod>
main.call <ReflectMethod> -> type:main.T <UsedInIface>
main.call <ReflectMethod> -> reflect.Value.MethodByName
type:reflect.Value <UsedInIface> -> reflect.(*Value).MethodByName <ReflectMethod>
`,
			[][]string{{"main.main", "main.call"}, {"type:reflect.Value", "reflect.(*Value).MethodByName"}},
		},
		{
			"reached through a flagged symbol", "_ -> a\na -> b <ReflectMethod>\nb <ReflectMethod> -> c <ReflectMethod>\n",
			[][]string{{"a", "b"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := check(strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	if _, err := check(strings.NewReader("")); err == nil {
		t.Error("empty input: no error")
	}
}

func TestSplitFlags(t *testing.T) {
	for _, tc := range []struct {
		in, name string
		flag     bool
	}{
		{"main.call <ReflectMethod>", "main.call", true},
		{"type:T <UsedInIface><ReflectMethod>", "type:T", true},
		{"type:T <UsedInIface>", "type:T", false},
		{"go:string.\"<html>\"", "go:string.\"<html>\"", false},
		{"plain", "plain", false},
	} {
		n, f := splitFlags(tc.in)
		if n != tc.name || f != tc.flag {
			t.Errorf("splitFlags(%q) = %q, %v; want %q, %v", tc.in, n, f, tc.name, tc.flag)
		}
	}
}
