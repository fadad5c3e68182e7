//go:build !linux

package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

func init() {
	extraCommands = append(extraCommands, &cli.Command{
		Name:  "demo",
		Usage: "show spa at work in two throwaway network namespaces (Linux only)",
		Action: func(*cli.Context) error {
			return errors.New("spa demo needs Linux network namespaces; the rest of spa works here")
		},
	})
}
