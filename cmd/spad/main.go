// Command spad is the spa daemon: it keeps a bastion's ports closed and opens
// them, for a limited time, to clients that send a valid single-packet
// authorization. See "spad help" and README.md.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/spa-project/spa/cmd/internal/cliflags"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// usageError marks an error in how the command was called.
type usageError struct{ error }

// hintError carries a suggestion printed after the error.
type hintError struct {
	error
	hint string
}

func main() {
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	app := newApp(stdout, stderr)
	err := app.Run(cliflags.Permute(app, args))
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "spad: error: %v\n", err)
	var h hintError
	if errors.As(err, &h) {
		fmt.Fprintf(stderr, "spad: hint: %s\n", h.hint)
	}
	var u usageError
	if errors.As(err, &u) {
		return exitUsage
	}
	return exitError
}

func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:      "spad",
		Usage:     "single-packet authorization daemon",
		Writer:    stdout,
		ErrWriter: stderr,
		// Errors are printed once, by run; urfave/cli must not exit.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError{err}
		},
		HideHelpCommand: true,
		Commands: []*cli.Command{
			initCommand(), clientCommand(), runCommand(), checkCommand(), statusCommand(),
		},
		Description: `Set up a bastion in three steps:

   spad init --dir /etc/spa --name bastion.example.org --addr bastion.example.org --protect tcp/22
   spad client add --dir /etc/spa alice --allow tcp/22 --out alice.spa
   spad run --dir /etc/spa

Then give alice.spa to the client ("spa profile import alice.spa").`,
	}
}

func dirFlag() cli.Flag {
	return &cli.StringFlag{Name: "dir", Value: "/etc/spa", Usage: "configuration directory"}
}
