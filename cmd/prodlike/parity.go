package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/prodlike/prodlike/config"
	"github.com/prodlike/prodlike/internal/atomicfile"
	"github.com/prodlike/prodlike/output"
	"github.com/prodlike/prodlike/parity"
	"github.com/prodlike/prodlike/plan"
	"github.com/prodlike/prodlike/profiles/truth"
	"github.com/prodlike/prodlike/stack"
)

type parityOptions struct {
	shaping
	format  string
	output  string
	failOn  string
	noStart bool
	list    bool
	timeout time.Duration
}

// errParityFailed is the verdict of a gate that found differences at or
// above the threshold: exit 1, the report says why.
var errParityFailed = errors.New("parity failed")

func newParityCmd(a *app) *cobra.Command {
	var o parityOptions
	cmd := &cobra.Command{
		Use:   "parity",
		Short: "Check, rule by rule, that the dev stack matches an environment's prod truth",
		Long: `parity reads what an environment really runs (its Terraform state or plan JSON,
and the inline form under x-prodlike.environments.<env>.services), reads the
same facts from the live stand-ins and the app's image, and runs every check:
engine versions and support windows, parameters, TLS, eviction and cluster
mode, extensions, buckets and queues, the app image, and the app's variables.

The stack is started first if it is not running (--no-start refuses instead).
Findings can be waived per check ID with a reason under x-prodlike.waive.

Exit status: 0 when no finding reaches --fail-on, 1 when one does, 2 when
parity could not run (Docker not answering, unreadable prod truth).`,
		Example: `  prodlike parity
  prodlike parity --env staging --fail-on warn
  prodlike parity --format junit --output parity.xml
  prodlike parity --format markdown --output parity.md   # for a pull-request comment`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.parity(cmd.Context(), o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "text", "report format: text, json, junit or markdown")
	f.StringVarP(&o.output, "output", "o", "", "write the report to this file instead of stdout")
	f.StringVar(&o.failOn, "fail-on", "block", "lowest severity that fails the gate: block, warn or info")
	f.BoolVar(&o.noStart, "no-start", false, "fail instead of starting the stack when it is not running")
	f.BoolVar(&o.list, "list", false, "list every check with its ID and severity, and exit")
	f.DurationVar(&o.timeout, "wait-timeout", 2*time.Minute, "how long each service may take to become ready when parity starts the stack")
	shapeFlags(f, &o.shaping)
	return cmd
}

func (a *app) parity(ctx context.Context, o parityOptions) error {
	if o.list {
		return listChecks(a.stdout)
	}
	format, err := output.ParseFormat(o.format)
	if err != nil {
		return usageError{err}
	}
	threshold, err := parity.ParseSeverity(o.failOn)
	if err != nil {
		return usageError{fmt.Errorf("--fail-on: %w", err)}
	}
	started := time.Now()
	a.shape = &o.shaping
	spec, p, err := a.load(ctx)
	if err != nil {
		return err
	}
	if err := parity.CheckWaivers(parity.Checks, spec); err != nil {
		return err
	}
	prod := o.shaping.truth
	if prod == nil { // no environments declared
		_, err := environment(spec, o.shaping.env)
		return err
	}

	eng, err := a.engine()
	if err != nil {
		return err
	}
	x := a.executor(eng, p, o.timeout)
	statuses, err := ensureRunning(ctx, a, x, p, o.noStart)
	if err != nil {
		return err
	}
	report := runChecks(ctx, spec, p, eng, statuses, prod, started)
	if err := a.emitReport(report, format, o.output, threshold); err != nil {
		return err
	}
	if report.Failed(threshold) {
		return errParityFailed
	}
	return nil
}

// runChecks collects the dev facts of the running stack (statuses) and the
// app's image, and runs every parity check against prod: the gate that
// parity and promote share.
func runChecks(ctx context.Context, spec *config.Spec, p *plan.Plan, eng stack.Engine, statuses []stack.ServiceStatus, prod *truth.Environment, started time.Time) *parity.Report {
	images, _ := eng.(parity.ImageReader)
	if images == nil {
		images = noImages{}
	}
	dev := parity.Collect(ctx, spec, p, statuses, images)
	facts := &parity.Facts{Project: spec.Project, Services: dev, Prod: prod, Now: time.Now()}
	report := parity.Run(parity.Checks, facts, spec.Waivers, started)
	report.Version = currentBuild().Version
	return report
}

// emitReport writes the report to stdout, or to path with the verdict and
// where the report went on stderr.
func (a *app) emitReport(r *parity.Report, f output.Format, path string, threshold parity.Severity) error {
	if err := writeReport(a.stdout, path, f, r, threshold); err != nil {
		return err
	}
	if path != "" {
		fmt.Fprintf(a.stderr, "%s; report written to %s\n", output.Summary(r, threshold), path)
	}
	return nil
}

// environment returns the environment --env names, or the first declared.
func environment(spec *config.Spec, name string) (config.Environment, error) {
	env, ok := spec.Environment(name)
	if ok {
		return env, nil
	}
	var names []string
	for _, e := range spec.Environments {
		names = append(names, e.Name)
	}
	file, line := spec.Where("x-prodlike", "environments")
	where := file
	if line > 0 {
		where = fmt.Sprintf("%s:%d", file, line)
	}
	if len(names) == 0 {
		return env, &config.Error{File: file, Field: "x-prodlike.environments",
			Msg: "no environments declared; add one with its prod truth, e.g.\n  x-prodlike:\n    environments:\n      prod: { cloud: aws, region: eu-west-1, terraform: infra/prod.json }"}
	}
	return env, usageError{fmt.Errorf("--env %s: no such environment in %s; declared: %s", name, where, strings.Join(names, ", "))}
}

// ensureRunning starts the stack unless every service of the plan runs and
// the caller found none outdated (a running container that is not what the
// plan asks for, one reason each: up recreates it), and returns the
// statuses of the running stack, with the stand-ins' facts.
func ensureRunning(ctx context.Context, a *app, x *stack.Executor, p *plan.Plan, noStart bool, outdated ...string) ([]stack.ServiceStatus, error) {
	_, statuses, err := x.Status(ctx, p)
	if err != nil {
		return nil, err
	}
	var down []string
	for _, s := range statuses {
		if s.InPlan && s.State != "running" {
			down = append(down, s.Service)
		}
	}
	if len(down) == 0 && len(outdated) == 0 {
		return statuses, nil
	}
	switch {
	case noStart && len(down) > 0:
		return nil, fmt.Errorf("not running: %s; start the stack with prodlike up, or drop --no-start to let prodlike start it", strings.Join(down, ", "))
	case noStart:
		return nil, fmt.Errorf("%s; drop --no-start to let prodlike recreate it", strings.Join(outdated, "; "))
	}
	verb, why := "updating", outdated
	if len(down) > 0 {
		verb, why = "starting", append([]string{strings.Join(down, ", ") + " not running"}, outdated...)
	}
	fmt.Fprintf(a.stderr, "%s the stack (%s)\n", verb, strings.Join(why, "; "))
	a.printShaping()
	if _, err := x.Up(ctx, p); err != nil {
		return nil, err
	}
	_, statuses, err = x.Status(ctx, p)
	return statuses, err
}

// executor makes the executor commands that start the stack use.
func (a *app) executor(eng stack.Engine, p *plan.Plan, timeout time.Duration, extra ...stack.Option) *stack.Executor {
	progress := output.NewProgress(a.stderr, nameWidth(p), a.verbose)
	opts := []stack.Option{stack.WithSink(progress), stack.WithWaitTimeout(timeout)}
	if usesSelf(p) {
		opts = append(opts, stack.WithSelfImage(a.self()))
	}
	if t, ok := a.startTimes(); ok {
		opts = append(opts, stack.WithStartTimes(t))
	}
	return stack.New(eng, append(opts, extra...)...)
}

// startTimes is where up keeps each service's measured start-to-ready
// time for parity: prodlike's directory in the user's cache.
func (a *app) startTimes() (stack.StartTimes, bool) {
	dir := a.getenv("XDG_CACHE_HOME")
	if dir == "" {
		var err error
		if dir, err = os.UserCacheDir(); err != nil {
			return stack.StartTimes{}, false
		}
	}
	return stack.StartTimes{Dir: filepath.Join(dir, "prodlike", "start-times")}, true
}

// writeReport writes the report to stdout, or to path when one is given
// (through a temporary file, so that a failed write leaves no half report).
func writeReport(stdout io.Writer, path string, f output.Format, r *parity.Report, threshold parity.Severity) error {
	if path == "" {
		return output.Report(stdout, f, r, threshold)
	}
	var b bytes.Buffer
	if err := output.Report(&b, f, r, threshold); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

func listChecks(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tFAMILY\tCHECKS THAT")
	for _, c := range parity.Checks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.ID, c.Severity, c.Family, c.Title)
	}
	return tw.Flush()
}

// noImages is the image reader of an engine that cannot inspect images.
type noImages struct{}

func (noImages) InspectImage(context.Context, string) (stack.ImageConfig, error) {
	return stack.ImageConfig{}, errors.New("this engine cannot inspect images")
}

func (noImages) SecretFiles(context.Context, string) ([]string, error) {
	return nil, errors.New("this engine cannot read image layers")
}
