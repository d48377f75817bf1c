package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/prodlike/prodlike/output"
	"github.com/prodlike/prodlike/stack"
)

func newStatusCmd(a *app) *cobra.Command {
	var format string
	var sh shaping
	cmd := &cobra.Command{
		Use:   "status",
		Short: "List the project's services: state, image, live and prod version, ports",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "table" && format != "json" {
				return usageError{fmt.Errorf("unknown --format %q: use table or json", format)}
			}
			// Shaped as up shapes: the URLs follow prod's TLS and AUTH.
			a.shape = &sh
			p, eng, err := a.planAndEngine(cmd.Context())
			if err != nil {
				return err
			}
			_, services, err := stack.New(eng).Status(cmd.Context(), p)
			if err != nil {
				return err
			}
			if format == "json" {
				return output.StatusJSON(a.stdout, services)
			}
			return output.StatusTable(a.stdout, services)
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table or json")
	shapeFlags(cmd.Flags(), &sh)
	return cmd
}
