package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// usageError marks an error in how the command was called: exit code 2.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// hintError carries a suggestion printed after the error.
type hintError struct {
	error
	hint string
}

func (e hintError) Unwrap() error { return e.error }

// usage returns a usage error for the command c, with a hint pointing to
// its help.
func usage(c *cli.Context, format string, args ...any) error {
	name := "spa"
	if c != nil && c.Command != nil && c.Command.Name != "" && c.Command.Name != c.App.Name {
		name = "spa " + c.Command.FullName()
	}
	return usageError{hintError{fmt.Errorf(format, args...), fmt.Sprintf("see %q", name+" --help")}}
}
