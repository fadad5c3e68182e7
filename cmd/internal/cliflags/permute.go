// Package cliflags lets urfave/cli v2 programs accept flags after
// positional arguments, as people type them ("spad client add alice --allow
// tcp/22"). urfave/cli stops parsing flags at the first positional argument;
// Permute rewrites the argument list so every flag comes first at its
// command level.
package cliflags

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// Permute returns args (args[0] is the program name) with each command
// level's flags moved in front of that level's positional arguments.
// Everything after "--" is left alone.
func Permute(app *cli.App, args []string) []string {
	if len(args) == 0 {
		return args
	}
	out := []string{args[0]}
	flags, cmds := app.Flags, app.Commands
	var level, positional []string
	for i := 1; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			positional = append(positional, args[i:]...)
			i = len(args)
		case len(a) > 1 && a[0] == '-':
			level = append(level, a)
			if takesValue(flags, a) && !strings.Contains(a, "=") && i+1 < len(args) {
				i++
				level = append(level, args[i])
			}
		default:
			if sub := find(cmds, a); sub != nil && len(positional) == 0 {
				out = append(append(out, level...), a)
				level, flags, cmds = nil, sub.Flags, sub.Subcommands
				continue
			}
			positional = append(positional, a)
		}
	}
	out = append(out, level...)
	return append(out, positional...)
}

func find(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

func takesValue(flags []cli.Flag, arg string) bool {
	name := strings.TrimLeft(arg, "-")
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				_, isBool := f.(*cli.BoolFlag)
				return !isBool
			}
		}
	}
	return false
}
