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

// TestBuildProdSecurity: a stand-in shaped to prod's TLS and AUTH serves
// them, and the app's URLs say so.
func TestBuildProdSecurity(t *testing.T) {
	spec := shopSpec()
	spec.Services[1].AuthToken = "tok"
	spec.Services[2].TLS = true
	p, err := Build(spec, Options{ImageMirror: "prodlike-offline"})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	golden(t, "shop-tls-auth", p.String())
	for k, want := range map[string]string{
		"DATABASE_URL": "postgres://shop:p%40ss%20word@db:5432/shop?sslmode=require",
		"REDIS_URL":    "redis://:tok@cache:6379/0",
	} {
		if got := p.App.Env[k]; got != want {
			t.Errorf("app %s: got %q, want %q", k, got, want)
		}
	}
	// The certificate is the same on every build: the stand-in is reused.
	again, _ := Build(spec, Options{ImageMirror: "prodlike-offline"})
	if again.Standins[1].Hash != p.Standins[1].Hash {
		t.Error("two builds of the same TLS stand-in gave different hashes")
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
		"TLS":         func(s *config.Spec) { s.Services[2].TLS = true },
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

// storageSpec is a project with an S3 and an SQS stand-in and an app that
// reads their variables under its own names.
func storageSpec() *config.Spec {
	return &config.Spec{
		Project:      "shop",
		Environments: []config.Environment{{Name: "staging", Cloud: "aws", Region: "eu-central-1"}, {Name: "prod", Cloud: "aws", Region: "eu-west-1"}},
		Services: []config.Service{
			{Name: "api", Kind: config.KindApp, Image: "shop-api", File: "compose.yaml"},
			{
				Name: "files", Kind: config.KindS3, Standin: "aws.s3", File: "compose.yaml",
				Buckets:  []config.Bucket{{Name: "uploads", Versioning: true, CORS: []config.CORSRule{{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}}}}, {Name: "logs"}},
				EnvNames: map[string]string{"S3_BUCKET_UPLOADS": "UPLOADS_BUCKET"},
			},
			{
				Name: "jobs", Kind: config.KindSQS, Standin: "aws.sqs", Image: "ghcr.io/prodlike/prodlike:latest", File: "compose.yaml",
				Queues: []config.Queue{
					{Name: "jobs", Attributes: map[string]string{"VisibilityTimeout": "60"}, DeadLetter: "jobs-dlq", MaxReceiveCount: 3},
					{Name: "jobs-dlq", Attributes: map[string]string{"MessageRetentionPeriod": "1209600"}},
				},
			},
		},
	}
}

func TestBuildStorageGolden(t *testing.T) {
	p, err := Build(storageSpec(), Options{ImageMirror: "prodlike-offline", SelfImage: "prodlike-local/prodlike:dev-0123456789ab"})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	golden(t, "storage", p.String())
	jobs, _ := p.Standin("jobs")
	if jobs.Container.Image != "prodlike-local/prodlike:dev-0123456789ab" {
		t.Errorf("jobs image: got %q, want prodlike's own image in place of the compose file's", jobs.Container.Image)
	}
	if got := p.App.Env["AWS_REGION"]; got != "eu-west-1" {
		t.Errorf("app AWS_REGION: got %q, want prod's eu-west-1", got)
	}
}

func TestRegion(t *testing.T) {
	tests := []struct {
		envs []config.Environment
		want string
	}{
		{nil, DefaultRegion},
		{[]config.Environment{{Name: "prod", Cloud: "gcp", Region: "europe-west1"}}, DefaultRegion},
		{[]config.Environment{{Name: "staging", Cloud: "aws", Region: "eu-central-1"}}, "eu-central-1"},
		{[]config.Environment{{Name: "staging", Cloud: "aws", Region: "eu-central-1"}, {Name: "prod", Cloud: "aws", Region: "ap-south-1"}}, "ap-south-1"},
	}
	for _, tt := range tests {
		if got := Region(&config.Spec{Environments: tt.envs}); got != tt.want {
			t.Errorf("Region(%v): got %q, want %q", tt.envs, got, tt.want)
		}
	}
}

func TestBuildRejectsConflictingStandinEnv(t *testing.T) {
	spec := storageSpec()
	second := spec.Services[1]
	second.Name = "archive"
	second.Buckets = []config.Bucket{{Name: "archive"}}
	second.EnvNames = nil
	spec.Services = append(spec.Services, second)
	_, err := Build(spec, Options{})
	if !errors.Is(err, config.ErrInvalid) {
		t.Fatalf("got %v, want a configuration error", err)
	}
	for _, want := range []string{`service "files": x-prodlike.env: gives the app AWS_ENDPOINT_URL_S3, as "archive" does`, "FILES_AWS_ENDPOINT_URL_S3"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q: want it to contain %q", err, want)
		}
	}
}
