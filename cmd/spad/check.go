package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/spa-project/spa/server"
	"github.com/spa-project/spa/server/config"
	"github.com/spa-project/spa/spa"
)

func checkCommand() *cli.Command {
	return &cli.Command{
		Name:  "check",
		Usage: "validate the configuration and list every problem",
		Flags: []cli.Flag{dirFlag()},
		Action: func(c *cli.Context) error {
			cfg, err := config.Load(c.String("dir"))
			if err != nil {
				return err
			}
			active := 0
			for i := range cfg.Clients {
				if cfg.Clients[i].Active(time.Now()) {
					active++
				}
			}
			fmt.Fprintf(c.App.Writer, "%s: ok (server %q, %d clients, %d active)\n", config.ServerFile(cfg.Dir), cfg.Server.Name, len(cfg.Clients), active)
			return nil
		},
	}
}

func statusCommand() *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "show the running daemon's grants and counters",
		Flags: []cli.Flag{dirFlag(), &cli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action: func(c *cli.Context) error {
			cfg, err := config.Load(c.String("dir"))
			if err != nil {
				return err
			}
			reply, err := server.Query(cfg.Server.StateDir, "status")
			if err != nil {
				return hintError{err, "start it with: spad run --dir " + c.String("dir")}
			}
			if c.Bool("json") {
				_, err := c.App.Writer.Write(reply)
				return err
			}
			var st server.Status
			if err := json.Unmarshal(reply, &st); err != nil {
				return fmt.Errorf("bad status reply: %w", err)
			}
			return printStatus(c, &st)
		},
	}
}

func printStatus(c *cli.Context, st *server.Status) error {
	w := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "server %s, up since %s, %d replay entries, %d kernel drops\n\n", st.Server, st.Started.Format("2006-01-02 15:04:05"), st.ReplayEntries, st.KernelDrops)
	fmt.Fprintln(w, "CLIENT\tADDRESS\tPORT\tREMAINING")
	for _, g := range st.Grants {
		fmt.Fprintf(w, "%s\t%s\t%s\t%ds\n", g.Client, g.Addr, g.Port, g.RemainingS)
	}
	if len(st.Grants) == 0 {
		fmt.Fprintln(w, "(no live grants)")
	}
	fmt.Fprintln(w, "\nCOUNTER\tPACKETS")
	fmt.Fprintf(w, "accepted\t%d\n", st.Counters["accepted"])
	for _, r := range spa.Reasons() {
		fmt.Fprintf(w, "%s\t%d\n", r, st.Counters[r.String()])
	}
	return w.Flush()
}
