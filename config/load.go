package config

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/consts"
	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/compose-spec/compose-go/v2/utils"
)

// Options say which compose files to load and with what environment. The
// zero value behaves like `docker compose` run in the current directory
// with an empty environment; callers normally set Environ to os.Environ().
type Options struct {
	// Files are the compose files given with -f, merged in order. Empty
	// means COMPOSE_FILE, else default discovery. Relative paths start at
	// WorkDir.
	Files []string
	// WorkDir is where relative paths start and discovery begins (it plays
	// the part of the current directory); "" means the current directory.
	// The project directory is the directory of the first compose file, as
	// with docker compose without --project-directory.
	WorkDir string
	// Project overrides the project name (-p).
	Project string
	// EnvFiles are --env-file files, relative to WorkDir. Empty means the
	// .env file in WorkDir and in the project directory, when they exist.
	EnvFiles []string
	// Environ is the process environment as KEY=value pairs (os.Environ()
	// normally): it is used for interpolation and for COMPOSE_FILE,
	// COMPOSE_PATH_SEPARATOR, COMPOSE_PROJECT_NAME, COMPOSE_PROFILES and
	// COMPOSE_DISABLE_ENV_FILE, and it wins over .env files. Load never
	// reads the real process environment itself.
	Environ []string
}

// Load finds, reads and merges the project's compose files the way docker
// compose does, then reads the x-prodlike extensions and validates what
// prodlike needs. Errors match ErrNotFound (no compose file) or ErrInvalid
// (anything wrong in the files; see Error), and all validation problems are
// reported together.
func Load(ctx context.Context, opts Options) (*Spec, error) {
	start, err := startDir(opts.WorkDir)
	if err != nil {
		return nil, err
	}
	rel := relativeTo(start)
	env := utils.GetAsEqualsMap(opts.Environ)

	// Like docker compose: .env files are read twice, once before the
	// compose files are known (so .env in the working directory can set
	// COMPOSE_FILE) and once in the project directory.
	envFiles, err := explicitEnvFiles(opts.EnvFiles, start)
	if err != nil {
		return nil, err
	}
	useDefaultEnvFile := len(envFiles) == 0 && !isTrue(env[consts.ComposeDisableDefaultEnvFile])
	if useDefaultEnvFile {
		envFiles = existing(filepath.Join(start, ".env"))
	}
	if err := mergeEnvFiles(env, envFiles, rel); err != nil {
		return nil, err
	}
	files, err := composeFiles(opts.Files, env, start)
	if err != nil {
		return nil, err
	}
	projectDir := filepath.Dir(files[0])
	if useDefaultEnvFile {
		if err := mergeEnvFiles(env, existing(filepath.Join(projectDir, ".env")), rel); err != nil {
			return nil, err
		}
	}

	src, err := readSources(files, rel)
	if err != nil {
		return nil, err
	}
	project, included, err := loadProject(ctx, files, projectDir, env, opts.Project, rel)
	if err != nil {
		return nil, err
	}
	src.addIncluded(included)
	return buildSpec(project, src)
}

// loadProject has compose-go load and merge the files. It also returns the
// files they include, so that services can be traced to them.
func loadProject(ctx context.Context, files []string, dir string, env map[string]string, name string, rel func(string) string) (*types.Project, []string, error) {
	po, err := cli.NewProjectOptions(files,
		cli.WithWorkingDirectory(dir),
		func(o *cli.ProjectOptions) error {
			o.Environment = env
			return nil
		},
		cli.WithDefaultProfiles(), // COMPOSE_PROFILES
		// compose-go's consistency check rejects services with neither
		// image nor build, which a stand-in may be (it has a default
		// image); buildSpec checks what prodlike relies on instead.
		cli.WithConsistency(false),
	)
	if err != nil {
		return nil, nil, &Error{Msg: "cannot load the compose files", Err: err}
	}
	if name != "" {
		if err := cli.WithName(name)(po); err != nil {
			return nil, nil, &Error{Field: "project name (-p)", Err: err}
		}
	}
	var included []string
	po.WithListeners(func(event string, meta map[string]any) {
		if event != "include" {
			return
		}
		wd, _ := meta["workingdir"].(string)
		paths, _ := meta["path"].(types.StringList)
		for _, p := range paths {
			if !filepath.IsAbs(p) {
				p = filepath.Join(wd, p)
			}
			included = append(included, filepath.Clean(p))
		}
	})
	project, err := po.LoadProject(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		// compose-go names files by absolute path; show them as the
		// rest of prodlike's messages do.
		msg := err.Error()
		for _, f := range files {
			msg = strings.ReplaceAll(msg, f, rel(f))
		}
		return nil, nil, &Error{Err: renamed{msg: msg, err: err}}
	}
	return project, included, nil
}

// renamed is an error with a reworded message that still unwraps to the
// original.
type renamed struct {
	msg string
	err error
}

func (e renamed) Error() string { return e.msg }
func (e renamed) Unwrap() error { return e.err }

// composeFiles resolves the compose files: -f, else COMPOSE_FILE, else
// discovery from start upwards.
func composeFiles(flagFiles []string, env map[string]string, start string) ([]string, error) {
	if len(flagFiles) > 0 {
		return checkFiles(flagFiles, start, "-f", "check the path given with -f")
	}
	if v, ok := env[consts.ComposeFilePath]; ok && v != "" {
		sep := env[consts.ComposePathSeparator]
		if sep == "" {
			sep = string(os.PathListSeparator)
		}
		var entries []string
		for _, e := range strings.Split(v, sep) {
			if e != "" {
				entries = append(entries, e)
			}
		}
		return checkFiles(entries, start, "COMPOSE_FILE", "check COMPOSE_FILE or pass -f")
	}
	return discover(start)
}

func checkFiles(paths []string, start, origin, hint string) ([]string, error) {
	files := make([]string, 0, len(paths))
	for _, p := range paths {
		if p == "-" {
			return nil, &Error{Field: origin, Msg: "reading a compose file from standard input is not supported; pass a file path"}
		}
		abs := p
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(start, p)
		}
		fi, err := os.Stat(abs)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return nil, fmt.Errorf("%w: %s (from %s) does not exist; %s", ErrNotFound, abs, origin, hint)
		case err != nil:
			return nil, &Error{File: abs, Msg: "cannot read compose file", Err: err}
		case fi.IsDir():
			return nil, &Error{File: abs, Field: origin, Msg: "is a directory; name the compose file inside it"}
		}
		files = append(files, filepath.Clean(abs))
	}
	return files, nil
}

// discover looks for compose.yaml and its alternative names in start and
// then in each parent directory, as docker compose does, and adds the
// override file found next to it.
func discover(start string) ([]string, error) {
	for dir := start; ; {
		if f := firstExisting(dir, cli.DefaultFileNames); f != "" {
			files := []string{f}
			if o := firstExisting(dir, cli.DefaultOverrideFileNames); o != "" {
				files = append(files, o)
			}
			return files, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return nil, fmt.Errorf("%w: looked for %s in %s and its parent directories; name the file with -f (or set COMPOSE_FILE)",
		ErrNotFound, strings.Join(cli.DefaultFileNames, ", "), start)
}

func firstExisting(dir string, names []string) string {
	for _, n := range names {
		f := filepath.Join(dir, n)
		if fi, err := os.Stat(f); err == nil && !fi.IsDir() {
			return f
		}
	}
	return ""
}

func explicitEnvFiles(paths []string, start string) ([]string, error) {
	files := make([]string, 0, len(paths))
	for _, p := range paths {
		if !filepath.IsAbs(p) {
			p = filepath.Join(start, p)
		}
		if _, err := os.Stat(p); err != nil {
			return nil, &Error{File: p, Field: "--env-file", Msg: "cannot read env file; check the path", Err: err}
		}
		files = append(files, p)
	}
	return files, nil
}

// mergeEnvFiles adds the variables of env files to env without overriding
// what is already set (the process environment wins, as in docker compose).
func mergeEnvFiles(env map[string]string, files []string, rel func(string) string) error {
	if len(files) == 0 {
		return nil
	}
	vars, err := dotenv.GetEnvFromFile(env, files)
	if err != nil {
		return &Error{File: rel(files[0]), Msg: "cannot read env file", Err: err}
	}
	for k, v := range vars {
		if _, set := env[k]; !set {
			env[k] = v
		}
	}
	return nil
}

func existing(path string) []string {
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
		return []string{path}
	}
	return nil
}

func isTrue(s string) bool {
	b, err := strconv.ParseBool(s)
	return err == nil && b
}

func startDir(dir string) (string, error) {
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", fmt.Errorf("working directory: %w", err)
		}
		return wd, nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	return abs, nil
}

// relativeTo renders paths under dir relative to it, for messages that
// read like the command line the user typed; others stay absolute.
func relativeTo(dir string) func(string) string {
	return func(p string) string {
		if p == "" {
			return ""
		}
		r, err := filepath.Rel(dir, p)
		if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			return p
		}
		return r
	}
}
