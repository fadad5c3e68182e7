package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/spa-project/spa/client/profile"
	"github.com/spa-project/spa/keys"
	"github.com/spa-project/spa/server"
	"github.com/spa-project/spa/server/config"
	"github.com/spa-project/spa/spa"
)

func clientCommand() *cli.Command {
	return &cli.Command{
		Name:  "client",
		Usage: "enroll, list and revoke clients",
		Subcommands: []*cli.Command{
			{
				Name:      "add",
				Usage:     "enroll a client and write its profile",
				ArgsUsage: "NAME",
				Flags: []cli.Flag{
					dirFlag(),
					&cli.StringFlag{Name: "allow", Required: true, Usage: "ports the client may open, e.g. tcp/22,udp/53"},
					&cli.DurationFlag{Name: "max-duration", Usage: "longest grant (default 5m)"},
					&cli.StringFlag{Name: "address", Usage: "address policy: strict, source, or CIDR,... (default strict)"},
					&cli.StringFlag{Name: "out", Usage: "write the client's profile to this new file (mode 0600)"},
					&cli.BoolFlag{Name: "token", Usage: "print the profile as one line (for a CI secret) instead of a file"},
					&cli.StringFlag{Name: "knock", Usage: "knock ports: hotp, totp or off (default hotp; totp with --token, for clients that keep no state)"},
					&cli.IntFlag{Name: "knock-fragments", Usage: "datagrams per knock, 2 to 8 (default 4)"},
					&cli.BoolFlag{Name: "knock-required", Usage: "refuse the client's single packets: it must knock"},
					&cli.StringSliceFlag{Name: "action", Usage: "an [[action]] of spad.toml the client may run (repeatable)"},
				},
				Action: clientAdd,
			},
			{
				Name:   "list",
				Usage:  "list enrolled clients",
				Flags:  []cli.Flag{dirFlag()},
				Action: clientList,
			},
			{
				Name:      "revoke",
				Usage:     "revoke a client; a running spad stops accepting it at once",
				ArgsUsage: "NAME",
				Flags:     []cli.Flag{dirFlag()},
				Action:    clientRevoke,
			},
		},
	}
}

func oneArg(c *cli.Context, what string) (string, error) {
	if c.Args().Len() != 1 {
		return "", usageError{fmt.Errorf("%s needs exactly one %s, got %d arguments", c.Command.FullName(), what, c.Args().Len())}
	}
	return c.Args().First(), nil
}

func clientAdd(c *cli.Context) error {
	name, err := oneArg(c, "client NAME")
	if err != nil {
		return err
	}
	out, token := c.String("out"), c.Bool("token")
	if (out == "") == !token {
		return usageError{errors.New("give exactly one of --out FILE or --token")}
	}
	allow, err := spa.ParsePorts(c.String("allow"))
	if err != nil {
		return usageError{fmt.Errorf("--allow: %w", err)}
	}
	knock := c.String("knock")
	switch knock {
	case "":
		knock = config.KnockHOTP
		if token {
			knock = config.KnockTOTP // a CI runner keeps no counter
		}
	case "off":
		knock = config.KnockOff
	case config.KnockHOTP, config.KnockTOTP:
	default:
		return usageError{fmt.Errorf("--knock %q: want hotp, totp or off", knock)}
	}
	e := server.Enrollment{
		Name: name, Allow: allow, MaxDuration: c.Duration("max-duration"), Address: c.String("address"),
		Knock: knock, KnockFragments: c.Int("knock-fragments"), KnockRequired: c.Bool("knock-required"),
		Actions: c.StringSlice("action"),
	}
	dir := c.String("dir")
	_, err = server.Enroll(dir, e, rand.Reader, func(p *profile.Profile) error {
		if token {
			_, err := fmt.Fprintln(c.App.Writer, p.EncodeToken())
			return err
		}
		return keys.WriteSecretFile(out, p.Marshal())
	})
	if errors.Is(err, fs.ErrExist) && out != "" {
		return hintError{err, "choose another --out file; spad never overwrites a profile"}
	}
	if err != nil {
		return err
	}
	if !token {
		fmt.Fprintf(c.App.ErrWriter, "enrolled %q; its profile (which holds its secret) is in %s\nnext: give it to the client, who runs: spa profile import %s\n", name, out, out)
	}
	return signalReload(c, dir)
}

// signalReload asks a running daemon to reload; no daemon is fine.
func signalReload(c *cli.Context, dir string) error {
	cfg, err := config.Load(dir)
	if err != nil {
		return err
	}
	if _, err := server.Query(cfg.Server.StateDir, "reload"); err == nil {
		fmt.Fprintln(c.App.ErrWriter, "the running spad reloaded its clients")
	}
	return nil
}

func clientList(c *cli.Context) error {
	cfg, err := config.Load(c.String("dir"))
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tALLOW\tMAX\tADDRESS\tSTATUS")
	now := time.Now()
	for _, cl := range cfg.Clients {
		status := "active"
		switch {
		case !cl.Revoked.IsZero():
			status = "revoked " + cl.Revoked.Format(time.RFC3339)
		case !cl.Active(now):
			status = "expired " + cl.Expires.Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%s\t%v\t%v\t%s\t%s\n", cl.Name, cl.Allow, cl.MaxDuration, cl.Address, status)
	}
	return w.Flush()
}

func clientRevoke(c *cli.Context) error {
	name, err := oneArg(c, "client NAME")
	if err != nil {
		return err
	}
	dir := c.String("dir")
	if err := config.RevokeClient(dir, name, time.Now()); err != nil {
		return err
	}
	fmt.Fprintf(c.App.ErrWriter, "revoked %q\n", name)
	return signalReload(c, dir)
}
