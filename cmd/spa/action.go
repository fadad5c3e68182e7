package main

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/spa-project/spa/client"
	"github.com/spa-project/spa/spa"
)

func actionCommand() *cli.Command {
	return &cli.Command{
		Name:      "action",
		Usage:     "ask the server to run one of its named actions",
		ArgsUsage: "NAME [HOST]",
		Description: `Sends one authenticated packet asking the server to run an action its admin
defined ([[action]] in spad.toml) and allowed for this client. The profile
lists the actions by name ("spa profile show").

   spa action restart-web
   spa action restart-web bastion --knock-ports`,
		Flags: append([]cli.Flag{
			profileFlag(), allowIPFlag(),
			&cli.BoolFlag{Name: "json", Usage: "print one JSON object describing what was sent"},
		}, packetFlags()...),
		Action: runAction,
	}
}

func init() { extraCommands = append(extraCommands, actionCommand()) }

func runAction(c *cli.Context) error {
	if c.Args().Len() < 1 || c.Args().Len() > 2 {
		return usage(c, "want the action's NAME and at most a HOST")
	}
	name := c.Args().First()
	req, err := request(c, spa.MsgAction, c.Args().Get(1))
	if err != nil {
		return err
	}
	id, ok := req.Profile.Actions[name]
	if !ok {
		if n, err := strconv.ParseUint(name, 10, 16); err == nil && n > 0 {
			id = uint16(n) // an action number the profile does not name
		} else {
			names := make([]string, 0, len(req.Profile.Actions))
			for n := range req.Profile.Actions {
				names = append(names, n)
			}
			slices.Sort(names)
			return hintError{fmt.Errorf("this profile has no action %q", name),
				fmt.Sprintf("its actions are %v; the server's admin grants more with spad client add --action", names)}
		}
	}
	req.Action = id
	res, err := client.Knock(c.Context, req, deps(c))
	if err != nil {
		return err
	}
	return report{res: res}.print(c, c.Bool("json"))
}
