package parity

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prodlike/prodlike/config"
	"github.com/prodlike/prodlike/emulators/postgres"
	"github.com/prodlike/prodlike/emulators/redis"
	"github.com/prodlike/prodlike/emulators/s3"
	"github.com/prodlike/prodlike/emulators/sqs"
	"github.com/prodlike/prodlike/profiles"
	"github.com/prodlike/prodlike/profiles/truth"
)

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func mustService(t *testing.T, id string) *profiles.Service {
	t.Helper()
	s, err := profiles.Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// matching returns facts in which dev matches prod in everything the checks
// look at: the dev settings are made from the catalog's defaults for prod's
// version, so the fixture follows the catalog.
func matching(t *testing.T) *Facts {
	t.Helper()
	rds := mustService(t, "aws.rds-postgres")
	pgEngine, _ := rds.Engine("postgres")
	settings := map[string]postgres.Setting{
		"ssl":                      {Value: "on"},
		"shared_preload_libraries": {Value: "pg_stat_statements"},
		"work_mem":                 {Value: "8192", Unit: "kB"},
		"max_connections":          {Value: "200"},
	}
	for name, p := range pgEngine.ParametersFor("16.4") {
		if _, ok := settings[name]; !ok && !strings.HasPrefix(name, "rds.") {
			settings[name] = postgres.Setting{Value: p.Value}
		}
	}
	settings["shared_preload_libraries"] = postgres.Setting{Value: pgEngine.ParametersFor("16.4")["shared_preload_libraries"].Value}

	ec := mustService(t, "aws.elasticache")
	redisEngine, _ := ec.Engine("redis")
	redisConfig := map[string]string{"maxmemory-policy": "volatile-lru", "timeout": "0", "requirepass": "s3cret", "tls-port": "6380"}
	for name, p := range redisEngine.ParametersFor("7.1") {
		if _, ok := redisConfig[name]; !ok {
			redisConfig[name] = p.Value
		}
	}

	dev := []*Service{
		{Service: config.Service{Name: "api", Kind: config.KindApp}, App: &App{
			Env:      map[string]string{"DATABASE_URL": "postgres://app@db:5432/app?sslmode=require", "REDIS_URL": "redis://cache:6379", "LOG_LEVEL": "debug", "AWS_ENDPOINT_URL_S3": "http://files:7070"},
			Injected: map[string]string{"DATABASE_URL": "db", "REDIS_URL": "cache", "AWS_ENDPOINT_URL_S3": "files"},
			Image: &Image{Ref: "shop-api", Platform: "linux/arm64", User: "65534:65534", Healthcheck: []string{"CMD", "/shop", "-healthcheck"},
				Entrypoint: []string{"/shop"}, Env: map[string]string{"PATH": "/usr/bin"}, History: []string{"COPY /shop /shop # buildkit"}, LayersRead: true},
			StartTime: 800 * time.Millisecond,
		}},
		{Service: config.Service{Name: "cache", Kind: config.KindRedis, Engine: "redis"}, Redis: &redis.Facts{
			Engine: "redis", Version: "7.1.0", Mode: "standalone", Config: redisConfig,
			Commands: map[string]int64{"get": 10, "set": 4, "config|get": 3},
		}},
		{Service: config.Service{Name: "db", Kind: config.KindPostgres, Engine: "postgres"}, Postgres: &postgres.Facts{
			Version: "16.4", Settings: settings, User: "app",
			Extensions: []postgres.Extension{{Name: "plpgsql", Version: "1.0"}, {Name: "pgcrypto", Version: "1.3"}, {Name: "pg_stat_statements", Version: "1.10"}},
		}},
		{Service: config.Service{Name: "files", Kind: config.KindS3, Buckets: []config.Bucket{{Name: "uploads", Versioning: true}}}, S3: &s3.Facts{
			Buckets: []s3.BucketFacts{{Name: "uploads", Versioning: "Enabled"}},
		}},
		{Service: config.Service{Name: "jobs", Kind: config.KindSQS, Queues: []config.Queue{{Name: "jobs", DeadLetter: "jobs-dlq", MaxReceiveCount: 3}, {Name: "jobs-dlq"}}}, SQS: &sqs.Facts{
			Queues: []sqs.QueueFacts{
				{Name: "jobs", Attributes: queueAttrs("60", "345600"), DeadLetter: "jobs-dlq", MaxReceiveCount: 3},
				{Name: "jobs-dlq", Attributes: queueAttrs("30", "1209600")},
			},
		}},
	}
	prod := &truth.Environment{Name: "prod", Cloud: "aws", Region: "eu-west-1", Source: "test", Services: map[string]*truth.Resource{
		"api": {Service: "api", App: &truth.App{Platform: "linux/arm64", Env: map[string]string{
			"DATABASE_URL": truth.Redacted, "REDIS_URL": truth.Redacted, "LOG_LEVEL": "info"}}},
		"cache": {Service: "cache", Managed: "aws.elasticache", Redis: &truth.Redis{Engine: "redis", Version: "7.1", TLS: true, AuthToken: true}},
		"db": {Service: "db", Managed: "aws.rds-postgres", Postgres: &truth.Postgres{Engine: "postgres", Version: "16.4",
			Parameters: map[string]string{"work_mem": "8MB", "max_connections": "200"}}},
		"files": {Service: "files", Managed: "aws.s3", Storage: &truth.Storage{Buckets: []truth.ProdBucket{
			{Bucket: config.Bucket{Name: "shop-prod-uploads", Versioning: true}, Status: "Enabled", DevName: "uploads"}}}},
		"jobs": {Service: "jobs", Managed: "aws.sqs", Queues: &truth.Queues{Queues: []truth.ProdQueue{
			{Queue: config.Queue{Name: "shop-prod-jobs", Attributes: map[string]string{"VisibilityTimeout": "60"}, DeadLetter: "shop-prod-jobs-dlq", MaxReceiveCount: 3}, DevName: "jobs"},
			{Queue: config.Queue{Name: "shop-prod-jobs-dlq", Attributes: map[string]string{"MessageRetentionPeriod": "1209600"}}, DevName: "jobs-dlq"},
		}}},
	}}
	return &Facts{Project: "shop", Services: dev, Prod: prod, Now: now}
}

// queueAttrs are a standard queue's attributes as the stand-in reports them.
func queueAttrs(visibility, retention string) map[string]string {
	return map[string]string{"VisibilityTimeout": visibility, "MessageRetentionPeriod": retention, "MaximumMessageSize": "1048576",
		"DelaySeconds": "0", "ReceiveMessageWaitTimeSeconds": "0", "QueueArn": "arn:aws:sqs:eu-west-1:000000000000:x"}
}

func svc(f *Facts, name string) *Service {
	s, _ := f.Service(name)
	return s
}

// failing returns the IDs of the checks with findings that count, and the
// subjects of their findings.
func failing(r *Report) []string {
	var out []string
	for _, res := range r.Results {
		for _, f := range res.Findings {
			if f.Waived == "" && f.Severity > Info {
				id := f.Check + " " + f.Service
				if f.Subject != "" {
					id += " " + f.Subject
				}
				if !slices.Contains(out, id) {
					out = append(out, id)
				}
			}
		}
	}
	return out
}

func TestMatchingFactsPass(t *testing.T) {
	r := Run(Checks, matching(t), nil, now)
	if got := failing(r); len(got) > 0 {
		for _, f := range r.Findings() {
			t.Logf("%s %s %s: %s", f.Severity, f.Check, f.Service, f.Message)
		}
		t.Fatalf("matching facts: got findings %q, want none", got)
	}
	if n := r.Statuses()[Skip]; n != 0 {
		for _, res := range r.Results {
			if res.Status == Skip {
				t.Logf("%s skipped: %s", res.ID, res.Reason)
			}
		}
		t.Errorf("matching facts: got %d skipped checks, want 0", n)
	}
	if len(r.Results) != len(Checks) {
		t.Errorf("got %d results, want one per check (%d)", len(r.Results), len(Checks))
	}
}

// TestEachCheckFails breaks one thing at a time and wants exactly the
// findings of the check that looks at it.
func TestEachCheckFails(t *testing.T) {
	tests := []struct {
		name   string
		change func(f *Facts)
		want   []string
	}{
		{"postgres major", func(f *Facts) { svc(f, "db").Postgres.Version = "15.14" }, []string{"PG-VERSION-MAJOR db"}},
		{"postgres minor", func(f *Facts) { svc(f, "db").Postgres.Version = "16.3" }, []string{"PG-VERSION-MINOR db"}},
		{"postgres out of support", func(f *Facts) {
			svc(f, "db").Postgres.Version = "13.20"
			f.Prod.Services["db"].Postgres.Version = "13.20"
			f.Prod.Services["db"].Postgres.Parameters["rds.force_ssl"] = "1"
		}, []string{"PG-SUPPORT db"}},
		{"postgres parameter", func(f *Facts) {
			svc(f, "db").Postgres.Settings["work_mem"] = postgres.Setting{Value: "4096", Unit: "kB"}
		}, []string{"PG-PARAM db work_mem"}},
		{"postgres plain parameter", func(f *Facts) { svc(f, "db").Postgres.Settings["max_connections"] = postgres.Setting{Value: "100"} }, []string{"PG-PARAM db max_connections"}},
		{"postgres without TLS", func(f *Facts) { svc(f, "db").Postgres.Settings["ssl"] = postgres.Setting{Value: "off"} }, []string{"PG-TLS db"}},
		{"prod's URL disables TLS", func(f *Facts) {
			f.Prod.Services["api"].App.Env["DATABASE_URL"] = "postgres://app:(sensitive)@prod.rds.amazonaws.com/app?sslmode=disable"
		}, []string{"PG-TLS db sslmode"}},
		{"extension not on RDS", func(f *Facts) {
			svc(f, "db").Postgres.Extensions = append(svc(f, "db").Postgres.Extensions, postgres.Extension{Name: "timescaledb", Version: "2.14"})
		}, []string{"PG-EXTENSION db timescaledb"}},
		{"dev preloads more", func(f *Facts) {
			s := svc(f, "db").Postgres.Settings["shared_preload_libraries"]
			s.Value += ",auto_explain"
			svc(f, "db").Postgres.Settings["shared_preload_libraries"] = s
		}, []string{"PG-PRELOAD db auto_explain"}},
		{"superuser", func(f *Facts) { svc(f, "db").Postgres.Superuser = true }, []string{"PG-SUPERUSER db app"}},
		{"valkey in prod", func(f *Facts) {
			f.Prod.Services["cache"].Redis.Engine = "valkey"
			f.Prod.Services["cache"].Redis.Version = "8.0"
		}, []string{"REDIS-ENGINE cache"}},
		{"redis major", func(f *Facts) { svc(f, "cache").Redis.Version = "6.2.14" }, []string{"REDIS-VERSION-MAJOR cache"}},
		{"redis minor", func(f *Facts) { svc(f, "cache").Redis.Version = "7.0.15" }, []string{"REDIS-VERSION-MINOR cache"}},
		{"redis out of support", func(f *Facts) {
			svc(f, "cache").Redis.Version = "5.0.6"
			f.Prod.Services["cache"].Redis.Version = "5.0.6"
		}, []string{"REDIS-SUPPORT cache"}},
		{"eviction", func(f *Facts) { svc(f, "cache").Redis.Config["maxmemory-policy"] = "noeviction" }, []string{"REDIS-EVICTION cache maxmemory-policy"}},
		{"redis parameter", func(f *Facts) { f.Prod.Services["cache"].Redis.Parameters = map[string]string{"timeout": "300"} }, []string{"REDIS-PARAM cache timeout"}},
		{"redis without TLS", func(f *Facts) { svc(f, "cache").Redis.Config["tls-port"] = "0" }, []string{"REDIS-TLS cache"}},
		{"redis without auth", func(f *Facts) { svc(f, "cache").Redis.Config["requirepass"] = "" }, []string{"REDIS-AUTH cache"}},
		{"cluster mode", func(f *Facts) { f.Prod.Services["cache"].Redis.ClusterMode = true }, []string{"REDIS-CLUSTER cache"}},
		{"blocked command", func(f *Facts) { svc(f, "cache").Redis.Commands["config|set"] = 2 }, []string{"REDIS-COMMANDS cache CONFIG SET"}},
		{"bucket missing in prod", func(f *Facts) { f.Prod.Services["files"].Storage.Buckets[0].DevName = "" }, []string{"S3-BUCKET files uploads"}},
		{"versioning", func(f *Facts) { svc(f, "files").S3.Buckets[0].Versioning = "" }, []string{"S3-VERSIONING files uploads"}},
		{"cors", func(f *Facts) {
			f.Prod.Services["files"].Storage.Buckets[0].CORS = []config.CORSRule{{AllowedOrigins: []string{"https://shop.example"}, AllowedMethods: []string{"PUT"}}}
		}, []string{"S3-CORS files uploads"}},
		{"queue missing in prod", func(f *Facts) { f.Prod.Services["jobs"].Queues.Queues[1].DevName = "" }, []string{"SQS-QUEUE jobs jobs-dlq", "SQS-DLQ jobs jobs"}},
		{"fifo", func(f *Facts) { f.Prod.Services["jobs"].Queues.Queues[0].Attributes["FifoQueue"] = "true" }, []string{"SQS-FIFO jobs jobs"}},
		{"visibility", func(f *Facts) { f.Prod.Services["jobs"].Queues.Queues[0].Attributes["VisibilityTimeout"] = "120" }, []string{"SQS-VISIBILITY jobs jobs"}},
		{"dlq count", func(f *Facts) { f.Prod.Services["jobs"].Queues.Queues[0].MaxReceiveCount = 5 }, []string{"SQS-DLQ jobs jobs"}},
		{"no dlq in prod", func(f *Facts) { f.Prod.Services["jobs"].Queues.Queues[0].DeadLetter = "" }, []string{"SQS-DLQ jobs jobs"}},
		{"retention", func(f *Facts) {
			f.Prod.Services["jobs"].Queues.Queues[1].Attributes["MessageRetentionPeriod"] = "345600"
		}, []string{"SQS-RETENTION jobs jobs-dlq"}},
		{"message size", func(f *Facts) { f.Prod.Services["jobs"].Queues.Queues[0].Attributes["MaximumMessageSize"] = "262144" }, []string{"SQS-MESSAGE-SIZE jobs jobs"}},
		{"delay", func(f *Facts) { f.Prod.Services["jobs"].Queues.Queues[0].Attributes["DelaySeconds"] = "5" }, []string{"SQS-ATTRIBUTE jobs jobs delay"}},
		{"architecture", func(f *Facts) { svc(f, "api").App.Image.Platform = "linux/amd64" }, []string{"IMAGE-ARCH api"}},
		{"root", func(f *Facts) { svc(f, "api").App.Image.User = "" }, []string{"IMAGE-ROOT api"}},
		{"shell entrypoint", func(f *Facts) { svc(f, "api").App.Image.Entrypoint = []string{"/bin/sh", "-c", "/shop --port 8080"} }, []string{"IMAGE-SIGTERM api"}},
		{"slow start", func(f *Facts) { svc(f, "api").App.StartTime = 7 * time.Second }, []string{"IMAGE-START-TIME api"}},
		{"secret in image env", func(f *Facts) { svc(f, "api").App.Image.Env["STRIPE_API_KEY"] = "sk_live_123" }, []string{"IMAGE-SECRET-ENV api STRIPE_API_KEY"}},
		{"secret in history", func(f *Facts) {
			svc(f, "api").App.Image.History = append(svc(f, "api").App.Image.History, "ARG DB_PASSWORD=hunter2")
		}, []string{"IMAGE-SECRET-ENV api layer 2"}},
		{"secret file", func(f *Facts) { svc(f, "api").App.Image.SecretFiles = []string{"/app/.env"} }, []string{"IMAGE-SECRET-FILES api /app/.env"}},
		{"prod-only variable", func(f *Facts) { f.Prod.Services["api"].App.Env["FEATURE_FLAGS_URL"] = "https://flags.example" }, []string{"ENV-PROD-ONLY api FEATURE_FLAGS_URL"}},
		{"dev-only variable", func(f *Facts) { svc(f, "api").App.Env["CACHE_TTL"] = "60" }, []string{"ENV-DEV-ONLY api CACHE_TTL"}},
		{"stand-in variable prod lacks", func(f *Facts) { delete(f.Prod.Services["api"].App.Env, "REDIS_URL") }, []string{"ENV-DEV-ONLY api REDIS_URL"}},
		{"localhost in prod", func(f *Facts) { f.Prod.Services["api"].App.Env["PAYMENTS_URL"] = "http://localhost:9000" }, []string{"ENV-PROD-ONLY api PAYMENTS_URL", "ENV-LEAK api PAYMENTS_URL"}},
		{"emulator endpoint baked in", func(f *Facts) { svc(f, "api").App.Image.Env["AWS_ENDPOINT_URL"] = "http://files:7070" }, []string{"ENV-LEAK api AWS_ENDPOINT_URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := matching(t)
			tt.change(f)
			got := failing(Run(Checks, f, nil, now))
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tt.want))
			if !slices.Equal(got, want) {
				t.Errorf("got findings %q, want %q", got, want)
			}
		})
	}
}

func TestEveryCheckHasAFailingCase(t *testing.T) {
	// The table above names each check it breaks; a check added without a
	// failing case is caught here.
	src := strings.Join(testedIDs, " ")
	for _, c := range Checks {
		if !strings.Contains(src, c.ID+" ") {
			t.Errorf("check %s has no case in TestEachCheckFails", c.ID)
		}
	}
}

// testedIDs are the check IDs TestEachCheckFails expects, kept in step by
// hand and verified by TestEveryCheckHasAFailingCase.
var testedIDs = []string{"PG-VERSION-MAJOR ", "PG-VERSION-MINOR ", "PG-SUPPORT ", "PG-PARAM ", "PG-TLS ", "PG-EXTENSION ", "PG-PRELOAD ", "PG-SUPERUSER ",
	"REDIS-ENGINE ", "REDIS-VERSION-MAJOR ", "REDIS-VERSION-MINOR ", "REDIS-SUPPORT ", "REDIS-EVICTION ", "REDIS-PARAM ", "REDIS-TLS ", "REDIS-AUTH ", "REDIS-CLUSTER ", "REDIS-COMMANDS ",
	"S3-BUCKET ", "S3-VERSIONING ", "S3-CORS ", "SQS-QUEUE ", "SQS-FIFO ", "SQS-VISIBILITY ", "SQS-DLQ ", "SQS-RETENTION ", "SQS-MESSAGE-SIZE ", "SQS-ATTRIBUTE ",
	"IMAGE-ARCH ", "IMAGE-ROOT ", "IMAGE-HEALTHCHECK ", "IMAGE-SIGTERM ", "IMAGE-START-TIME ", "IMAGE-SECRET-ENV ", "IMAGE-SECRET-FILES ",
	"ENV-PROD-ONLY ", "ENV-DEV-ONLY ", "ENV-LEAK "}

func TestChecksAreUniqueAndComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Checks {
		switch {
		case seen[c.ID]:
			t.Errorf("check ID %s appears twice", c.ID)
		case c.Title == "" || c.Family == "" || c.Severity == 0 || c.Kind == "" || c.Run == nil:
			t.Errorf("check %s: missing title, family, severity, kind or Run", c.ID)
		}
		seen[c.ID] = true
	}
}

func TestSkippedChecksSayWhy(t *testing.T) {
	f := matching(t)
	svc(f, "db").Postgres = nil
	svc(f, "db").FactsErr = errors.New("connection refused")
	delete(f.Prod.Services, "cache")
	r := Run(Checks, f, nil, now)
	for _, res := range r.Results {
		switch {
		case strings.HasPrefix(res.ID, "PG-") && res.ID != "PG-SUPPORT":
			if res.Status != Skip || !strings.Contains(res.Reason, "db: the stand-in did not answer: connection refused") {
				t.Errorf("%s: got %s (%q), want skip saying the stand-in did not answer", res.ID, res.Status, res.Reason)
			}
		case strings.HasPrefix(res.ID, "REDIS-"):
			if res.Status != Skip || !strings.Contains(res.Reason, "cache: no prod truth") {
				t.Errorf("%s: got %s (%q), want skip for missing prod truth", res.ID, res.Status, res.Reason)
			}
		}
	}
}

func TestWaivers(t *testing.T) {
	f := matching(t)
	svc(f, "db").Postgres.Settings["work_mem"] = postgres.Setting{Value: "4096", Unit: "kB"}
	svc(f, "db").Postgres.Settings["max_connections"] = postgres.Setting{Value: "100"}
	waivers := []config.Waiver{
		{Check: "PG-PARAM", Service: "db", Subject: "work_mem", Reason: "tuned per instance"},
		{Check: "PG-PARAM", Subject: "max_connections", Env: "staging", Reason: "only in staging"},
	}
	r := Run(Checks, f, waivers, now)
	if got, want := failing(r), []string{"PG-PARAM db max_connections"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q (work_mem waived; the max_connections waiver is for staging)", got, want)
	}
	if r.Waived() != 1 {
		t.Errorf("got %d waived, want 1", r.Waived())
	}
	if !r.Failed(Warn) || r.Failed(Block) {
		t.Errorf("Failed(warn) = %t, Failed(block) = %t; want true, false", r.Failed(Warn), r.Failed(Block))
	}
}

func TestCheckWaivers(t *testing.T) {
	spec := &config.Spec{
		Services:     []config.Service{{Name: "db", Kind: config.KindPostgres}},
		Environments: []config.Environment{{Name: "prod"}},
		Waivers: []config.Waiver{
			{Check: "PG-PARAM", Service: "db", Reason: "ok", File: "compose.yaml", Line: 10},
			{Check: "PG-PARAMS", Reason: "typo", File: "compose.yaml", Line: 11},
			{Check: "PG-TLS", Service: "dbb", Env: "qa", Reason: "x", File: "compose.yaml", Line: 12},
		},
	}
	err := CheckWaivers(Checks, spec)
	if !errors.Is(err, config.ErrInvalid) {
		t.Fatalf("got %v, want a config error", err)
	}
	for _, want := range []string{
		`compose.yaml:11: x-prodlike.waive.1.check: unknown check "PG-PARAMS"; did you mean PG-PARAM?`,
		`compose.yaml:12: x-prodlike.waive.2.service: no service "dbb" in the project`,
		`compose.yaml:12: x-prodlike.waive.2.env: no environment "qa" under x-prodlike.environments`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("got %q, want it to contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "waive.0") {
		t.Errorf("got %q, want no complaint about the valid waiver", err)
	}
}

func TestSettingComparison(t *testing.T) {
	tests := []struct {
		name string
		dev  postgres.Setting
		prod string
		want bool
	}{
		{"work_mem", postgres.Setting{Value: "8192", Unit: "kB"}, "8MB", true},
		{"work_mem", postgres.Setting{Value: "8192", Unit: "kB"}, "8192", true},
		{"work_mem", postgres.Setting{Value: "4096", Unit: "kB"}, "8MB", false},
		{"shared_buffers", postgres.Setting{Value: "16384", Unit: "8kB"}, "128MB", true},
		{"statement_timeout", postgres.Setting{Value: "30000", Unit: "ms"}, "30s", true},
		{"log_rotation_age", postgres.Setting{Value: "60", Unit: "min"}, "60", true},
		{"log_rotation_age", postgres.Setting{Value: "60", Unit: "min"}, "1h", true},
		{"ssl", postgres.Setting{Value: "on"}, "1", true},
		{"ssl", postgres.Setting{Value: "off"}, "1", false},
		{"shared_preload_libraries", postgres.Setting{Value: "pg_stat_statements,pg_cron"}, "pg_cron, pg_stat_statements", true},
		{"timezone", postgres.Setting{Value: "Etc/UTC"}, "UTC", true},
		{"password_encryption", postgres.Setting{Value: "scram-sha-256"}, "SCRAM-SHA-256", true},
		{"password_encryption", postgres.Setting{Value: "md5"}, "scram-sha-256", false},
		{"random_page_cost", postgres.Setting{Value: "4"}, "4.0", true},
	}
	for _, tt := range tests {
		if got := pgSettingEqual(tt.name, tt.dev, tt.prod); got != tt.want {
			t.Errorf("%s: dev %s vs prod %q: got %t, want %t", tt.name, pgSettingString(tt.dev), tt.prod, got, tt.want)
		}
	}
	redisTests := []struct {
		dev, prod string
		want      bool
	}{{"104857600", "100mb", true}, {"yes", "YES", true}, {"allkeys-lru", "volatile-lru", false}, {"0", "0b", true}}
	for _, tt := range redisTests {
		if got := redisValueEqual(tt.dev, tt.prod); got != tt.want {
			t.Errorf("redis %q vs %q: got %t, want %t", tt.dev, tt.prod, got, tt.want)
		}
	}
}

func TestReportOrderFollowsChecks(t *testing.T) {
	f := matching(t)
	r := Run(Checks, f, nil, now)
	var ids []string
	for _, res := range r.Results {
		ids = append(ids, res.ID)
	}
	want := checkIDs(Checks)
	if !slices.Equal(ids, want) {
		t.Errorf("got results in order %v, want %v", ids, want)
	}
	if r.Env != "prod" || r.Cloud != "aws" || r.Project != "shop" {
		t.Errorf("got env %q cloud %q project %q, want prod, aws, shop", r.Env, r.Cloud, r.Project)
	}
}

func TestSettingNamesIgnoreCase(t *testing.T) {
	f := matching(t)
	s := svc(f, "db").Postgres.Settings
	s["TimeZone"] = postgres.Setting{Value: "Europe/Berlin"}
	delete(s, "timezone")
	f.Prod.Services["db"].Postgres.Parameters["timezone"] = "UTC"
	if got, want := failing(Run(Checks, f, nil, now)), []string{"PG-PARAM db timezone"}; !slices.Equal(got, want) {
		t.Errorf("dev TimeZone Europe/Berlin, prod timezone UTC: got %q, want %q", got, want)
	}
	s["TimeZone"] = postgres.Setting{Value: "Etc/UTC"}
	if got := failing(Run(Checks, f, nil, now)); len(got) > 0 {
		t.Errorf("dev TimeZone Etc/UTC, prod timezone UTC: got %q, want none", got)
	}
}
