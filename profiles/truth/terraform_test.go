package truth

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/prodlike/prodlike/config"
)

// tfLoad loads the compose project in testdata/dir, so that Spec.Where gives
// real lines.
func tfLoad(t *testing.T, dir string) *config.Spec {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join("testdata", dir))
	if err != nil {
		t.Fatal(err)
	}
	spec, err := config.Load(context.Background(), config.Options{WorkDir: abs})
	if err != nil {
		t.Fatalf("config.Load(%s): got error %v, want none", dir, err)
	}
	return spec
}

// tfReadEnv reads the Terraform JSON of the project's first environment.
func tfReadEnv(t *testing.T, spec *config.Spec) *Environment {
	t.Helper()
	env := spec.Environments[0]
	got, err := ReadTerraform(env.Terraform, env, spec)
	if err != nil {
		t.Fatalf("ReadTerraform(%s): got error %v, want none", env.Terraform, err)
	}
	return got
}

// tfOnly is spec with just the named service (and the same sources, so
// Where still finds lines).
func tfOnly(t *testing.T, spec *config.Spec, name string) *config.Spec {
	t.Helper()
	svc, ok := spec.Service(name)
	if !ok {
		t.Fatalf("service %q not in the spec", name)
	}
	s := *spec
	s.Services = []config.Service{svc}
	return &s
}

func tfJSON(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err.Error()
	}
	return string(b)
}

func tfSame(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\ngot  %s\nwant %s", what, tfJSON(got), tfJSON(want))
	}
}

func TestReadTerraformState(t *testing.T) {
	spec := tfLoad(t, "shop")
	got := tfReadEnv(t, spec)

	if got.Name != "prod" || got.Cloud != "aws" || got.Region != "eu-west-1" {
		t.Errorf("environment: got %s/%s/%s, want prod/aws/eu-west-1", got.Name, got.Cloud, got.Region)
	}
	if want := "prod.json (terraform state)"; got.Source != want {
		t.Errorf("Source: got %q, want %q", got.Source, want)
	}

	queue := func(name, dev string, attrs map[string]string, dlq string, max int) ProdQueue {
		base := map[string]string{"DelaySeconds": "0", "MaximumMessageSize": "262144", "MessageRetentionPeriod": "345600", "ReceiveMessageWaitTimeSeconds": "0", "VisibilityTimeout": "30"}
		for k, v := range attrs {
			base[k] = v
		}
		return ProdQueue{Queue: config.Queue{Name: name, Attributes: base, DeadLetter: dlq, MaxReceiveCount: max}, DevName: dev}
	}
	tests := []struct {
		service string
		want    *Resource
	}{
		{"db", &Resource{
			// count = 1, named without its index; the parameter group is
			// joined by name.
			Addresses: []string{"module.db.aws_db_instance.this[0]", "module.db.aws_db_parameter_group.this[0]"},
			Managed:   "aws.rds-postgres",
			Postgres: &Postgres{
				Engine:  "postgres",
				Version: "16.4", // engine_version_actual over engine_version "16"
				Parameters: map[string]string{
					"log_min_duration_statement": "500",
					"rds.force_ssl":              "1",
					"shared_preload_libraries":   "pg_stat_statements,pg_cron",
				},
				InstanceClass: "db.r6g.large",
			},
		}},
		{"analytics", &Resource{
			// A module path: the cluster, its instances and both groups.
			Addresses: []string{
				"module.analytics.aws_db_parameter_group.instance",
				"module.analytics.aws_rds_cluster.this",
				"module.analytics.aws_rds_cluster_instance.this[0]",
				"module.analytics.aws_rds_cluster_instance.this[1]",
				"module.analytics.aws_rds_cluster_parameter_group.this",
			},
			Managed: "aws.aurora-postgres",
			Postgres: &Postgres{
				Engine:  "aurora-postgresql",
				Version: "15.4",
				Parameters: map[string]string{
					"auto_explain.log_min_duration": "1000",
					"rds.force_ssl":                 "1",
					// the instance group's value wins over the cluster's
					"shared_preload_libraries": "pg_stat_statements,auto_explain",
				},
				InstanceClass: "db.r6g.xlarge",
			},
		}},
		{"cache", &Resource{
			Addresses: []string{"aws_elasticache_parameter_group.cache", "aws_elasticache_replication_group.cache"},
			Managed:   "aws.elasticache",
			Redis: &Redis{
				Engine:     "redis",
				Version:    "7.1", // engine_version_actual 7.1.0
				Parameters: map[string]string{"maxmemory-policy": "allkeys-lru", "notify-keyspace-events": "Ex"},
				TLS:        true,
				AuthToken:  true,
				NodeType:   "cache.r7g.large",
			},
		}},
		{"sessions", &Resource{
			Addresses: []string{"aws_elasticache_serverless_cache.sessions"},
			Managed:   "aws.elasticache",
			Redis:     &Redis{Engine: "valkey", Version: "8.0", TLS: true},
		}},
		{"files", &Resource{
			// No x-prodlike.prod: every bucket of the file.
			Addresses: []string{
				"aws_s3_bucket.assets",
				`module.storage.aws_s3_bucket.this["exports"]`,
				`module.storage.aws_s3_bucket.this["uploads"]`,
				"module.storage.aws_s3_bucket_cors_configuration.uploads",
				`module.storage.aws_s3_bucket_versioning.this["exports"]`,
				`module.storage.aws_s3_bucket_versioning.this["uploads"]`,
				"module.storage.module.archive.aws_s3_bucket.this",
			},
			Managed: "aws.s3",
			Storage: &Storage{Buckets: []ProdBucket{
				// legacy versioning block; matched by suffix -archive
				{Bucket: config.Bucket{Name: "shop-prod-archive", Versioning: true}, Status: "Enabled", DevName: "archive"},
				// matched by its resource name
				{Bucket: config.Bucket{Name: "shop-prod-assets-eu"}, DevName: "assets"},
				// no dev bucket
				{Bucket: config.Bucket{Name: "shop-prod-exports"}, Status: "Suspended"},
				// matched by its for_each key
				{Bucket: config.Bucket{Name: "shop-prod-user-files", Versioning: true, CORS: []config.CORSRule{{
					AllowedOrigins: []string{"https://shop.example.com"},
					AllowedMethods: []string{"GET", "PUT"},
					AllowedHeaders: []string{"*"},
					ExposeHeaders:  []string{"ETag"},
					MaxAgeSeconds:  3600,
				}}}, Status: "Enabled", DevName: "uploads"},
			}},
		}},
		{"jobs", &Resource{
			// module.queues, not the root's aws_sqs_queue.audit.
			Addresses: []string{
				"module.queues.aws_sqs_queue.orders",
				"module.queues.aws_sqs_queue.orders_dlq",
				`module.queues.aws_sqs_queue.q["jobs"]`,
				`module.queues.aws_sqs_queue.q["jobs-dlq"]`,
				"module.queues.aws_sqs_queue_redrive_policy.orders",
			},
			Managed: "aws.sqs",
			Queues: &Queues{Queues: []ProdQueue{
				queue("shop-prod-jobs", "jobs", map[string]string{"VisibilityTimeout": "45", "ReceiveMessageWaitTimeSeconds": "20"}, "shop-prod-jobs-dlq", 3),
				queue("shop-prod-jobs-dlq", "jobs-dlq", map[string]string{"MessageRetentionPeriod": "1209600"}, "", 0),
				queue("shop-prod-orders-dlq.fifo", "orders-dlq.fifo", map[string]string{"FifoQueue": "true", "MessageRetentionPeriod": "1209600"}, "", 0),
				// redrive from aws_sqs_queue_redrive_policy, count as a string
				queue("shop-prod-orders.fifo", "orders.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true", "DelaySeconds": "5"}, "shop-prod-orders-dlq.fifo", 5),
			}},
		}},
		{"api", &Resource{
			Addresses: []string{"aws_ecs_task_definition.api"},
			App: &App{
				Platform: "linux/arm64",
				Env: map[string]string{
					"DATABASE_PASSWORD": Redacted, // secrets
					"SESSION_SECRET":    Redacted,
					"STRIPE_API_KEY":    Redacted, // a secret-looking name
					"LOG_LEVEL":         "info",
					"DATABASE_URL":      "postgres://shop:" + Redacted + "@shop-prod.c9akciq32bxy.eu-west-1.rds.amazonaws.com:5432/shop?sslmode=verify-full",
				},
				Secrets: []string{"DATABASE_PASSWORD", "SESSION_SECRET"},
				Image:   "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api:1.4.2",
			},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			tt.want.Service = tt.service
			tfSame(t, "resource", got.Services[tt.service], tt.want)
		})
	}
	if len(got.Services) != len(tests) {
		t.Errorf("services: got %d (%s), want %d", len(got.Services), tfJSON(got.Services), len(tests))
	}
	tfSame(t, "notes", got.Notes, []Note{
		{Service: "api", Address: "aws_ecs_task_definition.api", Text: "x-prodlike.prod is not set: using aws_ecs_task_definition.api, the only candidate in prod.json"},
		{Service: "files", Text: `dev bucket "reports" matches no prod bucket in prod.json`},
	})
}

func TestReadTerraformPlan(t *testing.T) {
	spec := tfLoad(t, "worker")
	got := tfReadEnv(t, spec)
	if want := "plan.json (terraform plan)"; got.Source != want {
		t.Errorf("Source: got %q, want %q", got.Source, want)
	}
	tests := []struct {
		service string
		want    *Resource
	}{
		{"db", &Resource{
			Addresses: []string{"aws_db_instance.main"},
			Managed:   "aws.rds-postgres",
			// engine_version is known only after apply: left empty; the
			// default parameter group is no note.
			Postgres: &Postgres{Engine: "postgres", InstanceClass: "db.t4g.medium"},
		}},
		{"cache", &Resource{
			Addresses: []string{"aws_elasticache_replication_group.cache"},
			Managed:   "aws.elasticache",
			// auth_token is sensitive: only that there is one.
			Redis: &Redis{Engine: "valkey", Version: "8.0", TLS: true, AuthToken: true, ClusterMode: true, NodeType: "cache.t4g.small"},
		}},
		{"worker", &Resource{
			Addresses: []string{"aws_lambda_function.worker"},
			App: &App{
				Platform: "linux/arm64",
				Env: map[string]string{
					"LOG_LEVEL":                "debug",
					"QUEUE_URL":                "", // known only after apply
					"SIGNING_SECRET":           Redacted,
					"WEBHOOK_SIGNING_MATERIAL": Redacted, // after_sensitive
				},
				Image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-worker:2.0.0",
			},
		}},
		{"jobs", &Resource{
			Addresses: []string{"aws_sqs_queue.jobs", "aws_sqs_queue.jobs_dlq"},
			Managed:   "aws.sqs",
			Queues: &Queues{Queues: []ProdQueue{
				{Queue: config.Queue{Name: "shop-staging-jobs", Attributes: map[string]string{"DelaySeconds": "0", "MaximumMessageSize": "262144", "MessageRetentionPeriod": "345600", "ReceiveMessageWaitTimeSeconds": "0", "VisibilityTimeout": "45"}}, DevName: "jobs"},
				// matched by resource name jobs_dlq (_ as -)
				{Queue: config.Queue{Name: "shop-staging-jobs-dlq", Attributes: map[string]string{"DelaySeconds": "0", "MaximumMessageSize": "262144", "MessageRetentionPeriod": "1209600", "ReceiveMessageWaitTimeSeconds": "0", "VisibilityTimeout": "30"}}, DevName: "jobs-dlq"},
			}},
		}},
		{"files", &Resource{
			Addresses: []string{"aws_s3_bucket.uploads", "aws_s3_bucket_versioning.uploads"},
			Managed:   "aws.s3",
			Storage:   &Storage{Buckets: []ProdBucket{{Bucket: config.Bucket{Name: "shop-staging-uploads", Versioning: true}, Status: "Enabled", DevName: "uploads"}}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			tt.want.Service = tt.service
			tfSame(t, "resource", got.Services[tt.service], tt.want)
		})
	}
	tfSame(t, "notes", got.Notes, []Note{
		{Service: "db", Address: "aws_db_instance.main", Text: "engine_version is known only after apply"},
		{Service: "jobs", Address: "aws_sqs_queue.jobs", Text: "redrive_policy is known only after apply"},
		{Service: "worker", Address: "aws_lambda_function.worker", Text: "environment variable QUEUE_URL is known only after apply"},
	})
}

// TestSensitiveValuesNeverCopied looks for every secret of the fixtures in
// the whole result.
func TestSensitiveValuesNeverCopied(t *testing.T) {
	for _, dir := range []string{"shop", "worker"} {
		t.Run(dir, func(t *testing.T) {
			spec := tfLoad(t, dir)
			data, err := os.ReadFile(filepath.Join("testdata", dir, spec.Environments[0].Terraform))
			if err != nil {
				t.Fatal(err)
			}
			// The fixtures do hold the secrets, in the clear, as
			// `terraform show -json` prints them.
			if !strings.Contains(string(data), "must-not-leak") {
				t.Fatalf("fixture: got no secret in it, want some to look for")
			}
			out := tfJSON(tfReadEnv(t, spec))
			for _, secret := range []string{"must-not-leak", "must_not_leak"} {
				if strings.Contains(out, secret) {
					t.Errorf("result: got a value with %q in it, want none:\n%s", secret, out)
				}
			}
		})
	}
}

func TestProdAddressErrors(t *testing.T) {
	spec := tfLoad(t, "badprod")
	tests := []struct {
		service string
		line    int
		want    []string // in the message
	}{
		// A typo: the closest address of the type is suggested.
		{"db", 8, []string{"module.db.aws_db_instance.thsi is not in ../shop/prod.json", "closest aws_db_instance addresses: module.db.aws_db_instance.this[0]"}},
		// The second entry of a list: its own line.
		{"cache", 15, []string{"aws_elasticache_replication_group.sessions is not in ../shop/prod.json", "aws_elasticache_replication_group.cache"}},
		// for_each with several instances and no key.
		{"jobs", 19, []string{"module.queues.aws_sqs_queue.q has 2 instances", `module.queues.aws_sqs_queue.q["jobs"]`, `module.queues.aws_sqs_queue.q["jobs-dlq"]`, "name one"}},
		// A resource of the wrong type.
		{"files", 23, []string{"module.db.aws_db_instance.this is an aws_db_instance", "aws_s3_bucket"}},
		// A module that is not there: the closest modules.
		{"api", 26, []string{"module.frontend is not in ../shop/prod.json", "closest modules: "}},
		{"reports", 31, []string{"aws_db_instance.reports is not in ../shop/prod.json", "module.db.aws_db_instance.this[0]"}},
		// A module without resources of the kind.
		{"search", 37, []string{"module.queues", "holds no aws_db_instance"}},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			s := tfOnly(t, spec, tt.service)
			env := s.Environments[0]
			got, err := ReadTerraform(env.Terraform, env, s)
			if err == nil {
				t.Fatalf("got %s, want an error", tfJSON(got))
			}
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Fatalf("got error %T %v, want a *config.Error", err, err)
			}
			if !errors.Is(err, config.ErrInvalid) {
				t.Errorf("errors.Is(err, config.ErrInvalid): got false, want true")
			}
			if ce.File != "compose.yaml" || ce.Line != tt.line || ce.Service != tt.service || ce.Field != "x-prodlike.prod" {
				t.Errorf("got %s:%d service %q field %q, want compose.yaml:%d service %q field x-prodlike.prod", ce.File, ce.Line, ce.Service, ce.Field, tt.line, tt.service)
			}
			for _, w := range tt.want {
				if !strings.Contains(ce.Msg, w) {
					t.Errorf("message: got %q, want it to contain %q", ce.Msg, w)
				}
			}
		})
	}

	// All problems are reported at once.
	env := spec.Environments[0]
	_, err := ReadTerraform(env.Terraform, env, spec)
	if n := strings.Count(err.Error(), "x-prodlike.prod: "); n != len(tests) {
		t.Errorf("all services: got %d problems, want %d:\n%v", n, len(tests), err)
	}
}

// TestProdAddressForms resolves the forms an address may take against the
// shop's state.
func TestProdAddressForms(t *testing.T) {
	data, err := os.ReadFile("testdata/shop/prod.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		kind  config.Kind
		prod  []string
		names []string // prod names read (queues, buckets) or the Postgres engine
	}{
		{"for_each key", config.KindSQS, []string{`module.queues.aws_sqs_queue.q["jobs"]`}, []string{"shop-prod-jobs"}},
		{"key unquoted", config.KindSQS, []string{`module.queues.aws_sqs_queue.q[jobs-dlq]`}, []string{"shop-prod-jobs-dlq"}},
		{"several", config.KindSQS, []string{`module.queues.aws_sqs_queue.q["jobs"]`, "aws_sqs_queue.audit"}, []string{"shop-prod-audit", "shop-prod-jobs"}},
		{"count index", config.KindPostgres, []string{"module.db.aws_db_instance.this[0]"}, []string{"postgres"}},
		{"one instance without index", config.KindPostgres, []string{"module.db.aws_db_instance.this"}, []string{"postgres"}},
		{"cluster instance for its cluster", config.KindPostgres, []string{"module.analytics.aws_rds_cluster_instance.this[1]"}, []string{"aurora-postgresql"}},
		{"nested module", config.KindS3, []string{"module.storage.module.archive"}, []string{"shop-prod-archive"}},
		{"module with its children", config.KindS3, []string{"module.storage"}, []string{"shop-prod-archive", "shop-prod-exports", "shop-prod-user-files"}},
		{"module instance key", config.KindS3, []string{`module.storage.aws_s3_bucket.this["exports"]`}, []string{"shop-prod-exports"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := &config.Spec{Services: []config.Service{{Name: "svc", Kind: tt.kind, Prod: tt.prod}}}
			got, err := ParseTerraform(data, "prod.json", config.Environment{Name: "prod", Cloud: "aws"}, spec)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			r := got.Services["svc"]
			if r == nil {
				t.Fatalf("got no resource for the service, want one; notes %s", tfJSON(got.Notes))
			}
			var names []string
			switch {
			case r.Queues != nil:
				for _, q := range r.Queues.Queues {
					names = append(names, q.Name)
				}
			case r.Storage != nil:
				for _, b := range r.Storage.Buckets {
					names = append(names, b.Name)
				}
			case r.Postgres != nil:
				names = []string{r.Postgres.Engine}
			}
			tfSame(t, "read", names, tt.names)
		})
	}
}

func TestFileErrors(t *testing.T) {
	env := config.Environment{Name: "prod", Cloud: "aws"}
	tests := []struct {
		name string
		data string
		want []string
	}{
		{"malformed", "{\n  \"format_version\": \"1.0\",\n  \"values\": }\n", []string{"bad.json:3:13: invalid JSON", "invalid character '}'"}},
		{"truncated", "{\n  \"format_version\": \"1.0\",\n  \"values\": {", []string{"bad.json:3:13: invalid JSON", "unexpected end of JSON input"}},
		{"wrong type", "{\n  \"format_version\": \"1.0\",\n  \"values\": {\"root_module\": {\"resources\": \"none\"}}\n}\n", []string{"bad.json:3:", "cannot read the Terraform state", "cannot unmarshal"}},
		{"foreign object", `{"foo": 1, "bar": [2]}`, []string{"bad.json is not Terraform JSON", "terraform show -json", `got an object with keys "bar", "foo"`}},
		{"array", `[{"format_version": "1.0"}]`, []string{"bad.json is not Terraform JSON", "got a JSON array"}},
		{"null", `null`, []string{"bad.json is not Terraform JSON", "got a JSON null"}},
		{"empty", "  \n", []string{"bad.json is empty"}},
		{"plan without format version", `{"planned_values": {"root_module": {}}}`, []string{"bad.json: cannot read the Terraform plan", "format version is missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTerraform([]byte(tt.data), "bad.json", env, &config.Spec{})
			if err == nil {
				t.Fatalf("got %s, want an error", tfJSON(got))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to contain %q", err, w)
				}
			}
		})
	}

	t.Run("raw state", func(t *testing.T) {
		_, err := ReadTerraform("raw.tfstate", env, &config.Spec{Dir: "testdata"})
		if err == nil {
			t.Fatal("got no error, want one")
		}
		for _, w := range []string{"raw.tfstate is a raw Terraform state file", "terraform show -json raw.tfstate > prod.json", "x-prodlike.environments.prod.terraform"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("got %q, want it to contain %q", err, w)
			}
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := ReadTerraform("infra/nope.json", env, &config.Spec{Dir: "testdata"})
		if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "infra/nope.json does not exist") || !strings.Contains(err.Error(), "terraform show -json") {
			t.Errorf("got %v, want a not-exist error naming infra/nope.json and terraform show -json", err)
		}
	})
	t.Run("empty state", func(t *testing.T) {
		got, err := ParseTerraform([]byte(`{"format_version":"1.0"}`), "empty.json", env, &config.Spec{})
		if err != nil || len(got.Services) != 0 {
			t.Errorf("got %v, %v; want an environment without services", got, err)
		}
	})
}

// tfState is a state with the given root module resources.
func tfState(resources ...map[string]any) []byte {
	b, err := json.Marshal(map[string]any{
		"format_version": "1.0", "terraform_version": "1.9.8",
		"values": map[string]any{"root_module": map[string]any{"resources": resources}},
	})
	if err != nil {
		panic(err)
	}
	return b
}

func tfResourceJSON(typ, name string, values map[string]any, sensitive map[string]any) map[string]any {
	if sensitive == nil {
		sensitive = map[string]any{}
	}
	return map[string]any{
		"address": typ + "." + name, "mode": "managed", "type": typ, "name": name,
		"provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
		"values": values, "sensitive_values": sensitive,
	}
}

func tfContainers(t *testing.T, defs ...map[string]any) string {
	b, err := json.Marshal(defs)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestApp(t *testing.T) {
	env := func(pairs ...string) []map[string]string {
		var out []map[string]string
		for i := 0; i+1 < len(pairs); i += 2 {
			out = append(out, map[string]string{"name": pairs[i], "value": pairs[i+1]})
		}
		return out
	}
	tests := []struct {
		name  string
		res   map[string]any
		want  *App
		notes []string
	}{
		{
			name: "no runtime_platform",
			res: tfResourceJSON("aws_ecs_task_definition", "api", map[string]any{
				"family": "api", "runtime_platform": []any{},
				"container_definitions": tfContainers(t, map[string]any{"name": "web", "image": "web:1", "environment": env("PORT", "8080")}),
			}, nil),
			want:  &App{Platform: "linux/amd64", Env: map[string]string{"PORT": "8080"}, Image: "web:1"},
			notes: []string{"runtime_platform is not set; Fargate defaults to X86_64, so linux/amd64 is assumed"},
		},
		{
			name: "container named like the service",
			res: tfResourceJSON("aws_ecs_task_definition", "api", map[string]any{
				"runtime_platform": []any{map[string]any{"cpu_architecture": "X86_64", "operating_system_family": "LINUX"}},
				"container_definitions": tfContainers(t,
					map[string]any{"name": "envoy", "image": "envoy:1", "essential": true},
					map[string]any{"name": "svc", "image": "svc:2", "essential": true, "environment": env("MODE", "prod")}),
			}, nil),
			want: &App{Platform: "linux/amd64", Env: map[string]string{"MODE": "prod"}, Image: "svc:2"},
		},
		{
			name: "first essential container",
			res: tfResourceJSON("aws_ecs_task_definition", "api", map[string]any{
				"runtime_platform": []any{map[string]any{"cpu_architecture": "ARM64", "operating_system_family": "LINUX"}},
				"container_definitions": tfContainers(t,
					map[string]any{"name": "init", "image": "init:1", "essential": false},
					map[string]any{"name": "web", "image": "web:3", "environment": env("A", "1")},
					map[string]any{"name": "log", "image": "log:1", "essential": true}),
			}, nil),
			want:  &App{Platform: "linux/arm64", Env: map[string]string{"A": "1"}, Image: "web:3"},
			notes: []string{"no container is named svc; using web, the first essential of 3 containers"},
		},
		{
			name: "sensitive container definitions",
			res: tfResourceJSON("aws_ecs_task_definition", "api", map[string]any{
				"runtime_platform": []any{map[string]any{"cpu_architecture": "ARM64", "operating_system_family": "LINUX"}},
				"container_definitions": tfContainers(t, map[string]any{"name": "svc", "image": "svc:must-not-leak",
					"environment": env("HOST", "db-must-not-leak"),
					"secrets":     []map[string]string{{"name": "DB_PASS", "valueFrom": "arn:aws:ssm:eu-west-1:1:parameter/p"}}}),
			}, map[string]any{"container_definitions": true}),
			want:  &App{Platform: "linux/arm64", Env: map[string]string{"HOST": Redacted, "DB_PASS": Redacted}, Secrets: []string{"DB_PASS"}},
			notes: []string{"container_definitions is sensitive: its values are redacted and the image is not read"},
		},
		{
			name: "lambda zip on x86_64 with sensitive variables",
			res: tfResourceJSON("aws_lambda_function", "fn", map[string]any{
				"architectures": []any{"x86_64"}, "package_type": "Zip", "image_uri": "",
				"environment": []any{map[string]any{"variables": map[string]any{"REGION": "eu-west-1", "HMAC": "must-not-leak", "DB_PASSWORD": "must-not-leak"}}},
			}, map[string]any{"environment": []any{map[string]any{"variables": map[string]any{"HMAC": true}}}}),
			want: &App{Platform: "linux/amd64", Env: map[string]string{"REGION": "eu-west-1", "HMAC": Redacted, "DB_PASSWORD": Redacted}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := &config.Spec{Services: []config.Service{{Name: "svc", Kind: config.KindApp, Prod: []string{tt.res["address"].(string)}}}}
			got, err := ParseTerraform(tfState(tt.res), "s.json", config.Environment{Name: "prod"}, spec)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			r := got.Services["svc"]
			if r == nil {
				t.Fatalf("got no resource, want one")
			}
			tfSame(t, "app", r.App, tt.want)
			var notes []string
			for _, n := range got.Notes {
				notes = append(notes, n.Text)
			}
			tfSame(t, "notes", notes, tt.notes)
			if out := tfJSON(got); strings.Contains(out, "must-not-leak") {
				t.Errorf("result: got a sensitive value in it, want none:\n%s", out)
			}
		})
	}
}

func TestParameterGroupsAndRedisKinds(t *testing.T) {
	state := tfState(
		tfResourceJSON("aws_db_instance", "custom", map[string]any{"engine": "postgres", "engine_version": "15", "engine_version_actual": "15.7", "instance_class": "db.t4g.small", "parameter_group_name": "hand-made"}, nil),
		tfResourceJSON("aws_db_instance", "plain", map[string]any{"engine": "postgres", "engine_version": "16.3", "parameter_group_name": "default.postgres16"}, nil),
		tfResourceJSON("aws_db_parameter_group", "audited", map[string]any{"name": "audited", "family": "postgres16", "parameter": []any{
			map[string]any{"name": "pgaudit.log", "value": "ddl"}, map[string]any{"name": "app.signing_key", "value": "must-not-leak"}}},
			// A value from a sensitive variable.
			map[string]any{"parameter": []any{map[string]any{}, map[string]any{"value": true}}}),
		tfResourceJSON("aws_db_instance", "audited", map[string]any{"engine": "postgres", "engine_version": "16.4", "parameter_group_name": "audited"}, nil),
		// A plan that upgrades: engine_version_actual is still the old one.
		// (A replica, so not a candidate below.)
		tfResourceJSON("aws_db_instance", "upgrading", map[string]any{"engine": "postgres", "engine_version": "16", "engine_version_actual": "15.7", "replicate_source_db": "shop-prod"}, nil),
		tfResourceJSON("aws_db_instance", "mysql", map[string]any{"engine": "mysql", "engine_version": "8.0"}, nil),
		tfResourceJSON("aws_elasticache_parameter_group", "sharded", map[string]any{"name": "sharded", "family": "redis7", "parameter": []any{
			map[string]any{"name": "cluster-enabled", "value": "yes"}, map[string]any{"name": "maxmemory-policy", "value": "volatile-lru"}}}, nil),
		tfResourceJSON("aws_elasticache_replication_group", "sharded", map[string]any{"engine": "redis", "engine_version": "6.x", "engine_version_actual": "6.2.6", "parameter_group_name": "sharded",
			"transit_encryption_enabled": false, "auth_token": "", "user_group_ids": []any{"app-users"}, "cluster_mode": "", "num_node_groups": 1}, nil),
		tfResourceJSON("aws_elasticache_cluster", "single", map[string]any{"engine": "redis", "engine_version": "7.0", "engine_version_actual": "7.0.7", "node_type": "cache.t4g.micro", "parameter_group_name": "default.redis7", "replication_group_id": ""}, nil),
		tfResourceJSON("aws_elasticache_cluster", "memcached", map[string]any{"engine": "memcached", "engine_version": "1.6.22"}, nil),
	)
	tests := []struct {
		name    string
		svc     config.Service
		want    *Resource
		notes   []string
		wantErr string
	}{
		{
			name:  "custom group not in the file",
			svc:   config.Service{Name: "svc", Kind: config.KindPostgres, Prod: []string{"aws_db_instance.custom"}},
			want:  &Resource{Service: "svc", Addresses: []string{"aws_db_instance.custom"}, Managed: "aws.rds-postgres", Postgres: &Postgres{Engine: "postgres", Version: "15.7", InstanceClass: "db.t4g.small"}},
			notes: []string{`parameter group "hand-made" (parameter_group_name) is not in s.json; its parameters are unknown`},
		},
		{
			name: "default group",
			svc:  config.Service{Name: "svc", Kind: config.KindPostgres, Prod: []string{"aws_db_instance.plain"}},
			want: &Resource{Service: "svc", Addresses: []string{"aws_db_instance.plain"}, Managed: "aws.rds-postgres", Postgres: &Postgres{Engine: "postgres", Version: "16.3"}},
		},
		{
			name: "sensitive parameter",
			svc:  config.Service{Name: "svc", Kind: config.KindPostgres, Prod: []string{"aws_db_instance.audited"}},
			want: &Resource{Service: "svc", Addresses: []string{"aws_db_instance.audited", "aws_db_parameter_group.audited"}, Managed: "aws.rds-postgres",
				Postgres: &Postgres{Engine: "postgres", Version: "16.4", Parameters: map[string]string{"pgaudit.log": "ddl", "app.signing_key": Redacted}}},
		},
		{
			name: "actual version of an older major",
			svc:  config.Service{Name: "svc", Kind: config.KindPostgres, Prod: []string{"aws_db_instance.upgrading"}},
			want: &Resource{Service: "svc", Addresses: []string{"aws_db_instance.upgrading"}, Managed: "aws.rds-postgres", Postgres: &Postgres{Engine: "postgres", Version: "16"}},
		},
		{
			name:    "not postgres",
			svc:     config.Service{Name: "svc", Kind: config.KindPostgres, Prod: []string{"aws_db_instance.mysql"}},
			wantErr: "aws_db_instance.mysql runs mysql, not Postgres",
		},
		{
			name: "cluster mode from the group, auth from RBAC",
			svc:  config.Service{Name: "svc", Kind: config.KindRedis, Prod: []string{"aws_elasticache_replication_group.sharded"}},
			want: &Resource{Service: "svc", Addresses: []string{"aws_elasticache_parameter_group.sharded", "aws_elasticache_replication_group.sharded"}, Managed: "aws.elasticache",
				Redis: &Redis{Engine: "redis", Version: "6.2", Parameters: map[string]string{"maxmemory-policy": "volatile-lru"}, AuthToken: true, ClusterMode: true}},
		},
		{
			name: "single-node cluster",
			svc:  config.Service{Name: "svc", Kind: config.KindRedis, Prod: []string{"aws_elasticache_cluster.single"}},
			want: &Resource{Service: "svc", Addresses: []string{"aws_elasticache_cluster.single"}, Managed: "aws.elasticache", Redis: &Redis{Engine: "redis", Version: "7.0", NodeType: "cache.t4g.micro"}},
		},
		{
			name:    "memcached",
			svc:     config.Service{Name: "svc", Kind: config.KindRedis, Prod: []string{"aws_elasticache_cluster.memcached"}},
			wantErr: "runs memcached, not Redis or Valkey",
		},
		{
			// Two Postgres instances and no x-prodlike.prod: none chosen.
			name:  "implicit, several candidates",
			svc:   config.Service{Name: "svc", Kind: config.KindPostgres},
			notes: []string{"x-prodlike.prod is not set and s.json has 3 candidates (aws_db_instance.audited, aws_db_instance.custom, aws_db_instance.plain): set x-prodlike.prod to the one this service stands for"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := &config.Spec{Files: []string{"compose.yaml"}, Services: []config.Service{tt.svc}}
			got, err := ParseTerraform(state, "s.json", config.Environment{Name: "prod", Cloud: "aws"}, spec)
			if tt.wantErr != "" {
				var ce *config.Error
				if !errors.As(err, &ce) || !strings.Contains(ce.Msg, tt.wantErr) || ce.File != "compose.yaml" {
					t.Fatalf("got error %v, want a *config.Error in compose.yaml with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			var r *Resource
			if tt.want != nil {
				r = tt.want
			}
			tfSame(t, "resource", got.Services["svc"], r)
			var notes []string
			for _, n := range got.Notes {
				notes = append(notes, n.Text)
			}
			tfSame(t, "notes", notes, tt.notes)
		})
	}
}

// TestPlanMasks checks that after_sensitive and after_unknown count even
// when planned_values' own sensitive_values miss them.
func TestPlanMasks(t *testing.T) {
	plan := `{
  "format_version": "1.2",
  "terraform_version": "1.9.8",
  "planned_values": {"root_module": {"resources": [
    {"address": "aws_elasticache_replication_group.c", "mode": "managed", "type": "aws_elasticache_replication_group", "name": "c",
     "values": {"engine": "redis", "engine_version": "7.1", "auth_token": "tok-must-not-leak", "transit_encryption_enabled": true, "parameter_group_name": "default.redis7"},
     "sensitive_values": {}},
    {"address": "aws_lambda_function.fn", "mode": "managed", "type": "aws_lambda_function", "name": "fn",
     "values": {"architectures": ["arm64"], "package_type": "Image", "image_uri": "fn:1", "environment": [{"variables": {"HMAC": "hmac-must-not-leak", "MODE": "fast"}}]},
     "sensitive_values": {"environment": [{"variables": {}}]}},
    {"address": "aws_sqs_queue.q", "mode": "managed", "type": "aws_sqs_queue", "name": "q",
     "values": {"name": "q", "visibility_timeout_seconds": 30, "redrive_policy": "{\"deadLetterTargetArn\":\"arn:aws:sqs:eu-west-1:1:q-dlq\",\"maxReceiveCount\":2}"},
     "sensitive_values": {}}
  ]}},
  "resource_changes": [
    {"address": "aws_elasticache_replication_group.c", "mode": "managed", "type": "aws_elasticache_replication_group", "name": "c",
     "change": {"actions": ["update"], "before": {}, "after": {}, "after_unknown": {"engine_version_actual": true, "node_type": true}, "after_sensitive": {"auth_token": true}}},
    {"address": "aws_lambda_function.fn", "mode": "managed", "type": "aws_lambda_function", "name": "fn",
     "change": {"actions": ["update"], "before": {}, "after": {}, "after_unknown": {}, "after_sensitive": {"environment": [{"variables": {"HMAC": true}}]}}},
    {"address": "aws_sqs_queue.q", "mode": "managed", "type": "aws_sqs_queue", "name": "q",
     "change": {"actions": ["create"], "before": null, "after": {}, "after_unknown": {"url": true, "message_retention_seconds": true}, "after_sensitive": {}}}
  ]
}`
	spec := &config.Spec{Services: []config.Service{
		{Name: "cache", Kind: config.KindRedis, Prod: []string{"aws_elasticache_replication_group.c"}},
		{Name: "jobs", Kind: config.KindSQS, Queues: []config.Queue{{Name: "q"}}},
		{Name: "fn", Kind: config.KindApp},
	}}
	got, err := ParseTerraform([]byte(plan), "p.json", config.Environment{Name: "staging"}, spec)
	if err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	tfSame(t, "cache", got.Services["cache"].Redis, &Redis{Engine: "redis", Version: "7.1", TLS: true, AuthToken: true})
	tfSame(t, "fn", got.Services["fn"].App, &App{Platform: "linux/arm64", Env: map[string]string{"HMAC": Redacted, "MODE": "fast"}, Image: "fn:1"})
	q := got.Services["jobs"].Queues.Queues[0]
	tfSame(t, "queue", q, ProdQueue{Queue: config.Queue{Name: "q", Attributes: map[string]string{"VisibilityTimeout": "30"}, DeadLetter: "q-dlq", MaxReceiveCount: 2}, DevName: "q"})
	tfSame(t, "notes", got.Notes, []Note{
		{Service: "cache", Address: "aws_elasticache_replication_group.c", Text: "node_type is known only after apply"},
		{Service: "fn", Address: "aws_lambda_function.fn", Text: "x-prodlike.prod is not set: using aws_lambda_function.fn, the only candidate in p.json"},
		{Service: "jobs", Address: "aws_sqs_queue.q", Text: "message_retention_seconds is known only after apply"},
	})
	if out := tfJSON(got); strings.Contains(out, "must-not-leak") {
		t.Errorf("result: got a sensitive value in it, want none:\n%s", out)
	}
}

func TestMatch(t *testing.T) {
	p := func(name string, keys ...string) matchable { return matchable{name: name, keys: keys} }
	tests := []struct {
		name  string
		prods []matchable
		devs  []string
		fifo  bool
		want  []string
	}{
		{"exact", []matchable{p("uploads", "this")}, []string{"uploads"}, false, []string{"uploads"}},
		{"for_each key", []matchable{p("shop-prod-user-files", "uploads", "this")}, []string{"uploads"}, false, []string{"uploads"}},
		{"resource name, _ as -", []matchable{p("shop-prod-static", "user_files")}, []string{"user-files"}, false, []string{"user-files"}},
		{"suffix -", []matchable{p("shop-prod-uploads", "this")}, []string{"uploads"}, false, []string{"uploads"}},
		{"suffix .", []matchable{p("eu.shop.assets", "this")}, []string{"assets"}, false, []string{"assets"}},
		{"no match", []matchable{p("shop-prod-logs", "logs_bucket")}, []string{"uploads"}, false, []string{""}},
		{"suffix is not substring", []matchable{p("shop-uploads-old", "this")}, []string{"uploads"}, false, []string{""}},
		{"exact before suffix", []matchable{p("shop-uploads", "a"), p("uploads", "b")}, []string{"uploads"}, false, []string{"", "uploads"}},
		{"key before suffix", []matchable{p("x-uploads", "a"), p("y", "uploads")}, []string{"uploads"}, false, []string{"", "uploads"}},
		{"longest dev name", []matchable{p("shop-jobs-dlq", "a")}, []string{"dlq", "jobs-dlq"}, true, []string{"jobs-dlq"}},
		{"dlq and its queue", []matchable{p("shop-prod-jobs", "a"), p("shop-prod-jobs-dlq", "b")}, []string{"jobs-dlq", "jobs"}, true, []string{"jobs", "jobs-dlq"}},
		{"fifo suffix", []matchable{p("shop-prod-orders.fifo", "main")}, []string{"orders.fifo"}, true, []string{"orders.fifo"}},
		{"fifo key", []matchable{p("shop-prod-o.fifo", "orders")}, []string{"orders.fifo"}, true, []string{"orders.fifo"}},
		{"fifo agrees first", []matchable{p("shop-orders", "a"), p("shop-orders.fifo", "b")}, []string{"orders.fifo", "orders"}, true, []string{"orders", "orders.fifo"}},
		{"fifo across", []matchable{p("shop-orders", "a")}, []string{"orders.fifo"}, true, []string{"orders.fifo"}},
		{"count index is no name", []matchable{p("shop-a", "0")}, []string{"0"}, false, []string{"0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tfSame(t, "dev names", matchDev(tt.prods, tt.devs, tt.fifo), tt.want)
		})
	}
}

func TestSecretNames(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"DATABASE_PASSWORD", true},
		{"STRIPE_API_KEY", true},
		{"api-key", true},
		{"GITHUB_TOKEN", true},
		{"AWS_SECRET_ACCESS_KEY", true},
		{"GOOGLE_APPLICATION_CREDENTIALS", true},
		{"SENTRY_DSN", true},
		{"KEYSPACE", false},
		{"MONKEY_MODE", false},
		{"TOKENIZER_MODEL", false},
		{"LOG_LEVEL", false},
		{"PASSENGER_COUNT", false},
	}
	for _, tt := range tests {
		if got := secretName(tt.name); got != tt.want {
			t.Errorf("secretName(%q): got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestMaskURLPassword(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://app:pw@db:5432/app?sslmode=require", "postgres://app:" + Redacted + "@db:5432/app?sslmode=require"},
		{"redis://:tok@cache:6379/0", "redis://:" + Redacted + "@cache:6379/0"},
		{"postgres://app@db/app", "postgres://app@db/app"},
		{"https://example.com/a@b", "https://example.com/a@b"},
		{"plain value", "plain value"},
	}
	for _, tt := range tests {
		if got := maskURLPassword(tt.in); got != tt.want {
			t.Errorf("maskURLPassword(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}
