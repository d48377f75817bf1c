package profiles

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func TestEmbeddedCatalogsLoad(t *testing.T) {
	cats, err := Catalogs()
	if err != nil {
		t.Fatalf("Catalogs: %v", err)
	}
	var clouds []string
	for _, c := range cats {
		clouds = append(clouds, c.Cloud)
	}
	if want := []string{"aws", "azure", "gcp"}; !slices.Equal(clouds, want) {
		t.Errorf("clouds: got %v, want %v", clouds, want)
	}
}

func TestEveryServicePresent(t *testing.T) {
	want := map[string]string{
		"aws.rds-postgres":        "postgres",
		"aws.aurora-postgres":     "postgres",
		"aws.elasticache":         "redis",
		"aws.s3":                  "s3",
		"aws.sqs":                 "sqs",
		"gcp.cloudsql-postgres":   "postgres",
		"gcp.memorystore-redis":   "redis",
		"gcp.memorystore-valkey":  "redis",
		"azure.postgres-flexible": "postgres",
		"azure.cache-redis":       "redis",
	}
	for id, kind := range want {
		s, err := Lookup(id)
		if err != nil {
			t.Errorf("Lookup(%q): %v", id, err)
			continue
		}
		if s.Kind != kind {
			t.Errorf("%s kind: got %q, want %q", id, s.Kind, kind)
		}
		if len(s.Sources) == 0 {
			t.Errorf("%s: no sources", id)
		}
	}
	cats, err := Catalogs()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range cats {
		n += len(c.Services)
	}
	if n != len(want) {
		t.Errorf("service count: got %d, want %d", n, len(want))
	}
	if _, err := Lookup("aws.memorydb"); err == nil {
		t.Error("Lookup(aws.memorydb): got no error, want one")
	}
	if _, err := ForCloud("oracle"); err == nil {
		t.Error("ForCloud(oracle): got no error, want one")
	}
	aws, err := ForCloud("aws")
	if err != nil || aws.Cloud != "aws" || len(aws.Services) != 5 {
		t.Errorf("ForCloud(aws): got %v (%v), want the 5 AWS services", aws, err)
	}
}

func mustLookup(t *testing.T, id string) *Service {
	t.Helper()
	s, err := Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustEngine(t *testing.T, id, engine string) *Engine {
	t.Helper()
	e, ok := mustLookup(t, id).Engine(engine)
	if !ok {
		t.Fatalf("%s has no engine %q", id, engine)
	}
	return e
}

func TestRDSForcesTLSFrom15(t *testing.T) {
	rds := mustLookup(t, "aws.rds-postgres")
	pg := mustEngine(t, "aws.rds-postgres", "postgres")
	for _, tc := range []struct {
		version, forceSSL, tls string
	}{
		{"11", "0", "optional"},
		{"14", "0", "optional"},
		{"14.12", "0", "optional"},
		{"15", "1", "required"},
		{"15.2", "1", "required"},
		{"16.4", "1", "required"},
		{"17", "1", "required"},
		{"18.1", "1", "required"},
	} {
		if got := pg.ParametersFor(tc.version)["rds.force_ssl"].Value; got != tc.forceSSL {
			t.Errorf("RDS %s rds.force_ssl: got %q, want %q", tc.version, got, tc.forceSSL)
		}
		if got := rds.TLSDefault(tc.version); got != tc.tls {
			t.Errorf("RDS %s TLS default: got %q, want %q", tc.version, got, tc.tls)
		}
	}
	if rds.TLS.Parameter != "rds.force_ssl" || rds.Superuser || rds.SuperuserRole != "rds_superuser" {
		t.Errorf("RDS TLS/superuser: got %+v, superuser %v role %q", rds.TLS, rds.Superuser, rds.SuperuserRole)
	}
	if got := pg.ParametersFor("16")["shared_preload_libraries"].Value; !strings.Contains(got, "pg_stat_statements") {
		t.Errorf("RDS 16 shared_preload_libraries: got %q, want it to contain pg_stat_statements", got)
	}
}

func TestRDSExtensions(t *testing.T) {
	pg := mustEngine(t, "aws.rds-postgres", "postgres")
	for _, tc := range []struct {
		name, version string
		allowed       bool
	}{
		{"vector", "16.4", true},
		{"vector", "16", true},
		{"vector", "14.6", false}, // pgvector arrived in 14.7
		{"vector", "14.7", true},
		{"timescaledb", "16.4", false},
		{"citus", "17", false},
		{"plpython3u", "16", false},
		{"file_fdw", "16", false},
		{"adminpack", "16.1", true},
		{"adminpack", "17.1", false},
		{"plv8", "14", true},
		{"plv8", "15", false},
		{"pg_walinspect", "14", false},
		{"pg_walinspect", "15.4", true},
		{"pg_cron", "12.4", false},
		{"pg_cron", "12.5", true},
	} {
		if _, got := pg.Extension(tc.name, tc.version); got != tc.allowed {
			t.Errorf("RDS %s on %s: got allowed=%v, want %v", tc.name, tc.version, got, tc.allowed)
		}
	}
	if x, _ := pg.Extension("pg_cron", "16"); !x.Preload {
		t.Error("RDS pg_cron: got Preload false, want true")
	}
	if _, ok := pg.Extension("apg_plan_mgmt", "16"); ok {
		t.Error("RDS apg_plan_mgmt: got allowed, want Aurora only")
	}
	aurora := mustEngine(t, "aws.aurora-postgres", "aurora-postgresql")
	if _, ok := aurora.Extension("apg_plan_mgmt", "16"); !ok {
		t.Error("Aurora apg_plan_mgmt: got not allowed, want allowed")
	}
}

func TestElastiCache(t *testing.T) {
	ec := mustLookup(t, "aws.elasticache")
	if !ec.ClusterMode || ec.Superuser || ec.TLSDefault("7.1") != "off" {
		t.Errorf("ElastiCache: got cluster %v superuser %v TLS %q, want true false off", ec.ClusterMode, ec.Superuser, ec.TLSDefault("7.1"))
	}
	for _, engine := range []string{"redis", "valkey"} {
		e := mustEngine(t, "aws.elasticache", engine)
		if !slices.Contains(e.BlockedCommands, "CONFIG") {
			t.Errorf("ElastiCache %s: CONFIG not blocked", engine)
		}
		params := e.ParametersFor("")
		if got := params["maxmemory-policy"].Value; got != "volatile-lru" {
			t.Errorf("ElastiCache %s maxmemory-policy: got %q, want volatile-lru", engine, got)
		}
		if got := params["reserved-memory-percent"].Value; got != "25" {
			t.Errorf("ElastiCache %s reserved-memory-percent: got %q, want 25", engine, got)
		}
	}
	redis := mustEngine(t, "aws.elasticache", "redis")
	v6, _ := redis.Major("6.2")
	if want := date(2027, 1, 31); !v6.EndOfStandardSupport.Equal(want) {
		t.Errorf("ElastiCache Redis 6.2 end of standard support: got %v, want %v", v6.EndOfStandardSupport, want)
	}
}

func TestS3AndSQSDefaults(t *testing.T) {
	s3 := mustLookup(t, "aws.s3")
	want := BucketDefaults{Versioning: "", BlockPublicAccess: true, Encryption: "SSE-S3", ObjectOwnership: "BucketOwnerEnforced"}
	if s3.Bucket == nil || *s3.Bucket != want {
		t.Errorf("S3 bucket defaults: got %+v, want %+v", s3.Bucket, want)
	}
	sqs := mustLookup(t, "aws.sqs")
	if sqs.Queue == nil {
		t.Fatal("SQS: no queue defaults")
	}
	for attr, want := range map[string]string{
		"VisibilityTimeout":             "30",
		"MessageRetentionPeriod":        "345600",
		"MaximumMessageSize":            "1048576",
		"DelaySeconds":                  "0",
		"ReceiveMessageWaitTimeSeconds": "0",
	} {
		if got := sqs.Queue.Defaults[attr]; got != want {
			t.Errorf("SQS %s: got %q, want %q", attr, got, want)
		}
	}
	if sqs.Queue.MaxMessageSize != 1048576 || sqs.Queue.MaxReceiveCount != 1000 {
		t.Errorf("SQS limits: got %d/%d, want 1048576/1000", sqs.Queue.MaxMessageSize, sqs.Queue.MaxReceiveCount)
	}
}

func TestAzurePostgresRequiresTLS(t *testing.T) {
	az := mustLookup(t, "azure.postgres-flexible")
	if got := az.TLSDefault("13"); got != "required" {
		t.Errorf("Azure 13 TLS default: got %q, want required", got)
	}
	pg := mustEngine(t, "azure.postgres-flexible", "")
	if got := pg.ParametersFor("16")["require_secure_transport"].Value; got != "on" {
		t.Errorf("Azure require_secure_transport: got %q, want on", got)
	}
}

// Support dates must grow with the major: a newer line that ends before an
// older one is a typo.
func TestDatesAscendAcrossMajors(t *testing.T) {
	cats, err := Catalogs()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cats {
		for _, s := range c.Services {
			for _, e := range s.Engines {
				fields := map[string]func(Version) time.Time{
					"released":                func(v Version) time.Time { return v.Released },
					"end_of_standard_support": func(v Version) time.Time { return v.EndOfStandardSupport },
					"end_of_extended_support": func(v Version) time.Time { return v.EndOfExtendedSupport },
				}
				for field, get := range fields {
					var prev *Version
					for _, v := range e.Versions {
						if get(v).IsZero() {
							continue
						}
						if prev != nil && get(v).Before(get(*prev)) {
							t.Errorf("%s %s: %s of %s (%s) is before %s's (%s)", s.ID, e.Name, field,
								v.Major, get(v).Format(dateLayout), prev.Major, get(*prev).Format(dateLayout))
						}
						prev = &v
					}
				}
			}
		}
	}
}

func TestSupportWindowOfRDS12(t *testing.T) {
	pg := mustEngine(t, "aws.rds-postgres", "postgres")
	v12, ok := pg.Major("12.22")
	if !ok {
		t.Fatal("RDS has no 12")
	}
	for _, tc := range []struct {
		at              time.Time
		ended, extEnded bool
	}{
		{date(2025, 2, 28), false, false},
		{date(2025, 3, 1), true, false},
		{date(2028, 3, 1), true, true},
	} {
		if got := v12.SupportEnded(tc.at); got != tc.ended {
			t.Errorf("RDS 12 SupportEnded(%s): got %v, want %v", tc.at.Format(dateLayout), got, tc.ended)
		}
		if got := v12.ExtendedSupportEnded(tc.at); got != tc.extEnded {
			t.Errorf("RDS 12 ExtendedSupportEnded(%s): got %v, want %v", tc.at.Format(dateLayout), got, tc.extEnded)
		}
	}
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// validCatalog is the smallest file that passes validation; each error
// case breaks one thing in it.
const validCatalog = `cloud: aws
services:
  - id: aws.db
    name: DB
    kind: postgres
    sources: [https://example.com/db]
    tls: {default: required, required_from: "15", parameter: rds.force_ssl}
    auth: [password]
    superuser_role: rds_superuser
    engines:
      - name: postgres
        versions:
          - {major: "14", minors: ["14.1", "14.2"], released: 2022-02-03, end_of_standard_support: 2027-02-28}
          - {major: "15", minors: ["15.2"]}
        parameters:
          - {name: rds.force_ssl, value: "1", from: "15", note: enforced}
        extensions:
          - {name: vector, from: "14", min_versions: {"15": "15.2"}}
  - id: aws.queue
    name: Queue
    kind: sqs
    sources: [https://example.com/q]
    tls: {default: optional}
    auth: [iam]
    queue:
      defaults: {VisibilityTimeout: "30", MessageRetentionPeriod: "345600", MaximumMessageSize: "1048576", DelaySeconds: "0", ReceiveMessageWaitTimeSeconds: "0"}
      max_message_size: 1048576
      max_receive_count: 1000
`

func catalogFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, text := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(text)}
	}
	return fsys
}

func TestLoadAcceptsValidCatalog(t *testing.T) {
	ix, err := load(catalogFS(map[string]string{"catalogs/aws.yaml": validCatalog}))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	s := ix.byID["aws.db"]
	if s == nil || len(s.Engines) != 1 || s.Engines[0].Kind != "postgres" {
		t.Fatalf("aws.db: got %+v, want one postgres engine (kind taken from the service)", s)
	}
	if got := s.Engines[0].Versions[0].Released; !got.Equal(date(2022, 2, 3)) {
		t.Errorf("released: got %v, want 2022-02-03", got)
	}
}

func TestLoadReportsProblems(t *testing.T) {
	for _, tc := range []struct {
		name     string
		old, new string
		want     []string
	}{
		{"unknown kind", "kind: sqs", "kind: queue",
			[]string{`catalogs/aws.yaml: service aws.queue: unknown kind "queue"`}},
		{"duplicate id", "id: aws.queue", "id: aws.db",
			[]string{`catalogs/aws.yaml: service aws.db: duplicate service ID`}},
		{"majors out of order", `{major: "15", minors: ["15.2"]}`, `{major: "13", minors: ["13.2"]}`,
			[]string{`service aws.db: engine postgres: major "13" does not follow "14"`}},
		{"minor outside its major", `["14.1", "14.2"]`, `["14.1", "15.1"]`,
			[]string{`engine postgres: version "14": minor "15.1" is not inside major "14"`}},
		{"minors out of order", `["14.1", "14.2"]`, `["14.10", "14.9"]`,
			[]string{`version "14": minor "14.9" does not follow "14.10"`}},
		{"bad date", "2027-02-28", "2027-02-30",
			[]string{`version "14": end_of_standard_support "2027-02-30" is not a date`}},
		{"not a date at all", "released: 2022-02-03", "released: last spring",
			[]string{`version "14": released "last spring" is not a date`}},
		{"support ends before release", "released: 2022-02-03", "released: 2028-01-01",
			[]string{`version "14": end_of_standard_support 2027-02-28 is not after released 2028-01-01`}},
		{"parameter from not a major", `from: "15", note`, `from: "16", note`,
			[]string{`engine postgres: parameter rds.force_ssl: from "16" is not a major version of the engine`}},
		{"extension from inside a line", `{name: vector, from: "14"`, `{name: vector, from: "14.5"`,
			[]string{`engine postgres: extension vector: from "14.5" is not a major version of the engine`}},
		{"from after until", `from: "15", note`, `from: "15", until: "14", note`,
			[]string{`parameter rds.force_ssl: from "15" is after until "14"`}},
		{"min_versions minor of another major", `{"15": "15.2"}`, `{"15": "16.1"}`,
			[]string{`extension vector: min_versions "15": "16.1" is not a 15 minor`}},
		{"min_versions unknown major", `{"15": "15.2"}`, `{"16": "16.1"}`,
			[]string{`extension vector: min_versions names "16", which is not a major version`}},
		{"no sources", "sources: [https://example.com/q]", "sources: []",
			[]string{`service aws.queue: no sources`}},
		{"source not https", "sources: [https://example.com/q]", "sources: [http://example.com/q]",
			[]string{`service aws.queue: source "http://example.com/q" is not an https URL`}},
		{"queue default missing", `DelaySeconds: "0", `, ``,
			[]string{`service aws.queue: queue default DelaySeconds missing`}},
		{"queue message size over the limit", "max_message_size: 1048576", "max_message_size: 262144",
			[]string{`queue default MaximumMessageSize "1048576" is not a size within max_message_size 262144`}},
		{"queue without its table", "kind: sqs", "kind: s3",
			[]string{`service aws.queue: bucket defaults missing`, `service aws.queue: queue defaults are only for sqs services`}},
		{"unknown field", "auth: [iam]", "auth: [iam]\n    colour: blue",
			[]string{`catalogs/aws.yaml: `, `field colour not found`}},
		{"cloud not the file's", "cloud: aws", "cloud: gcp",
			[]string{`catalogs/aws.yaml: cloud is "gcp", want "aws"`}},
		{"id outside the cloud", "id: aws.queue", "id: gcp.queue",
			[]string{`service gcp.queue: id must start with "aws."`}},
		{"unknown tls default", "tls: {default: optional}", "tls: {default: maybe}",
			[]string{`service aws.queue: tls default "maybe"`}},
		{"required_from not a major", `required_from: "15"`, `required_from: "16"`,
			[]string{`service aws.db: tls required_from "16" is not a major version`}},
		{"overlapping parameter", "note: enforced}", "note: enforced}\n          - {name: rds.force_ssl, value: \"0\", until: \"15\", note: overlap}",
			[]string{`parameter rds.force_ssl: defined twice for overlapping versions`}},
		{"parameter without note", "note: enforced}", "note: \"\"}",
			[]string{`parameter rds.force_ssl: no note`}},
		{"duplicate extension", "min_versions: {\"15\": \"15.2\"}}", "min_versions: {\"15\": \"15.2\"}}\n          - {name: vector}",
			[]string{`extension vector: listed twice`}},
		{"extensions on redis", "kind: postgres", "kind: redis",
			[]string{`engine postgres: extensions are only for postgres engines`, `service aws.db: superuser_role is only for postgres services`}},
		{"engine kind differs", "      - name: postgres\n", "      - name: postgres\n        kind: redis\n",
			[]string{`engine postgres: kind "redis" differs from the service's "postgres"`}},
		{"blocked commands on postgres in lower case", "        extensions:", "        blocked_commands: [config]\n        extensions:",
			[]string{`blocked_commands are only for redis engines`, `blocked command "config" must be upper case`}},
		{"engine without versions", `          - {major: "14", minors: ["14.1", "14.2"], released: 2022-02-03, end_of_standard_support: 2027-02-28}
          - {major: "15", minors: ["15.2"]}
`, "          []\n",
			[]string{`engine postgres: no versions`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(validCatalog, tc.old) {
				t.Fatalf("test case is stale: %q is not in the valid catalog", tc.old)
			}
			text := strings.Replace(validCatalog, tc.old, tc.new, 1)
			_, err := load(catalogFS(map[string]string{"catalogs/aws.yaml": text}))
			if err == nil {
				t.Fatalf("load: got no error, want %q", tc.want)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("load error: got %q, want it to contain %q", err, want)
				}
			}
		})
	}
}

func TestLoadReportsFileProblems(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"no files", map[string]string{"catalogs/README": "x"}, "no catalog files match catalogs/*.yaml"},
		{"empty file", map[string]string{"catalogs/aws.yaml": ""}, "catalogs/aws.yaml: empty catalog"},
		{"two documents", map[string]string{"catalogs/aws.yaml": validCatalog + "---\ncloud: aws\n"}, "catalogs/aws.yaml: more than one YAML document"},
		{"not YAML", map[string]string{"catalogs/aws.yaml": "cloud: [aws"}, "catalogs/aws.yaml: yaml:"},
		{"no services", map[string]string{"catalogs/gcp.yaml": "cloud: gcp\n"}, "catalogs/gcp.yaml: no services"},
		{"problem in a second file", map[string]string{
			"catalogs/aws.yaml": validCatalog,
			"catalogs/gcp.yaml": strings.ReplaceAll(strings.ReplaceAll(validCatalog, "aws", "gcp"), "name: Queue", "name: \"\""),
		}, "catalogs/gcp.yaml: service gcp.queue: no name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(catalogFS(tc.files))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("load: got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// A bound may reach back before the oldest listed major: the tables start
// at what the service still offers.
func TestLoadAllowsBoundsOlderThanListed(t *testing.T) {
	text := strings.Replace(validCatalog, `{name: vector, from: "14"`, `{name: vector, from: "11", until: "15"`, 1)
	if _, err := load(catalogFS(map[string]string{"catalogs/aws.yaml": text})); err != nil {
		t.Errorf("load: got %v, want no error", err)
	}
}
