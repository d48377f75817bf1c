package config

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// dbKeys, appKeys and prodEnv are what init typically adds.
var (
	dbKeys  = ServiceAnnotation{Service: "db", Keys: []KeyValue{{"standin", "aws.rds-postgres"}, {"prod", "aws_db_instance.main"}}}
	appKeys = ServiceAnnotation{Service: "api", Keys: []KeyValue{{"app", true}, {"health", "/healthz"}}}
	prodEnv = &EnvironmentAnnotation{Name: "prod", Keys: []KeyValue{{"cloud", "aws"}, {"region", "eu-west-1"}, {"terraform", "infra/prod.json"}}}
)

func TestAnnotate(t *testing.T) {
	tests := []struct {
		name string
		in   string
		a    Annotations
		want string
		// left are the services (or "env") whose change was not written.
		left []string
	}{
		{
			name: "comments and odd indentation",
			in: `# the shop
services:
   api:
      build: .   # our code
      ports: ["8080:8080"]

   db:
      image: postgres:16.4
      environment:
         POSTGRES_PASSWORD: pw
      # data survives restarts
      volumes: [pg:/var/lib/postgresql/data]

volumes:
   pg: {}
`,
			a: Annotations{Services: []ServiceAnnotation{appKeys, dbKeys}, Environment: prodEnv},
			want: `# the shop
services:
   api:
      build: .   # our code
      ports: ["8080:8080"]
      x-prodlike: { app: true, health: /healthz }

   db:
      image: postgres:16.4
      environment:
         POSTGRES_PASSWORD: pw
      # data survives restarts
      volumes: [pg:/var/lib/postgresql/data]
      x-prodlike: { standin: aws.rds-postgres, prod: aws_db_instance.main }

volumes:
   pg: {}

x-prodlike:
   environments:
      prod: { cloud: aws, region: eu-west-1, terraform: infra/prod.json }
`,
		},
		{
			name: "two-space indentation, no final newline",
			in:   "services:\n  db:\n    image: postgres:16.4",
			a:    Annotations{Services: []ServiceAnnotation{dbKeys}, Environment: prodEnv},
			want: "services:\n  db:\n    image: postgres:16.4\n    x-prodlike: { standin: aws.rds-postgres, prod: aws_db_instance.main }\n" +
				"\nx-prodlike:\n  environments:\n    prod: { cloud: aws, region: eu-west-1, terraform: infra/prod.json }\n",
		},
		{
			name: "four-space indentation, CRLF",
			in:   "services:\r\n    db:\r\n        image: postgres:16.4\r\n",
			a:    Annotations{Services: []ServiceAnnotation{dbKeys}, Environment: prodEnv},
			want: "services:\r\n    db:\r\n        image: postgres:16.4\r\n        x-prodlike: { standin: aws.rds-postgres, prod: aws_db_instance.main }\r\n" +
				"\r\nx-prodlike:\r\n    environments:\r\n        prod: { cloud: aws, region: eu-west-1, terraform: infra/prod.json }\r\n",
		},
		{
			name: "existing block x-prodlike gets the missing keys at its top",
			in: `services:
  cache:
    image: redis:7.1
    x-prodlike:
      # production's version
      version: "7.1"
      parameters:
        maxmemory-policy: allkeys-lru
  jobs:
    x-prodlike:
      standin: aws.sqs   # no image to tell
      queues: [jobs]
`,
			a: Annotations{Services: []ServiceAnnotation{
				{Service: "cache", Keys: []KeyValue{{"standin", "aws.elasticache"}, {"prod", "aws_elasticache_replication_group.main"}}},
				{Service: "jobs", Keys: []KeyValue{{"standin", "aws.sqs"}, {"prod", []string{"aws_sqs_queue.jobs", "aws_sqs_queue.jobs_dlq"}}}},
			}},
			want: `services:
  cache:
    image: redis:7.1
    x-prodlike:
      standin: aws.elasticache
      prod: aws_elasticache_replication_group.main
      # production's version
      version: "7.1"
      parameters:
        maxmemory-policy: allkeys-lru
  jobs:
    x-prodlike:
      standin: aws.sqs   # no image to tell
      prod: [aws_sqs_queue.jobs, aws_sqs_queue.jobs_dlq]
      queues: [jobs]
`,
		},
		{
			name: "flow x-prodlike on one line, and an empty one",
			in: `services:
  api:
    build: .
    x-prodlike: { app: true }
  db:
    image: postgres:16.4
    x-prodlike: {}
`,
			a: Annotations{Services: []ServiceAnnotation{appKeys, dbKeys}},
			want: `services:
  api:
    build: .
    x-prodlike: { app: true, health: /healthz }
  db:
    image: postgres:16.4
    x-prodlike: { standin: aws.rds-postgres, prod: aws_db_instance.main }
`,
		},
		{
			name: "flow x-prodlike over several lines is left alone",
			in: `services:
  db:
    image: postgres:16.4
    x-prodlike: {
      version: "16.4" }
`,
			a: Annotations{Services: []ServiceAnnotation{dbKeys}},
			want: `services:
  db:
    image: postgres:16.4
    x-prodlike: {
      version: "16.4" }
`,
			left: []string{"db"},
		},
		{
			name: "a service written in flow style",
			in: `services:
  db: {image: "postgres:16.4", ports: ["5432"]}   # short
`,
			a: Annotations{Services: []ServiceAnnotation{dbKeys}},
			want: `services:
  db: {image: "postgres:16.4", ports: ["5432"], x-prodlike: { standin: aws.rds-postgres, prod: aws_db_instance.main }}   # short
`,
		},
		{
			name: "existing top-level x-prodlike without environments",
			in: `services:
  db:
    image: postgres:16.4
x-prodlike:
    image-mirror: mirror.example.com/hub
# the end
`,
			a: Annotations{Environment: prodEnv},
			want: `services:
  db:
    image: postgres:16.4
x-prodlike:
    image-mirror: mirror.example.com/hub
    environments:
        prod: { cloud: aws, region: eu-west-1, terraform: infra/prod.json }
# the end
`,
		},
		{
			name: "existing environments get the new one last",
			in: `services:
  db:
    image: postgres:16.4
x-prodlike:
  environments:
    staging:
      cloud: aws
      terraform: infra/staging.json
  waive:
    - { check: PG-PARAM, reason: tuned }
`,
			a: Annotations{Environment: prodEnv},
			want: `services:
  db:
    image: postgres:16.4
x-prodlike:
  environments:
    staging:
      cloud: aws
      terraform: infra/staging.json
    prod: { cloud: aws, region: eu-west-1, terraform: infra/prod.json }
  waive:
    - { check: PG-PARAM, reason: tuned }
`,
		},
		{
			name: "an environment that exists is left alone",
			in: `services:
  db:
    image: postgres:16.4
x-prodlike:
  environments:
    prod: { cloud: aws, terraform: other.json }
`,
			a: Annotations{Environment: prodEnv},
			want: `services:
  db:
    image: postgres:16.4
x-prodlike:
  environments:
    prod: { cloud: aws, terraform: other.json }
`,
			left: []string{"env"},
		},
		{
			name: "flow top-level x-prodlike",
			in: `services:
  db:
    image: postgres:16.4
x-prodlike: { image-mirror: mirror.example.com/hub }
`,
			a: Annotations{Environment: prodEnv},
			want: `services:
  db:
    image: postgres:16.4
x-prodlike: { image-mirror: mirror.example.com/hub, environments: { prod: { cloud: aws, region: eu-west-1, terraform: infra/prod.json } } }
`,
		},
		{
			name: "quoted keys",
			in: `"services":
  'db':
    "image": 'postgres:16.4'
    "x-prodlike":
      'version': "16.4"
"x-prodlike":
  "environments":
    'staging': { cloud: aws }
`,
			a: Annotations{Services: []ServiceAnnotation{dbKeys}, Environment: prodEnv},
			want: `"services":
  'db':
    "image": 'postgres:16.4'
    "x-prodlike":
      standin: aws.rds-postgres
      prod: aws_db_instance.main
      'version': "16.4"
"x-prodlike":
  "environments":
    'staging': { cloud: aws }
    prod: { cloud: aws, region: eu-west-1, terraform: infra/prod.json }
`,
		},
		{
			name: "addresses with keys are quoted",
			in:   "services:\n  jobs:\n    x-prodlike:\n      standin: aws.sqs\n",
			a: Annotations{Services: []ServiceAnnotation{{Service: "jobs", Keys: []KeyValue{
				{"prod", []string{`module.queues.aws_sqs_queue.q["jobs"]`, "module.db.aws_db_instance.this[0]"}},
			}}}},
			want: "services:\n  jobs:\n    x-prodlike:\n      standin: aws.sqs\n" +
				`      prod: ['module.queues.aws_sqs_queue.q["jobs"]', 'module.db.aws_db_instance.this[0]']` + "\n",
		},
		{
			name: "x-prodlike from a merge, a service declared elsewhere",
			in: `x-base: &base
  x-prodlike: { version: "16.4" }
services:
  db:
    <<: *base
    image: postgres:16.4
`,
			a: Annotations{Services: []ServiceAnnotation{dbKeys, appKeys}},
			want: `x-base: &base
  x-prodlike: { version: "16.4" }
services:
  db:
    <<: *base
    image: postgres:16.4
`,
			left: []string{"db", "api"},
		},
		{
			name: "an empty x-prodlike is left alone",
			in:   "services:\n  db:\n    image: postgres:16.4\n    x-prodlike:\n",
			a:    Annotations{Services: []ServiceAnnotation{dbKeys}},
			want: "services:\n  db:\n    image: postgres:16.4\n    x-prodlike:\n",
			left: []string{"db"},
		},
		{
			name: "a file in flow style",
			in:   `{services: {db: {image: "postgres:16.4"}}}` + "\n",
			a:    Annotations{Services: []ServiceAnnotation{dbKeys}, Environment: prodEnv},
			want: `{services: {db: {image: "postgres:16.4", x-prodlike: { standin: aws.rds-postgres, prod: aws_db_instance.main }}}}` + "\n",
			left: []string{"env"},
		},
		{
			name: "keys the file has are not added again",
			in: `services:
  db:
    image: postgres:16.4
    x-prodlike:
      prod: aws_db_instance.other
`,
			a: Annotations{Services: []ServiceAnnotation{dbKeys}},
			want: `services:
  db:
    image: postgres:16.4
    x-prodlike:
      standin: aws.rds-postgres
      prod: aws_db_instance.other
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, changes, err := Annotate([]byte(tt.in), tt.a)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if string(got) != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			var left []string
			for _, c := range changes {
				if !c.Written() {
					who := c.Service
					if who == "" {
						who = "env"
					}
					left = append(left, who)
					if !strings.Contains(c.Left, "x-prodlike") && !strings.Contains(c.Left, "exists") {
						t.Errorf("%s: Left %q does not say what to add", who, c.Left)
					}
				}
			}
			if !reflect.DeepEqual(left, tt.left) {
				t.Errorf("left alone: got %v, want %v (changes %+v)", left, tt.left, changes)
			}

			// Annotating the result again changes nothing.
			again, changes, err := Annotate(got, tt.a)
			if err != nil {
				t.Fatalf("second run: got error %v, want none", err)
			}
			if string(again) != string(got) {
				t.Errorf("second run changed the file:\n%s", again)
			}
			for _, c := range changes {
				if c.Written() {
					t.Errorf("second run: got change %v, want none", c)
				}
			}
		})
	}
}

func TestAnnotateRefuses(t *testing.T) {
	for name, in := range map[string]string{
		"several documents": "services: {}\n---\nservices: {}\n",
		"not a mapping":     "- db\n",
		"a bad line":        "services:\n\tdb: {}\n",
		"malformed":         "services:\n  db: [\n",
	} {
		t.Run(name, func(t *testing.T) {
			if got, _, err := Annotate([]byte(in), Annotations{Services: []ServiceAnnotation{dbKeys}}); err == nil {
				t.Errorf("got %q, want an error", got)
			}
		})
	}
}

func TestFlowScalar(t *testing.T) {
	for in, want := range map[string]string{
		"aws.rds-postgres":                    "aws.rds-postgres",
		"/healthz":                            "/healthz",
		"infra/prod.json":                     "infra/prod.json",
		"module.db.aws_db_instance.this[0]":   "'module.db.aws_db_instance.this[0]'",
		`module.q.aws_sqs_queue.q["a"]`:       `'module.q.aws_sqs_queue.q["a"]'`,
		"/health?deep=1":                      "'/health?deep=1'",
		"true":                                "'true'",
		"16":                                  "'16'",
		"1e3":                                 "'1e3'",
		"it's":                                "'it''s'",
		"":                                    "''",
		"eu-west-1":                           "eu-west-1",
		"aws_elasticache_replication_group.a": "aws_elasticache_replication_group.a",
	} {
		if got := flowScalar(in); got != want {
			t.Errorf("flowScalar(%q): got %s, want %s", in, got, want)
		}
	}
}

func TestClosingBrace(t *testing.T) {
	tests := []struct {
		line string
		want int
	}{
		{`{ a: 1 }`, 7},
		{`{a: {b: [1, 2]}, c: 3}`, 21},
		{`{a: "}", b: '}'''}`, 17},
		{`{a: it's}`, 8},
		{`{ a: 1,`, -1},
		{`{ a: 1 # }`, -1},
	}
	for _, tt := range tests {
		if got := closingBrace(tt.line, 0); got != tt.want {
			t.Errorf("closingBrace(%q): got %d, want %d", tt.line, got, tt.want)
		}
	}
}

func TestHealthPath(t *testing.T) {
	tests := []struct {
		name, check, want string
	}{
		{"curl in a list", `{test: [CMD, curl, -f, "http://localhost:8080/healthz"]}`, "/healthz"},
		{"wget in a shell string", `{test: "wget -qO- http://127.0.0.1:${PORT:-8080}/ready || exit 1"}`, "/ready"},
		{"no path", `{test: [CMD, curl, -f, "http://localhost:8080"]}`, "/"},
		{"no URL", `{test: [CMD, /app/healthcheck]}`, ""},
		{"two paths", `{test: "curl -f http://a/live && curl -f http://a/ready"}`, ""},
		{"a variable path", `{test: "curl -f http://a/${HEALTH_PATH}"}`, ""},
		{"disabled", `{test: [CMD, curl, "http://a/healthz"], disable: true}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, err := parseDocument([]byte("healthcheck: " + tt.check))
			if err != nil {
				t.Fatal(err)
			}
			if got := healthPath(mapGet(root, "healthcheck")); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecideInit(t *testing.T) {
	pg := func(addr, name, engine, typ string, keys ...string) ProdResource {
		return ProdResource{Address: addr, Type: typ, Kind: KindPostgres, Name: name, Engine: engine, Region: "eu-west-1", Keys: keys}
	}
	bucket := func(addr, name string, keys ...string) ProdResource {
		return ProdResource{Address: addr, Type: "aws_s3_bucket", Kind: KindS3, Name: name, Keys: keys}
	}
	queue := func(addr, name string, keys ...string) ProdResource {
		return ProdResource{Address: addr, Type: "aws_sqs_queue", Kind: KindSQS, Name: name, Region: "eu-west-1", Keys: keys}
	}
	task := ProdResource{Address: "aws_ecs_task_definition.api", Type: "aws_ecs_task_definition", Kind: KindApp, Name: "shop-api", Keys: []string{"api"}}
	svc := func(name string, kind Kind, engine string, has ...string) initService {
		s := initService{Name: name, Kind: kind, Engine: engine, Has: map[string]bool{}}
		for _, h := range has {
			s.Has[h] = true
		}
		return s
	}
	withBuckets := func(s initService, names ...string) initService { s.Buckets = names; return s }
	withQueues := func(s initService, names ...string) initService { s.Queues = names; return s }
	withHealth := func(s initService, p string) initService { s.Health = p; return s }
	withProd := func(s initService, addrs ...string) initService { s.Prod = addrs; s.Has["prod"] = true; return s }

	tests := []struct {
		name     string
		svcs     []initService
		existing *Environment
		opts     InitOptions
		want     map[string]string // service → keys as in summaries; "env" for the environment
		todo     []string          // substrings, one per todo, in order
	}{
		{
			name: "without Terraform: stand-in identifiers and the app",
			svcs: []initService{withHealth(svc("api", KindApp, ""), "/healthz"), svc("db", KindPostgres, "postgres"), svc("cache", KindRedis, "valkey"), svc("files", KindS3, "versitygw"), svc("jobs", KindSQS, "sqs")},
			opts: InitOptions{Env: "prod"},
			want: map[string]string{"api": "app, health /healthz", "db": "standin aws.rds-postgres", "cache": "standin aws.elasticache", "files": "standin aws.s3", "jobs": "standin aws.sqs"},
			todo: []string{"no prod environment: write its Terraform JSON"},
		},
		{
			name: "gcp has no identifier for s3 and sqs",
			svcs: []initService{svc("api", KindApp, "", "app", "health"), svc("db", KindPostgres, "postgres"), svc("cache", KindRedis, "valkey"), svc("files", KindS3, "minio"), svc("jobs", KindSQS, "sqs")},
			opts: InitOptions{Env: "prod", Cloud: "gcp"},
			want: map[string]string{"db": "standin gcp.cloudsql-postgres", "cache": "standin gcp.memorystore-valkey"},
			todo: []string{"files: gcp has no stand-in identifier for s3", "jobs: gcp has no stand-in identifier for sqs", "no prod environment"},
		},
		{
			name: "azure has none for valkey",
			svcs: []initService{svc("db", KindPostgres, "postgres"), svc("cache", KindRedis, "redis"), svc("sessions", KindRedis, "valkey")},
			opts: InitOptions{Env: "prod", Cloud: "azure"},
			want: map[string]string{"db": "standin azure.postgres-flexible", "cache": "standin azure.cache-redis"},
			todo: []string{"sessions: azure has no stand-in identifier for valkey", "no prod environment"},
		},
		{
			name: "the only candidates, and the app without a health path",
			svcs: []initService{svc("api", KindApp, ""), svc("db", KindPostgres, "postgres")},
			opts: InitOptions{Env: "prod", Terraform: "infra/prod.json", TerraformClouds: []string{"aws"},
				Resources: []ProdResource{pg("aws_db_instance.main", "shop-prod", "postgres", "aws_db_instance", "main"), task}},
			want: map[string]string{"api": "app, prod aws_ecs_task_definition.api", "db": "standin aws.rds-postgres, prod aws_db_instance.main",
				"env": "cloud aws, region eu-west-1, terraform infra/prod.json"},
			todo: []string{"api: no health path"},
		},
		{
			name: "by name among several, Aurora for a cluster",
			svcs: []initService{svc("db", KindPostgres, "postgres"), svc("analytics", KindPostgres, "postgres")},
			opts: InitOptions{Env: "prod", Terraform: "prod.json", Resources: []ProdResource{
				pg("module.analytics.aws_rds_cluster.this", "analytics-prod", "aurora-postgresql", "aws_rds_cluster", "this", "analytics"),
				pg("module.db.aws_db_instance.this[0]", "shop-prod", "postgres", "aws_db_instance", "this", "db"),
			}},
			want: map[string]string{"db": "standin aws.rds-postgres, prod module.db.aws_db_instance.this[0]",
				"analytics": "standin aws.aurora-postgres, prod module.analytics.aws_rds_cluster.this",
				"env":       "cloud aws, region eu-west-1, terraform prod.json"},
		},
		{
			name: "ambiguous: no prod, the candidates listed",
			svcs: []initService{svc("db", KindPostgres, "postgres")},
			opts: InitOptions{Env: "prod", Terraform: "prod.json", Region: "us-east-1", Resources: []ProdResource{
				pg("aws_db_instance.a", "shop-a", "postgres", "aws_db_instance", "a"),
				pg("aws_db_instance.b", "shop-b", "postgres", "aws_db_instance", "b"),
			}},
			want: map[string]string{"db": "standin aws.rds-postgres", "env": "cloud aws, region us-east-1, terraform prod.json"},
			todo: []string{"db: cannot tell which aws_db_instance or aws_rds_cluster is its prod (aws_db_instance.a, aws_db_instance.b)",
				"region us-east-1 from --region, while prod.json's resources are in eu-west-1"},
		},
		{
			name: "a tie between two services is no match",
			svcs: []initService{svc("db", KindPostgres, "postgres"), svc("db_replica", KindPostgres, "postgres")},
			opts: InitOptions{Env: "prod", Terraform: "prod.json", Resources: []ProdResource{
				pg("aws_db_instance.db", "db-replica", "postgres", "aws_db_instance", "db"),
			}},
			want: map[string]string{"db": "standin aws.rds-postgres", "db_replica": "standin aws.rds-postgres", "env": "cloud aws, region eu-west-1, terraform prod.json"},
			todo: []string{"db: cannot tell", "db_replica: cannot tell"},
		},
		{
			name: "buckets and queues by their declared names; claimed ones are skipped",
			svcs: []initService{
				withBuckets(svc("files", KindS3, "versitygw"), "uploads", "assets", "reports"),
				withQueues(svc("jobs", KindSQS, "sqs", "standin"), "jobs", "jobs-dlq", "orders.fifo"),
				withProd(svc("audit", KindSQS, "sqs", "standin"), "module.audit"),
			},
			opts: InitOptions{Env: "prod", Terraform: "prod.json", Resources: []ProdResource{
				bucket("aws_s3_bucket.assets", "shop-prod-assets"),
				bucket(`module.storage.aws_s3_bucket.this["uploads"]`, "shop-prod-user-files", "uploads", "this", "storage"),
				bucket("aws_s3_bucket.logs", "shop-prod-logs", "logs"),
				queue("aws_sqs_queue.jobs_dlq", "shop-prod-jobs-dlq", "jobs_dlq"),
				queue("aws_sqs_queue.jobs", "shop-prod-jobs", "jobs"),
				queue("aws_sqs_queue.orders", "shop-prod-orders.fifo", "orders"),
				queue("module.audit.aws_sqs_queue.this", "shop-prod-jobs-audit", "this", "audit"),
			}},
			want: map[string]string{
				"files": `standin aws.s3, prod [module.storage.aws_s3_bucket.this["uploads"], aws_s3_bucket.assets]`,
				"jobs":  "prod [aws_sqs_queue.jobs, aws_sqs_queue.jobs_dlq, aws_sqs_queue.orders]",
				"env":   "cloud aws, region eu-west-1, terraform prod.json",
			},
			todo: []string{`files: bucket "reports" matches no aws_s3_bucket in prod.json`},
		},
		{
			name: "an s3 service that declares no buckets, among several",
			svcs: []initService{svc("files", KindS3, "versitygw")},
			opts: InitOptions{Env: "prod", Terraform: "prod.json", Resources: []ProdResource{bucket("aws_s3_bucket.a", "a"), bucket("aws_s3_bucket.b", "b")}},
			want: map[string]string{"files": "standin aws.s3", "env": "cloud aws, terraform prod.json"},
			todo: []string{"files: declares no buckets, and prod.json has several aws_s3_bucket (aws_s3_bucket.a, aws_s3_bucket.b)", "no region written: no resource in prod.json says its region"},
		},
		{
			name: "nothing in the file for a kind; regions disagree",
			svcs: []initService{svc("cache", KindRedis, "redis")},
			opts: InitOptions{Env: "staging", Terraform: "staging.json", Resources: []ProdResource{
				pg("aws_db_instance.a", "a", "postgres", "aws_db_instance"), {Address: "aws_sqs_queue.q", Kind: KindSQS, Region: "us-east-1"},
			}},
			want: map[string]string{"cache": "standin aws.elasticache", "env": "cloud aws, terraform staging.json"},
			todo: []string{"cache: staging.json has no aws_elasticache_replication_group", "environment staging: no region written: staging.json's resources are in eu-west-1, us-east-1"},
		},
		{
			name: "the Terraform file's cloud, and one it cannot read",
			svcs: []initService{svc("db", KindPostgres, "postgres")},
			opts: InitOptions{Env: "prod", Terraform: "prod.json", TerraformClouds: []string{"gcp"}},
			want: map[string]string{"db": "standin gcp.cloudsql-postgres", "env": "cloud gcp, terraform prod.json"},
			todo: []string{"Terraform reader knows AWS resources only", "no region written"},
		},
		{
			name: "--cloud against the file",
			svcs: []initService{svc("db", KindPostgres, "postgres", "standin", "prod")},
			opts: InitOptions{Env: "prod", Cloud: "azure", Region: "westeurope", Terraform: "prod.json", TerraformClouds: []string{"aws"}},
			want: map[string]string{"env": "cloud azure, region westeurope, terraform prod.json"},
			todo: []string{"--cloud is azure, but prod.json holds aws resources", "Terraform reader knows AWS resources only"},
		},
		{
			name:     "an existing environment is left alone",
			svcs:     []initService{svc("db", KindPostgres, "postgres", "standin", "prod")},
			existing: &Environment{Name: "prod", Cloud: "aws", Terraform: "infra/old.json"},
			opts:     InitOptions{Env: "prod", Terraform: "infra/prod.json"},
			want:     map[string]string{},
			todo:     []string{`environment prod exists (terraform: infra/old.json); left as it is, while prod addresses were matched in infra/prod.json`},
		},
		{
			name:     "an existing environment without Terraform",
			svcs:     []initService{svc("db", KindPostgres, "postgres", "standin", "prod")},
			existing: &Environment{Name: "prod", Cloud: "aws"},
			opts:     InitOptions{Env: "prod", Terraform: "infra/prod.json"},
			want:     map[string]string{},
			todo:     []string{`environment prod exists without a Terraform file; left as it is: add terraform: infra/prod.json to it yourself`},
		},
		{
			name:     "nothing to do",
			svcs:     []initService{svc("api", KindApp, "", "app", "health", "prod"), svc("db", KindPostgres, "postgres", "standin", "prod")},
			existing: &Environment{Name: "prod", Cloud: "aws", Terraform: "infra/prod.json"},
			opts:     InitOptions{Env: "prod", Terraform: "infra/prod.json", Resources: []ProdResource{task}},
			want:     map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decideInit(tt.svcs, tt.existing, tt.opts)
			got := map[string]string{}
			for _, sa := range d.services {
				got[sa.Service] = describeKeys(sa.Keys)
			}
			if d.env != nil {
				got["env"] = describeKeys(d.env.Keys)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("keys:\ngot  %q\nwant %q", got, tt.want)
			}
			if len(d.todo) != len(tt.todo) {
				t.Errorf("todo: got %q, want %d entries like %q", d.todo, len(tt.todo), tt.todo)
				return
			}
			for i, w := range tt.todo {
				if !strings.Contains(d.todo[i].String(), w) {
					t.Errorf("todo %d: got %q, want it to contain %q", i, d.todo[i], w)
				}
			}
		})
	}
}

// TestPlanInitFiles checks that each service's keys go to the file that
// declares it (or holds its x-prodlike), and that init leaves included
// files to the user.
func TestPlanInitFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("compose.yaml", `include: [cache.yaml]
services:
  api:
    build: .
  db:
    image: postgres:16.4
`)
	write("compose.override.yaml", `services:
  db:
    x-prodlike: { version: "16.4" }
  files:
    image: versity/versitygw:v1.8.0
x-prodlike:
  image-mirror: mirror.example.com
`)
	write("cache.yaml", "services:\n  cache:\n    image: redis:7.1\n")
	spec, err := Load(context.Background(), Options{WorkDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	plan := PlanInit(spec, InitOptions{Env: "prod", Terraform: "prod.json"})
	got := map[string][]string{}
	for _, f := range plan.Files {
		for _, s := range f.Services {
			got[f.Shown] = append(got[f.Shown], s.Service)
		}
		if f.Environment != nil {
			got[f.Shown] = append(got[f.Shown], "env "+f.Environment.Name)
		}
	}
	want := map[string][]string{
		"compose.yaml":          {"api"},
		"compose.override.yaml": {"db", "files", "env prod"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("annotations by file: got %v, want %v", got, want)
	}
	var todo []string
	for _, td := range plan.Todo {
		todo = append(todo, td.String())
	}
	if !containsSubstring(todo, "cache: declared in cache.yaml, which a compose file includes") {
		t.Errorf("todo: got %q, want one for cache, declared in an included file", todo)
	}
}

func containsSubstring(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
