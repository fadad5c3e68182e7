//go:build !unix

package actions

import "os/exec"

// ownProcessGroup keeps exec's default: only the process itself is killed.
func ownProcessGroup(*exec.Cmd) {}
