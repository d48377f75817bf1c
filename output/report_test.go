package output

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prodlike/prodlike/parity"
)

var update = flag.Bool("update", false, "rewrite golden files")

var started = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

// failingReport has block, warn and info findings across services, a waived
// finding, a skipped check, passed checks, a message with a pipe and one
// with a line break, and two findings with the same fix.
func failingReport() *parity.Report {
	return &parity.Report{
		Project: "shop", Env: "prod", Cloud: "aws", Region: "eu-west-1",
		Truth: "terraform state (infra/prod.tfstate)", Version: "0.7.0",
		Started: started, Duration: 2345678901 * time.Nanosecond,
		Results: []parity.Result{
			{ID: "PG-VERSION-MAJOR", Title: "Postgres major version matches prod", Family: "engine version",
				Status: parity.Fail, Duration: 12 * time.Millisecond, Findings: []parity.Finding{
					{Check: "PG-VERSION-MAJOR", Severity: parity.Block, Service: "db",
						Message: "Postgres major version differs from prod", Dev: "15.14", Prod: "16.4",
						Fix: "Use image postgres:16.4 for service db in compose.yaml."},
				}},
			{ID: "PG-VERSION-MINOR", Title: "Postgres minor version matches prod", Family: "engine version",
				Status: parity.Fail, Duration: 3 * time.Millisecond, Findings: []parity.Finding{
					{Check: "PG-VERSION-MINOR", Severity: parity.Info, Service: "analytics",
						Message: "Postgres minor version is behind prod", Dev: "16.2", Prod: "16.4",
						Fix: "Use image postgres:16.4 for service analytics."},
				}},
			{ID: "PG-PARAM", Title: "Postgres parameters match the parameter group", Family: "engine config",
				Status: parity.Fail, Duration: 41 * time.Millisecond, Findings: []parity.Finding{
					{Check: "PG-PARAM", Severity: parity.Warn, Service: "db", Subject: "max_connections",
						Message: "max_connections is lower in dev, so connection-pool limits differ from prod and " +
							"load tests that open many connections fail early",
						Dev: "100", Prod: "500",
						Fix: "Add `-c max_connections=500` to the command of service db."},
					{Check: "PG-PARAM", Severity: parity.Warn, Service: "db", Subject: "work_mem",
						Message: "work_mem is lower in dev", Dev: "4MB", Prod: "64MB",
						Fix:    "Add `-c work_mem=64MB` to the command of service db.",
						Waived: "dev machines have 8 GB of memory"},
				}},
			{ID: "PG-EXTENSIONS", Title: "Extensions in prod are installed in dev", Family: "extensions",
				Status: parity.Fail, Duration: 7 * time.Millisecond, Findings: []parity.Finding{
					{Check: "PG-EXTENSIONS", Severity: parity.Block, Service: "analytics", Subject: "pg_partman",
						Message: "Extension pg_partman is in prod but not in dev", Prod: "5.1.0",
						Fix: "Build analytics from an image with pg_partman 5.1.0 (see profiles/postgres/Dockerfile)."},
				}},
			{ID: "REDIS-VERSION", Title: "Redis version matches ElastiCache", Family: "engine version",
				Status: parity.Pass, Duration: 2 * time.Millisecond},
			{ID: "REDIS-EVICTION", Title: "Eviction policy matches the parameter group", Family: "engine config",
				Status: parity.Fail, Duration: 1 * time.Millisecond, Findings: []parity.Finding{
					{Check: "REDIS-EVICTION", Severity: parity.Warn, Service: "cache", Subject: "maxmemory-policy",
						Message: "Eviction policy differs: dev never evicts | prod evicts least recently used keys",
						Dev:     "noeviction", Prod: "allkeys-lru",
						Fix: "Add `--maxmemory-policy allkeys-lru` to the command of service cache."},
				}},
			{ID: "SQS-QUEUES", Title: "Queues exist with prod's settings", Family: "storage and queues",
				Status: parity.Skip, Reason: "no prod truth for service jobs: the queue is not in the Terraform state"},
			{ID: "S3-BUCKETS", Title: "Buckets exist with prod's settings", Family: "storage and queues",
				Status: parity.Pass, Duration: 5 * time.Millisecond},
			{ID: "APP-ENV", Title: "Variables set in prod are set in dev", Family: "config",
				Status: parity.Fail, Findings: []parity.Finding{
					{Check: "APP-ENV", Severity: parity.Warn, Service: "api", Subject: "FEATURE_FLAGS_URL",
						Message: "FEATURE_FLAGS_URL is set in prod but not in dev",
						Fix:     "Add FEATURE_FLAGS_URL to .env.dev; api and worker read it from there."},
					{Check: "APP-ENV", Severity: parity.Warn, Service: "worker", Subject: "FEATURE_FLAGS_URL",
						Message: "FEATURE_FLAGS_URL is set in prod but not in dev",
						Fix:     "Add FEATURE_FLAGS_URL to .env.dev; api and worker read it from there."},
				}},
			{ID: "APP-PLATFORM", Title: "Images build for prod's platform", Family: "app image",
				Status: parity.Fail, Findings: []parity.Finding{
					{Check: "APP-PLATFORM", Severity: parity.Info,
						Message: "The compose project pins no platform.\nImages build for this machine's architecture.",
						Dev:     "linux/amd64", Prod: "linux/arm64",
						Fix: "Set `platform: linux/arm64` on services built from a Dockerfile."},
				}},
		},
	}
}

// passingReport has only info findings and a waived one.
func passingReport() *parity.Report {
	return &parity.Report{
		Project: "shop", Env: "staging", Cloud: "gcp", Region: "europe-west1",
		Truth: "prodlike.yaml", Version: "0.7.0",
		Started: started, Duration: 812 * time.Millisecond,
		Results: []parity.Result{
			{ID: "PG-VERSION-MAJOR", Title: "Postgres major version matches prod", Family: "engine version",
				Status: parity.Pass, Duration: 9 * time.Millisecond},
			{ID: "PG-VERSION-MINOR", Title: "Postgres minor version matches prod", Family: "engine version",
				Status: parity.Fail, Duration: 2 * time.Millisecond, Findings: []parity.Finding{
					{Check: "PG-VERSION-MINOR", Severity: parity.Info, Service: "db",
						Message: "Postgres minor version is behind prod", Dev: "16.2", Prod: "16.4",
						Fix: "Use image postgres:16.4 for service db."},
				}},
			{ID: "PG-PARAM", Title: "Postgres parameters match the parameter group", Family: "engine config",
				Status: parity.Pass, Duration: 30 * time.Millisecond, Findings: []parity.Finding{
					{Check: "PG-PARAM", Severity: parity.Block, Service: "db", Subject: "shared_buffers",
						Message: "shared_buffers is lower in dev", Dev: "128MB", Prod: "4GB",
						Fix:    "Add `-c shared_buffers=4GB` to the command of service db.",
						Waived: "dev machines have 8 GB of memory"},
				}},
			{ID: "REDIS-VERSION", Title: "Redis version matches Memorystore", Family: "engine version",
				Status: parity.Pass, Duration: 1 * time.Millisecond},
		},
	}
}

// emptyReport ran no checks.
func emptyReport() *parity.Report {
	return &parity.Report{Project: "blank", Env: "prod", Cloud: "aws", Truth: "prodlike.yaml",
		Version: "0.7.0", Started: started}
}

// skippedReport could run none of its checks.
func skippedReport() *parity.Report {
	return &parity.Report{
		Project: "shop", Env: "prod", Cloud: "azure", Region: "westeurope", Truth: "none",
		Version: "0.7.0", Started: started, Duration: 40 * time.Millisecond,
		Results: []parity.Result{
			{ID: "PG-VERSION-MAJOR", Title: "Postgres major version matches prod", Family: "engine version",
				Status: parity.Skip, Reason: "no prod truth for service db"},
			{ID: "REDIS-VERSION", Title: "Redis version matches prod", Family: "engine version",
				Status: parity.Skip, Reason: "the stand-in for cache did not answer"},
		},
	}
}

// waivedReport has findings, all of them waived.
func waivedReport() *parity.Report {
	r := passingReport()
	r.Results[1].Status = parity.Pass
	r.Results[1].Findings[0].Waived = "staging follows prod's minor versions a week late"
	return r
}

var goldenReports = []struct {
	name string
	r    func() *parity.Report
}{
	{"failing", failingReport},
	{"passing", passingReport},
	{"empty", emptyReport},
	{"skipped", skippedReport},
	{"waived", waivedReport},
}

var extensions = map[Format]string{FormatText: "txt", FormatJSON: "json", FormatJUnit: "xml", FormatMarkdown: "md"}

func render(t *testing.T, f Format, r *parity.Report, threshold parity.Severity) string {
	t.Helper()
	var b bytes.Buffer
	if err := Report(&b, f, r, threshold); err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	return b.String()
}

func TestReportGolden(t *testing.T) {
	for _, g := range goldenReports {
		for _, f := range ReportFormats {
			t.Run(g.name+"/"+string(f), func(t *testing.T) {
				got := render(t, f, g.r(), parity.Block)
				path := filepath.Join("testdata", "report", g.name+"."+extensions[f])
				if *update {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./output -update to write it)", err)
				}
				if got != string(want) {
					t.Errorf("%s differs from the golden file (go test ./output -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
				}
			})
		}
	}
}

// The text and markdown forms are plain: no escape sequences, no trailing
// spaces; text lines fit 100 columns.
func TestReportPlainLines(t *testing.T) {
	for _, g := range goldenReports {
		for _, f := range []Format{FormatText, FormatMarkdown} {
			out := render(t, f, g.r(), parity.Block)
			if !strings.HasSuffix(out, "\n") || strings.HasSuffix(out, "\n\n") {
				t.Errorf("%s/%s: got %q at the end, want one newline", g.name, f, out[max(0, len(out)-10):])
			}
			for i, line := range strings.Split(out, "\n") {
				if strings.ContainsRune(line, '\x1b') {
					t.Errorf("%s/%s line %d: got an escape sequence in %q", g.name, f, i+1, line)
				}
				if strings.TrimRight(line, " \t") != line {
					t.Errorf("%s/%s line %d: got trailing space in %q", g.name, f, i+1, line)
				}
				if n := utf8.RuneCountInString(line); f == FormatText && n > textWidth &&
					!strings.HasPrefix(line, "parity ") { // the summary line says it all
					t.Errorf("%s/%s line %d: got %d columns, want at most %d: %q", g.name, f, i+1, n, textWidth, line)
				}
			}
		}
	}
}

func TestReportTextWrapsLongMessages(t *testing.T) {
	r := &parity.Report{Env: "prod", Results: []parity.Result{{ID: "X", Status: parity.Fail, Findings: []parity.Finding{{
		Check: "X", Severity: parity.Warn, Service: "db",
		Message: strings.Repeat("word ", 60) + "\x1b[31mred",
		Fix:     strings.Repeat("fix ", 60) + "https://example.com/" + strings.Repeat("a", 120),
	}}}}}
	out := render(t, FormatText, r, parity.Block)
	if strings.ContainsRune(out, '\x1b') {
		t.Errorf("got an escape sequence, want it dropped:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(line); n > textWidth && !strings.Contains(line, "https://") {
			t.Errorf("got a line of %d columns, want at most %d: %q", n, textWidth, line)
		}
	}
	if want := "\n        word word"; !strings.Contains(out, want) {
		t.Errorf("got:\n%s\nwant continuation lines indented under the check ID (%q)", out, want)
	}
	if want := "\n             fix fix"; !strings.Contains(out, want) {
		t.Errorf("got:\n%s\nwant fix continuation lines indented under the fix (%q)", out, want)
	}
}

func TestReportTextSummary(t *testing.T) {
	out := render(t, FormatText, failingReport(), parity.Block)
	for _, want := range []string{
		"[BLOCK] PG-VERSION-MAJOR db: Postgres major version differs from prod\n        dev: 15.14  prod: 16.4\n        fix: Use image",
		"parity FAILED for prod: 2 block, 4 warn, 2 info (1 waived); 10 checks: 2 passed, 7 failed, 1 skipped\n",
		"fails on: block, took 2.346s\n",
		"        waived: dev machines have 8 GB of memory\n",
		"[SKIP]  SQS-QUEUES Queues exist with prod's settings\n        reason: no prod truth for service jobs",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("got:\n%s\nwant it to contain %q", out, want)
		}
	}
	// Block findings come before warn, warn before info.
	if b, w, i := strings.Index(out, "[BLOCK]"), strings.Index(out, "[WARN]"), strings.Index(out, "[INFO]"); !(b < w && w < i) {
		t.Errorf("got [BLOCK] at %d, [WARN] at %d, [INFO] at %d, want them in that order", b, w, i)
	}
	out = render(t, FormatText, passingReport(), parity.Info)
	if want := "parity FAILED for staging: 0 block, 0 warn, 1 info (1 waived); 4 checks: 3 passed, 1 failed, 0 skipped\nfails on: info, took 812ms\n"; !strings.HasSuffix(out, want) {
		t.Errorf("got:\n%s\nwant it to end with %q", out, want)
	}
}

func TestReportJSONVerdict(t *testing.T) {
	for _, g := range goldenReports {
		for _, threshold := range []parity.Severity{parity.Block, parity.Warn, parity.Info} {
			r := g.r()
			out := render(t, FormatJSON, r, threshold)
			var back struct {
				Passed  bool   `json:"passed"`
				FailOn  string `json:"fail_on"`
				Summary struct {
					Block, Warn, Info, Waived int
					Checks                    map[string]int
				} `json:"summary"`
				DurationMS int64  `json:"duration_ms"`
				Env        string `json:"env"`
				Checks     []struct {
					ID       string `json:"id"`
					Findings []struct {
						Severity string `json:"severity"`
					} `json:"findings"`
				} `json:"checks"`
			}
			if err := json.Unmarshal([]byte(out), &back); err != nil {
				t.Fatalf("%s: %v\n%s", g.name, err, out)
			}
			if want := !r.Failed(threshold); back.Passed != want {
				t.Errorf("%s, fail on %s: got passed %v, want %v", g.name, threshold, back.Passed, want)
			}
			if back.FailOn != threshold.String() {
				t.Errorf("%s: got fail_on %q, want %q", g.name, back.FailOn, threshold)
			}
			if got, want := [4]int{back.Summary.Block, back.Summary.Warn, back.Summary.Info, back.Summary.Waived},
				[4]int{r.Count(parity.Block), r.Count(parity.Warn), r.Count(parity.Info), r.Waived()}; got != want {
				t.Errorf("%s: got block, warn, info, waived %v, want %v", g.name, got, want)
			}
			n := r.Statuses()
			if got, want := back.Summary.Checks, map[string]int{"pass": n[parity.Pass], "fail": n[parity.Fail], "skip": n[parity.Skip]}; got["pass"] != want["pass"] || got["fail"] != want["fail"] || got["skip"] != want["skip"] {
				t.Errorf("%s: got checks %v, want %v", g.name, got, want)
			}
			if want := r.Duration.Round(time.Millisecond).Milliseconds(); back.DurationMS != want {
				t.Errorf("%s: got duration_ms %d, want %d", g.name, back.DurationMS, want)
			}
			if back.Env != r.Env || len(back.Checks) != len(r.Results) {
				t.Errorf("%s: got env %q and %d checks, want %q and %d", g.name, back.Env, len(back.Checks), r.Env, len(r.Results))
			}
			if back.Checks == nil {
				t.Errorf("%s: got checks null, want a list", g.name)
			}
		}
	}
	// The verdict follows the threshold: the passing report's info finding
	// fails it on info.
	r := passingReport()
	for threshold, want := range map[parity.Severity]bool{parity.Block: true, parity.Info: false} {
		if got := strings.Contains(render(t, FormatJSON, r, threshold), `"passed": true`); got != want {
			t.Errorf("fail on %s: got passed %v, want %v", threshold, got, want)
		}
	}
}

// junit mirrors the parts of the JUnit XML that reporters read.
type junit struct {
	XMLName  xml.Name `xml:"testsuites"`
	Name     string   `xml:"name,attr"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Cases    []struct {
			Classname string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			Failure   *struct {
				Type    string `xml:"type,attr"`
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
			SystemOut *string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, out string) junit {
	t.Helper()
	if !strings.HasPrefix(out, xml.Header) {
		t.Errorf("got %q at the start, want the XML header", out[:min(len(out), 40)])
	}
	var j junit
	if err := xml.Unmarshal([]byte(out), &j); err != nil {
		t.Fatalf("JUnit does not parse: %v\n%s", err, out)
	}
	if len(j.Suites) != 1 {
		t.Fatalf("got %d test suites, want 1", len(j.Suites))
	}
	return j
}

func TestReportJUnitParses(t *testing.T) {
	tests := []struct {
		name                       string
		r                          *parity.Report
		threshold                  parity.Severity
		tests, failures, skipped   int
		failing                    []string
		withSystemOut, withoutCase []string
	}{
		{name: "failing on block", r: failingReport(), threshold: parity.Block, tests: 10, failures: 2, skipped: 1,
			failing: []string{"PG-VERSION-MAJOR", "PG-EXTENSIONS"}, withSystemOut: []string{"PG-PARAM", "APP-ENV", "PG-VERSION-MINOR"}},
		{name: "failing on warn", r: failingReport(), threshold: parity.Warn, tests: 10, failures: 5, skipped: 1,
			failing: []string{"PG-VERSION-MAJOR", "PG-PARAM", "PG-EXTENSIONS", "REDIS-EVICTION", "APP-ENV"}, withSystemOut: []string{"PG-PARAM"}},
		{name: "failing on info", r: failingReport(), threshold: parity.Info, tests: 10, failures: 7, skipped: 1},
		{name: "passing", r: passingReport(), threshold: parity.Block, tests: 4, withSystemOut: []string{"PG-PARAM", "PG-VERSION-MINOR"}},
		{name: "empty", r: emptyReport(), threshold: parity.Block},
		{name: "skipped", r: skippedReport(), threshold: parity.Block, tests: 2, skipped: 2},
	}
	for _, tt := range tests {
		j := parseJUnit(t, render(t, FormatJUnit, tt.r, tt.threshold))
		s := j.Suites[0]
		if j.Name != "prodlike parity" || s.Name != "parity "+tt.r.Env {
			t.Errorf("%s: got names %q and %q, want %q and %q", tt.name, j.Name, s.Name, "prodlike parity", "parity "+tt.r.Env)
		}
		if got, want := [3]int{s.Tests, s.Failures, s.Skipped}, [3]int{tt.tests, tt.failures, tt.skipped}; got != want {
			t.Errorf("%s: got tests, failures, skipped %v, want %v", tt.name, got, want)
		}
		if got, want := [3]int{j.Tests, j.Failures, j.Skipped}, [3]int{tt.tests, tt.failures, tt.skipped}; got != want {
			t.Errorf("%s: got totals %v on <testsuites>, want %v", tt.name, got, want)
		}
		failed, skipped := 0, 0
		for _, c := range s.Cases {
			if !strings.HasPrefix(c.Classname, "parity.") || strings.Contains(c.Classname, " ") {
				t.Errorf("%s: got classname %q, want parity.<family> without spaces", tt.name, c.Classname)
			}
			id, _, _ := strings.Cut(c.Name, " ")
			if c.Failure != nil {
				failed++
				if c.Failure.Type != id || !strings.HasSuffix(c.Failure.Message, " at or above "+tt.threshold.String()) {
					t.Errorf("%s: got failure type %q message %q, want %q and \"… at or above %s\"", tt.name, c.Failure.Type, c.Failure.Message, id, tt.threshold)
				}
				if strings.Contains(c.Failure.Text, "waived:") {
					t.Errorf("%s %s: got a waived finding in the failure:\n%s", tt.name, id, c.Failure.Text)
				}
			}
			if c.Skipped != nil {
				skipped++
				if c.Skipped.Message == "" {
					t.Errorf("%s %s: got a skipped case without a reason", tt.name, id)
				}
			}
			if tt.failing != nil && (c.Failure != nil) != contains(tt.failing, id) {
				t.Errorf("%s %s: got failure %v, want %v", tt.name, id, c.Failure != nil, contains(tt.failing, id))
			}
			if contains(tt.withSystemOut, id) && c.SystemOut == nil {
				t.Errorf("%s %s: got no system-out, want the findings that do not fail it there", tt.name, id)
			}
		}
		if failed != tt.failures || skipped != tt.skipped {
			t.Errorf("%s: got %d failing and %d skipped cases, want %d and %d", tt.name, failed, skipped, tt.failures, tt.skipped)
		}
		if want := tt.failures > 0; want != tt.r.Failed(tt.threshold) {
			t.Errorf("%s: got %d failing cases, but Failed(%s) is %v", tt.name, tt.failures, tt.threshold, tt.r.Failed(tt.threshold))
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// XML-special characters, "]]>" and control characters survive the trip.
func TestReportJUnitEscapes(t *testing.T) {
	msg := `value <a href="x">&amp;</a> ]]> done`
	r := &parity.Report{Env: `p"rod<`, Results: []parity.Result{
		{ID: "X-1", Title: `T<&>"'`, Family: "odd / family!", Status: parity.Fail, Findings: []parity.Finding{{
			Check: "X-1", Severity: parity.Block, Service: "db", Message: msg + "\x00\x1b", Fix: "do ]]> it",
		}}},
		{ID: "X-2", Status: parity.Skip, Reason: "line one\nline <two> & \"three\""},
	}}
	j := parseJUnit(t, render(t, FormatJUnit, r, parity.Block))
	s := j.Suites[0]
	if want := `parity p"rod<`; s.Name != want {
		t.Errorf("got suite %q, want %q", s.Name, want)
	}
	c := s.Cases[0]
	if c.Name != `X-1 T<&>"'` || c.Classname != "parity.odd_family" {
		t.Errorf("got case %q classname %q, want %q and %q", c.Name, c.Classname, `X-1 T<&>"'`, "parity.odd_family")
	}
	if c.Failure == nil || !strings.Contains(c.Failure.Text, msg+"\n") || !strings.Contains(c.Failure.Text, "fix: do ]]> it") {
		t.Errorf("got failure %+v, want the message %q and the fix in its text", c.Failure, msg)
	}
	if sk := s.Cases[1].Skipped; sk == nil || sk.Message != "line one\nline <two> & \"three\"" {
		t.Errorf("got skipped %+v, want the reason back", sk)
	}
}

func TestReportMarkdownEscapesCells(t *testing.T) {
	r := &parity.Report{Env: "prod", Results: []parity.Result{{ID: "X-1", Status: parity.Fail, Findings: []parity.Finding{{
		Check: "X-1", Severity: parity.Warn, Service: "api", Subject: "A|B",
		Message: "first | second\nthird <none>", Dev: "a|b", Prod: "`c`|d\ne", Fix: "Run `a | b` on <host>.",
	}}}}}
	out := render(t, FormatMarkdown, r, parity.Block)
	want := "| ⚠️ warn | `X-1` | api (`A\\|B`) | first \\| second<br>third &lt;none> | `a\\|b` | `` `c`\\|d e `` |\n"
	if !strings.Contains(out, want) {
		t.Errorf("got:\n%s\nwant the row\n%s", out, want)
	}
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "| ⚠️") {
			continue
		}
		unescaped := strings.Count(line, "|") - strings.Count(line, `\|`)
		if unescaped != 7 {
			t.Errorf("got %d cell separators in %q, want 7 for 6 cells", unescaped, line)
		}
	}
	if want := "- `X-1` (api): Run `a | b` on &lt;host>.\n"; !strings.Contains(out, want) {
		t.Errorf("got:\n%s\nwant the fix %q (code kept, < escaped outside it)", out, want)
	}
}

func TestReportMarkdownDedupesFixes(t *testing.T) {
	out := render(t, FormatMarkdown, failingReport(), parity.Block)
	fix := "Add FEATURE_FLAGS_URL to .env.dev"
	if n := strings.Count(out, fix); n != 1 {
		t.Errorf("got the fix %q %d times, want once:\n%s", fix, n, out)
	}
	if want := "- `APP-ENV` (api, worker): " + fix; !strings.Contains(out, want) {
		t.Errorf("got:\n%s\nwant %q", out, want)
	}
	if !strings.HasPrefix(out, "### prodlike parity: ❌ failed for `prod`\n") {
		t.Errorf("got heading %q, want the failed verdict for prod", strings.SplitN(out, "\n", 2)[0])
	}
	out = render(t, FormatMarkdown, passingReport(), parity.Block)
	if !strings.HasPrefix(out, "### prodlike parity: ✅ passed for `staging`\n") {
		t.Errorf("got heading %q, want the passed verdict for staging", strings.SplitN(out, "\n", 2)[0])
	}
}

func TestReportMarkdownGroupsFixesByCheck(t *testing.T) {
	r := &parity.Report{Env: "prod", Results: []parity.Result{{ID: "PG-PARAM", Status: parity.Fail, Findings: []parity.Finding{
		{Check: "PG-PARAM", Severity: parity.Warn, Service: "db", Message: "a", Fix: "Set a."},
		{Check: "PG-PARAM", Severity: parity.Warn, Service: "db2", Message: "b", Fix: "Set b,\nthen restart."},
		{Check: "PG-PARAM", Severity: parity.Warn, Service: "db3", Message: "a", Fix: "Set a."},
	}}}}
	out := render(t, FormatMarkdown, r, parity.Block)
	want := "#### How to fix\n\n- `PG-PARAM`\n  - (db, db3): Set a.\n  - (db2): Set b,\n    then restart.\n"
	if !strings.Contains(out, want) {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"text": FormatText, "JSON": FormatJSON, "junit": FormatJUnit, "markdown": FormatMarkdown, "": FormatText} {
		if got, err := ParseFormat(in); got != want || err != nil {
			t.Errorf("ParseFormat(%q): got %q, %v, want %q", in, got, err, want)
		}
	}
	_, err := ParseFormat("yaml")
	if err == nil {
		t.Fatal(`ParseFormat("yaml"): got no error`)
	}
	for _, want := range []string{`"yaml"`, "text, json, junit, markdown"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("got error %q, want it to contain %q", err, want)
		}
	}
}

type failingWriter struct{ calls int }

func (w *failingWriter) Write(p []byte) (int, error) {
	w.calls++
	return 0, errors.New("disk full")
}

func TestReportErrors(t *testing.T) {
	var b bytes.Buffer
	if err := Report(&b, "yaml", failingReport(), parity.Block); err == nil || !strings.Contains(err.Error(), "markdown") {
		t.Errorf("unknown format: got %v, want an error listing the formats", err)
	}
	if err := Report(&b, FormatText, nil, parity.Block); err == nil {
		t.Error("nil report: got no error")
	}
	if err := Report(&b, FormatText, failingReport(), 0); err == nil {
		t.Error("severity 0: got no error")
	}
	if b.Len() != 0 {
		t.Errorf("got %q written on errors, want nothing", b.String())
	}
	for _, f := range ReportFormats {
		w := &failingWriter{}
		if err := Report(w, f, failingReport(), parity.Block); err == nil || w.calls != 1 {
			t.Errorf("%s: got %v after %d writes, want the writer's error after one", f, err, w.calls)
		}
	}
}
