package main

import (
	"github.com/spf13/cobra"

	"github.com/prodlike/prodlike/stack"
)

func newLogsCmd(a *app) *cobra.Command {
	var (
		follow bool
		tail   string
	)
	cmd := &cobra.Command{
		Use:   "logs [service...]",
		Short: "Show the output of the project's services (all of them, interleaved, by default)",
		RunE: func(cmd *cobra.Command, services []string) error {
			project, _, err := a.projectName(cmd.Context())
			if err != nil {
				return err
			}
			eng, err := a.engine()
			if err != nil {
				return err
			}
			return stack.New(eng).Logs(cmd.Context(), project, services, stack.LogOptions{Follow: follow, Tail: tail}, a.stdout)
		},
	}
	// -f is --follow here, as in docker compose logs; the compose file is
	// still --file (the global -f would collide).
	cmd.Flags().StringArrayVar(&a.files, "file", nil, "compose file (repeat to merge several)")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep following new output")
	cmd.Flags().StringVarP(&tail, "tail", "n", "all", "number of lines to show from the end of each service's output")
	return cmd
}
