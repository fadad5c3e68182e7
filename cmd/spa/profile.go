package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/spa-project/spa/client"
	"github.com/spa-project/spa/client/profile"
	"github.com/spa-project/spa/keys"
)

func profileCommand() *cli.Command {
	return &cli.Command{
		Name:  "profile",
		Usage: "import, list and show profiles",
		Description: `A profile holds a server's address and identity and this client's secret.
Stored profiles live in $XDG_CONFIG_HOME/spa/profiles (mode 0600); the
secret is never printed.`,
		Subcommands: []*cli.Command{
			{
				Name:      "import",
				Usage:     "store a profile from a file, or from standard input with -",
				ArgsUsage: "FILE|-",
				Description: `   spa profile import alice.spa
   spa profile import - --name ci < profile.toml
   printf '%s\n' "$TOKEN" | spa profile import - --name ci

The file must be private (mode 0600): it holds the client's secret. Standard
input may hold a profile file or a token from "spad client add --token".`,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "name", Usage: "store it under NAME (default: the profile's name)"},
					&cli.BoolFlag{Name: "force", Usage: "replace a stored profile of the same name"},
				},
				Action: profileImport,
			},
			{
				Name:   "list",
				Usage:  "list the stored profiles",
				Action: profileList,
			},
			{
				Name:      "show",
				Usage:     "show a profile, without its secret",
				ArgsUsage: "[NAME|FILE]",
				Action:    profileShow,
			},
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usage(c, "unknown profile command %q", c.Args().First())
			}
			cli.ShowSubcommandHelp(c)
			return usage(c, "no profile command given")
		},
	}
}

// maxStdin bounds what import reads from standard input.
const maxStdin = keys.MaxSecretFileSize

func profileImport(c *cli.Context) error {
	if c.Args().Len() != 1 {
		return usage(c, "import needs exactly one FILE (or - for standard input), got %d arguments", c.Args().Len())
	}
	src := c.Args().First()
	p, err := readProfile(c, src)
	if err != nil {
		return err
	}
	name := c.String("name")
	if name == "" && p.Name == "" {
		return hintError{errors.New("the profile has no name"), "choose one with --name NAME"}
	}
	s, err := store()
	if err != nil {
		return err
	}
	path, err := s.Import(p, name, c.Bool("force"))
	if errors.Is(err, os.ErrExist) {
		return hintError{err, "pass --force to replace it, or --name to store it under another name"}
	}
	if err != nil {
		return err
	}
	if name == "" {
		name = p.Name
	}
	fmt.Fprintf(c.App.ErrWriter, "imported profile %q (server %q at %s, ports %s) into %s\nnext: spa knock %s\n",
		name, p.ServerName, p.Addr(), strings.Join(portStrings(p.Ports), ","), path, name)
	return nil
}

// readProfile reads the profile to import from the file src, or standard
// input for "-", which may also hold a token.
func readProfile(c *cli.Context, src string) (*profile.Profile, error) {
	if src != "-" {
		p, err := profile.LoadFile(src)
		if err != nil {
			return nil, importHint(src, err)
		}
		return p, nil
	}
	data, err := io.ReadAll(io.LimitReader(c.App.Reader, maxStdin+1))
	defer clear(data)
	if err != nil {
		return nil, fmt.Errorf("reading standard input: %w", err)
	}
	if len(data) > maxStdin {
		return nil, errors.New("standard input is larger than 1 MiB")
	}
	text := strings.TrimSpace(string(data))
	if strings.HasPrefix(text, profile.TokenPrefix) {
		return profile.ParseToken(text)
	}
	return profile.Parse("standard input", data)
}

// importHint explains a profile file that cannot be imported.
func importHint(path string, err error) error {
	if fi, serr := os.Stat(path); serr == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o077 != 0 && !isWindows() {
		return hintError{err, fmt.Sprintf("the profile holds the client's secret, so only you may read it: chmod 600 %s, then import it again", path)}
	}
	if errors.Is(err, os.ErrNotExist) {
		return hintError{err, "check the file name"}
	}
	return err
}

func profileList(c *cli.Context) error {
	if c.Args().Present() {
		return usage(c, "list takes no arguments")
	}
	s, err := store()
	if err != nil {
		return err
	}
	names, err := s.List()
	if err != nil {
		return err
	}
	if len(names) == 0 {
		fmt.Fprintf(c.App.ErrWriter, "no profiles in %s; import one with: spa profile import FILE\n", s.Dir())
		return nil
	}
	w := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tSERVER\tADDRESS\tPORTS\tCLIENT")
	for _, n := range names {
		p, err := s.Load(n)
		if err != nil {
			fmt.Fprintf(w, "%s\t(unreadable: %s)\t\t\t\n", n, strings.ReplaceAll(err.Error(), "\n", "; "))
			continue
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", n, p.ServerName, p.Addr(), strings.Join(portStrings(p.Ports), ","), p.Client)
	}
	return w.Flush()
}

func profileShow(c *cli.Context) error {
	if c.Args().Len() > 1 {
		return usage(c, "show takes at most one NAME or FILE")
	}
	arg := c.Args().First()
	s, err := store()
	if err != nil {
		return err
	}
	env := os.Getenv(profile.EnvVar)
	sel, err := client.SelectProfile(s, arg, env, "")
	if err != nil {
		return err
	}
	p := sel.Profile
	source := describeSource(s, arg, env, p)
	w := tabwriter.NewWriter(c.App.Writer, 0, 4, 1, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%s:\t%s\n", k, v)
		}
	}
	row("name", p.Name)
	row("from", source)
	row("server", p.Addr())
	row("server_name", p.ServerName)
	row("server_id", p.ServerID.Encode())
	row("client", p.Client)
	row("ports", strings.Join(portStrings(p.Ports), ","))
	row("knock_ports", p.KnockPorts)
	row("secret", "(set; never shown)")
	return w.Flush()
}

// describeSource tells where a shown profile came from.
func describeSource(s *profile.Store, arg, env string, p *profile.Profile) string {
	switch {
	case arg != "" && (strings.ContainsAny(arg, `/\`) || strings.HasSuffix(arg, ".toml")):
		abs, _ := filepath.Abs(arg)
		return abs
	case arg != "":
		return s.Path(arg)
	case strings.HasPrefix(strings.TrimSpace(env), profile.TokenPrefix):
		return "token in $" + profile.EnvVar
	case strings.TrimSpace(env) != "":
		return strings.TrimSpace(env) + " ($" + profile.EnvVar + ")"
	}
	return s.Path(p.Name)
}
