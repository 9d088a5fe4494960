//go:build !unix

package check

import (
	"os"
	"os/exec"
)

// setProcessGroup does nothing where there are no unix process groups.
func setProcessGroup(*exec.Cmd) {}

// killProcessGroup kills the plugin process itself.
func killProcessGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}

// ownerTrusted accepts every owner where there are no unix owners.
func ownerTrusted(os.FileInfo) (uint32, bool) { return 0, true }
