package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/prodlike/prodlike/config"
	"github.com/prodlike/prodlike/output"
	"github.com/prodlike/prodlike/parity"
	"github.com/prodlike/prodlike/plan"
	"github.com/prodlike/prodlike/profiles/truth"
	"github.com/prodlike/prodlike/promote"
	"github.com/prodlike/prodlike/stack"
)

type promoteOptions struct {
	to       string
	format   string
	output   string
	failOn   string
	dryRun   bool
	commit   bool
	strict   bool
	noStart  bool
	insecure bool
	timeout  time.Duration
}

// promoter runs `prodlike promote`. registry and gate are what tests
// replace: how registries are reached, and the parity gate against the
// running stack.
type promoter struct {
	*app
	registry promote.Options
	gate     func(context.Context, gateRun) (*parity.Report, error)
	now      func() time.Time
}

// gateRun is what the parity gate of a promotion runs on.
type gateRun struct {
	spec    *config.Spec // shaped from the environment's truth, the app's image replaced
	plan    *plan.Plan
	prod    *truth.Environment
	engine  stack.Engine
	appID   string // the image ID the app must run
	noStart bool
	timeout time.Duration
}

// historyDir is where a project keeps its promotion records.
func historyDir(spec *config.Spec) string {
	return filepath.Join(spec.Dir, ".prodlike", "promotions")
}

func newPromoteCmd(a *app) *cobra.Command {
	pr := &promoter{app: a, registry: promote.Options{Version: currentBuild().Version}, now: time.Now}
	pr.gate = pr.parityGate
	return pr.command()
}

func (pr *promoter) command() *cobra.Command {
	var o promoteOptions
	cmd := &cobra.Command{
		Use:   "promote IMAGE --to ENV",
		Short: "Copy an image's exact digest to an environment once the parity gate for it passes",
		Long: `promote moves one image forward without rebuilding it. It resolves IMAGE to
its manifest digest, runs the parity gate for ENV (the stand-ins shaped from
ENV's prod truth, the app running exactly that image; the stack is started,
or its app recreated, as needed) and, when the gate passes, copies that
digest to ENV's target (x-prodlike.environments.ENV.image, tagged ENV unless
it names a tag), pins it in ENV's GitOps file (.gitops: a kustomization
images: entry or a Helm values key) and records the promotion in
.prodlike/promotions/ (and next to --output).

IMAGE is a registry reference (registry.example.com/shop/api:1.4, or
@sha256:…), pulled by digest through the engine for the gate, or an image
that is only in the Docker engine (shop-api, as prodlike up builds it), read
with docker save and pushed. A name without a registry host that the engine
has is the local image; write docker.io/… to mean Docker Hub.

Environments are promoted to in the order x-prodlike.environments declares
them: a digest the previous target never received gets a warning, and
--strict refuses it. Registries are reached with your Docker credentials
(docker login, credential helpers); loopback registries may use plain HTTP.

The report goes to stdout (or --output); what promote did follows it, on
stderr when stdout carries a JSON, JUnit or Markdown report.

Exit status: 0 promoted (or, with --dry-run, would be); 1 the gate refused
(parity failed at --fail-on, or out of order with --strict) and nothing was
copied; 2 could not run (Docker or a registry not answering, credentials
missing); 64 bad usage or image reference; 65 invalid configuration.`,
		Example: `  prodlike promote shop-api --to staging
  prodlike promote registry.example.com/shop/api:staging --to prod --strict --commit
  prodlike promote ghcr.io/acme/shop-api@sha256:… --to prod --dry-run
  prodlike promote shop-api --to prod --format junit --output parity.xml`,
		Args: oneImage,
		RunE: func(cmd *cobra.Command, args []string) error { return pr.run(cmd.Context(), args[0], o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.to, "to", "", "environment to promote to, as declared under x-prodlike.environments (required)")
	f.StringVar(&o.failOn, "fail-on", "block", "lowest severity that fails the gate: block, warn or info")
	f.StringVar(&o.format, "format", "text", "report format: text, json, junit or markdown")
	f.StringVarP(&o.output, "output", "o", "", "write the report to this file instead of stdout, and the promotion record next to it")
	f.BoolVar(&o.dryRun, "dry-run", false, "resolve and run the gate, then show what would be copied, the GitOps diff and the record, changing nothing")
	f.BoolVar(&o.commit, "commit", false, "commit the GitOps file change with git")
	f.BoolVar(&o.strict, "strict", false, "refuse a digest the previous environment never received, instead of warning")
	f.BoolVar(&o.noStart, "no-start", false, "fail instead of starting the stack, or recreating its app with IMAGE")
	f.BoolVar(&o.insecure, "insecure", false, "allow plain HTTP registries (loopback registries always are)")
	f.DurationVar(&o.timeout, "wait-timeout", 2*time.Minute, "how long each service may take to become ready when promote starts the stack")
	return cmd
}

func oneImage(cmd *cobra.Command, args []string) error {
	switch len(args) {
	case 1:
		return nil
	case 0:
		return usageError{fmt.Errorf("%s needs the IMAGE to promote, e.g. prodlike promote shop-api --to staging", cmd.CommandPath())}
	}
	return usageError{fmt.Errorf("%s takes one IMAGE, got %q", cmd.CommandPath(), args)}
}

// refusal is a promotion the gate does not let through for another reason
// than parity (out of order with --strict). It exits 1 as a failed parity
// gate does: nothing went wrong, the answer is no.
type refusal struct{ msg string }

func (r refusal) Error() string        { return r.msg }
func (r refusal) Is(target error) bool { return target == errParityFailed }

// unchanged adds to an error before the copy that nothing was changed.
func unchanged(err error) error {
	return fmt.Errorf("%w\n  nothing was copied, no file was changed and no record was written", err)
}

func (pr *promoter) run(ctx context.Context, image string, o promoteOptions) error {
	format, err := output.ParseFormat(o.format)
	if err != nil {
		return usageError{err}
	}
	threshold, err := parity.ParseSeverity(o.failOn)
	if err != nil {
		return usageError{fmt.Errorf("--fail-on: %w", err)}
	}
	if err := promote.CheckReference(image); err != nil {
		return usageError{err}
	}
	spec, err := pr.loadSpec(ctx)
	if err != nil {
		return err
	}
	env, target, err := promotionTarget(spec, o.to)
	if err != nil {
		return err
	}
	if o.commit && env.GitOps == nil {
		file, line := spec.Where("x-prodlike", "environments", env.Name)
		return usageError{fmt.Errorf("--commit: environment %s (%s:%d) has no gitops: file to commit; add one, e.g. gitops: {file: deploy/%s/kustomization.yaml, image: NAME}, or leave out --commit", env.Name, file, line, env.Name)}
	}
	if _, ok := spec.App(); !ok {
		file, _ := spec.Where("services")
		return &config.Error{File: file, Field: "services", Msg: "no app service to run the promoted image as; mark it with x-prodlike: {app: true}"}
	}
	if err := parity.CheckWaivers(parity.Checks, spec); err != nil {
		return err
	}
	pr.shape = &shaping{env: env.Name}
	shaped, err := pr.shapeSpec(spec)
	if err != nil {
		return err
	}

	eng, err := pr.engine()
	if err != nil {
		return err
	}
	if _, err := eng.Ping(ctx); err != nil {
		return err
	}
	opts := pr.registry
	opts.Insecure = opts.Insecure || o.insecure
	c, err := pr.findCandidate(ctx, eng, image, opts)
	if err != nil {
		return unchanged(err)
	}
	defer c.close()
	fmt.Fprintf(pr.stderr, "promoting %s to %s: %s\n  digest %s\n", image, env.Name, c.from, c.digest)

	change, err := planGitOps(spec, env, target, c.digest)
	if err != nil {
		return unchanged(err)
	}
	if err := pr.checkOrder(spec, env, c.digest, o.strict); err != nil {
		return unchanged(err)
	}

	p, err := pr.makePlan(withAppImage(shaped, c.run))
	if err != nil {
		return err
	}
	report, err := pr.gate(ctx, gateRun{spec: shaped, plan: p, prod: pr.shape.truth, engine: eng, appID: c.imageID, noStart: o.noStart, timeout: o.timeout})
	if err != nil {
		return unchanged(err)
	}
	if err := pr.emitReport(report, format, o.output, threshold); err != nil {
		return unchanged(err)
	}
	if report.Failed(threshold) {
		return unchanged(fmt.Errorf("%w for %s at --fail-on %s: %s is not promoted", errParityFailed, env.Name, threshold, image))
	}

	rec := promote.Record{
		Image: image, Source: c.source, Digest: c.digest, ImageID: c.imageID,
		Target: target + "@" + c.digest, Env: env.Name,
		Parity:          promote.SummarizeParity(report, threshold, o.output),
		ProdlikeVersion: currentBuild().Version,
		Time:            pr.now().UTC(),
		DryRun:          o.dryRun,
	}
	if change != nil {
		rec.GitOps = &promote.GitOpsRecord{File: env.GitOps.File, Change: change.Summary}
	}
	out := pr.stdout
	if o.output == "" && format != output.FormatText {
		out = pr.stderr // stdout is the report, for a machine
	}
	if o.dryRun {
		return pr.showDryRun(out, spec, c, rec, change, o)
	}
	return pr.apply(ctx, out, spec, env, c, target, rec, change, o, opts)
}

// promotionTarget finds the environment --to names and the reference its
// image goes to.
func promotionTarget(spec *config.Spec, name string) (config.Environment, string, error) {
	names := spec.EnvironmentNames()
	file, line := spec.Where("x-prodlike", "environments")
	where := file
	if line > 0 {
		where = fmt.Sprintf("%s:%d", file, line)
	}
	if len(names) == 0 {
		return config.Environment{}, "", &config.Error{File: file, Field: "x-prodlike.environments",
			Msg: "no environments declared; add the one to promote to with its prod truth and image target, e.g.\n  x-prodlike:\n    environments:\n      prod: { cloud: aws, region: eu-west-1, terraform: infra/prod.json, image: registry.example.com/shop/api }"}
	}
	if name == "" {
		return config.Environment{}, "", usageError{fmt.Errorf("--to is required: name the environment to promote to; declared in %s: %s", where, strings.Join(names, ", "))}
	}
	env, ok := spec.Environment(name)
	if !ok {
		return env, "", usageError{fmt.Errorf("--to %s: no such environment in %s; declared: %s", name, where, strings.Join(names, ", "))}
	}
	file, line = spec.Where("x-prodlike", "environments", name)
	if env.Image == "" {
		return env, "", &config.Error{File: file, Line: line, Field: "x-prodlike.environments." + name + ".image",
			Msg: fmt.Sprintf("missing: promote needs to know where %s's image goes; add e.g. image: registry.example.com/%s/app (tagged %s), or with a tag of your own", name, spec.Project, name)}
	}
	target, err := promote.TagTarget(env.Image, name)
	if err != nil {
		return env, "", &config.Error{File: file, Line: line, Field: "x-prodlike.environments." + name + ".image",
			Msg: fmt.Sprintf("cannot tag %s with the environment's name; give image: a tag of its own", env.Image), Err: err}
	}
	return env, target, nil
}

// planGitOps plans pinning digest in env's GitOps file; nil when it has
// none. A kustomization entry also gets the target repository as newName:
// the environment pulls from where promote copied the image.
func planGitOps(spec *config.Spec, env config.Environment, target, digest string) (*promote.Change, error) {
	g := env.GitOps
	if g == nil {
		return nil, nil
	}
	var c promote.Change
	var err error
	if g.Image != "" {
		c, err = promote.PlanKustomization(g.Path, promote.KustomizeImage{Name: g.Image, NewName: promote.RepositoryOf(target), Digest: digest})
	} else {
		c, err = promote.PlanHelmValue(g.Path, g.Key, digest)
	}
	if err != nil {
		file, line := spec.Where("x-prodlike", "environments", env.Name, "gitops")
		return nil, &config.Error{File: file, Line: line, Field: "x-prodlike.environments." + env.Name + ".gitops",
			Msg: "cannot pin the digest in " + g.File, Err: err}
	}
	return &c, nil
}

// checkOrder warns, or with strict refuses, when the environment promoted
// to before env (in declared order) never received digest.
func (pr *promoter) checkOrder(spec *config.Spec, env config.Environment, digest string, strict bool) error {
	prev, ok := spec.PromotedBefore(env.Name)
	if !ok {
		return nil
	}
	records, err := promote.ReadRecords(historyDir(spec))
	if err != nil {
		return err
	}
	if _, ok := promote.LastPromotion(records, digest, prev.Name); ok {
		return nil
	}
	msg := fmt.Sprintf("%s was never promoted to %s, which comes before %s in x-prodlike.environments (no record in %s)",
		digest, prev.Name, env.Name, relTo(spec.Dir, historyDir(spec)))
	if strict {
		return refusal{fmt.Sprintf("out of order: %s; promote it to %s first, or leave out --strict", msg, prev.Name)}
	}
	fmt.Fprintf(pr.stderr, "warning: %s; promoting anyway (--strict refuses this)\n", msg)
	return nil
}

// withAppImage returns spec with its app running image and without a
// build section: the gate runs exactly the image being promoted, and
// nothing rebuilds it.
func withAppImage(spec *config.Spec, image string) *config.Spec {
	out := *spec
	out.Services = slices.Clone(spec.Services)
	for i, s := range out.Services {
		if s.Kind == config.KindApp {
			out.Services[i].Image = image
			out.Services[i].Build = nil
		}
	}
	return &out
}

// parityGate is the real gate: the running stack made current (stand-ins
// shaped from the environment, the app running the candidate), then every
// parity check.
func (pr *promoter) parityGate(ctx context.Context, g gateRun) (*parity.Report, error) {
	started := time.Now()
	x := pr.executor(g.engine, g.plan, g.timeout)
	stale, err := outdated(ctx, g.engine, g.plan, g.appID)
	if err != nil {
		return nil, err
	}
	statuses, err := ensureRunning(ctx, pr.app, x, g.plan, g.noStart, stale...)
	if err != nil {
		return nil, err
	}
	// The app must run the candidate now; a tag that moved under a local
	// name while promote ran would make it run another image.
	if stale, err = outdated(ctx, g.engine, g.plan, g.appID); err != nil {
		return nil, err
	} else if len(stale) > 0 {
		return nil, fmt.Errorf("after starting the stack: %s; did the image change while promote ran? run promote again", strings.Join(stale, "; "))
	}
	return runChecks(ctx, g.spec, g.plan, g.engine, statuses, g.prod, started), nil
}

// outdated names the running containers of p that are not what p asks for:
// a stand-in configured otherwise (shaped for another environment, say),
// or an app that runs another image than appID or another configuration.
func outdated(ctx context.Context, eng stack.Engine, p *plan.Plan, appID string) ([]string, error) {
	cs, err := eng.Containers(ctx, p.Project)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range cs {
		if !c.Running {
			continue // ensureRunning starts it
		}
		svc := c.Service()
		if s, ok := p.Standin(svc); ok && c.Labels[stack.LabelHash] != s.Hash {
			out = append(out, svc+" runs with another configuration")
		}
		if p.App == nil || svc != p.App.Service {
			continue
		}
		switch {
		case c.ImageID != appID:
			out = append(out, fmt.Sprintf("%s runs image %s, not the one being promoted", svc, shortDigest(c.ImageID)))
		case c.Labels[stack.LabelHash] != p.App.Hash:
			out = append(out, svc+" runs the image with another configuration (reference, build or environment)")
		}
	}
	return out, nil
}

// apply copies the digest, pins it in the GitOps file, commits it when
// asked, and records the promotion.
func (pr *promoter) apply(ctx context.Context, out io.Writer, spec *config.Spec, env config.Environment, c *candidate, target string, rec promote.Record, change *promote.Change, o promoteOptions, opts promote.Options) error {
	pushed, err := c.push(ctx, target, opts)
	if err != nil {
		return fmt.Errorf("%w\n  nothing was tagged, no file was changed and no record was written", err)
	}
	rec.Target = pushed.String()
	// From here on the registry has the tag: say so with every error.
	done := func(err error) error {
		return fmt.Errorf("%s now has %s, but %w\n  finish by hand: pin %s in the GitOps file and commit it", pushed, c.digest, err, c.digest)
	}
	var commit string
	if change != nil {
		if err := change.Write(); err != nil {
			return done(err)
		}
		if o.commit && change.Changed() {
			msg := fmt.Sprintf("Promote %s to %s\n\nprodlike promote %s --to %s: parity passed (%d checks, %d warnings);\ncopied to %s.\n",
				promote.RepositoryOf(target)+"@"+shortDigest(c.digest), env.Name, c.given, env.Name, rec.Parity.Checks, rec.Parity.Warn, pushed)
			if commit, err = promote.Commit(ctx, spec.Dir, env.GitOps.Path, msg); err != nil {
				return done(err)
			}
			rec.GitOps.Commit = commit
		}
	}
	path, err := promote.SaveRecord(historyDir(spec), rec)
	if err != nil {
		return done(err)
	}
	var beside string
	if o.output != "" {
		beside = promote.RecordPathNextTo(o.output)
		if err := promote.WriteRecord(beside, rec); err != nil {
			return done(err)
		}
	}

	fmt.Fprintf(out, "promoted %s to %s\n", c.given, env.Name)
	fmt.Fprintf(out, "  from    %s\n", c.from)
	fmt.Fprintf(out, "  digest  %s\n", c.digest)
	fmt.Fprintf(out, "  target  %s\n", pushed)
	if change != nil {
		fmt.Fprintf(out, "  gitops  %s: %s\n", env.GitOps.File, change.Summary)
		switch {
		case commit != "":
			fmt.Fprintf(out, "  commit  %s\n", commit)
		case o.commit:
			fmt.Fprintf(out, "  commit  none: the file already pinned the digest\n")
		default:
			fmt.Fprintf(out, "          commit it, or promote with --commit next time\n")
		}
	}
	fmt.Fprintf(out, "  record  %s\n", relTo(spec.Dir, path))
	if beside != "" {
		fmt.Fprintf(out, "          %s\n", beside)
	}
	return nil
}

// showDryRun prints what a promotion would do.
func (pr *promoter) showDryRun(out io.Writer, spec *config.Spec, c *candidate, rec promote.Record, change *promote.Change, o promoteOptions) error {
	fmt.Fprintf(out, "dry run: would promote %s to %s; nothing was copied, changed or recorded\n", c.given, rec.Env)
	fmt.Fprintf(out, "  from    %s\n", c.from)
	fmt.Fprintf(out, "  digest  %s\n", c.digest)
	fmt.Fprintf(out, "  copy to %s\n", rec.Target)
	if change != nil {
		fmt.Fprintf(out, "  gitops  %s: %s\n", rec.GitOps.File, rec.GitOps.Change)
		shown := *change
		shown.File = rec.GitOps.File
		if d := shown.Diff(); d != "" {
			fmt.Fprint(out, indent(d, "    "))
		}
		if o.commit && change.Changed() {
			fmt.Fprintf(out, "  commit  would commit %s\n", rec.GitOps.File)
		}
	}
	b, err := json.MarshalIndent(rec, "    ", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  record  %s would hold:\n    %s\n", relTo(spec.Dir, filepath.Join(historyDir(spec), promote.RecordName(rec))), b)
	return nil
}

func indent(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	s = strings.Join(lines, "")
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return s
}

// relTo shows path relative to dir when it is inside it.
func relTo(dir, path string) string {
	if rel, err := filepath.Rel(dir, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}

// shortDigest shortens sha256:… to 12 hex digits, for people.
func shortDigest(d string) string {
	if hex, ok := strings.CutPrefix(d, "sha256:"); ok && len(hex) > 12 {
		return "sha256:" + hex[:12]
	}
	return d
}
