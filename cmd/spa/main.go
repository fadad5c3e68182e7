// Command spa is the spa client: it sends single-packet authorizations that
// make a server running spad open a port for this machine, waits for the
// port to open, and works as an ssh ProxyCommand. See "spa help".
//
// Secrets never appear on the command line: the client's secret comes from a
// profile file, the SPA_PROFILE variable or standard input.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/spa-project/spa/client"
	"github.com/spa-project/spa/cmd/internal/cliflags"
)

// Exit codes.
const (
	exitOK      = 0
	exitError   = 1
	exitUsage   = 2
	exitTimeout = 3 // the port did not open within --timeout
)

// extraCommands are added to the command list; other files of this package
// append to it in init.
var extraCommands []*cli.Command

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the command line args and returns the exit code. Every error
// leaves through here, printed once as "spa: error: ..." with an optional
// "spa: hint: ..." line.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := refuseSecrets(args)
	if err == nil {
		app := newApp(stdin, stdout, stderr)
		err = app.RunContext(ctx, cliflags.Permute(app, args))
	}
	if err == nil {
		return exitOK
	}
	printError(stderr, err)
	var u usageError
	switch {
	case errors.As(err, &u):
		return exitUsage
	case errors.Is(err, client.ErrWaitTimeout):
		return exitTimeout
	}
	return exitError
}

// printError prints err, one "spa: error:" line per line of its message,
// and its hint.
func printError(w io.Writer, err error) {
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintf(w, "spa: error: %s\n", line)
	}
	hint := client.Hint(err)
	var h hintError
	if errors.As(err, &h) {
		hint = h.hint
	}
	if hint != "" {
		fmt.Fprintf(w, "spa: hint: %s\n", hint)
	}
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	cmds := append([]*cli.Command{
		knockCommand(), closeCommand(), connectCommand(), profileCommand(),
	}, extraCommands...)
	app := &cli.App{
		Name:      "spa",
		Usage:     "single-packet authorization client",
		Reader:    stdin,
		Writer:    stdout,
		ErrWriter: stderr,
		// Errors are printed once, by run; urfave/cli must not exit.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   onUsageError,
		Commands:       cmds,
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usage(c, "unknown command %q", c.Args().First())
			}
			cli.ShowAppHelp(c)
			return usage(c, "no command given")
		},
		Description: `Import the profile the server's administrator gave you, then knock:

   spa profile import alice.spa
   spa knock --wait && ssh bastion.example.org

or let ssh knock for you (see ssh_config.example):

   ssh -o ProxyCommand='spa connect %h %p' bastion.example.org

In CI, put the token from "spad client add --token" in the SPA_PROFILE
variable. Secrets are never accepted on the command line.

Exit codes: 0 done, 1 error, 2 usage error, 3 the port did not open in time.`,
	}
	setUsageErrors(app.Commands)
	return app
}

// setUsageErrors makes every command report flag errors as usage errors.
func setUsageErrors(cmds []*cli.Command) {
	for _, c := range cmds {
		if c == nil {
			continue
		}
		if c.OnUsageError == nil {
			c.OnUsageError = onUsageError
		}
		setUsageErrors(c.Subcommands)
	}
}

func onUsageError(c *cli.Context, err error, _ bool) error {
	return usage(c, "%w", err)
}
