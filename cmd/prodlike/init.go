package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/prodlike/prodlike/config"
	"github.com/prodlike/prodlike/internal/atomicfile"
	"github.com/prodlike/prodlike/internal/textdiff"
	"github.com/prodlike/prodlike/profiles/truth"
)

type initOptions struct {
	terraform string
	env       string
	cloud     string
	region    string
	dryRun    bool
}

func newInitCmd(a *app) *cobra.Command {
	var o initOptions
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Annotate the compose file for prodlike: stand-ins, the app, prod truth",
		Long: `init annotates the project's compose file in place. Each service that a
well-known image makes a stand-in (postgres, redis, valkey, versitygw, minio)
gets x-prodlike.standin with the cloud's identifier (aws.rds-postgres,
aws.elasticache, aws.s3 …); the app gets app: true, and health: when its
compose healthcheck probes an HTTP path.

With --terraform, init reads that Terraform state or plan as JSON (terraform
show -json), gives each service the address of the prod resource it stands
for (x-prodlike.prod), and adds the environment under
x-prodlike.environments with its cloud, region and Terraform file. Where it
cannot tell which resource is a service's, it writes none and lists the
candidates.

Only lines are added: comments, key order and quoting stay as they are, and
keys a service already has are kept, so a second run changes nothing. The
result is loaded, and its prod truth read, before the file is replaced.`,
		Example: `  terraform -chdir=infra show -json > infra/prod.json
  prodlike init --terraform infra/prod.json --dry-run
  prodlike init --terraform infra/prod.json
  prodlike init --cloud gcp                          # stand-in identifiers only`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runInit(cmd.Context(), o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.terraform, "terraform", "", "Terraform state or plan JSON (terraform show -json), relative to the project directory: match prod addresses and write the environment")
	f.StringVar(&o.env, "env", "prod", "name of the environment to write")
	f.StringVar(&o.cloud, "cloud", "", "aws, gcp or azure (default: the cloud of the Terraform file's resources, else aws)")
	f.StringVar(&o.region, "region", "", "the environment's region (default: the one the Terraform file's resources agree on)")
	f.BoolVar(&o.dryRun, "dry-run", false, "print the changes as a diff and write nothing")
	return cmd
}

var (
	envNameFlag = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	regionFlag  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
)

func (o initOptions) check() error {
	switch {
	case !slices.Contains([]string{"", "aws", "gcp", "azure"}, o.cloud):
		return fmt.Errorf("--cloud: want aws, gcp or azure, got %q", o.cloud)
	case !envNameFlag.MatchString(o.env):
		return fmt.Errorf("--env: want an environment name such as prod or staging, got %q", o.env)
	case o.region != "" && !regionFlag.MatchString(o.region):
		return fmt.Errorf("--region: want a region such as eu-west-1, got %q", o.region)
	case o.region != "" && o.terraform == "":
		return errors.New("--region is the region of the environment init writes, which it does only with --terraform")
	}
	return nil
}

// annotated is one compose file before and after init.
type annotated struct {
	config.FileAnnotations
	before, after []byte
	changes       []config.Change
}

func (a *app) runInit(ctx context.Context, o initOptions) error {
	if err := o.check(); err != nil {
		return usageError{err}
	}
	spec, err := config.Load(ctx, a.initLoadOptions())
	if err != nil {
		return err
	}
	opts := config.InitOptions{Env: o.env, Cloud: o.cloud, Region: o.region}
	if o.terraform != "" {
		opts.Terraform = projectRelative(spec.Dir, o.terraform)
		found, err := truth.Discover(spec.Dir, opts.Terraform, o.env)
		if err != nil {
			return err
		}
		opts.TerraformClouds, opts.Resources = found.Clouds, found.Resources
	}
	plan := config.PlanInit(spec, opts)

	var prod *config.Environment
	if opts.Terraform != "" {
		// The addresses the compose file already has must resolve in this
		// file, or init would be blamed for them afterwards.
		env := initEnvironment(spec, o.env, plan.Cloud, opts.Terraform)
		if _, err := truth.Read(spec, env); err != nil {
			return fmt.Errorf("the compose file's prod addresses do not all resolve in %s: %w", opts.Terraform, err)
		}
		prod = &env
	}

	var files []annotated
	for _, fa := range plan.Files {
		before, err := os.ReadFile(fa.Path)
		if err != nil {
			return fmt.Errorf("read %s: %w", fa.Shown, err)
		}
		after, changes, err := config.Annotate(before, fa.Annotations)
		if err != nil {
			var cerr *config.Error
			if errors.As(err, &cerr) && cerr.File == "" {
				cerr.File = fa.Shown
			}
			return err
		}
		files = append(files, annotated{FileAnnotations: fa, before: before, after: after, changes: changes})
	}

	printInitSummary(a.stdout, files, plan.Todo)
	var changed []annotated
	for _, f := range files {
		if string(f.after) != string(f.before) {
			changed = append(changed, f)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	if o.dryRun {
		for _, f := range changed {
			fmt.Fprint(a.stdout, textdiff.Unified(f.Shown, f.before, f.after, 1))
		}
		fmt.Fprintln(a.stdout, "dry run: nothing written")
		return nil
	}
	if err := a.writeAnnotated(ctx, spec, changed, prod); err != nil {
		return err
	}
	for _, f := range changed {
		fmt.Fprintf(a.stdout, "wrote %s\n", f.Shown)
	}
	return nil
}

// initLoadOptions are the global flags as config options, as load uses them.
func (a *app) initLoadOptions() config.Options {
	return config.Options{
		Files:    a.files,
		WorkDir:  a.dir,
		Project:  a.project,
		EnvFiles: a.envFiles,
		Environ:  a.environ,
	}
}

// projectRelative writes an absolute path inside the project directory
// relative to it, as x-prodlike.environments.<env>.terraform wants it.
func projectRelative(dir, path string) string {
	if !filepath.IsAbs(path) {
		return path
	}
	rel, err := filepath.Rel(dir, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return path
	}
	return rel
}

// initEnvironment is the environment whose prod truth init checks: the one
// the project declares under that name, if any, read from the Terraform
// file init was given.
func initEnvironment(spec *config.Spec, name, cloud, terraform string) config.Environment {
	env, ok := spec.Environment(name)
	if !ok {
		env = config.Environment{Name: name, Cloud: cloud}
	}
	env.Terraform = terraform
	return env
}

func printInitSummary(w io.Writer, files []annotated, todo []config.Todo) {
	var left []string
	wrote := false
	for _, f := range files {
		header := false
		for _, c := range f.changes {
			if !c.Written() {
				subject := c.Service
				if subject == "" {
					subject = "environment " + c.Env
				}
				left = append(left, subject+": "+c.Left)
				continue
			}
			if !header {
				fmt.Fprintf(w, "%s:\n", f.Shown)
				header = true
			}
			fmt.Fprintf(w, "  %s\n", c)
			wrote = true
		}
	}
	for _, t := range todo {
		left = append(left, t.String())
	}
	if !wrote {
		fmt.Fprintln(w, "nothing to do: every service is annotated")
	}
	if len(left) > 0 {
		fmt.Fprintln(w, "left for you:")
		for _, l := range left {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
}

// writeAnnotated replaces the compose files with their annotated content,
// after checking that the project loads from it and that its prod truth
// reads (prod, when init was given Terraform). Each file goes to a temporary
// file next to it first, which the check loads; only when the check passes
// are the originals replaced; when it fails, nothing is.
func (a *app) writeAnnotated(ctx context.Context, spec *config.Spec, files []annotated, prod *config.Environment) error {
	temps := map[string]string{}
	defer func() {
		for _, tmp := range temps {
			os.Remove(tmp)
		}
	}()
	load := slices.Clone(spec.Files)
	for _, f := range files {
		i := slices.Index(load, f.Path)
		if i < 0 {
			return fmt.Errorf("%s is not one of the compose files %v (a bug in prodlike init; nothing was written)", f.Shown, spec.Files)
		}
		tmp, err := writeTemp(filepath.Dir(f.Path), f.Path, f.after)
		if err != nil {
			return err
		}
		temps[f.Path] = tmp
		load[i] = tmp
	}

	opts := a.initLoadOptions()
	opts.Files = load
	got, err := config.Load(ctx, opts)
	if err == nil && prod != nil {
		env := initEnvironment(got, prod.Name, prod.Cloud, prod.Terraform)
		_, err = truth.Read(got, env)
	}
	if err != nil {
		msg := err.Error()
		for path, tmp := range temps {
			msg = strings.ReplaceAll(msg, filepath.Base(tmp), filepath.Base(path))
		}
		// Not wrapped: this is prodlike's failure, not an invalid compose
		// file of the user's, and must not exit as one.
		return fmt.Errorf("the annotated compose file does not load (a bug in prodlike init; nothing was written): %s", msg)
	}

	for _, f := range files {
		if err := atomicfile.Replace(f.Path, f.after); err != nil {
			return err
		}
	}
	return nil
}

// writeTemp writes content to a new hidden file in dir, with the mode of
// like.
func writeTemp(dir, like string, content []byte) (string, error) {
	fi, err := os.Stat(like)
	if err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(like)+".prodlike-init-*.yaml")
	if err != nil {
		return "", err
	}
	_, werr := tmp.Write(content)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr, os.Chmod(tmp.Name(), fi.Mode().Perm())); err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return tmp.Name(), nil
}
