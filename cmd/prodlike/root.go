package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"github.com/prodlike/prodlike/config"
	"github.com/prodlike/prodlike/plan"
	"github.com/prodlike/prodlike/profiles/truth"
	"github.com/prodlike/prodlike/stack"
	"github.com/prodlike/prodlike/stack/docker"
)

// env is what the commands take from the process; tests replace it.
type env struct {
	stdout, stderr io.Writer
	environ        []string
	newEngine      func() (stack.Engine, error)
	signals        func(chan<- os.Signal) (stop func())
}

func defaultEnv() env {
	return env{
		stdout:  os.Stdout,
		stderr:  os.Stderr,
		environ: os.Environ(),
		newEngine: func() (stack.Engine, error) {
			return docker.New()
		},
		signals: func(c chan<- os.Signal) func() {
			signal.Notify(c, interruptSignals...)
			return func() { signal.Stop(c) }
		},
	}
}

// app holds the global flags and the process environment.
type app struct {
	env
	selfImage *stack.SelfImage
	files     []string
	project   string
	dir       string
	envFiles  []string
	mirror    string
	verbose   bool
	shape     *shaping // nil: load does not shape
}

func (a *app) getenv(key string) string {
	for _, kv := range a.environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

func run(ctx context.Context, args []string, e env) int {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sig := make(chan os.Signal, 1)
	stop := e.signals(sig)
	go func() {
		select {
		case <-sig:
			cancel()
		case <-ctx.Done():
		}
	}()
	defer stop()

	// compose-go warns through logrus (a variable that is not set, an
	// obsolete attribute); say it prodlike's way, on stderr.
	logrus.SetOutput(e.stderr)
	logrus.SetFormatter(warningFormatter{})

	a := &app{env: e}
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	err := root.ExecuteContext(ctx)
	if err != nil {
		if errors.Is(err, stack.ErrInterrupted) {
			fmt.Fprintf(e.stderr, "prodlike: %v\n", err)
		} else {
			fmt.Fprintf(e.stderr, "prodlike: %s\n", strings.ReplaceAll(err.Error(), "\n", "\n  "))
		}
	}
	return exitCode(err)
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "prodlike",
		Short: "A production-shaped cloud on your machine",
		Long: `prodlike reads your compose file, starts stand-ins for the managed services
your service uses in production (Postgres for RDS, Redis or Valkey for
ElastiCache, an S3-compatible store, SQS queues), pinned to production's
engine versions, parameters, buckets and queues, and runs your service's own
image against them.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Errorf("unknown command %q\nrun 'prodlike --help' for the commands", args[0])}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w\nrun '%s --help' for usage", err, c.CommandPath())}
	})
	f := root.PersistentFlags()
	f.StringArrayVarP(&a.files, "file", "f", nil, "compose file (repeat to merge several; default: COMPOSE_FILE or compose.yaml found from the project directory up)")
	f.StringVarP(&a.project, "project-name", "p", "", "project name (default: the compose file's name:, COMPOSE_PROJECT_NAME or the directory name)")
	f.StringVarP(&a.dir, "project-directory", "C", "", "run as if prodlike was started in this directory")
	f.StringArrayVar(&a.envFiles, "env-file", nil, "environment file for interpolation (default: .env in the project directory)")
	f.StringVar(&a.mirror, "image-mirror", "", "registry prefix for stand-in images from Docker Hub, e.g. mirror.example.com/dockerhub (env PRODLIKE_IMAGE_MIRROR; x-prodlike.image-mirror)")
	f.BoolVarP(&a.verbose, "verbose", "v", false, "show pull and build output")
	root.AddCommand(
		newInitCmd(a),
		newUpCmd(a),
		newDownCmd(a),
		newStatusCmd(a),
		newEnvCmd(a),
		newLogsCmd(a),
		newParityCmd(a),
		newPromoteCmd(a),
		newDoctorCmd(a),
		newEmulateCmd(a),
		newVersionCmd(a),
	)
	return root
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("%s takes no arguments, got %q", cmd.CommandPath(), args)}
	}
	return nil
}

// load reads the compose file(s) and makes the plan: loadSpec, shapeSpec
// when a.shape asks for it, then makePlan. promote runs the three steps
// itself, to put the image it promotes in the spec before planning.
func (a *app) load(ctx context.Context) (*config.Spec, *plan.Plan, error) {
	spec, err := a.loadSpec(ctx)
	if err != nil {
		return nil, nil, err
	}
	if a.shape != nil {
		shaped, err := a.shapeSpec(spec)
		if err != nil {
			return spec, nil, err
		}
		spec = shaped
	}
	p, err := a.makePlan(spec)
	if err != nil {
		return spec, nil, err
	}
	return spec, p, nil
}

// loadSpec reads the compose file(s) as the global flags say.
func (a *app) loadSpec(ctx context.Context) (*config.Spec, error) {
	return config.Load(ctx, config.Options{
		Files:    a.files,
		WorkDir:  a.dir,
		Project:  a.project,
		EnvFiles: a.envFiles,
		Environ:  a.environ,
	})
}

// makePlan plans spec with the image mirror and prodlike's own image.
func (a *app) makePlan(spec *config.Spec) (*plan.Plan, error) {
	mirror := a.mirror
	if mirror == "" {
		mirror = a.getenv("PRODLIKE_IMAGE_MIRROR")
	}
	opts := plan.Options{ImageMirror: mirror}
	if slices.ContainsFunc(spec.Services, func(s config.Service) bool { return s.Kind == config.KindSQS }) {
		opts.SelfImage = a.self().Ref
	}
	return plan.Build(spec, opts)
}

// shaping is what up and parity ask of load: shape the stand-ins from an
// environment's prod truth.
type shaping struct {
	env string // --env; "" for the first declared
	off bool   // --no-shape
	// set by load: the environment and its truth (nil without
	// environments), and what shaping did
	environment config.Environment
	truth       *truth.Environment
	notes       []plan.ShapeNote
}

// shapeSpec reads the chosen environment's prod truth and, unless shaping
// is off, returns spec shaped by it.
func (a *app) shapeSpec(spec *config.Spec) (*config.Spec, error) {
	sh := a.shape
	if len(spec.Environments) == 0 && sh.env == "" {
		return spec, nil
	}
	env, err := environment(spec, sh.env)
	if err != nil {
		return nil, err
	}
	prod, err := truth.Read(spec, env)
	if err != nil {
		return nil, fmt.Errorf("read %s's prod truth: %w", env.Name, err)
	}
	sh.environment, sh.truth = env, prod
	if sh.off {
		return spec, nil
	}
	shaped, notes := plan.Shape(spec, prod)
	sh.notes = notes
	return shaped, nil
}

// printShaping tells what shaping did, on stderr.
func (a *app) printShaping() {
	sh := a.shape
	if sh == nil || sh.truth == nil || len(sh.notes) == 0 {
		return
	}
	fmt.Fprintf(a.stderr, "shaped from %s (%s):\n", sh.truth.Name, sh.truth.Source)
	for _, n := range sh.notes {
		fmt.Fprintf(a.stderr, "  %s\n", n)
	}
}

// projectName finds the project for commands that can work from labels
// alone (down): the compose file's project, or -p when there is no file.
func (a *app) projectName(ctx context.Context) (string, *plan.Plan, error) {
	_, p, err := a.load(ctx)
	if err == nil {
		return p.Project, p, nil
	}
	if errors.Is(err, config.ErrNotFound) {
		if a.project != "" {
			return a.project, nil, nil
		}
		return "", nil, fmt.Errorf("%w\n  without a compose file, name the project instead: prodlike -p NAME …", err)
	}
	return "", nil, err
}

// self is prodlike's own image, decided once per command and only for
// projects whose stand-ins run it (it reads prodlike's executable).
func (a *app) self() stack.SelfImage {
	if a.selfImage == nil {
		s := selfImage(currentBuild())
		a.selfImage = &s
	}
	return *a.selfImage
}

// usesSelf reports whether a plan runs prodlike's own image (sqs).
func usesSelf(p *plan.Plan) bool {
	return slices.ContainsFunc(p.Standins, func(s plan.Standin) bool { return s.Kind == config.KindSQS })
}

func (a *app) engine() (stack.Engine, error) {
	return a.newEngine()
}

// planAndEngine loads the plan, then connects to the engine: what every
// command that works on a running stack starts with.
func (a *app) planAndEngine(ctx context.Context) (*plan.Plan, stack.Engine, error) {
	_, p, err := a.load(ctx)
	if err != nil {
		return nil, nil, err
	}
	eng, err := a.engine()
	if err != nil {
		return nil, nil, err
	}
	return p, eng, nil
}

func nameWidth(p *plan.Plan) int {
	w := 0
	for _, s := range p.Standins {
		w = max(w, len(s.Service))
	}
	if p.App != nil {
		w = max(w, len(p.App.Service))
	}
	return w
}

type warningFormatter struct{}

func (warningFormatter) Format(e *logrus.Entry) ([]byte, error) {
	return []byte("prodlike: warning: " + e.Message + "\n"), nil
}
