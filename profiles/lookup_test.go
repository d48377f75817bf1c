package profiles

import (
	"testing"
	"time"
)

func TestCompareVersions(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"16.10", "16.9", 1},
		{"16.9", "16.10", -1},
		{"16", "16", 0},
		{"16", "16.1", -1},
		{"9.6", "10", -1},
		{"9.6.24", "9.6.3", 1},
		{"11.22", "11.22-rds.20240418", -1},
		{"11.22-rds.20240418", "11.22-rds.20250220", -1},
		{"11.22-RDS.20241121", "11.22-rds.20241121", 0},
		{"6.x", "6.2", 1},
		{"6.x", "7.0", -1},
		{"7.1.0", "7.1", 1},
		{"bogus", "1", -1},
		{"1", "bogus", 1},
	} {
		if got := compareVersions(tc.a, tc.b); got != tc.want {
			t.Errorf("compareVersions(%q, %q): got %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestNormalizeVersion(t *testing.T) {
	for in, want := range map[string]string{
		"POSTGRES_16":  "16",
		"POSTGRES_9_6": "9.6",
		"REDIS_6_X":    "6.x",
		"REDIS_7_2":    "7.2",
		"VALKEY_8_0":   "8.0",
		" 16.4 ":       "16.4",
		"7.1.0":        "7.1.0",
		"_16":          "_16",
		"16_4":         "16_4",
	} {
		if got := normalizeVersion(in); got != want {
			t.Errorf("normalizeVersion(%q): got %q, want %q", in, got, want)
		}
	}
}

func TestMajor(t *testing.T) {
	for _, tc := range []struct {
		service, engine, version string
		want                     string // "" when there is no line
	}{
		{"aws.rds-postgres", "postgres", "16.4", "16"},
		{"aws.rds-postgres", "postgres", "16.10", "16"},
		{"aws.rds-postgres", "postgres", "16", "16"},
		{"aws.rds-postgres", "postgres", "11.22-rds.20240418", "11"},
		{"aws.rds-postgres", "postgres", "11.22-RDS.20241121", "11"},
		{"aws.rds-postgres", "postgres", "18.9", "18"},
		{"aws.rds-postgres", "postgres", "10.5", ""},
		{"aws.rds-postgres", "postgres", "19", ""},
		{"aws.rds-postgres", "postgres", "latest", ""},
		{"aws.rds-postgres", "postgres", "", ""},
		{"gcp.cloudsql-postgres", "postgres", "9.6.24", "9.6"},
		{"gcp.cloudsql-postgres", "postgres", "POSTGRES_9_6", "9.6"},
		{"gcp.cloudsql-postgres", "postgres", "POSTGRES_17", "17"},
		{"gcp.cloudsql-postgres", "postgres", "9.5.3", ""},
		{"aws.elasticache", "redis", "7.1.0", "7.1"},
		{"aws.elasticache", "redis", "7.1", "7.1"},
		{"aws.elasticache", "redis", "6.2.6", "6.2"},
		{"aws.elasticache", "redis", "6.0.5", "6.0"},
		{"aws.elasticache", "redis", "6.x", "6.2"}, // Terraform's "newest 6"
		{"aws.elasticache", "redis", "6", "6.2"},
		{"aws.elasticache", "redis", "7", "7.1"},
		{"aws.elasticache", "redis", "3.2.10", ""},
		{"aws.elasticache", "valkey", "8.0.1", "8.0"},
		{"aws.elasticache", "valkey", "8.2", "8.2"},
		{"gcp.memorystore-redis", "redis", "6.2.6", "6.x"},
		{"gcp.memorystore-redis", "redis", "6.x", "6.x"},
		{"gcp.memorystore-redis", "redis", "REDIS_6_X", "6.x"},
		{"gcp.memorystore-redis", "redis", "REDIS_7_0", "7.0"},
		{"gcp.memorystore-valkey", "valkey", "VALKEY_8_0", "8.0"},
		{"azure.cache-redis", "redis", "6", "6.0"},
	} {
		e := mustEngine(t, tc.service, tc.engine)
		line, ok := e.Major(tc.version)
		if got := line.Major; got != tc.want || ok != (tc.want != "") {
			t.Errorf("%s %s Major(%q): got %q (ok %v), want %q", tc.service, tc.engine, tc.version, got, ok, tc.want)
		}
	}
}

func TestOffers(t *testing.T) {
	for _, tc := range []struct {
		service, engine, version string
		want                     bool
	}{
		{"aws.rds-postgres", "postgres", "16.4", true},
		{"aws.rds-postgres", "postgres", "16", true},
		{"aws.rds-postgres", "postgres", "18.3", true},
		{"aws.rds-postgres", "postgres", "16.99", false},
		{"aws.rds-postgres", "postgres", "11.3", false}, // RDS skipped it
		{"aws.rds-postgres", "postgres", "11.22-rds.20250220", true},
		{"aws.rds-postgres", "postgres", "10.1", false},
		{"aws.rds-postgres", "postgres", "", false},
		{"aws.elasticache", "redis", "6.2.6", true},
		{"aws.elasticache", "redis", "6.2.7", false},
		{"aws.elasticache", "redis", "6.x", true},
		{"aws.elasticache", "redis", "7.2", false}, // Valkey only
		{"aws.elasticache", "valkey", "7.2", true},
		{"aws.elasticache", "valkey", "8.1.3", true}, // minors not listed
		{"gcp.memorystore-redis", "redis", "7.2.4", true},
		{"gcp.memorystore-redis", "redis", "REDIS_7_2", true},
		{"gcp.memorystore-redis", "redis", "8.0", false},
		{"gcp.cloudsql-postgres", "postgres", "POSTGRES_16", true},
	} {
		e := mustEngine(t, tc.service, tc.engine)
		if got := e.Offers(tc.version); got != tc.want {
			t.Errorf("%s %s Offers(%q): got %v, want %v", tc.service, tc.engine, tc.version, got, tc.want)
		}
	}
}

func TestLatest(t *testing.T) {
	for _, tc := range []struct {
		service, engine, major, want string
	}{
		{"aws.rds-postgres", "postgres", "16", "16.13"},
		{"aws.rds-postgres", "postgres", "16.4", "16.13"},
		{"aws.rds-postgres", "postgres", "11", "11.22-rds.20251114"},
		{"aws.rds-postgres", "postgres", "10", ""},
		{"aws.elasticache", "redis", "6.x", "6.2.6"},
		{"aws.elasticache", "redis", "5.0", "5.0.6"},
		{"gcp.memorystore-redis", "redis", "7.2", ""},
	} {
		e := mustEngine(t, tc.service, tc.engine)
		if got := e.Latest(tc.major); got != tc.want {
			t.Errorf("%s %s Latest(%q): got %q, want %q", tc.service, tc.engine, tc.major, got, tc.want)
		}
	}
	// Numeric, not file, order decides.
	e := &Engine{Versions: []Version{{Major: "16", Minors: []string{"16.10", "16.9"}}}}
	if got := e.Latest("16"); got != "16.10" {
		t.Errorf("Latest over unordered minors: got %q, want 16.10", got)
	}
}

// fixture is a small engine whose answers follow from the table alone.
func fixture() *Engine {
	return &Engine{
		Name: "postgres",
		Kind: "postgres",
		Versions: []Version{
			{Major: "13", Minors: []string{"13.1", "13.9"}},
			{Major: "14", Minors: []string{"14.1", "14.7", "14.10"}},
			{Major: "15", Minors: []string{"15.2", "15.6"}},
		},
		Parameters: []Parameter{
			{Name: "force_ssl", Value: "0", Until: "14"},
			{Name: "force_ssl", Value: "1", From: "15"},
			{Name: "timezone", Value: "UTC"},
			{Name: "legacy", Value: "on", Until: "13"},
		},
		Extensions: []Extension{
			{Name: "vector", From: "13", MinVersions: map[string]string{"14": "14.7"}},
			{Name: "adminpack", Until: "14"},
			{Name: "walinspect", From: "15"},
		},
	}
}

func TestParametersFor(t *testing.T) {
	e := fixture()
	for _, tc := range []struct {
		version string
		want    map[string]string
	}{
		{"13.9", map[string]string{"force_ssl": "0", "timezone": "UTC", "legacy": "on"}},
		{"14", map[string]string{"force_ssl": "0", "timezone": "UTC"}},
		{"14.10", map[string]string{"force_ssl": "0", "timezone": "UTC"}},
		{"15.2", map[string]string{"force_ssl": "1", "timezone": "UTC"}},
		{"", map[string]string{"force_ssl": "1", "timezone": "UTC"}},   // newest line
		{"16", map[string]string{"force_ssl": "1", "timezone": "UTC"}}, // newer than the table
		{"12", map[string]string{"force_ssl": "0", "timezone": "UTC", "legacy": "on"}},
	} {
		got := e.ParametersFor(tc.version)
		if len(got) != len(tc.want) {
			t.Errorf("ParametersFor(%q): got %v, want %v", tc.version, got, tc.want)
			continue
		}
		for name, value := range tc.want {
			if got[name].Value != value {
				t.Errorf("ParametersFor(%q)[%s]: got %q, want %q", tc.version, name, got[name].Value, value)
			}
		}
	}
}

func TestExtension(t *testing.T) {
	e := fixture()
	for _, tc := range []struct {
		name, version string
		want          bool
	}{
		{"vector", "13.1", true},
		{"vector", "14.1", false},
		{"vector", "14.7", true},
		{"vector", "14.10", true}, // numeric: 14.10 > 14.7
		{"vector", "14", true},    // some 14 minor allows it
		{"vector", "15.2", true},
		{"vector", "", true},
		{"adminpack", "14.10", true},
		{"adminpack", "15", false},
		{"adminpack", "", false},
		{"walinspect", "14.7", false},
		{"walinspect", "15.6", true},
		{"timescaledb", "15", false},
	} {
		x, got := e.Extension(tc.name, tc.version)
		if got != tc.want {
			t.Errorf("Extension(%q, %q): got %v, want %v", tc.name, tc.version, got, tc.want)
		}
		if got && x.Name != tc.name {
			t.Errorf("Extension(%q, %q): got %q", tc.name, tc.version, x.Name)
		}
	}
}

func TestTLSDefault(t *testing.T) {
	for _, tc := range []struct {
		service, version, want string
	}{
		{"aws.rds-postgres", "14.9", "optional"},
		{"aws.rds-postgres", "15", "required"},
		{"aws.rds-postgres", "15.2", "required"},
		{"aws.rds-postgres", "", "required"},
		{"aws.rds-postgres", "19", "required"},
		{"aws.rds-postgres", "9.6.24", "optional"},
		{"aws.aurora-postgres", "16.4", "optional"},
		{"azure.postgres-flexible", "", "required"},
		{"azure.cache-redis", "6", "required"},
		{"aws.elasticache", "7.1", "off"},
		{"gcp.cloudsql-postgres", "POSTGRES_16", "optional"},
		{"aws.sqs", "", "optional"},
	} {
		if got := mustLookup(t, tc.service).TLSDefault(tc.version); got != tc.want {
			t.Errorf("%s TLSDefault(%q): got %q, want %q", tc.service, tc.version, got, tc.want)
		}
	}
}

func TestSupportEnded(t *testing.T) {
	v := Version{
		Major:                "12",
		EndOfStandardSupport: date(2025, 2, 28),
		EndOfExtendedSupport: date(2028, 2, 29),
	}
	for _, tc := range []struct {
		at                 time.Time
		standard, extended bool
	}{
		{date(2025, 2, 27), false, false},
		{date(2025, 2, 28).Add(23 * time.Hour), false, false}, // the last day is still supported
		{date(2025, 3, 1), true, false},
		{date(2028, 2, 29), true, false},
		{date(2028, 3, 1), true, true},
	} {
		if got := v.SupportEnded(tc.at); got != tc.standard {
			t.Errorf("SupportEnded(%v): got %v, want %v", tc.at, got, tc.standard)
		}
		if got := v.ExtendedSupportEnded(tc.at); got != tc.extended {
			t.Errorf("ExtendedSupportEnded(%v): got %v, want %v", tc.at, got, tc.extended)
		}
	}
	unannounced := Version{Major: "18"}
	if unannounced.SupportEnded(date(2100, 1, 1)) || unannounced.ExtendedSupportEnded(date(2100, 1, 1)) {
		t.Error("a version without dates: got support ended, want never")
	}
}

func TestServiceEngine(t *testing.T) {
	ec := mustLookup(t, "aws.elasticache")
	for _, tc := range []struct {
		name, want string
	}{
		{"", "redis"},
		{"redis", "redis"},
		{"valkey", "valkey"},
		{"VALKEY", "valkey"},
		{"memcached", ""},
	} {
		e, ok := ec.Engine(tc.name)
		got := ""
		if ok {
			got = e.Name
		}
		if got != tc.want {
			t.Errorf("ElastiCache Engine(%q): got %q, want %q", tc.name, got, tc.want)
		}
	}
	if _, ok := mustLookup(t, "aws.s3").Engine(""); ok {
		t.Error("S3 Engine(\"\"): got an engine, want none")
	}
}

func TestDefaultService(t *testing.T) {
	for _, tc := range []struct {
		cloud, kind, engine, want string
	}{
		{"aws", "postgres", "", "aws.rds-postgres"},
		{"aws", "postgres", "postgres", "aws.rds-postgres"},
		{"aws", "postgres", "aurora-postgresql", "aws.aurora-postgres"},
		{"aws", "redis", "", "aws.elasticache"},
		{"aws", "redis", "redis", "aws.elasticache"},
		{"aws", "redis", "valkey", "aws.elasticache"},
		{"aws", "s3", "", "aws.s3"},
		{"aws", "sqs", "", "aws.sqs"},
		{"gcp", "postgres", "", "gcp.cloudsql-postgres"},
		{"gcp", "postgres", "postgres", "gcp.cloudsql-postgres"},
		{"gcp", "redis", "redis", "gcp.memorystore-redis"},
		{"gcp", "redis", "valkey", "gcp.memorystore-valkey"},
		{"azure", "postgres", "", "azure.postgres-flexible"},
		{"azure", "redis", "", "azure.cache-redis"},
		{"azure", "redis", "redis", "azure.cache-redis"},
		{"azure", "redis", "valkey", ""},
		{"aws", "redis", "memcached", ""},
		{"gcp", "s3", "", ""},
		{"oracle", "postgres", "", ""},
	} {
		s, ok := DefaultService(tc.cloud, tc.kind, tc.engine)
		got := ""
		if ok {
			got = s.ID
		}
		if got != tc.want {
			t.Errorf("DefaultService(%q, %q, %q): got %q, want %q", tc.cloud, tc.kind, tc.engine, got, tc.want)
		}
	}
}
