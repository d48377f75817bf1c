package plan

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prodlike/prodlike/config"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./plan -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("plan differs from %s (go test ./plan -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func shopSpec() *config.Spec {
	return &config.Spec{
		Project: "shop",
		Services: []config.Service{
			{
				Name: "api", Kind: config.KindApp, Image: "shop-api", File: "compose.yaml",
				Build:       &config.Build{Context: "/src/shop", Args: map[string]string{"GO_IMAGE": "golang:1.26"}},
				Environment: map[string]string{"DATABASE_URL": "postgres://shop:shop@db:5432/shop", "LOG_LEVEL": "info", "API_TOKEN": "s3cret"},
				Ports:       []config.Port{{Host: 8080, Container: 8080, Protocol: "tcp"}},
				DependsOn:   []string{"db", "cache"},
				Health:      "/healthz",
			},
			{
				Name: "cache", Kind: config.KindRedis, Engine: "redis", Standin: "aws.elasticache", Image: "redis:7.0", Version: "7.0",
				Parameters: map[string]string{"maxmemory-policy": "volatile-lru"}, File: "compose.yaml",
			},
			{
				Name: "db", Kind: config.KindPostgres, Engine: "postgres", Standin: "aws.rds-postgres", Image: "postgres:15", Version: "15",
				Environment: map[string]string{"POSTGRES_USER": "shop", "POSTGRES_PASSWORD": "p@ss word", "POSTGRES_DB": "shop"},
				Parameters:  map[string]string{"max_connections": "150"},
				Ports:       []config.Port{{Host: 5432, Container: 5432, Protocol: "tcp"}},
				File:        "compose.yaml",
			},
		},
	}
}

func TestBuildGolden(t *testing.T) {
	p, err := Build(shopSpec(), Options{ImageMirror: "prodlike-offline"})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	golden(t, "shop", p.String())
}

func TestBuildStandinsOnly(t *testing.T) {
	spec := shopSpec()
	spec.Services = spec.Services[1:]
	p, err := Build(spec, Options{})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	golden(t, "standins-only", p.String())
}

func TestBuildInjectsStandinEnvIntoApp(t *testing.T) {
	p, err := Build(shopSpec(), Options{})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	for k, want := range map[string]string{
		"DATABASE_URL": "postgres://shop:p%40ss%20word@db:5432/shop?sslmode=disable",
		"REDIS_URL":    "redis://cache:6379/0",
		"LOG_LEVEL":    "info",
	} {
		if got := p.App.Env[k]; got != want {
			t.Errorf("app %s: got %q, want %q", k, got, want)
		}
	}
	if got := p.App.Injected["DATABASE_URL"]; got != "db" {
		t.Errorf("DATABASE_URL injected by %q, want db", got)
	}
	if got := strings.Join(p.App.After, ","); got != "cache,db" {
		t.Errorf("app after: got %q, want cache,db", got)
	}
}

func TestHashChangesWithConfiguration(t *testing.T) {
	base, err := Build(shopSpec(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Build(shopSpec(), Options{})
	if base.Standins[1].Hash != again.Standins[1].Hash || base.App.Hash != again.App.Hash {
		t.Fatal("the same spec gave different hashes")
	}
	changes := map[string]func(*config.Spec){
		"parameter":   func(s *config.Spec) { s.Services[2].Parameters["max_connections"] = "200" },
		"version":     func(s *config.Spec) { s.Services[2].Image, s.Services[2].Version = "postgres:16", "16" },
		"host port":   func(s *config.Spec) { s.Services[2].Ports[0].Host = 15432 },
		"credentials": func(s *config.Spec) { s.Services[2].Environment["POSTGRES_PASSWORD"] = "other" },
	}
	for name, change := range changes {
		spec := shopSpec()
		change(spec)
		p, err := Build(spec, Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p.Standins[1].Hash == base.Standins[1].Hash {
			t.Errorf("%s changed but the db hash did not", name)
		}
	}
	// The app's hash follows its environment, which carries the db's URL.
	spec := shopSpec()
	spec.Services[2].Environment["POSTGRES_PASSWORD"] = "other"
	p, _ := Build(spec, Options{})
	if p.App.Hash == base.App.Hash {
		t.Error("the db password changed but the app hash did not")
	}
}

func TestBuildErrorsNameServiceAndField(t *testing.T) {
	spec := shopSpec()
	spec.Services[2].Parameters["bad name!"] = "1"
	spec.Services[0].Ports = nil
	_, err := Build(spec, Options{})
	if !errors.Is(err, config.ErrInvalid) {
		t.Fatalf("got %v, want a config.ErrInvalid", err)
	}
	for _, want := range []string{`service "db"`, "x-prodlike.parameters", "bad name!", `service "api"`, "x-prodlike.health", "compose.yaml"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestMirrorImage(t *testing.T) {
	tests := []struct{ ref, mirror, want string }{
		{"postgres:15", "", "postgres:15"},
		{"postgres:15", "prodlike-offline", "prodlike-offline/postgres:15"},
		{"postgres:15", "mirror.example.com/dockerhub/", "mirror.example.com/dockerhub/postgres:15"},
		{"library/postgres:15", "m", "m/postgres:15"},
		{"docker.io/library/redis:7.0", "m", "m/redis:7.0"},
		{"docker.io/valkey/valkey:8", "m", "m/valkey/valkey:8"},
		{"valkey/valkey:8", "m", "m/valkey/valkey:8"},
		{"ghcr.io/acme/pg:15", "m", "ghcr.io/acme/pg:15"},
		{"localhost:5000/pg:15", "m", "localhost:5000/pg:15"},
		{"registry:5000/pg:15", "m", "registry:5000/pg:15"},
	}
	for _, tt := range tests {
		if got := MirrorImage(tt.ref, tt.mirror); got != tt.want {
			t.Errorf("MirrorImage(%q, %q): got %q, want %q", tt.ref, tt.mirror, got, tt.want)
		}
	}
}

func TestMaskURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:secret@db:5432/x": "postgres://u:***@db:5432/x",
		"redis://cache:6379/0":          "redis://cache:6379/0",
		"plain value":                   "plain value",
	} {
		if got := MaskURL(in); got != want {
			t.Errorf("MaskURL(%q): got %q, want %q", in, got, want)
		}
	}
}
