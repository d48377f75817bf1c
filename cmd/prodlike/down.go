package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/prodlike/prodlike/output"
	"github.com/prodlike/prodlike/stack"
)

func newDownCmd(a *app) *cobra.Command {
	var volumes bool
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Stop and remove the project's containers and network (data volumes are kept)",
		Long: `down stops and removes every container and the network prodlike started for the
project, found by their labels. Data volumes are kept, so the next up finds
the data again, unless --volumes is given.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			project, p, err := a.projectName(cmd.Context())
			if err != nil {
				return err
			}
			eng, err := a.engine()
			if err != nil {
				return err
			}
			width := 0
			if p != nil {
				width = nameWidth(p)
			}
			x := stack.New(eng, stack.WithSink(output.NewProgress(a.stderr, width, a.verbose)))
			if err := x.Down(cmd.Context(), project, volumes); err != nil {
				return err
			}
			if volumes {
				fmt.Fprintf(a.stdout, "%s is down; its data volumes are removed\n", project)
			} else {
				fmt.Fprintf(a.stdout, "%s is down; data volumes are kept (prodlike down --volumes removes them)\n", project)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&volumes, "volumes", false, "also remove the stand-ins' data volumes")
	return cmd
}
