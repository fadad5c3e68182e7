package main

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/spa-project/spa/client"
	"github.com/spa-project/spa/spa"
)

func knockCommand() *cli.Command {
	return &cli.Command{
		Name:      "knock",
		Usage:     "ask the server to open ports for this machine",
		ArgsUsage: "[HOST]",
		Description: `Sends one packet asking the server to open the ports. HOST picks the stored
profile of that name or server, or replaces the profile's server address.

   spa knock
   spa knock bastion --port tcp/22 --duration 30s --wait
   spa knock --allow-ip source        # behind NAT: open for the address the server sees
   SPA_PROFILE=$TOKEN spa knock --wait --json

With --wait it then probes the first TCP port asked for until it accepts a
connection, and exits with 3 if it did not within --timeout.`,
		Flags: append([]cli.Flag{
			profileFlag(), portFlag(), allowIPFlag(), durationFlag(),
			&cli.BoolFlag{Name: "wait", Aliases: []string{"w"}, Usage: "wait until the first TCP port accepts connections"},
			timeoutFlag(),
			&cli.BoolFlag{Name: "json", Usage: "print one JSON object describing what was sent"},
		}, packetFlags()...),
		Action: func(c *cli.Context) error { return knock(c, spa.MsgOpen) },
	}
}

func closeCommand() *cli.Command {
	return &cli.Command{
		Name:      "close",
		Usage:     "ask the server to close ports before their time",
		ArgsUsage: "[HOST]",
		Description: `Sends the authenticated close message for a grant: the same profile, ports
and address as the knock that opened it.

   spa close bastion --port tcp/22`,
		Flags: append([]cli.Flag{
			profileFlag(), portFlag(), allowIPFlag(),
			&cli.BoolFlag{Name: "json", Usage: "print one JSON object describing what was sent"},
		}, packetFlags()...),
		Action: func(c *cli.Context) error { return knock(c, spa.MsgClose) },
	}
}

// knock runs the knock and close commands.
func knock(c *cli.Context, typ spa.MsgType) error {
	host, err := optionalHost(c)
	if err != nil {
		return err
	}
	wait := typ == spa.MsgOpen && c.Bool("wait")
	if typ == spa.MsgOpen && c.IsSet("timeout") && !wait {
		return usage(c, "--timeout only applies with --wait")
	}
	req, err := request(c, typ, host)
	if err != nil {
		return err
	}
	var probe spa.Port
	if wait {
		if probe, err = firstTCP(c, req); err != nil {
			return err
		}
	}
	d := deps(c)
	res, err := client.Knock(c.Context, req, d)
	if err != nil {
		return err
	}
	out := report{res: res}
	if wait {
		out.waited, out.probe = true, netip.AddrPortFrom(res.Addr.Addr(), probe.Port)
		out.openAfter, err = client.Wait(c.Context, out.probe, c.Duration("timeout"), d)
		out.open = err == nil
	}
	if perr := out.print(c, c.Bool("json")); perr != nil && err == nil {
		err = perr
	}
	return err
}

// firstTCP returns the TCP port --wait probes: the first one asked for.
func firstTCP(c *cli.Context, req client.Request) (spa.Port, error) {
	ports := req.Ports
	if ports == nil {
		ports = req.Profile.Ports
	}
	for _, p := range ports {
		if p.Proto == spa.TCP {
			return p, nil
		}
	}
	return spa.Port{}, usage(c, "--wait probes a TCP port, but only %v are asked for; add --port tcp/N", ports)
}

// report is the outcome of a knock, as printed.
type report struct {
	res       *client.Result
	waited    bool
	probe     netip.AddrPort // the address --wait probed
	open      bool
	openAfter time.Duration
}

func (r report) print(c *cli.Context, asJSON bool) error {
	if asJSON {
		return writeJSON(c.App.Writer, r.json())
	}
	res := r.res
	fmt.Fprintf(c.App.ErrWriter, "sent %s %v for %s to %s (%s)\n", res.Type, res.Ports, allowText(res), res.Server, res.Addr)
	if r.open {
		fmt.Fprintf(c.App.ErrWriter, "tcp %s is open after %s\n", r.probe, r.openAfter.Round(time.Millisecond))
	}
	return nil
}

// allowText describes the address a packet asked for.
func allowText(res *client.Result) string {
	if res.UseSource {
		return "the address the server sees"
	}
	return res.AllowIP.String()
}
