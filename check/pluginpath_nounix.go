//go:build !unix

package check

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// openPlugin, where there are no unix owners and modes: the file must be a
// regular file inside dir after resolving symlinks. It is executed by path.
func openPlugin(dir, file string) (*pluginExe, error) {
	if file == "" {
		return nil, fmt.Errorf("%w: empty file name", ErrPluginPath)
	}
	if filepath.IsAbs(file) || !filepath.IsLocal(file) {
		return nil, fmt.Errorf("%w: %q must be a relative path inside the plugin directory", ErrPluginPath, file)
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("plugin directory: %w", err)
	}
	if realDir, err = filepath.Abs(realDir); err != nil {
		return nil, fmt.Errorf("plugin directory: %w", err)
	}
	real, err := filepath.EvalSymlinks(filepath.Join(realDir, file))
	if err != nil {
		return nil, fmt.Errorf("plugin %s: %w", file, err)
	}
	if real, err = filepath.Abs(real); err != nil {
		return nil, fmt.Errorf("plugin %s: %w", file, err)
	}
	if !strings.HasPrefix(real, realDir+string(filepath.Separator)) {
		return nil, fmt.Errorf("%w: %q resolves to %s, outside %s", ErrPluginPath, file, real, realDir)
	}
	info, err := os.Stat(real)
	if err != nil {
		return nil, fmt.Errorf("plugin %s: %w", file, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrPluginPath, real)
	}
	return &pluginExe{path: real}, nil
}
