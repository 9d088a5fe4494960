//go:build unix

package check

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// The plugin path check. A plugin runs with the agent's privileges (root,
// usually), so whoever can change what a plugin path names can run code as
// the agent. openPlugin therefore resolves the path itself, one component
// at a time from "/", and trusts a component only when nobody but root or
// the agent's user could have changed it:
//
//   - every directory on the way is owned by root or the agent's user and
//     not writable by group or others; a directory above the plugin
//     directory may be group/other writable when it is sticky (/tmp): there
//     nobody can rename or remove an entry they do not own, and every entry
//     we go through must be owned by root or us anyway;
//   - the plugin directory and everything under it must be strictly
//     unwritable by group and others (sticky or not);
//   - a symlink is followed (so /lib -> usr/lib and an alias inside the
//     plugin directory work) only when it is owned by root or us; its
//     directory was checked, so its target is what a trusted user wrote, and
//     the target is walked with the same checks;
//   - the file is a regular file, owned by root or us, not writable by
//     group or others, and inside the plugin directory after every symlink.
//
// On Linux each component is opened with O_PATH|O_NOFOLLOW relative to its
// parent's descriptor and checked with fstat, and the plugin's own
// descriptor is what runs (see pluginexec_linux.go): what was checked is
// what is executed, with no window to swap a path component. Elsewhere the
// same checks are made by path (lstat), the file is opened with O_NOFOLLOW
// and its descriptor compared with the checked inode, and the path is
// executed: best effort, a race with a trusted user remains.

// maxSymlinks bounds the symlinks followed in one resolution (Linux's
// MAXSYMLINKS).
const maxSymlinks = 40

// pathNode is one resolved path component.
type pathNode struct {
	path string // absolute, without symlinks
	fd   int    // O_PATH descriptor on Linux; -1 elsewhere
	mode uint32 // st_mode
	uid  uint32
	dev  uint64
	ino  uint64
}

func (n pathNode) typ() uint32       { return n.mode & syscall.S_IFMT }
func (n pathNode) perm() os.FileMode { return os.FileMode(n.mode & 0o777) }

// walker resolves paths from "/" with the trust checks above. stack holds
// the directories from "/" down to the current one.
type walker struct {
	stack     []pathNode
	links     int
	pluginDir string // real plugin directory, once resolved
}

func newWalker() (*walker, error) {
	root, err := rootNode()
	if err != nil {
		return nil, fmt.Errorf("open /: %w", err)
	}
	w := &walker{}
	if err := w.checkDir(root, false, "directory"); err != nil {
		closeNode(root)
		return nil, err
	}
	w.stack = []pathNode{root}
	return w, nil
}

func (w *walker) top() pathNode { return w.stack[len(w.stack)-1] }

func (w *walker) close() {
	for _, n := range w.stack {
		closeNode(n)
	}
	w.stack = nil
}

// popTo closes the stack down to its first n entries.
func (w *walker) popTo(n int) {
	for len(w.stack) > n {
		closeNode(w.top())
		w.stack = w.stack[:len(w.stack)-1]
	}
}

// inPluginDir reports whether p is the plugin directory or below it.
func (w *walker) inPluginDir(p string) bool {
	return w.pluginDir != "" && within(p, w.pluginDir)
}

// within reports whether path p is dir or below it.
func within(p, dir string) bool {
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}

// checkDir applies the directory rules; label names it in errors.
func (w *walker) checkDir(n pathNode, strict bool, label string) error {
	if !ownerTrusted(n.uid) {
		return fmt.Errorf("%w: %s %s is owned by uid %d, not root or this user", ErrPluginPath, label, n.path, n.uid)
	}
	if n.mode&0o022 != 0 && (strict || n.mode&syscall.S_ISVTX == 0) {
		return fmt.Errorf("%w: %s %s is writable by group or others (mode %v)", ErrPluginPath, label, n.path, n.perm())
	}
	return nil
}

// resolve walks path (absolute, or relative to the top of the stack).
// With wantDir the path must name a directory, which is left on top of the
// stack (the plugin directory: checked strictly, labelled as such).
// Otherwise the final component is returned unchecked and owned by the
// caller; a final directory is pushed and returned with fd -1, for the
// caller's "not a regular file".
func (w *walker) resolve(path string, wantDir bool) (pathNode, error) {
	if strings.HasPrefix(path, "/") {
		w.popTo(1)
	}
	queue := splitPath(path)
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		switch name {
		case "", ".":
			continue
		case "..":
			if len(w.stack) > 1 {
				w.popTo(len(w.stack) - 1)
			}
			continue
		}
		n, err := lookupNode(w.top(), name)
		if err != nil {
			return pathNode{}, err
		}
		switch n.typ() {
		case syscall.S_IFLNK:
			target, err := w.follow(n)
			closeNode(n)
			if err != nil {
				return pathNode{}, err
			}
			if strings.HasPrefix(target, "/") {
				w.popTo(1)
			}
			queue = append(splitPath(target), queue...)
		case syscall.S_IFDIR:
			last := len(queue) == 0 || allDots(queue)
			strict, label := w.inPluginDir(n.path), "directory"
			if wantDir && last {
				strict, label = true, "plugin directory"
			}
			if err := w.checkDir(n, strict, label); err != nil {
				closeNode(n)
				return pathNode{}, err
			}
			w.stack = append(w.stack, n)
		default:
			if len(queue) > 0 || wantDir {
				closeNode(n)
				return pathNode{}, &os.PathError{Op: "open", Path: n.path, Err: syscall.ENOTDIR}
			}
			return n, nil
		}
	}
	if wantDir {
		// A target ending in ".." can leave a directory on top that was
		// only checked as an ancestor.
		if err := w.checkDir(w.top(), true, "plugin directory"); err != nil {
			return pathNode{}, err
		}
		return w.top(), nil
	}
	t := w.top()
	t.fd = -1 // still owned by the stack
	return t, nil
}

// follow checks symlink n and returns its target.
func (w *walker) follow(n pathNode) (string, error) {
	if w.links++; w.links > maxSymlinks {
		return "", &os.PathError{Op: "open", Path: n.path, Err: syscall.ELOOP}
	}
	if !ownerTrusted(n.uid) {
		return "", fmt.Errorf("%w: symlink %s is owned by uid %d, not root or this user", ErrPluginPath, n.path, n.uid)
	}
	target, err := readNodeLink(n)
	if err != nil {
		return "", err
	}
	if target == "" {
		return "", &os.PathError{Op: "readlink", Path: n.path, Err: syscall.ENOENT}
	}
	return target, nil
}

func splitPath(p string) []string { return strings.Split(p, "/") }

// allDots reports whether the rest of a path is only "." and "" (a
// trailing slash), so the current component is effectively the last.
func allDots(parts []string) bool {
	for _, p := range parts {
		if p != "" && p != "." {
			return false
		}
	}
	return true
}

// openPlugin resolves plugin file inside dir with the checks above and
// returns it open. The caller closes it.
func openPlugin(dir, file string) (*pluginExe, error) {
	if file == "" {
		return nil, fmt.Errorf("%w: empty file name", ErrPluginPath)
	}
	if filepath.IsAbs(file) || !filepath.IsLocal(file) {
		return nil, fmt.Errorf("%w: %q must be a relative path inside the plugin directory", ErrPluginPath, file)
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("plugin directory: %w", err)
	}
	w, err := newWalker()
	if err != nil {
		return nil, err
	}
	defer w.close()
	d, err := w.resolve(absDir, true)
	if err != nil {
		if errors.Is(err, ErrPluginPath) {
			return nil, err
		}
		return nil, fmt.Errorf("plugin directory: %w", err)
	}
	w.pluginDir = d.path
	n, err := w.resolve(file, false)
	if err != nil {
		if errors.Is(err, ErrPluginPath) {
			return nil, err
		}
		return nil, fmt.Errorf("plugin %s: %w", file, err)
	}
	if n.fd >= 0 {
		defer closeNode(n)
	}
	if !within(n.path, w.pluginDir) {
		return nil, fmt.Errorf("%w: %q resolves to %s, outside %s", ErrPluginPath, file, n.path, w.pluginDir)
	}
	if n.typ() != syscall.S_IFREG {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrPluginPath, n.path)
	}
	if n.mode&0o022 != 0 {
		return nil, fmt.Errorf("%w: %s is writable by group or others (mode %v)", ErrPluginPath, n.path, n.perm())
	}
	if !ownerTrusted(n.uid) {
		return nil, fmt.Errorf("%w: %s is owned by uid %d, not root or this user", ErrPluginPath, n.path, n.uid)
	}
	f, err := openNode(n)
	if err != nil {
		return nil, fmt.Errorf("plugin %s: %w", file, err)
	}
	return &pluginExe{path: n.path, file: f}, nil
}
