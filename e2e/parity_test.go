//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// parityJSON is the part of the JSON report the tests read.
type parityJSON struct {
	Passed bool `json:"passed"`
	Checks []struct {
		ID       string `json:"id"`
		Status   string `json:"status"`
		Reason   string `json:"reason"`
		Findings []struct {
			Check    string `json:"check"`
			Severity string `json:"severity"`
			Service  string `json:"service"`
			Subject  string `json:"subject"`
			Waived   string `json:"waived"`
		} `json:"findings"`
	} `json:"checks"`
}

// counted returns "CHECK service subject" for each finding at warn or
// block that is not waived.
func (r parityJSON) counted() []string {
	var out []string
	for _, c := range r.Checks {
		for _, f := range c.Findings {
			if f.Waived == "" && f.Severity != "info" {
				out = append(out, strings.TrimSpace(f.Check+" "+f.Service+" "+f.Subject))
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func parityReport(t *testing.T, r result) parityJSON {
	t.Helper()
	var rep parityJSON
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("parity JSON: %v\nstdout:\n%s\nstderr:\n%s", err, r.stdout, r.stderr)
	}
	return rep
}

// editState changes the values of resources in the Terraform state JSON at
// path: change gets each resource's address and values.
func editState(t *testing.T, path string, change func(address string, values map[string]any)) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		FormatVersion    string `json:"format_version"`
		TerraformVersion string `json:"terraform_version"`
		Values           struct {
			RootModule struct {
				Resources []map[string]any `json:"resources"`
			} `json:"root_module"`
		} `json:"values"`
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	for _, r := range st.Values.RootModule.Resources {
		change(r["address"].(string), r["values"].(map[string]any))
	}
	out, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, string(out))
}

func TestParity(t *testing.T) {
	dir := copyDir(t, filepath.Join(repo, "examples", "shop"))
	const project = "e2e-parity"
	cleanup(t, dir, project)
	state := filepath.Join(dir, "infra", "prod.json")
	matching, _ := os.ReadFile(state)

	// Nothing runs yet: --no-start refuses, exit 2.
	r := prodlike(t, dir, nil, "-p", project, "parity", "--no-start")
	if r.code != 2 || !strings.Contains(r.stderr, "not running") || !strings.Contains(r.stderr, "prodlike up") {
		t.Fatalf("parity --no-start on a stopped stack: got exit %d, stderr %q; want 2 saying it is not running", r.code, r.stderr)
	}

	// A prod that matches: parity starts the stack (shaped from prod) and
	// passes.
	r = prodlike(t, dir, nil, "-p", project, "parity", "--format", "json")
	if r.code != 0 {
		t.Fatalf("parity with a matching prod: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	base := parityReport(t, r)
	if !base.Passed {
		t.Errorf("matching prod: got passed false, want true")
	}
	for _, c := range base.Checks {
		if c.Status == "skip" {
			t.Errorf("matching prod: check %s skipped (%s), want every check to run on the shop", c.ID, c.Reason)
		}
	}
	t.Logf("findings at warn with a matching prod (the baseline): %q", base.counted())
	// Shaping made the stand-in require TLS as RDS 15 does, and parity
	// started the app itself, so it measured its start.
	for _, id := range []string{"PG-TLS", "IMAGE-START-TIME"} {
		if st := base.status(id); st != "pass" {
			t.Errorf("matching prod: %s is %q, want pass", id, st)
		}
	}

	// On the running stack parity only reads facts.
	warm := prodlike(t, dir, nil, "-p", project, "parity")
	if warm.code != 0 || !strings.Contains(warm.stdout, "parity PASSED for prod") {
		t.Fatalf("parity text: exit %d\n%s%s", warm.code, warm.stdout, warm.stderr)
	}
	t.Logf("parity on the running stack took %.3fs", warm.took.Seconds())

	// The TLS RDS requires: the URLs say sslmode=require, the app's own
	// connections are encrypted, and a plain connection is refused.
	env := hostEnv(t, dir, project)
	if !strings.Contains(env["DATABASE_URL"], "sslmode=require") {
		t.Errorf("env DATABASE_URL %q: want sslmode=require, as prod requires TLS", env["DATABASE_URL"])
	}
	if n := psql(t, env["DATABASE_URL"], "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE backend_type = 'client backend' AND NOT ssl"); n != "0" {
		t.Errorf("%s client connections without TLS, want 0", n)
	}
	plain := strings.Replace(env["DATABASE_URL"], "sslmode=require", "sslmode=disable", 1)
	if out, err := exec.Command("psql", plain, "-Atc", "SELECT 1").CombinedOutput(); err == nil || !strings.Contains(string(out), "no encryption") {
		t.Errorf("a plain connection: got %v, %s; want it refused (pg_hba: no encryption)", err, out)
	}

	// Dev uses an extension RDS does not allow.
	psql(t, env["DATABASE_URL"], "CREATE EXTENSION IF NOT EXISTS file_fdw")

	// A prod that differs in major version, a parameter, a queue attribute
	// and the image's architecture, compared without shaping.
	editState(t, state, func(address string, v map[string]any) {
		switch address {
		case "aws_db_instance.main":
			v["engine_version"] = "16.4"
		case "aws_db_parameter_group.main":
			v["family"] = "postgres16"
			v["parameter"] = append(v["parameter"].([]any), map[string]any{"name": "work_mem", "value": "16384", "apply_method": "immediate"})
		case "aws_sqs_queue.jobs":
			v["visibility_timeout_seconds"] = 120
		case "aws_ecs_task_definition.api":
			v["runtime_platform"] = []any{map[string]any{"cpu_architecture": "ARM64", "operating_system_family": "LINUX"}}
		}
	})
	r = prodlike(t, dir, nil, "-p", project, "parity", "--no-shape", "--format", "json")
	if r.code != 1 {
		t.Fatalf("parity with a differing prod: got exit %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	got := newFindings(base, parityReport(t, r))
	want := []string{"IMAGE-ARCH api", "PG-EXTENSION db file_fdw", "PG-PARAM db work_mem", "PG-VERSION-MAJOR db", "SQS-VISIBILITY jobs jobs"}
	if !slices.Equal(got, want) {
		t.Errorf("differing prod: got new findings %q, want exactly %q", got, want)
	}

	// Every format renders the same run.
	for _, f := range []struct{ format, file, want string }{
		{"junit", "parity.xml", `<failure type="PG-VERSION-MAJOR"`},
		{"markdown", "parity.md", "PG-VERSION-MAJOR"},
	} {
		r = prodlike(t, dir, nil, "-p", project, "parity", "--no-shape", "--format", f.format, "--output", f.file)
		out, err := os.ReadFile(filepath.Join(dir, f.file))
		if r.code != 1 || err != nil || !strings.Contains(string(out), f.want) || !strings.Contains(r.stderr, "parity FAILED for prod") {
			t.Errorf("--format %s --output %s: exit %d, file err %v, stderr %q; want exit 1 and a report with %q", f.format, f.file, r.code, err, r.stderr, f.want)
		}
	}

	// With shaping, up takes prod's parameter and queue attribute; the
	// major version needs an image this machine cannot pull, so that prod
	// keeps 15 here. What shaping cannot fix stays.
	editState(t, state, func(address string, v map[string]any) {
		if address == "aws_db_instance.main" {
			v["engine_version"] = "15"
		}
	})
	up := mustRun(t, dir, "-p", project, "up", "--detach")
	if !strings.Contains(up.stderr, "work_mem=16384") || !strings.Contains(up.stderr, "VisibilityTimeout=120") {
		t.Errorf("shaped up: stderr lacks the shaped parameter and queue attribute:\n%s", up.stderr)
	}
	r = prodlike(t, dir, nil, "-p", project, "parity", "--format", "json")
	got = newFindings(base, parityReport(t, r))
	want = []string{"IMAGE-ARCH api", "PG-EXTENSION db file_fdw"}
	if r.code != 1 || !slices.Equal(got, want) {
		t.Errorf("shaped: got exit %d, new findings %q; want 1 and exactly %q", r.code, got, want)
	}

	// A waiver with a reason accepts a finding; an unknown ID is refused
	// with its line.
	compose := filepath.Join(dir, "compose.yaml")
	orig, _ := os.ReadFile(compose)
	writeFile(t, compose, string(orig)+"  waive:\n    - {check: IMAGE-ARCH, reason: arm64 images are built in CI}\n    - {check: PG-EXTENSION, service: db, reason: file_fdw is only used by a dev tool}\n")
	r = prodlike(t, dir, nil, "-p", project, "parity")
	if r.code != 0 || !strings.Contains(r.stdout, "arm64 images are built in CI") {
		t.Errorf("waived: got exit %d, want 0 with the waiver's reason in the report\n%s%s", r.code, r.stdout, r.stderr)
	}
	writeFile(t, compose, string(orig)+"  waive:\n    - {check: IMAGE-ARCHH, reason: typo}\n")
	r = prodlike(t, dir, nil, "-p", project, "parity")
	if r.code != 65 || !strings.Contains(r.stderr, `compose.yaml:`) || !strings.Contains(r.stderr, `unknown check "IMAGE-ARCHH"; did you mean IMAGE-ARCH?`) {
		t.Errorf("unknown waiver: got exit %d, stderr %q; want 65 naming the file, line and the closest ID", r.code, r.stderr)
	}
	writeFile(t, compose, string(orig))

	// Bad prod truth: foreign JSON, and an address that is not in it.
	writeFile(t, state, `{"resources": []}`)
	r = prodlike(t, dir, nil, "-p", project, "parity")
	if r.code != 2 || !strings.Contains(r.stderr, "prod.json") {
		t.Errorf("foreign JSON: got exit %d, stderr %q; want 2 naming the file", r.code, r.stderr)
	}
	writeFile(t, state, strings.Replace(strings.Replace(string(matching), `"address": "aws_sqs_queue.jobs_dlq"`, `"address": "aws_sqs_queue.dead"`, 1), `"name": "jobs_dlq"`, `"name": "dead"`, 1))
	r = prodlike(t, dir, nil, "-p", project, "parity")
	if r.code != 65 || !strings.Contains(r.stderr, "aws_sqs_queue.jobs_dlq") || !strings.Contains(r.stderr, "compose.yaml:") {
		t.Errorf("missing resource: got exit %d, stderr %q; want 65 naming the address and where the compose file names it", r.code, r.stderr)
	}
	writeFile(t, state, string(matching))

	// Docker does not answer: exit 2.
	r = prodlike(t, dir, []string{"DOCKER_HOST=unix:///nonexistent/docker.sock"}, "-p", project, "parity")
	if r.code != 2 {
		t.Errorf("parity without Docker: got exit %d, want 2\n%s", r.code, r.stderr)
	}
}

// status returns the status of check id in the report, "" if absent.
func (r *parityJSON) status(id string) string {
	for _, c := range r.Checks {
		if c.ID == id {
			return c.Status
		}
	}
	return ""
}

// newFindings returns the counted findings of r that the baseline does not
// have.
func newFindings(base, r parityJSON) []string {
	var out []string
	for _, f := range r.counted() {
		if !slices.Contains(base.counted(), f) {
			out = append(out, f)
		}
	}
	return out
}
