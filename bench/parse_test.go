package main

import (
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseMemMiB(t *testing.T) {
	tests := []struct {
		in   string
		want float64
	}{
		{"59.55MiB / 23.54GiB", 59.55},
		{"512KiB / 1GiB", 0.5},
		{"1.5GiB / 2GiB", 1536},
		{"2048B / 1GiB", 2048.0 / (1 << 20)},
		{"10MB / 1GB", 10e6 / (1 << 20)},
	}
	for _, tt := range tests {
		got, err := parseMemMiB(tt.in)
		if err != nil || math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("parseMemMiB(%q): got %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "-- / --", "12 parsecs / 1GiB"} {
		if got, err := parseMemMiB(bad); err == nil {
			t.Errorf("parseMemMiB(%q): got %v, want an error", bad, got)
		}
	}
}

func TestParseEvent(t *testing.T) {
	line := `{"status":"health_status: healthy","id":"abc","Type":"container","Action":"health_status: healthy","Actor":{"ID":"abc","Attributes":{"com.docker.compose.service":"db","name":"x_db_1"}},"scope":"local","time":1795455273,"timeNano":1795455273692659465}`
	e, err := parseEvent([]byte(line), "com.docker.compose.service")
	if err != nil {
		t.Fatal(err)
	}
	if e.action != "health_status: healthy" || e.service != "db" || !e.at.Equal(time.Unix(0, 1795455273692659465)) {
		t.Errorf("parseEvent: got %+v, want healthy db at 1795455273.692659465", e)
	}
	if _, err := parseEvent([]byte(`{"Action":"start"}`), "x"); err == nil {
		t.Error("parseEvent without timeNano: got no error")
	}
}

func TestProgressTimeline(t *testing.T) {
	lines := []stampedLine{
		{At: 100 * time.Millisecond, Text: "shaped from prod (infra/prod.json (terraform state)):"},
		{At: 110 * time.Millisecond, Text: "  db: shaped: TLS required, as in prod"},
		{At: 250 * time.Millisecond, Text: "db       creating      0.01s  prodlike-offline/postgres:15"},
		{At: 1400 * time.Millisecond, Text: "db       starting      1.25s  prodlike-offline/postgres:15"},
		{At: 1700 * time.Millisecond, Text: "files    configuring   1.70s  127.0.0.1:32789"},
		{At: 6500 * time.Millisecond, Text: "db       ready         5.78s  prodlike-offline/postgres:15 on localhost:32788"},
		{At: 6600 * time.Millisecond, Text: "db       ready         5.88s  a repeat is not the first time"},
	}
	got := progressTimeline(lines)
	want := timeline{
		"prodlike/first-output": 100 * time.Millisecond,
		"db/creating":           250 * time.Millisecond,
		"db/starting":           1400 * time.Millisecond,
		"files/configuring":     1700 * time.Millisecond,
		"db/ready":              6500 * time.Millisecond,
	}
	if len(got) != len(want) {
		t.Errorf("progressTimeline: got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("progressTimeline[%s]: got %v, want %v", k, got[k], v)
		}
	}
}

func TestPostgresPhases(t *testing.T) {
	start := time.Date(2026, 11, 23, 17, 34, 48, 0, time.UTC)
	logs := `2026-11-23T17:34:50.435845072Z The files belonging to this database system will be owned by user "postgres".
2026-11-23T17:34:54.461292075Z Success. You can now start the database server using:
2026-11-23T17:34:54.741260852Z 2026-11-23 17:34:54.741 UTC [45] LOG:  database system is ready to accept connections
2026-11-23T17:34:55.389054431Z PostgreSQL init process complete; ready for start up.
2026-11-23T17:34:55.490900171Z 2026-11-23 17:34:55.488 UTC [1] LOG:  database system is ready to accept connections
`
	got := postgresPhases(logs, start)
	want := timeline{
		"pg/first-log":     2435845072 * time.Nanosecond,
		"pg/initdb-done":   6461292075 * time.Nanosecond,
		"pg/init-complete": 7389054431 * time.Nanosecond,
		"pg/ready":         7490900171 * time.Nanosecond, // the real server, not the entrypoint's temporary one
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("postgresPhases[%s]: got %v, want %v", k, got[k], v)
		}
	}
	kept := postgresPhases("2026-11-23T17:34:48.5Z 2026-11-23 17:34:48.500 UTC [1] LOG:  database system is ready to accept connections\n", start)
	if _, ok := kept["pg/initdb-done"]; ok || kept["pg/ready"] != 500*time.Millisecond {
		t.Errorf("postgresPhases of a restart: got %v, want only first-log and ready at 500ms", kept)
	}
}

func TestParseStatusKiB(t *testing.T) {
	status := "Name:\tprodlike\nVmHWM:\t   21288 kB\nVmRSS:\t   21100 kB\nRssAnon:\t    6000 kB\n"
	if got, err := parseStatusKiB(status, "VmRSS"); err != nil || got != 21100 {
		t.Errorf("VmRSS: got %d, %v; want 21100", got, err)
	}
	if got, err := parseStatusKiB(status, "RssAnon"); err != nil || got != 6000 {
		t.Errorf("RssAnon: got %d, %v; want 6000", got, err)
	}
	if _, err := parseStatusKiB(status, "RssFile"); err == nil {
		t.Error("a missing field: got no error")
	}
}

func TestBenchShopCompose(t *testing.T) {
	src, err := os.ReadFile("../examples/shop/compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ports := map[string]int{"db": 21001, "cache": 21002, "files": 21003, "jobs": 21004, "api": 21005}
	got, err := benchShopCompose(string(src), "bench-shop-api", ports)
	if err != nil {
		t.Fatalf("benchShopCompose of examples/shop: %v", err)
	}
	for _, want := range []string{
		"  api:\n", "    image: bench-shop-api\n    ports: [\"127.0.0.1:21005:8080\"]\n",
		"\n  db:\n    ports: [\"127.0.0.1:21001:5432\"]\n",
		"\n  cache:\n    ports: [\"127.0.0.1:21002:6379\"]\n",
		"\n  files:\n    ports: [\"127.0.0.1:21003:7070\"]\n",
		"\n  jobs:\n    ports: [\"127.0.0.1:21004:9324\"]\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("benchShopCompose: no %q in\n%s", want, got)
		}
	}
	if strings.Contains(got, `"8080:8080"`) {
		t.Error("benchShopCompose kept the api's 8080:8080")
	}
	// An example that changed shape is an error, not a silent half-edit.
	changed := strings.Replace(string(src), "\n  cache:\n", "\n  redis:\n", 1)
	if _, err := benchShopCompose(changed, "bench-shop-api", ports); err == nil || !strings.Contains(err.Error(), "cache") {
		t.Errorf("benchShopCompose without a cache service: got %v, want an error naming it", err)
	}
}

func TestChildEnv(t *testing.T) {
	got := childEnv([]string{"HOME=/root", "PRODLIKE_IMAGE_MIRROR=old", "COMPOSE_FILE=x.yaml", "BENCH_APP_PORT=1", "PATH=/bin"}, "prodlike-offline")
	want := []string{"HOME=/root", "PATH=/bin", "PRODLIKE_IMAGE_MIRROR=prodlike-offline"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("childEnv: got %v, want %v", got, want)
	}
}

func TestIsBenchContainer(t *testing.T) {
	for name, want := range map[string]bool{
		"prodlike-bench-prodlike-db":  true,
		"bench-compose-standard_db_1": true,
		"bench-floor-postgres":        true,
		"prodlike-shop-db":            false,
		"prodlike-e2e-shop-api":       false,
	} {
		if got := isBenchContainer(name); got != want {
			t.Errorf("isBenchContainer(%q): got %v, want %v", name, got, want)
		}
	}
}
