package config

import (
	"reflect"
	"strings"
	"testing"
)

// TestStandins loads one small compose file per case from testdata/standins
// and checks how the stand-in is recognized and which image and version it
// gets.
func TestStandins(t *testing.T) {
	tests := []struct {
		file    string
		service string
		kind    Kind
		standin string
		engine  string
		image   string
		version string
	}{
		// recognized by image, version from the tag
		{"pg-tag", "db", KindPostgres, "postgres", "postgres", "postgres:16.4", "16.4"},
		{"pg-variant", "db", KindPostgres, "postgres", "postgres", "postgres:15-bookworm", "15"},
		{"pg-digest", "db", KindPostgres, "postgres", "postgres", "postgres:16.2@sha256:5c4e6b9e7d8a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4", "16.2"},
		{"postgis", "db", KindPostgres, "postgres", "postgres", "postgis/postgis:16-3.4", "16"},
		{"prefixed-postgres", "db", KindPostgres, "postgres", "postgres", "localhost:5000/prodlike-e2e/postgres:15", "15"},
		{"redis-stack", "cache", KindRedis, "redis", "redis", "redis/redis-stack-server:7.2.0-v10", "7.2.0"},
		{"bitnami-redis", "cache", KindRedis, "redis", "redis", "bitnami/redis:7.2", "7.2"},
		{"valkey-image", "cache", KindRedis, "valkey", "valkey", "valkey/valkey:8.1", "8.1"},
		// x-prodlike.version replaces the tag, keeping the repository
		{"pg-version", "db", KindPostgres, "postgres", "postgres", "postgres:16.4", "16.4"},
		{"pg-mirror", "db", KindPostgres, "postgres", "postgres", "mirror.example.com/library/postgres:15.8", "15.8"},
		// no image: the default repository
		{"pg-no-image", "db", KindPostgres, "gcp.cloudsql-postgres", "postgres", "postgres:16", "16"},
		{"redis-float", "cache", KindRedis, "redis", "redis", "redis:7.0", "7.0"}, // YAML 7.0, not 7
		{"valkey-no-image", "cache", KindRedis, "gcp.memorystore-valkey", "valkey", "valkey/valkey:8.0", "8.0"},
		// declared stand-ins
		{"memorystore-redis", "cache", KindRedis, "gcp.memorystore-redis", "redis", "redis:7.2", "7.2"},
		{"azure-redis", "cache", KindRedis, "azure.cache-redis", "redis", "redis:6.0", "6.0"},
		{"azure-postgres", "db", KindPostgres, "azure.postgres-flexible", "postgres", "postgres:16.3", "16.3"},
		{"aurora", "db", KindPostgres, "aws.aurora-postgres", "postgres", "postgres:15", "15"},
		{"custom-image-standin", "db", KindPostgres, "aws.rds-postgres", "postgres", "ghcr.io/acme/pg-with-vector:16.2", "16.2"},
		// ElastiCache: engine from x-prodlike.engine, else the image, else redis
		{"elasticache-default", "cache", KindRedis, "aws.elasticache", "redis", "redis:7.1", "7.1"},
		{"elasticache-valkey-image", "cache", KindRedis, "aws.elasticache", "valkey", "valkey/valkey:8.1", "8.1"},
		{"elasticache-engine", "cache", KindRedis, "aws.elasticache", "valkey", "valkey/valkey:7.2", "7.2"},
		// x-prodlike.image replaces the image; version from its tag or x-prodlike.version
		{"image-override", "db", KindPostgres, "postgres", "postgres", "ghcr.io/acme/pg:16.4-custom", "16.4"},
		{"image-override-version", "db", KindPostgres, "postgres", "postgres", "ghcr.io/acme/pg:latest", "16.4"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			spec := mustLoad(t, Options{WorkDir: "testdata/standins", Files: []string{tt.file + ".yaml"}})
			svc := service(t, spec, tt.service)
			for _, f := range []struct{ name, got, want string }{
				{"Kind", string(svc.Kind), string(tt.kind)},
				{"Standin", svc.Standin, tt.standin},
				{"Engine", svc.Engine, tt.engine},
				{"Image", svc.Image, tt.image},
				{"Version", svc.Version, tt.version},
			} {
				if f.got != f.want {
					t.Errorf("%s: got %q, want %q", f.name, f.got, f.want)
				}
			}
			if _, ok := spec.App(); ok {
				t.Errorf("App(): got an app, want none (stand-ins only)")
			}
		})
	}
}

func TestEnvNames(t *testing.T) {
	spec := mustLoad(t, Options{WorkDir: "testdata/standins", Files: []string{"env-rename.yaml"}})
	tests := []struct {
		service  string
		envNames map[string]string
		name     string // what the app gets the URL as
	}{
		{"primary", map[string]string{"DATABASE_URL": "PRIMARY_DB_URL"}, "PRIMARY_DB_URL"},
		{"replica", nil, "DATABASE_URL"},
		{"sessions", map[string]string{"REDIS_URL": "SESSIONS_URL"}, "SESSIONS_URL"},
		{"cache", nil, "REDIS_URL"},
	}
	for _, tt := range tests {
		svc := service(t, spec, tt.service)
		if !reflect.DeepEqual(svc.EnvNames, tt.envNames) {
			t.Errorf("service %q EnvNames: got %v, want %v", tt.service, svc.EnvNames, tt.envNames)
		}
		if got := svc.EnvName(DefaultEnvName(svc.Kind)); got != tt.name {
			t.Errorf("service %q EnvName(%s): got %q, want %q", tt.service, DefaultEnvName(svc.Kind), got, tt.name)
		}
	}
}

func TestImageEngine(t *testing.T) {
	tests := []struct {
		image  string
		engine string // "" when not a stand-in image
	}{
		{"postgres", "postgres"},
		{"postgres:16", "postgres"},
		{"docker.io/library/postgres:16", "postgres"},
		{"postgis/postgis:16-3.4", "postgres"},
		{"registry.example.com/team/postgres:16", "postgres"},
		{"bitnami/postgresql:16", ""},
		{"redis:7", "redis"},
		{"bitnami/redis:7.2", "redis"},
		{"redis/redis-stack-server:7.2.0-v10", "redis"},
		{"valkey/valkey:8", "valkey"},
		{"valkey:8", "valkey"},
		{"ghcr.io/acme/api:1.0", ""},
		{"adminer", ""},
		{"redisinsight/redisinsight:latest", ""},
	}
	for _, tt := range tests {
		img, err := parseImage(tt.image)
		if err != nil {
			t.Errorf("parseImage(%q): got error %v", tt.image, err)
			continue
		}
		eng, _ := imageEngine(img)
		if eng.name != tt.engine {
			t.Errorf("imageEngine(%q): got %q, want %q", tt.image, eng.name, tt.engine)
		}
	}
}

func TestVersionFromTag(t *testing.T) {
	tests := []struct{ tag, want string }{
		{"16", "16"},
		{"16.4", "16.4"},
		{"7.2.4", "7.2.4"},
		{"15-bookworm", "15"},
		{"7.2-alpine", "7.2"},
		{"latest", ""},
		{"alpine", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := versionFromTag(tt.tag); got != tt.want {
			t.Errorf("versionFromTag(%q): got %q, want %q", tt.tag, got, tt.want)
		}
	}
}

func TestDefaultEnvName(t *testing.T) {
	tests := []struct {
		kind Kind
		want string
	}{
		{KindPostgres, "DATABASE_URL"},
		{KindRedis, "REDIS_URL"},
		{KindApp, ""},
	}
	for _, tt := range tests {
		if got := DefaultEnvName(tt.kind); got != tt.want {
			t.Errorf("DefaultEnvName(%q): got %q, want %q", tt.kind, got, tt.want)
		}
	}
}

func TestKnownStandinsListed(t *testing.T) {
	msg := unsupportedStandin("nope")
	for _, s := range []string{"postgres", "redis", "valkey", "aws.rds-postgres", "aws.aurora-postgres", "aws.elasticache",
		"gcp.cloudsql-postgres", "gcp.memorystore-redis", "gcp.memorystore-valkey", "azure.postgres-flexible", "azure.cache-redis"} {
		if !strings.Contains(msg, s) {
			t.Errorf("unsupportedStandin: got %q, want it to list %q", msg, s)
		}
	}
}

func TestStandinInterpolation(t *testing.T) {
	tests := []struct {
		environ     []string
		image, prod string
	}{
		{nil, "postgres:16.2", "aws_db_instance.main"},
		{[]string{"PG_VERSION=16.6", "PROD_DB=aws_db_instance.other"}, "postgres:16.6", "aws_db_instance.other"},
	}
	for _, tt := range tests {
		spec := mustLoad(t, Options{WorkDir: "testdata/standins", Files: []string{"interpolated.yaml"}, Environ: tt.environ})
		db := service(t, spec, "db")
		if db.Image != tt.image || len(db.Prod) != 1 || db.Prod[0] != tt.prod {
			t.Errorf("Environ %q: got Image %q, Prod %q, want %q, %q", tt.environ, db.Image, db.Prod, tt.image, tt.prod)
		}
	}
}

func TestStandinFromAnchor(t *testing.T) {
	spec := mustLoad(t, Options{WorkDir: "testdata/standins", Files: []string{"anchors.yaml"}})
	db := service(t, spec, "db")
	if db.Standin != "aws.rds-postgres" || db.Version != "16.10" || db.Image != "postgres:16.10" {
		t.Errorf("got Standin %q, Version %q, Image %q, want aws.rds-postgres, 16.10 (as written through the merge key), postgres:16.10",
			db.Standin, db.Version, db.Image)
	}
}
