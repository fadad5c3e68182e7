package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/spa-project/spa/client"
	"github.com/spa-project/spa/client/profile"
	"github.com/spa-project/spa/spa"
)

// Test hooks: the network and the clock the commands use.
var (
	testOnlyNet client.Network
	testOnlyNow func() time.Time
)

// Flags shared by the commands that send packets.
func profileFlag() cli.Flag {
	return &cli.StringFlag{Name: "profile", Usage: "stored profile NAME or profile FILE (default: $" + profile.EnvVar + ", else the only stored profile)"}
}

func portFlag() cli.Flag {
	return &cli.StringSliceFlag{Name: "port", Aliases: []string{"p"}, Usage: "port to ask for, e.g. tcp/22 (repeatable; default: the profile's ports)"}
}

func allowIPFlag() cli.Flag {
	return &cli.StringFlag{Name: "allow-ip", Usage: "address to open for: an IP, or \"source\" for the address the server sees (NAT) (default: the local address that reaches the server)"}
}

func durationFlag() cli.Flag {
	return &cli.DurationFlag{Name: "duration", Usage: "how long to open the ports, e.g. 30s; 0s leaves it to the server"}
}

func timeoutFlag() cli.Flag {
	return &cli.DurationFlag{Name: "timeout", Value: 10 * time.Second, Usage: "how long to wait for the port to open"}
}

func packetFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "4", Usage: "use IPv4 only"},
		&cli.BoolFlag{Name: "6", Usage: "use IPv6 only"},
		&cli.IntFlag{Name: "repeat", Value: 1, Usage: "send N copies of the packet, against packet loss (at most 10)"},
		&cli.DurationFlag{Name: "time-offset", Usage: "add this to the clock, if it is known to be off, e.g. 90s or -2m"},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "tell what is being done, on standard error"},
		&cli.BoolFlag{Name: "knock-ports", Aliases: []string{"k"}, Usage: "send the packet as a knock on one-time ports (the profile's knock mode)"},
		&cli.DurationFlag{Name: "knock-gap", Usage: "pause between a knock's datagrams, e.g. 5ms"},
	}
}

// deps returns the client's dependencies for the command c.
func deps(c *cli.Context) client.Deps {
	d := client.Deps{Net: testOnlyNet, Now: testOnlyNow}
	if c.Bool("verbose") {
		w := c.App.ErrWriter
		d.Logf = func(format string, args ...any) {
			fmt.Fprintf(w, "spa: "+format+"\n", args...)
		}
	}
	return d
}

// request builds the request of a knock, close or connect command; host is
// the HOST argument, "" if none.
func request(c *cli.Context, typ spa.MsgType, host string) (client.Request, error) {
	req := client.Request{Type: typ, Repeat: c.Int("repeat"), TimeOffset: c.Duration("time-offset")}
	if c.Bool("4") && c.Bool("6") {
		return req, usage(c, "-4 and -6 exclude each other")
	}
	switch {
	case c.Bool("4"):
		req.Family = client.IPv4
	case c.Bool("6"):
		req.Family = client.IPv6
	}
	if req.Repeat < 1 || req.Repeat > client.MaxRepeat {
		return req, usage(c, "--repeat %d: must be 1 to %d", req.Repeat, client.MaxRepeat)
	}
	if c.IsSet("duration") {
		req.Duration = c.Duration("duration")
	}
	var err error
	if req.AllowIP, err = client.ParseAllowIP(c.String("allow-ip")); err != nil {
		return req, usageError{fmt.Errorf("--%w", err)}
	}
	if req.Ports, err = parsePorts(c.StringSlice("port")); err != nil {
		return req, usageError{err}
	}
	s, err := store()
	if err != nil {
		return req, err
	}
	sel, err := client.SelectProfile(s, c.String("profile"), os.Getenv(profile.EnvVar), host)
	if err != nil {
		return req, err
	}
	req.Profile, req.Host = sel.Profile, sel.Host
	req.Knock, req.KnockGap = c.Bool("knock-ports"), c.Duration("knock-gap")
	if req.Knock && req.Profile.KnockPorts == profile.KnockHOTP {
		file := c.String("profile")
		if !strings.Contains(file, "/") && !strings.HasSuffix(file, ".toml") {
			file = "" // a stored profile's name, not a path
		}
		req.Counters = client.CounterFile{Path: client.CounterPath(req.Profile, file, s.Dir())}
	}
	return req, nil
}

// parsePorts parses the --port values; nil if there are none.
func parsePorts(vals []string) ([]spa.Port, error) {
	var out []spa.Port
	for _, v := range vals {
		p, err := spa.ParsePort(v)
		if err != nil {
			return nil, fmt.Errorf("--port: %w", err)
		}
		out = append(out, p)
	}
	return out, nil
}

// store returns the user's profile store.
func store() (*profile.Store, error) {
	dir, err := profile.DefaultDir()
	if err != nil {
		return nil, hintError{err, "set HOME or XDG_CONFIG_HOME"}
	}
	return profile.NewStore(dir), nil
}

// optionalHost returns the only positional argument, "" if there is none.
func optionalHost(c *cli.Context) (string, error) {
	switch c.Args().Len() {
	case 0:
		return "", nil
	case 1:
		return strings.TrimSpace(c.Args().First()), nil
	}
	return "", usage(c, "too many arguments: %q (flags may come before or after HOST)", c.Args().Slice())
}
