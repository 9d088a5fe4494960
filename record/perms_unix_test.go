//go:build unix

package record_test

import (
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/virgo-top/virgo-top/record"
)

// TestPermissions: the recording's dir is 0750 and its files 0640
// whatever the umask, owned by the Group when it exists (so its members
// read the recording); a missing group is logged once.
func TestPermissions(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	group, gid := otherGroup(t)
	dir := filepath.Join(t.TempDir(), "record")
	var log logBuf
	w, err := record.OpenWriter(record.Options{Dir: dir, Group: group, Logger: log.logger(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		w.Sample(sample(float64(i * 3600))) // three segments
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	check := func(path string, mode os.FileMode) {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode().Perm(), mode)
		}
		if st := fi.Sys().(*syscall.Stat_t); gid >= 0 && int(st.Gid) != gid {
			t.Errorf("%s: gid %d, want %d (%s)", path, st.Gid, gid, group)
		}
	}
	check(dir, 0o750)
	ents, _ := os.ReadDir(dir)
	if len(ents) != 4 {
		t.Errorf("%d files, want 3 segments and the lock", len(ents))
	}
	for _, e := range ents {
		check(filepath.Join(dir, e.Name()), 0o640)
	}
	if strings.Contains(log.String(), "group") {
		t.Errorf("unexpected warning: %s", log.String())
	}

	// A group that does not exist: one warning, the recording goes on.
	log = logBuf{}
	dir2 := filepath.Join(t.TempDir(), "record")
	w, err = record.OpenWriter(record.Options{Dir: dir2, Group: "virgo-top-no-such-group", Logger: log.logger(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		w.Sample(sample(float64(i * 3600)))
	}
	w.Close()
	if n := strings.Count(log.String(), "group cannot be set"); n != 1 {
		t.Errorf("%d warnings about the group, want 1:\n%s", n, log.String())
	}
}

// otherGroup returns a group this process may give its files other than
// its own primary group (as root: any), or its primary group with a
// message when there is none.
func otherGroup(t *testing.T) (string, int) {
	var cands []int
	if os.Geteuid() == 0 {
		for _, name := range []string{"daemon", "adm", "nogroup", "users"} {
			if g, err := user.LookupGroup(name); err == nil {
				id, _ := strconv.Atoi(g.Gid)
				cands = append(cands, id)
			}
		}
	} else {
		cands, _ = os.Getgroups()
	}
	for _, id := range cands {
		if id == os.Getgid() {
			continue
		}
		if g, err := user.LookupGroupId(strconv.Itoa(id)); err == nil {
			return g.Name, id
		}
	}
	g, err := user.LookupGroupId(strconv.Itoa(os.Getgid()))
	if err != nil {
		t.Skipf("no group name for gid %d: %v", os.Getgid(), err)
	}
	t.Logf("no group other than the primary one to test chown with; using %s", g.Name)
	id, _ := strconv.Atoi(g.Gid)
	return g.Name, id
}
