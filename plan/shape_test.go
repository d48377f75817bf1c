package plan

import (
	"slices"
	"strings"
	"testing"

	"github.com/prodlike/prodlike/config"
	"github.com/prodlike/prodlike/profiles/truth"
)

func TestShape(t *testing.T) {
	spec := &config.Spec{Project: "shop", Services: []config.Service{
		{Name: "cache", Kind: config.KindRedis, Engine: "redis", Image: "redis:7.0", Version: "7.0"},
		{Name: "db", Kind: config.KindPostgres, Engine: "postgres", Image: "postgres:15", Version: "15", Parameters: map[string]string{"work_mem": "4MB", "max_connections": "50"}},
		{Name: "files", Kind: config.KindS3, Buckets: []config.Bucket{{Name: "uploads"}}},
		{Name: "jobs", Kind: config.KindSQS, Queues: []config.Queue{{Name: "jobs", Attributes: map[string]string{"VisibilityTimeout": "30"}}, {Name: "jobs-dlq"}}},
	}}
	tlsOn := true
	prod := &truth.Environment{Name: "prod", Cloud: "aws", Services: map[string]*truth.Resource{
		"cache": {Managed: "aws.elasticache", Redis: &truth.Redis{Engine: "redis", Version: "7.1", Parameters: map[string]string{"maxmemory-policy": "allkeys-lru", "reserved-memory-percent": "25"}, AuthToken: true}},
		"db": {Managed: "aws.rds-postgres", Postgres: &truth.Postgres{Engine: "postgres", Version: "15.8", TLS: &tlsOn,
			Parameters: map[string]string{"work_mem": "8192", "shared_preload_libraries": "pg_stat_statements,pg_cron", "rds.logical_replication": "1"}}},
		"files": {Managed: "aws.s3", Storage: &truth.Storage{Buckets: []truth.ProdBucket{
			{Bucket: config.Bucket{Name: "shop-prod-uploads", Versioning: true}, Status: "Enabled", DevName: "uploads"},
			{Bucket: config.Bucket{Name: "shop-prod-reports"}, Status: ""},
		}}},
		"jobs": {Managed: "aws.sqs", Queues: &truth.Queues{Queues: []truth.ProdQueue{
			{Queue: config.Queue{Name: "shop-prod-jobs", Attributes: map[string]string{"VisibilityTimeout": "120"}, DeadLetter: "shop-prod-jobs-dlq", MaxReceiveCount: 5}, DevName: "jobs"},
			{Queue: config.Queue{Name: "shop-prod-jobs-dlq"}, DevName: "jobs-dlq"},
		}}},
	}}
	before := spec.Services[1].Parameters["work_mem"]
	shaped, notes := Shape(spec, prod)
	if spec.Services[1].Parameters["work_mem"] != before || spec.Services[1].Image != "postgres:15" {
		t.Fatal("Shape changed the spec it was given")
	}
	db, _ := shaped.Service("db")
	if db.Version != "15.8" || db.Image != "postgres:15.8" {
		t.Errorf("db: got version %q image %q, want 15.8 and postgres:15.8", db.Version, db.Image)
	}
	if db.Parameters["work_mem"] != "8192" || db.Parameters["max_connections"] != "50" || db.Parameters["shared_preload_libraries"] != "pg_stat_statements" {
		t.Errorf("db parameters: got %v, want prod's work_mem, the compose max_connections kept, only the contrib library preloaded", db.Parameters)
	}
	if _, ok := db.Parameters["rds.logical_replication"]; ok {
		t.Errorf("db parameters: got %v, want no RDS-only parameter", db.Parameters)
	}
	cache, _ := shaped.Service("cache")
	if cache.Image != "redis:7.1" || cache.Parameters["maxmemory-policy"] != "allkeys-lru" || cache.Parameters["reserved-memory-percent"] != "" {
		t.Errorf("cache: got image %q parameters %v, want redis:7.1 with allkeys-lru and no ElastiCache-only parameter", cache.Image, cache.Parameters)
	}
	if !db.TLS || cache.AuthToken != DevAuthToken {
		t.Errorf("got db TLS %v, cache auth token %q; want TLS and the dev token, as prod requires both", db.TLS, cache.AuthToken)
	}
	files, _ := shaped.Service("files")
	if !files.Buckets[0].Versioning {
		t.Errorf("files: got %+v, want versioning on as prod", files.Buckets)
	}
	jobs, _ := shaped.Service("jobs")
	if q := jobs.Queues[0]; q.Attributes["VisibilityTimeout"] != "120" || q.DeadLetter != "jobs-dlq" || q.MaxReceiveCount != 5 {
		t.Errorf("jobs: got %+v, want visibility 120 and jobs-dlq after 5", q)
	}
	var texts []string
	for _, n := range notes {
		texts = append(texts, n.String())
	}
	for _, want := range []string{
		"db: shaped: TLS required, as in prod (prod's truth says so)",
		"db: not shaped: preloading pg_cron",
		"db: not shaped: rds.logical_replication exists only on the managed service",
		"cache: shaped: AUTH required, as in prod",
		"files: not shaped: prod bucket shop-prod-reports matches no dev bucket",
		"db: shaped: version 15.8 (was 15)",
		"jobs: shaped: queue jobs dead-letters to jobs-dlq after 5 receives",
	} {
		if !slices.ContainsFunc(texts, func(s string) bool { return strings.HasPrefix(s, want) }) {
			t.Errorf("notes: want one starting %q, got\n  %s", want, strings.Join(texts, "\n  "))
		}
	}
}

// TestShapeTLS: TLS follows the parameter group, then RDS's default for the
// version.
func TestShapeTLS(t *testing.T) {
	spec := &config.Spec{Project: "shop", Services: []config.Service{
		{Name: "db", Kind: config.KindPostgres, Engine: "postgres", Image: "postgres:15", Version: "15"},
	}}
	for _, tt := range []struct {
		name    string
		version string
		params  map[string]string
		want    bool
	}{
		{"RDS 15 requires TLS by default", "15.8", nil, true},
		{"RDS 14 does not", "14.12", nil, false},
		{"a parameter group that turns it off", "15.8", map[string]string{"rds.force_ssl": "0"}, false},
		{"a parameter group that turns it on", "14.12", map[string]string{"rds.force_ssl": "1"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			prod := &truth.Environment{Name: "prod", Cloud: "aws", Services: map[string]*truth.Resource{
				"db": {Managed: "aws.rds-postgres", Postgres: &truth.Postgres{Engine: "postgres", Version: tt.version, Parameters: tt.params}},
			}}
			shaped, notes := Shape(spec, prod)
			db, _ := shaped.Service("db")
			if db.TLS != tt.want {
				t.Errorf("TLS: got %v, want %v; notes %v", db.TLS, tt.want, notes)
			}
			if _, ok := db.Parameters["rds.force_ssl"]; ok {
				t.Errorf("parameters: got %v, want no rds.force_ssl (RDS-only)", db.Parameters)
			}
		})
	}
}
