package main

import (
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/spa-project/spa/client"
	"github.com/spa-project/spa/spa"
)

func connectCommand() *cli.Command {
	return &cli.Command{
		Name:      "connect",
		Usage:     "knock, wait for the port, and connect it to standard input and output",
		ArgsUsage: "HOST PORT",
		Description: `For ssh's ProxyCommand: knocks for tcp/PORT on HOST, waits until the port
accepts connections, then copies standard input to the connection and the
connection to standard output.

   ssh -o ProxyCommand='spa connect %h %p' bastion.example.org

HOST picks the stored profile of that name or server (or the one from
--profile or $SPA_PROFILE). See ssh_config.example.`,
		Flags: append([]cli.Flag{
			profileFlag(), allowIPFlag(), durationFlag(), timeoutFlag(),
		}, packetFlags()...),
		Action: connect,
	}
}

func connect(c *cli.Context) error {
	if c.Args().Len() != 2 {
		return usage(c, "connect needs HOST and PORT, got %d arguments", c.Args().Len())
	}
	host := strings.TrimSpace(c.Args().Get(0))
	port, err := strconv.ParseUint(c.Args().Get(1), 10, 16)
	if err != nil || port == 0 {
		return usage(c, "PORT %q: want a TCP port number 1-65535", c.Args().Get(1))
	}
	req, err := request(c, spa.MsgOpen, host)
	if err != nil {
		return err
	}
	req.Ports = []spa.Port{{Proto: spa.TCP, Port: uint16(port)}}
	_, err = client.Connect(c.Context, req, uint16(port), c.Duration("timeout"), c.App.Reader, c.App.Writer, deps(c))
	return err
}
