package actions

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// DefaultTimeout bounds an action whose Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Action is a named command a client may trigger by its id.
type Action struct {
	ID      uint16        // the action number carried in the packet
	Name    string        // for the log and the configuration, e.g. "restart-service"
	Argv    []string      // the template; see the package documentation
	Timeout time.Duration // 0 means DefaultTimeout
}

// Check reports whether a can run: a name, a valid template and a
// timeout that is not negative.
func (a Action) Check() error {
	if a.Name == "" {
		return fmt.Errorf("action %d: no name", a.ID)
	}
	if a.Timeout < 0 {
		return fmt.Errorf("action %q: timeout %v is negative", a.Name, a.Timeout)
	}
	if err := CheckArgv(a.Argv); err != nil {
		return fmt.Errorf("action %q: %w", a.Name, err)
	}
	return nil
}

// Run expands a's template with vars and runs it, returning its combined
// output (at most MaxOutput bytes) for the caller's log. The command is
// killed, with its process group, when a.Timeout passes or ctx ends.
func Run(ctx context.Context, a Action, vars Vars) (output []byte, err error) {
	if err := a.Check(); err != nil {
		return nil, err
	}
	argv, err := Expand(a.Argv, vars)
	if err != nil {
		return nil, fmt.Errorf("action %q: %w", a.Name, err)
	}
	timeout := a.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	out, err := Exec(ctx, argv, timeout)
	if err != nil {
		return out, fmt.Errorf("action %q: %w", a.Name, err)
	}
	return out, nil
}

// ErrTimeout is wrapped by the error of a command that ran out of time.
var ErrTimeout = errors.New("actions: timed out")
