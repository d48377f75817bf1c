package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/prodlike/prodlike/output"
	"github.com/prodlike/prodlike/stack"
)

func newEnvCmd(a *app) *cobra.Command {
	var format string
	var sh shaping
	cmd := &cobra.Command{
		Use:   "env",
		Short: "Print the stand-ins' connection variables for this machine",
		Long: `env prints the connection variables (DATABASE_URL, REDIS_URL, …) of the running
stand-ins as reached from this machine, for your shell, tests or IDE:

  eval "$(prodlike env)"                                # sh, bash, zsh
  prodlike env --format dotenv > .env.local
  prodlike env --format powershell | Invoke-Expression  # PowerShell`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !slices.Contains(output.EnvFormats, format) {
				return usageError{fmt.Errorf("unknown --format %q: use one of %s", format, strings.Join(output.EnvFormats, ", "))}
			}
			// Shaped as up shapes: the URLs follow prod's TLS and AUTH.
			a.shape = &sh
			p, eng, err := a.planAndEngine(cmd.Context())
			if err != nil {
				return err
			}
			vars, err := stack.New(eng).HostEnv(cmd.Context(), p)
			if err != nil {
				return err
			}
			return output.Env(a.stdout, format, vars)
		},
	}
	cmd.Flags().StringVar(&format, "format", "sh", "sh, dotenv, json or powershell")
	shapeFlags(cmd.Flags(), &sh)
	return cmd
}
