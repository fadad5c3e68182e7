package cliflags

import (
	"slices"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestPermute(t *testing.T) {
	app := &cli.App{
		Flags: []cli.Flag{&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}}},
		Commands: []*cli.Command{{
			Name:  "client",
			Flags: []cli.Flag{&cli.StringFlag{Name: "dir"}},
			Subcommands: []*cli.Command{{
				Name:  "add",
				Flags: []cli.Flag{&cli.StringFlag{Name: "allow"}, &cli.BoolFlag{Name: "token"}, &cli.StringFlag{Name: "dir"}},
			}},
		}},
	}
	for _, tc := range []struct{ in, want []string }{
		{[]string{"spad", "client", "add", "alice", "--allow", "tcp/22"}, []string{"spad", "client", "add", "--allow", "tcp/22", "alice"}},
		{[]string{"spad", "client", "add", "alice", "--token", "bob"}, []string{"spad", "client", "add", "--token", "alice", "bob"}},
		{[]string{"spad", "client", "add", "--dir=/x", "alice", "--allow=tcp/22"}, []string{"spad", "client", "add", "--dir=/x", "--allow=tcp/22", "alice"}},
		{[]string{"spad", "-v", "client", "--dir", "/x", "add", "alice"}, []string{"spad", "-v", "client", "--dir", "/x", "add", "alice"}},
		{[]string{"spad", "client", "add", "alice", "--", "--odd"}, []string{"spad", "client", "add", "alice", "--", "--odd"}},
		{[]string{"spad", "client", "add", "-", "--allow", "tcp/22"}, []string{"spad", "client", "add", "--allow", "tcp/22", "-"}},
	} {
		if got := Permute(app, tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("Permute(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}
