package config

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

// abs returns the absolute path of a file under testdata.
func abs(t *testing.T, parts ...string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join(append([]string{"testdata"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustLoad(t *testing.T, opts Options) *Spec {
	t.Helper()
	spec, err := Load(context.Background(), opts)
	if err != nil {
		t.Fatalf("Load(%+v): got error %v, want none", opts, err)
	}
	return spec
}

func service(t *testing.T, spec *Spec, name string) Service {
	t.Helper()
	svc, ok := spec.Service(name)
	if !ok {
		t.Fatalf("service %q: not in spec (got services %v)", name, names(spec))
	}
	return svc
}

func names(spec *Spec) []string {
	var out []string
	for _, s := range spec.Services {
		out = append(out, s.Name)
	}
	return out
}

func TestLoadShop(t *testing.T) {
	dir := abs(t, "shop")
	spec := mustLoad(t, Options{WorkDir: dir})

	want := &Spec{
		Project:     "shop",
		Dir:         dir,
		Files:       []string{filepath.Join(dir, "compose.yaml")},
		ImageMirror: "mirror.example.com/hub",
		Environments: []Environment{
			{Name: "prod", Cloud: "aws", Region: "eu-west-1", Terraform: "infra/prod.tfstate.json"},
			{Name: "staging", Cloud: "aws", Region: "eu-west-1"},
			{Name: "dev-gcp", Cloud: "gcp"},
		},
		Services: []Service{
			{
				Name: "api", Kind: KindApp, Image: "shop-api",
				Build: &Build{Context: dir, Dockerfile: "Dockerfile", Args: map[string]string{"GO_VERSION": "1.26"}, Target: "runtime"},
				// environment: wins over env_file; the bare unset name is dropped.
				Environment: map[string]string{"LOG_LEVEL": "info", "FROM_ENV_FILE": "yes"},
				Command:     []string{"/api", "serve"},
				Ports: []Port{
					{Host: 8080, Container: 8080, Protocol: "tcp"},
					{HostIP: "127.0.0.1", Container: 9090, Protocol: "udp"},
				},
				// adminer is ignored, so the app does not wait for it.
				DependsOn: []string{"cache", "db"},
				Health:    "/healthz",
				File:      filepath.Join(dir, "compose.yaml"),
			},
			{
				Name: "cache", Kind: KindRedis, Standin: "aws.elasticache", Engine: "redis",
				Image: "redis:7.1", Version: "7.1",
				Prod: []string{"aws_elasticache_replication_group.main"},
				File: filepath.Join(dir, "compose.yaml"),
			},
			{
				Name: "db", Kind: KindPostgres, Standin: "aws.rds-postgres", Engine: "postgres",
				Image: "postgres:16.4", Version: "16.4",
				Environment: map[string]string{"POSTGRES_PASSWORD": "secret"},
				Parameters: map[string]string{
					"max_connections":  "200",
					"shared_buffers":   "128MB",
					"random_page_cost": "1.10", // as written, not 1.1
					"ssl":              "true",
				},
				Prod: []string{"aws_db_instance.main"},
				File: filepath.Join(dir, "compose.yaml"),
			},
		},
	}

	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"Project", spec.Project, want.Project},
		{"Dir", spec.Dir, want.Dir},
		{"Files", spec.Files, want.Files},
		{"ImageMirror", spec.ImageMirror, want.ImageMirror},
		{"Environments", spec.Environments, want.Environments},
		{"service names", names(spec), names(want)},
	} {
		if !reflect.DeepEqual(f.got, f.want) {
			t.Errorf("%s: got %#v, want %#v", f.name, f.got, f.want)
		}
	}
	for _, w := range want.Services {
		g, ok := spec.Service(w.Name)
		if !ok {
			continue // reported above
		}
		if g.Build != nil && w.Build != nil && !reflect.DeepEqual(*g.Build, *w.Build) {
			t.Errorf("service %q Build: got %+v, want %+v", w.Name, *g.Build, *w.Build)
		}
		g.Build, w.Build = nil, nil
		if !reflect.DeepEqual(g, w) {
			t.Errorf("service %q:\n got %#v\nwant %#v", w.Name, g, w)
		}
	}
	if app, ok := spec.App(); !ok || app.Name != "api" {
		t.Errorf("App(): got %q, %v, want \"api\", true", app.Name, ok)
	}
}

func TestLoadFiles(t *testing.T) {
	tests := []struct {
		name        string
		opts        Options
		wantFiles   []string // relative to testdata
		wantDir     string   // relative to testdata
		wantProject string
		wantImages  map[string]string // service → image
	}{
		{
			name:        "discovery in the working directory",
			opts:        Options{WorkDir: "testdata/shop"},
			wantFiles:   []string{"shop/compose.yaml"},
			wantDir:     "shop",
			wantProject: "shop",
			wantImages:  map[string]string{"api": "shop-api", "db": "postgres:16.4", "cache": "redis:7.1"},
		},
		{
			name:        "discovery climbs to a parent and takes the override file",
			opts:        Options{WorkDir: "testdata/discover/sub/deeper"},
			wantFiles:   []string{"discover/compose.yaml", "discover/compose.override.yaml"},
			wantDir:     "discover",
			wantProject: "discover",
			// version 15.10 set unquoted in the override keeps its zero
			wantImages: map[string]string{"db": "postgres:15.10"},
		},
		{
			name:        "discovery finds docker-compose.yml",
			opts:        Options{WorkDir: "testdata/legacy"},
			wantFiles:   []string{"legacy/docker-compose.yml"},
			wantDir:     "legacy",
			wantProject: "legacy",
			wantImages:  map[string]string{"cache": "valkey/valkey:8.1"},
		},
		{
			name:        "-f files merge in order, relative to WorkDir",
			opts:        Options{WorkDir: "testdata/multi", Files: []string{"base.yaml", "override.yaml"}},
			wantFiles:   []string{"multi/base.yaml", "multi/override.yaml"},
			wantDir:     "multi",
			wantProject: "multi",
			wantImages:  map[string]string{"api": "multi-api", "db": "postgres:16.4", "cache": "redis:7.2"},
		},
		{
			name:        "-f wins over COMPOSE_FILE",
			opts:        Options{WorkDir: "testdata/multi", Files: []string{"base.yaml"}, Environ: []string{"COMPOSE_FILE=override.yaml"}},
			wantFiles:   []string{"multi/base.yaml"},
			wantDir:     "multi",
			wantProject: "multi",
			wantImages:  map[string]string{"api": "multi-api", "db": "postgres:15"},
		},
		{
			name:        "COMPOSE_FILE with the platform separator",
			opts:        Options{WorkDir: "testdata/multi", Environ: []string{"COMPOSE_FILE=base.yaml" + string(os.PathListSeparator) + "override.yaml"}},
			wantFiles:   []string{"multi/base.yaml", "multi/override.yaml"},
			wantDir:     "multi",
			wantProject: "multi",
			wantImages:  map[string]string{"api": "multi-api", "db": "postgres:16.4", "cache": "redis:7.2"},
		},
		{
			name:        "COMPOSE_FILE with COMPOSE_PATH_SEPARATOR",
			opts:        Options{WorkDir: "testdata", Environ: []string{"COMPOSE_FILE=multi/base.yaml;multi/override.yaml", "COMPOSE_PATH_SEPARATOR=;"}},
			wantFiles:   []string{"multi/base.yaml", "multi/override.yaml"},
			wantDir:     "multi",
			wantProject: "multi",
			wantImages:  map[string]string{"api": "multi-api", "db": "postgres:16.4", "cache": "redis:7.2"},
		},
		{
			name:        "COMPOSE_FILE set in .env of the working directory",
			opts:        Options{WorkDir: "testdata/dotenv-composefile"},
			wantFiles:   []string{"dotenv-composefile/other.yaml"},
			wantDir:     "dotenv-composefile",
			wantProject: "dotenv-composefile",
			wantImages:  map[string]string{"cache": "redis:7.2.5"},
		},
		{
			name:        ".env interpolation and COMPOSE_PROJECT_NAME from .env",
			opts:        Options{WorkDir: "testdata/dotenv"},
			wantFiles:   []string{"dotenv/compose.yaml"},
			wantDir:     "dotenv",
			wantProject: "from-dotenv",
			wantImages:  map[string]string{"db": "postgres:16.4"},
		},
		{
			name:        "the process environment wins over .env",
			opts:        Options{WorkDir: "testdata/dotenv", Environ: []string{"PG_VERSION=17.0", "COMPOSE_PROJECT_NAME=from-os"}},
			wantFiles:   []string{"dotenv/compose.yaml"},
			wantDir:     "dotenv",
			wantProject: "from-os",
			wantImages:  map[string]string{"db": "postgres:17.0"},
		},
		{
			name:        "--env-file replaces .env",
			opts:        Options{WorkDir: "testdata/dotenv", EnvFiles: []string{"alt.env"}},
			wantFiles:   []string{"dotenv/compose.yaml"},
			wantDir:     "dotenv",
			wantProject: "dotenv",
			wantImages:  map[string]string{"db": "postgres:17.2"},
		},
		{
			name:        "COMPOSE_DISABLE_ENV_FILE skips .env",
			opts:        Options{WorkDir: "testdata/dotenv", Environ: []string{"COMPOSE_DISABLE_ENV_FILE=true"}},
			wantFiles:   []string{"dotenv/compose.yaml"},
			wantDir:     "dotenv",
			wantProject: "dotenv",
			wantImages:  map[string]string{"db": "postgres:15"},
		},
		{
			name:        "-p wins over everything",
			opts:        Options{WorkDir: "testdata/dotenv", Project: "from-flag", Environ: []string{"COMPOSE_PROJECT_NAME=from-os"}},
			wantFiles:   []string{"dotenv/compose.yaml"},
			wantDir:     "dotenv",
			wantProject: "from-flag",
			wantImages:  map[string]string{"db": "postgres:16.4"},
		},
		{
			name:        "name: in the file, interpolated",
			opts:        Options{WorkDir: "testdata/named"},
			wantFiles:   []string{"named/compose.yaml"},
			wantDir:     "named",
			wantProject: "named-in-file",
		},
		{
			name:        "name: in the file loses to COMPOSE_PROJECT_NAME",
			opts:        Options{WorkDir: "testdata/named", Environ: []string{"COMPOSE_PROJECT_NAME=env-name"}},
			wantFiles:   []string{"named/compose.yaml"},
			wantDir:     "named",
			wantProject: "env-name",
		},
		{
			name:        "directory name, normalized as compose does",
			opts:        Options{WorkDir: "testdata/My.Project"},
			wantFiles:   []string{"My.Project/compose.yaml"},
			wantDir:     "My.Project",
			wantProject: "myproject",
		},
		{
			name:        "services in inactive profiles are left out",
			opts:        Options{WorkDir: "testdata/profiles"},
			wantFiles:   []string{"profiles/compose.yaml"},
			wantDir:     "profiles",
			wantProject: "profiles",
			wantImages:  map[string]string{"db": "postgres:16"},
		},
		{
			name:        "COMPOSE_PROFILES activates them",
			opts:        Options{WorkDir: "testdata/profiles", Environ: []string{"COMPOSE_PROFILES=debug"}},
			wantFiles:   []string{"profiles/compose.yaml"},
			wantDir:     "profiles",
			wantProject: "profiles",
			wantImages:  map[string]string{"db": "postgres:16", "debug-cache": "redis:7.2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := mustLoad(t, tt.opts)
			var wantFiles []string
			for _, f := range tt.wantFiles {
				wantFiles = append(wantFiles, abs(t, f))
			}
			if !slices.Equal(spec.Files, wantFiles) {
				t.Errorf("Files: got %q, want %q", spec.Files, wantFiles)
			}
			if want := abs(t, tt.wantDir); spec.Dir != want {
				t.Errorf("Dir: got %q, want %q", spec.Dir, want)
			}
			if spec.Project != tt.wantProject {
				t.Errorf("Project: got %q, want %q", spec.Project, tt.wantProject)
			}
			if tt.wantImages != nil && len(spec.Services) != len(tt.wantImages) {
				t.Errorf("services: got %v, want %d services", names(spec), len(tt.wantImages))
			}
			for name, want := range tt.wantImages {
				if got := service(t, spec, name).Image; got != want {
					t.Errorf("service %q Image: got %q, want %q", name, got, want)
				}
			}
		})
	}
}

func TestLoadEnvironment(t *testing.T) {
	spec := mustLoad(t, Options{WorkDir: "testdata/dotenv", Environ: []string{"ONLY_IN_OS=os-value"}})
	want := map[string]string{"POSTGRES_DB": "shop_dev", "FROM_OS": "os-value"}
	if got := service(t, spec, "db").Environment; !reflect.DeepEqual(got, want) {
		t.Errorf("Environment: got %v, want %v", got, want)
	}
}

func TestLoadInclude(t *testing.T) {
	spec := mustLoad(t, Options{WorkDir: "testdata/include"})
	if got, want := spec.Files, []string{abs(t, "include", "compose.yaml")}; !slices.Equal(got, want) {
		t.Errorf("Files: got %q, want %q (included files are not listed)", got, want)
	}
	tests := []struct{ service, file, version string }{
		{"api", "include/compose.yaml", ""},
		{"db", "include/db.yaml", "16.1"},
	}
	for _, tt := range tests {
		svc := service(t, spec, tt.service)
		if want := abs(t, tt.file); svc.File != want {
			t.Errorf("service %q File: got %q, want %q", tt.service, svc.File, want)
		}
		if svc.Version != tt.version {
			t.Errorf("service %q Version: got %q, want %q", tt.service, svc.Version, tt.version)
		}
	}
}

func TestLoadMultiFileAttribution(t *testing.T) {
	spec := mustLoad(t, Options{WorkDir: "testdata/multi", Files: []string{"base.yaml", "override.yaml"}})
	tests := []struct{ service, file string }{
		{"api", "multi/base.yaml"},
		{"db", "multi/base.yaml"}, // declared in base, overridden later
		{"cache", "multi/override.yaml"},
	}
	for _, tt := range tests {
		if got, want := service(t, spec, tt.service).File, abs(t, tt.file); got != want {
			t.Errorf("service %q File: got %q, want %q", tt.service, got, want)
		}
	}
}

func TestLoadNotFound(t *testing.T) {
	empty := t.TempDir()
	for dir := empty; ; dir = filepath.Dir(dir) {
		if firstExisting(dir, []string{"compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"}) != "" {
			t.Skipf("a compose file exists above the temporary directory, in %s", dir)
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	tests := []struct {
		name string
		opts Options
		want []string // substrings of the message
	}{
		{"discovery", Options{WorkDir: empty}, []string{empty, "compose.yaml", "parent directories", "-f"}},
		{"-f", Options{WorkDir: "testdata/shop", Files: []string{"nope.yaml"}}, []string{abs(t, "shop", "nope.yaml"), "-f"}},
		{"COMPOSE_FILE", Options{WorkDir: "testdata/shop", Environ: []string{"COMPOSE_FILE=nope.yaml"}}, []string{abs(t, "shop", "nope.yaml"), "COMPOSE_FILE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(context.Background(), tt.opts)
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("got error %v, want ErrNotFound", err)
			}
			if errors.Is(err, ErrInvalid) {
				t.Errorf("got an error that is also ErrInvalid: %v", err)
			}
			assertContains(t, err.Error(), tt.want)
		})
	}
}

func TestLoadOptionErrors(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{"missing --env-file", Options{WorkDir: "testdata/dotenv", EnvFiles: []string{"nope.env"}}, []string{"nope.env", "--env-file"}},
		{"invalid -p", Options{WorkDir: "testdata/shop", Project: "Not Valid"}, []string{"-p", `"Not Valid"`}},
		{"stdin", Options{WorkDir: "testdata/shop", Files: []string{"-"}}, []string{"standard input"}},
		{"directory", Options{WorkDir: "testdata", Files: []string{"shop"}}, []string{"shop", "directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(context.Background(), tt.opts)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("got error %v, want ErrInvalid", err)
			}
			assertContains(t, err.Error(), tt.want)
		})
	}
}
