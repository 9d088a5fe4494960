//go:build !unix

package check

import "syscall"

// groupSysProcAttr: no unix process groups here.
func groupSysProcAttr() *syscall.SysProcAttr { return nil }

// killGroup: no unix process groups here; the plugin itself is killed.
func killGroup(int) {}
