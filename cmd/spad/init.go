package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/spa-project/spa/server"
	"github.com/spa-project/spa/server/config"
	"github.com/spa-project/spa/spa"
)

func initCommand() *cli.Command {
	return &cli.Command{
		Name:      "init",
		Usage:     "write a new configuration directory",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			dirFlag(),
			&cli.StringFlag{Name: "name", Usage: "server name, part of every client key (default: the host name)"},
			&cli.StringFlag{Name: "addr", Usage: "host name or address clients send to (written into profiles)"},
			&cli.UintFlag{Name: "port", Value: config.DefaultPort, Usage: "UDP port for packets"},
			&cli.StringSliceFlag{Name: "protect", Usage: "port to keep closed until granted, e.g. tcp/22 (repeatable)"},
			&cli.StringFlag{Name: "backend", Value: "auto", Usage: "firewall backend: auto, nftables, iptables, exec or none"},
			&cli.StringFlag{Name: "state", Value: "/var/lib/spa", Usage: "state directory"},
		},
		Action: func(c *cli.Context) error {
			if c.Args().Len() > 0 {
				return usageError{fmt.Errorf("init takes no arguments, got %q", c.Args().First())}
			}
			s, err := serverFromFlags(c)
			if err != nil {
				return err
			}
			dir := c.String("dir")
			if err := server.Init(dir, s); err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "wrote %s (server %q, port %d)\nnext: spad client add --dir %s NAME --allow tcp/22 --out NAME.spa\n",
				config.ServerFile(dir), s.Name, s.Port, dir)
			return nil
		},
	}
}

func serverFromFlags(c *cli.Context) (config.Server, error) {
	s := config.DefaultServer()
	s.Name = c.String("name")
	if s.Name == "" {
		h, err := os.Hostname()
		if err != nil {
			return s, hintError{fmt.Errorf("no --name and no host name: %w", err), "pass --name bastion.example.org"}
		}
		s.Name = h
	}
	s.Addr = c.String("addr")
	if p := c.Uint("port"); p == 0 || p > 65535 {
		return s, usageError{fmt.Errorf("--port %d: must be 1 to 65535", p)}
	} else {
		s.Port = uint16(p)
	}
	if c.IsSet("protect") {
		s.Protect = nil // the flags replace the default, they do not add to it
	}
	for _, v := range c.StringSlice("protect") {
		ports, err := spa.ParsePorts(v)
		if err != nil {
			return s, usageError{fmt.Errorf("--protect: %w", err)}
		}
		s.Protect = append(s.Protect, ports...)
	}
	s.Backend = config.Backend(c.String("backend"))
	state, err := filepath.Abs(c.String("state"))
	if err != nil {
		return s, err
	}
	s.StateDir = state
	return s, nil
}
