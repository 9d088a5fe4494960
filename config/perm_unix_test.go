//go:build unix

package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestCheckPermissions(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		mode os.FileMode
		want string
	}{
		{0o600, ""},
		{0o400, ""},
		{0o700, ""},
		{0o640, "has mode 0640: group or others can read or write it, and it holds the monitoring token (chmod 600 it): file permissions too open"},
		{0o604, "has mode 0604: group or others can read or write it, and it holds the monitoring token (chmod 600 it): file permissions too open"},
		{0o620, "has mode 0620: group or others can read or write it, and it holds the monitoring token (chmod 600 it): file permissions too open"},
		{0o644, "has mode 0644: group or others can read or write it, and it holds the monitoring token (chmod 600 it): file permissions too open"},
	}
	for _, tc := range tests {
		path := filepath.Join(dir, tc.mode.String()+".cfg")
		if err := os.WriteFile(path, []byte("monitoring_id a\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, tc.mode); err != nil {
			t.Fatal(err)
		}
		err := CheckPermissions(path)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: %v", tc.mode, err)
		case tc.want != "" && (err == nil || err.Error() != path+" "+tc.want):
			t.Errorf("%v: got %v, want %s %s", tc.mode, err, path, tc.want)
		case tc.want != "" && !errors.Is(err, ErrInsecurePermissions):
			t.Errorf("%v: error does not wrap ErrInsecurePermissions", tc.mode)
		}
	}
	if err := CheckPermissions(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
