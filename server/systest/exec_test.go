//go:build linux

package systest

import (
	"context"
	"os/exec"

	"github.com/spa-project/spa/server/lab"
)

// runCmd runs a program in the test's own namespace, for at most
// lab.CommandTimeout, and returns its combined output.
func runCmd(name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), lab.CommandTimeout)
	defer cancel()
	return exec.CommandContext(ctx, name, args...).CombinedOutput()
}
