package truth

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/prodlike/prodlike/config"
)

// brief is a resource as the tests compare it: address, kind, name,
// engine and region.
func brief(rs []config.ProdResource) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = strings.Join([]string{r.Address, string(r.Kind), r.Name, r.Engine, r.Region}, " | ")
	}
	return out
}

func TestDiscover(t *testing.T) {
	tests := []struct {
		path   string
		source string
		want   []string
		keys   map[string][]string // Keys of some resources, by address
	}{
		{
			// Modules, count and for_each; parameter groups, cluster
			// instances, versioning and redrive resources are not
			// candidates.
			path:   "testdata/shop/prod.json",
			source: "testdata/shop/prod.json (terraform state)",
			want: []string{
				"aws_ecs_task_definition.api | app | shop-api |  | eu-west-1",
				"aws_elasticache_replication_group.cache | redis | shop-prod-cache | redis | eu-west-1",
				"aws_elasticache_serverless_cache.sessions | redis | shop-prod-sessions | valkey | eu-west-1",
				"aws_s3_bucket.assets | s3 | shop-prod-assets-eu |  | eu-west-1",
				"aws_sqs_queue.audit | sqs | shop-prod-audit |  | eu-west-1",
				"module.analytics.aws_rds_cluster.this | postgres | analytics-prod | aurora-postgresql | eu-west-1",
				"module.db.aws_db_instance.this[0] | postgres | shop-prod | postgres | eu-west-1",
				"module.queues.aws_sqs_queue.orders | sqs | shop-prod-orders.fifo |  | eu-west-1",
				"module.queues.aws_sqs_queue.orders_dlq | sqs | shop-prod-orders-dlq.fifo |  | eu-west-1",
				`module.queues.aws_sqs_queue.q["jobs"] | sqs | shop-prod-jobs |  | eu-west-1`,
				`module.queues.aws_sqs_queue.q["jobs-dlq"] | sqs | shop-prod-jobs-dlq |  | eu-west-1`,
				`module.storage.aws_s3_bucket.this["exports"] | s3 | shop-prod-exports |  | eu-west-1`,
				`module.storage.aws_s3_bucket.this["uploads"] | s3 | shop-prod-user-files |  | eu-west-1`,
				"module.storage.module.archive.aws_s3_bucket.this | s3 | shop-prod-archive |  | eu-west-1",
			},
			keys: map[string][]string{
				"module.db.aws_db_instance.this[0]":                {"this", "db"},
				`module.queues.aws_sqs_queue.q["jobs-dlq"]`:        {"jobs-dlq", "q", "queues"},
				"module.storage.module.archive.aws_s3_bucket.this": {"this", "archive"},
			},
		},
		{
			// A plan: ARNs known only after apply give no region, and the
			// data source is no candidate.
			path:   "testdata/worker/plan.json",
			source: "testdata/worker/plan.json (terraform plan)",
			want: []string{
				"aws_db_instance.main | postgres | shop-staging | postgres | ",
				"aws_elasticache_replication_group.cache | redis | shop-staging-cache | valkey | ",
				"aws_lambda_function.worker | app | shop-staging-worker |  | ",
				"aws_s3_bucket.uploads | s3 | shop-staging-uploads |  | eu-west-1",
				"aws_sqs_queue.jobs | sqs | shop-staging-jobs |  | ",
				"aws_sqs_queue.jobs_dlq | sqs | shop-staging-jobs-dlq |  | ",
			},
		},
		{
			path:   "../../examples/shop/infra/prod.json",
			source: "../../examples/shop/infra/prod.json (terraform state)",
			want: []string{
				"aws_db_instance.main | postgres | shop-prod | postgres | ",
				"aws_elasticache_replication_group.main | redis | shop-prod | redis | ",
				"aws_s3_bucket.uploads | s3 | shop-prod-uploads |  | ",
				"aws_sqs_queue.jobs | sqs | shop-prod-jobs |  | eu-west-1",
				"aws_sqs_queue.jobs_dlq | sqs | shop-prod-jobs-dlq |  | eu-west-1",
				"aws_ecs_task_definition.api | app | shop-api |  | ",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := Discover("", tt.path, "prod")
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if got.Source != tt.source {
				t.Errorf("Source: got %q, want %q", got.Source, tt.source)
			}
			if !reflect.DeepEqual(got.Clouds, []string{"aws"}) {
				t.Errorf("Clouds: got %v, want [aws]", got.Clouds)
			}
			tfSame(t, "resources", brief(got.Resources), tt.want)
			for _, r := range got.Resources {
				if want, ok := tt.keys[r.Address]; ok && !reflect.DeepEqual(r.Keys, want) {
					t.Errorf("%s: Keys: got %q, want %q", r.Address, r.Keys, want)
				}
			}
		})
	}
}

func TestDiscoverRelativeToDir(t *testing.T) {
	got, err := Discover("testdata/shop", "prod.json", "prod")
	if err != nil {
		t.Fatal(err)
	}
	if got.Source != "prod.json (terraform state)" || len(got.Resources) != 14 {
		t.Errorf("got %s with %d resources, want prod.json (terraform state) with 14", got.Source, len(got.Resources))
	}
}

func TestDiscoverClouds(t *testing.T) {
	state := tfState(
		map[string]any{"address": "google_sql_database_instance.main", "mode": "managed", "type": "google_sql_database_instance", "name": "main", "values": map[string]any{}},
		map[string]any{"address": "random_id.x", "mode": "managed", "type": "random_id", "name": "x", "values": map[string]any{}},
		tfResourceJSON("aws_sqs_queue", "jobs", map[string]any{"name": "jobs", "region": "us-east-1"}, nil),
		tfResourceJSON("aws_db_instance", "replica", map[string]any{"engine": "postgres", "replicate_source_db": "main"}, nil),
		tfResourceJSON("aws_elasticache_cluster", "memcached", map[string]any{"engine": "memcached"}, nil),
		tfResourceJSON("aws_db_instance", "secret", map[string]any{"engine": "postgres", "identifier": "hidden"}, map[string]any{"identifier": true}),
	)
	got, err := ParseDiscover(state, "mixed.json", "prod")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Clouds, []string{"aws", "gcp"}) {
		t.Errorf("Clouds: got %v, want [aws gcp]", got.Clouds)
	}
	// Read replicas and memcached are no candidates; a sensitive name is
	// not kept.
	tfSame(t, "resources", brief(got.Resources), []string{
		"aws_sqs_queue.jobs | sqs | jobs |  | us-east-1",
		"aws_db_instance.secret | postgres |  | postgres | ",
	})
}

func TestDiscoverErrors(t *testing.T) {
	t.Run("raw state", func(t *testing.T) {
		_, err := Discover("testdata", "raw.tfstate", "staging")
		if err == nil {
			t.Fatal("got no error, want one")
		}
		for _, w := range []string{"raw.tfstate is a raw Terraform state file", "terraform show -json raw.tfstate > prod.json", "x-prodlike.environments.staging.terraform"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("got %q, want it to contain %q", err, w)
			}
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := Discover("testdata", "infra/nope.json", "prod")
		if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "infra/nope.json does not exist") || !strings.Contains(err.Error(), "terraform show -json") {
			t.Errorf("got %v, want a not-exist error naming infra/nope.json and terraform show -json", err)
		}
	})
	for name, tt := range map[string]struct{ data, want string }{
		"malformed": {"{\n  \"values\": }\n", "bad.json:2:13: invalid JSON"},
		"foreign":   {`{"foo": 1}`, `bad.json is not Terraform JSON: want the output of ` + "`terraform show -json`"},
		"empty":     {"", "bad.json is empty"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseDiscover([]byte(tt.data), "bad.json", "prod"); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestDiscoverAndPlanInit runs what init decides on the shop testdata
// with its x-prodlike.standin and prod keys taken out: the addresses come
// back (for_each keys, modules and count included), and the prod truth
// reader resolves every one of them.
func TestDiscoverAndPlanInit(t *testing.T) {
	dir := t.TempDir()
	compose := `name: shop
services:
  api:
    image: shop/api:1.4.2
    x-prodlike: { app: true }
  db:
    image: postgres:16.4
  analytics:
    image: postgres:15
    x-prodlike:
      env: { DATABASE_URL: ANALYTICS_DATABASE_URL }
  cache:
    image: redis:7.1
  sessions:
    image: valkey/valkey:8.0
    x-prodlike:
      env: { REDIS_URL: SESSIONS_URL }
  files:
    image: versity/versitygw:v1.8.0
    x-prodlike:
      buckets: [uploads, assets, archive, reports]
  jobs:
    x-prodlike:
      standin: aws.sqs
      queues: [jobs-dlq, jobs, orders.fifo, orders-dlq.fifo]
`
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("testdata/shop/prod.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "prod.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	spec, err := config.Load(context.Background(), config.Options{WorkDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	found, err := Discover(spec.Dir, "prod.json", "prod")
	if err != nil {
		t.Fatal(err)
	}
	plan := config.PlanInit(spec, config.InitOptions{Env: "prod", Terraform: "prod.json", TerraformClouds: found.Clouds, Resources: found.Resources})
	if len(plan.Files) != 1 {
		t.Fatalf("got %d files to annotate, want 1", len(plan.Files))
	}
	got := map[string]string{}
	for _, sa := range plan.Files[0].Services {
		got[sa.Service] = config.Change{Service: sa.Service, Keys: sa.Keys}.String()
	}
	want := map[string]string{
		"api":       "api: prod aws_ecs_task_definition.api",
		"db":        "db: standin aws.rds-postgres, prod module.db.aws_db_instance.this[0]",
		"analytics": "analytics: standin aws.aurora-postgres, prod module.analytics.aws_rds_cluster.this",
		"cache":     "cache: standin aws.elasticache, prod aws_elasticache_replication_group.cache",
		"sessions":  "sessions: standin aws.elasticache, prod aws_elasticache_serverless_cache.sessions",
		"files":     `files: standin aws.s3, prod [module.storage.aws_s3_bucket.this["uploads"], aws_s3_bucket.assets, module.storage.module.archive.aws_s3_bucket.this]`,
		"jobs":      `jobs: prod [module.queues.aws_sqs_queue.q["jobs-dlq"], module.queues.aws_sqs_queue.q["jobs"], module.queues.aws_sqs_queue.orders, module.queues.aws_sqs_queue.orders_dlq]`,
	}
	tfSame(t, "changes", got, want)
	if env := plan.Files[0].Environment; env == nil || config.FlowMapping(env.Keys) != "{ cloud: aws, region: eu-west-1, terraform: prod.json }" {
		t.Errorf("environment: got %+v, want prod: { cloud: aws, region: eu-west-1, terraform: prod.json }", env)
	}

	// Written and loaded again, the annotations resolve.
	before, err := os.ReadFile(filepath.Join(dir, "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	after, _, err := config.Annotate(before, plan.Files[0].Annotations)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), after, 0o644); err != nil {
		t.Fatal(err)
	}
	spec, err = config.Load(context.Background(), config.Options{WorkDir: dir})
	if err != nil {
		t.Fatalf("annotated file:\n%s\ngot error %v", after, err)
	}
	env, _ := spec.Environment("prod")
	prod, err := Read(spec, env)
	if err != nil {
		t.Fatalf("annotated file:\n%s\nRead: got error %v", after, err)
	}
	for _, svc := range spec.Services {
		if prod.Services[svc.Name] == nil {
			t.Errorf("%s: no prod truth", svc.Name)
		}
	}
	if r := prod.Services["analytics"]; r == nil || r.Managed != "aws.aurora-postgres" {
		t.Errorf("analytics: got %+v, want Aurora", r)
	}
}
