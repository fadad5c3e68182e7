package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/spa-project/spa/server"
)

func runCommand() *cli.Command {
	return &cli.Command{
		Name:  "run",
		Usage: "run the daemon in the foreground (SIGHUP reloads, SIGTERM stops)",
		Flags: []cli.Flag{dirFlag()},
		Action: func(c *cli.Context) error {
			d, err := server.NewDaemon(c.String("dir"), server.DaemonOptions{
				LogOutput:    c.App.ErrWriter,
				OpenSource:   server.OpenSource,
				OpenFirewall: server.OpenFirewall,
			})
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
			defer stop()
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			go func() {
				for {
					select {
					case <-hup:
						d.Reload() // logs its own errors and keeps the running config
					case <-ctx.Done():
						return
					}
				}
			}()
			return d.Run(ctx)
		},
	}
}
