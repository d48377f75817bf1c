package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/prodlike/prodlike/output"
	"github.com/prodlike/prodlike/plan"
	"github.com/prodlike/prodlike/stack"
)

type upOptions struct {
	detach  bool
	build   bool
	keep    bool
	dryRun  bool
	timeout time.Duration
	shaping
}

func newUpCmd(a *app) *cobra.Command {
	var o upOptions
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start the stand-ins and the app, each ready before it counts as up",
		Long: `up starts a stand-in for each managed service in the compose file, pinned to
production's version and parameters, all in parallel, then the app (built from
its Dockerfile if its image is missing) once they are ready. Running stand-ins
whose configuration has not changed are reused, so a second up is quick.

When the compose file declares environments, the stand-ins are shaped from
the prod truth of the first one (or --env): prod's engine version, its
parameter group and the cloud's defaults, TLS where prod requires it
(Postgres: plain connections refused, the app gets sslmode=require), AUTH
(Redis/Valkey: the app gets a password), bucket versioning and CORS, queue
attributes and redrive. What prod has and a stand-in cannot (Redis TLS,
cluster mode) is listed, and prodlike parity reports it. --no-shape runs the
stand-ins exactly as the compose file declares them.

Without --detach, up follows the services' logs; Ctrl-C then removes the
containers (data volumes are kept; --keep leaves everything running). A
second Ctrl-C stops them without waiting. Ctrl-C while starting removes
whatever this run had started.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.up(cmd.Context(), o) },
	}
	f := cmd.Flags()
	f.BoolVarP(&o.detach, "detach", "d", false, "leave the stack running in the background and return once it is ready")
	f.BoolVar(&o.build, "build", false, "rebuild the app image even if it exists")
	f.BoolVar(&o.keep, "keep", false, "leave the stack running when up is stopped with Ctrl-C")
	f.BoolVar(&o.dryRun, "dry-run", false, "print the plan and start nothing")
	f.DurationVar(&o.timeout, "wait-timeout", 2*time.Minute, "how long each service may take to become ready")
	shapeFlags(f, &o.shaping)
	return cmd
}

// shapeFlags are the flags of commands that shape stand-ins from prod.
func shapeFlags(f *pflag.FlagSet, o *shaping) {
	f.StringVar(&o.env, "env", "", "environment whose prod truth shapes the stand-ins and parity compares with (default: the first under x-prodlike.environments)")
	f.BoolVar(&o.off, "no-shape", false, "run the stand-ins as the compose file declares them, without taking prod's version, parameters, buckets and queues")
}

func (a *app) up(ctx context.Context, o upOptions) error {
	a.shape = &o.shaping
	_, p, err := a.load(ctx)
	if err != nil {
		return err
	}
	a.printShaping()
	if o.dryRun {
		_, err := io.WriteString(a.stdout, p.String())
		return err
	}
	eng, err := a.engine()
	if err != nil {
		return err
	}
	x := a.executor(eng, p, o.timeout, stack.WithBuild(o.build))
	start := time.Now()
	res, err := x.Up(ctx, p)
	if err != nil {
		return err
	}
	printReady(a.stdout, p, res, time.Since(start))
	if o.detach {
		return nil
	}

	if o.keep {
		fmt.Fprintln(a.stderr, "following logs; Ctrl-C leaves the stack running (stop it with prodlike down)")
	} else {
		fmt.Fprintln(a.stderr, "following logs; Ctrl-C stops the stack (data volumes are kept)")
	}
	logErr := x.Logs(ctx, p.Project, nil, stack.LogOptions{Follow: true, Since: start.Add(-time.Second)}, a.stdout)
	if o.keep {
		return logErr
	}
	return a.teardown(p.Project, eng)
}

// teardown removes the stack after a foreground up; a second interrupt
// stops the containers without waiting for them.
func (a *app) teardown(project string, eng stack.Engine) error {
	fmt.Fprintln(a.stderr, "stopping (Ctrl-C again to stop without waiting)")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sig := make(chan os.Signal, 1)
	stop := a.signals(sig)
	defer stop()
	forced := make(chan struct{})
	go func() {
		select {
		case <-sig:
			close(forced)
			cancel()
		case <-ctx.Done():
		}
	}()
	progress := output.NewProgress(a.stderr, 0, false)
	err := stack.New(eng, stack.WithSink(progress)).Down(ctx, project, false)
	select {
	case <-forced:
		return stack.New(eng, stack.WithSink(progress), stack.WithStopTimeout(0)).Down(context.Background(), project, false)
	default:
	}
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// printReady says where everything is.
func printReady(w io.Writer, p *plan.Plan, res *stack.Result, took time.Duration) {
	reused := 0
	for _, r := range res.Services {
		if r.Reused {
			reused++
		}
	}
	fmt.Fprintf(w, "%s is ready in %.2fs (%d started, %d reused)\n", p.Project, took.Seconds(), len(res.Services)-reused, reused)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range res.Services {
		where := "-"
		if s, ok := p.Standin(r.Service); ok {
			if hp := r.Container.HostPort(s.Container.Port); hp != 0 {
				where = fmt.Sprintf("%s:%d", res.Info.Host, hp)
			}
			fmt.Fprintf(tw, "  %s\t%s %s\t%s\t%s\n", r.Service, s.Engine, s.Version, where, s.Container.Image)
			continue
		}
		if a := p.App; a != nil && a.Service == r.Service {
			if hp := r.Container.HostPort(a.HealthPort); hp != 0 {
				where = fmt.Sprintf("http://%s:%d", res.Info.Host, hp)
			}
			fmt.Fprintf(tw, "  %s\tapp\t%s\t%s\n", r.Service, where, a.Image)
		}
	}
	_ = tw.Flush()
	if len(p.Standins) > 0 {
		fmt.Fprintln(w, `connection variables for your shell: eval "$(prodlike env)"`)
	}
}
