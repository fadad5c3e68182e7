//go:build linux

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/spa-project/spa/server"
)

// demoBastionCommand runs inside the demo's bastion namespace: spad and an
// SSH-like service.
func demoBastionCommand() *cli.Command {
	return &cli.Command{
		Name:   "demo-bastion",
		Hidden: true,
		Flags:  []cli.Flag{&cli.StringFlag{Name: "dir", Required: true}},
		Action: func(c *cli.Context) error {
			l, err := net.Listen("tcp", demoService)
			if err != nil {
				return err
			}
			defer l.Close()
			go serveBanner(l)
			d, err := server.NewDaemon(c.String("dir"), server.DaemonOptions{
				LogOutput: c.App.ErrWriter, OpenSource: server.OpenSource, OpenFirewall: server.OpenFirewall,
			})
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
			defer stop()
			return d.Run(ctx)
		},
	}
}

func serveBanner(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		fmt.Fprint(c, "SSH-2.0-spa-demo\r\n")
		c.Close()
	}
}

// demoProbeCommand opens one TCP connection: exit 0 and the service's
// banner if it succeeds, exit 1 if the SYN goes unanswered.
func demoProbeCommand() *cli.Command {
	return &cli.Command{
		Name:   "demo-probe",
		Hidden: true,
		Action: func(c *cli.Context) error {
			conn, err := net.DialTimeout("tcp", c.Args().First(), 700*time.Millisecond)
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					fmt.Fprintln(c.App.Writer, "closed (no answer: the firewall drops it)")
				} else {
					fmt.Fprintln(c.App.Writer, "closed ("+err.Error()+")")
				}
				os.Exit(1)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(2 * time.Second))
			banner, _ := bufio.NewReader(conn).ReadString('\n')
			fmt.Fprintf(c.App.Writer, "open, the service says %q\n", strings.TrimSpace(banner))
			return nil
		},
	}
}
