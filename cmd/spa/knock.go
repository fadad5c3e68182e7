package main

import (
	"errors"
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
	var out report
	if wait {
		out, err = knockAndWait(c, req, probe, d)
	} else {
		out.res, err = client.Knock(c.Context, req, d)
	}
	if out.res == nil {
		return err
	}
	if perr := out.print(c, c.Bool("json")); perr != nil && err == nil {
		err = perr
	}
	return err
}

// knockAndWait knocks and waits for the port to open. A knock on one-time
// ports that does not open it is retried until --timeout with a new knock:
// HOTP after a resync, with the next counter, never the same ports again
// (SPEC.md §11.8); TOTP after the server has dropped the incomplete knock.
func knockAndWait(c *cli.Context, req client.Request, probe spa.Port, d client.Deps) (report, error) {
	deadline := time.Now().Add(c.Duration("timeout"))
	var out report
	for attempt := 1; ; attempt++ {
		res, err := client.Knock(c.Context, req, d)
		if err != nil {
			return out, err
		}
		out = report{res: res, waited: true, probe: netip.AddrPortFrom(res.Addr.Addr(), probe.Port)}
		wait := c.Duration("timeout")
		if req.Knock {
			wait = min(time.Until(deadline).Round(10*time.Millisecond), knockWait)
		}
		out.openAfter, err = client.Wait(c.Context, out.probe, wait, d)
		out.open = err == nil
		if out.open || !req.Knock || !errors.Is(err, client.ErrWaitTimeout) || time.Until(deadline) <= 0 {
			return out, err
		}
		fmt.Fprintf(c.App.ErrWriter, "knock %d (counter %d) did not open tcp %s; knocking again\n", attempt, res.Counter, out.probe)
		if err := beforeRetry(c, req, d, deadline); err != nil {
			return out, err
		}
	}
}

// knockWait is how long one knock is given to open the port before the
// next is sent.
const knockWait = 2 * time.Second

// beforeRetry prepares a new knock: a HOTP client resyncs, in case it ran
// ahead of the server; a TOTP client waits until the server has dropped
// the failed knock, whose ports the new one shares.
func beforeRetry(c *cli.Context, req client.Request, d client.Deps, deadline time.Time) error {
	pause := 5 * time.Second
	if req.Counters != nil {
		next, err := req.Counters.Next()
		if err != nil {
			return err
		}
		rs := req
		rs.Type, rs.Knock, rs.Counter, rs.Ports, rs.Duration = spa.MsgResync, false, next, nil, 0
		if _, err := client.Knock(c.Context, rs, d); err != nil {
			return err
		}
		pause = 250 * time.Millisecond // for the server to move its table
	}
	t := time.NewTimer(min(pause, max(time.Until(deadline), 0)))
	defer t.Stop()
	select {
	case <-c.Context.Done():
		return c.Context.Err()
	case <-t.C:
		return nil
	}
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
