package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/prodlike/prodlike/config"
	"github.com/prodlike/prodlike/profiles/truth"
	"github.com/prodlike/prodlike/stack"
)

// runInDir runs prodlike in dir, as if started there.
func runInDir(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := env{
		stdout:    &out,
		stderr:    &errOut,
		newEngine: func() (stack.Engine, error) { return unreachable{}, nil },
		signals:   func(chan<- os.Signal) func() { return func() {} },
	}
	code = run(context.Background(), append([]string{"-C", dir}, args...), e)
	return code, out.String(), errOut.String()
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// shopProject is the shop example without the annotations init writes
// (testdata/init/shop), with the example's prod truth in infra/prod.json.
func shopProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	copyFile(t, "testdata/init/shop/compose.yaml", filepath.Join(dir, "compose.yaml"))
	copyFile(t, "../../examples/shop/infra/prod.json", filepath.Join(dir, "infra", "prod.json"))
	return dir
}

func loadSpec(t *testing.T, opts config.Options) *config.Spec {
	t.Helper()
	spec, err := config.Load(context.Background(), opts)
	if err != nil {
		t.Fatalf("config.Load(%v): got error %v, want none", opts.Files, err)
	}
	return spec
}

// annotations are what a spec says of each service that init writes.
func annotations(spec *config.Spec) map[string]string {
	out := map[string]string{}
	for _, s := range spec.Services {
		out[s.Name] = string(s.Kind) + " " + s.Standin + " " + strings.Join(s.Prod, ",")
	}
	return out
}

// isSubsequence reports whether every line of a appears in b, in order:
// init only adds.
func isSubsequence(a, b []byte) bool {
	bl := strings.Split(string(b), "\n")
	i := 0
	for _, l := range strings.Split(string(a), "\n") {
		for i < len(bl) && bl[i] != l {
			i++
		}
		if i == len(bl) {
			return false
		}
		i++
	}
	return true
}

func TestInitShop(t *testing.T) {
	dir := shopProject(t)
	compose := filepath.Join(dir, "compose.yaml")
	before, err := os.ReadFile(compose)
	if err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runInDir(t, dir, "init", "--terraform", "infra/prod.json")
	if code != 0 {
		t.Fatalf("exit code: got %d, want 0\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	wantOut := `compose.yaml:
  api: app, prod aws_ecs_task_definition.api
  db: standin aws.rds-postgres, prod aws_db_instance.main
  cache: standin aws.elasticache, prod aws_elasticache_replication_group.main
  files: standin aws.s3, prod aws_s3_bucket.uploads
  jobs: prod [aws_sqs_queue.jobs, aws_sqs_queue.jobs_dlq]
  environment prod: cloud aws, region eu-west-1, terraform infra/prod.json
left for you:
  api: no health path: its compose healthcheck probes no HTTP URL init can read; add health: /healthz (the path that answers 2xx once the app is ready) to its x-prodlike
wrote compose.yaml
`
	if stdout != wantOut {
		t.Errorf("stdout:\ngot\n%s\nwant\n%s", stdout, wantOut)
	}
	after, err := os.ReadFile(compose)
	if err != nil {
		t.Fatal(err)
	}
	if !isSubsequence(before, after) {
		t.Errorf("init changed or dropped lines of the file:\n%s", after)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("got %d entries in the project directory, want compose.yaml and infra (no temporary files left)", len(entries))
	}

	// Same stand-ins, prod addresses and environment as the example.
	got := loadSpec(t, config.Options{WorkDir: dir})
	example := loadSpec(t, config.Options{Files: []string{"../../examples/shop/compose.yaml"}})
	if g, w := annotations(got), annotations(example); !reflect.DeepEqual(g, w) {
		t.Errorf("services:\ngot  %q\nwant %q", g, w)
	}
	gotEnv, _ := got.Environment("prod")
	wantEnv, _ := example.Environment("prod")
	if !reflect.DeepEqual(gotEnv, wantEnv) {
		t.Errorf("environment: got %+v, want %+v", gotEnv, wantEnv)
	}
	// What parity reads: the prod truth of every service.
	prod, err := truth.Read(got, gotEnv)
	if err != nil {
		t.Fatalf("truth.Read: got error %v, want none", err)
	}
	for _, s := range got.Services {
		if prod.Services[s.Name] == nil {
			t.Errorf("%s: no prod truth", s.Name)
		}
	}

	// A second run changes nothing.
	code, stdout, stderr = runInDir(t, dir, "init", "--terraform", "infra/prod.json")
	if code != 0 || !strings.HasPrefix(stdout, "nothing to do: every service is annotated\n") {
		t.Errorf("second run: got exit %d, stdout %q, stderr %q; want 0 and nothing to do", code, stdout, stderr)
	}
	again, err := os.ReadFile(compose)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, after) {
		t.Errorf("second run changed the file:\n%s", again)
	}
}

func TestInitDryRun(t *testing.T) {
	dir := shopProject(t)
	compose := filepath.Join(dir, "compose.yaml")
	if err := os.Chmod(compose, 0o600); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(compose)
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runInDir(t, dir, "init", "--terraform", "infra/prod.json", "--dry-run")
	if code != 0 {
		t.Fatalf("exit code: got %d, want 0\nstderr: %s", code, stderr)
	}
	for _, want := range []string{
		"  db: standin aws.rds-postgres, prod aws_db_instance.main\n",
		"--- compose.yaml\n+++ compose.yaml\n",
		"@@ -35,2 +36,3 @@\n       POSTGRES_DB: shop\n+    x-prodlike: { standin: aws.rds-postgres, prod: aws_db_instance.main }\n \n",
		"+x-prodlike:\n+  environments:\n+    prod: { cloud: aws, region: eu-west-1, terraform: infra/prod.json }\n",
		"dry run: nothing written\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout: got\n%s\nwant it to contain\n%s", stdout, want)
		}
	}
	after, err := os.ReadFile(compose)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(after, before) {
		t.Errorf("--dry-run changed the file:\n%s", after)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("got %d entries in the project directory, want compose.yaml and infra only", len(entries))
	}

	// The real run keeps the file's mode.
	if code, _, stderr := runInDir(t, dir, "init", "--terraform", "infra/prod.json"); code != 0 {
		t.Fatalf("exit code: got %d, want 0\nstderr: %s", code, stderr)
	}
	if fi, err := os.Stat(compose); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after init: got %v (%v), want -rw-------", fi.Mode(), err)
	}
}

func TestInitWithoutTerraform(t *testing.T) {
	dir := shopProject(t)
	code, stdout, stderr := runInDir(t, dir, "init", "--cloud", "gcp")
	if code != 0 {
		t.Fatalf("exit code: got %d, want 0\nstderr: %s", code, stderr)
	}
	for _, want := range []string{
		"  api: app\n",
		"  db: standin gcp.cloudsql-postgres\n",
		"  cache: standin gcp.memorystore-redis\n",
		"  files: gcp has no stand-in identifier for s3; left as it is (a plain s3 stand-in)\n",
		"  no prod environment: write its Terraform JSON",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout: got\n%s\nwant it to contain %q", stdout, want)
		}
	}
	spec := loadSpec(t, config.Options{WorkDir: dir})
	if len(spec.Environments) != 0 {
		t.Errorf("got environments %+v, want none without --terraform", spec.Environments)
	}
	if db, _ := spec.Service("db"); db.Standin != "gcp.cloudsql-postgres" {
		t.Errorf("db: got stand-in %q, want gcp.cloudsql-postgres", db.Standin)
	}
}

// TestInitSeveralFiles checks that each service's keys go to the file
// that declares it, and that the check before writing loads all of them.
func TestInitSeveralFiles(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"base.yaml": "services:\n  api:\n    build: .\n    healthcheck:\n      test: [CMD, wget, -qO-, \"http://localhost:8080/ready\"]\n  db:\n    image: postgres:16.4\n",
		"dev.yaml":  "services:\n  db:\n    x-prodlike:\n      version: \"16.4\"\n  cache:\n    image: valkey/valkey:8.0\n",
		"prod.json": `{"format_version": "1.0", "values": {"root_module": {"resources": [` +
			`{"address": "aws_db_instance.main", "mode": "managed", "type": "aws_db_instance", "name": "main", "values": {"engine": "postgres", "engine_version": "16.4", "arn": "arn:aws:rds:eu-central-1:1:db:x"}},` +
			`{"address": "aws_elasticache_replication_group.cache", "mode": "managed", "type": "aws_elasticache_replication_group", "name": "cache", "values": {"engine": "valkey", "engine_version": "8.0"}}]}}}`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := runInDir(t, dir, "-f", "base.yaml", "-f", "dev.yaml", "init", "--terraform", "prod.json", "--env", "live")
	if code != 0 {
		t.Fatalf("exit code: got %d, want 0\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	want := map[string]string{
		// The environment goes to the first file, which has no
		// top-level x-prodlike either.
		"base.yaml": "services:\n  api:\n    build: .\n    healthcheck:\n      test: [CMD, wget, -qO-, \"http://localhost:8080/ready\"]\n" +
			"    x-prodlike: { app: true, health: /ready }\n  db:\n    image: postgres:16.4\n" +
			"\nx-prodlike:\n  environments:\n    live: { cloud: aws, region: eu-central-1, terraform: prod.json }\n",
		"dev.yaml": "services:\n  db:\n    x-prodlike:\n      standin: aws.rds-postgres\n      prod: aws_db_instance.main\n      version: \"16.4\"\n" +
			"  cache:\n    image: valkey/valkey:8.0\n    x-prodlike: { standin: aws.elasticache, prod: aws_elasticache_replication_group.cache }\n",
	}
	for name, w := range want {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != w {
			t.Errorf("%s:\ngot\n%s\nwant\n%s", name, got, w)
		}
	}
	if !strings.Contains(stdout, "base.yaml:\n  api: app, health /ready\n") || !strings.Contains(stdout, "dev.yaml:\n  db: standin aws.rds-postgres") {
		t.Errorf("stdout: got\n%s\nwant the changes by file", stdout)
	}
}

func TestInitErrors(t *testing.T) {
	raw, err := os.ReadFile("../../profiles/truth/testdata/raw.tfstate")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		files  map[string]string // besides the shop's compose.yaml; "" removes it
		args   []string
		code   int
		stderr []string
	}{
		{"no compose file", map[string]string{"compose.yaml": ""}, nil, exitNoInput, []string{"compose file not found"}},
		{"invalid compose file", map[string]string{"compose.yaml": "services:\n  db:\n    image: postgres:latest\n"}, nil, exitConfig, []string{`service "db"`, "does not pin the engine version"}},
		{"raw tfstate", map[string]string{"infra/prod.tfstate": string(raw)}, []string{"--terraform", "infra/prod.tfstate"}, exitCouldNotRun,
			[]string{"infra/prod.tfstate is a raw Terraform state file", "terraform show -json infra/prod.tfstate > prod.json"}},
		{"malformed JSON", map[string]string{"infra/bad.json": "{\n  \"values\": }\n"}, []string{"--terraform", "infra/bad.json"}, exitCouldNotRun, []string{"infra/bad.json:2:13: invalid JSON"}},
		{"foreign JSON", map[string]string{"infra/bad.json": `{"resources": []}`}, []string{"--terraform", "infra/bad.json"}, exitCouldNotRun, []string{"infra/bad.json is not Terraform JSON"}},
		{"missing Terraform file", nil, []string{"--terraform", "infra/nope.json"}, exitCouldNotRun, []string{"infra/nope.json does not exist", "terraform show -json"}},
		{"an address the file lacks", map[string]string{"compose.yaml": "services:\n  db:\n    image: postgres:16.4\n    x-prodlike: { prod: aws_db_instance.gone }\n"},
			[]string{"--terraform", "infra/prod.json"}, exitConfig, []string{"prod addresses do not all resolve in infra/prod.json", "aws_db_instance.gone is not in infra/prod.json"}},
		{"bad cloud", nil, []string{"--cloud", "oracle"}, exitUsage, []string{"--cloud: want aws, gcp or azure"}},
		{"region without Terraform", nil, []string{"--region", "eu-west-1"}, exitUsage, []string{"--region", "only with --terraform"}},
		{"bad environment name", nil, []string{"--env", "a b"}, exitUsage, []string{"--env"}},
		{"arguments", nil, []string{"db"}, exitUsage, []string{"takes no arguments"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := shopProject(t)
			for name, content := range tt.files {
				path := filepath.Join(dir, name)
				if content == "" {
					os.Remove(path)
					continue
				}
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			before, _ := os.ReadFile(filepath.Join(dir, "compose.yaml"))
			code, stdout, stderr := runInDir(t, dir, append([]string{"init"}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit code: got %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			for _, w := range tt.stderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr: got %q, want it to contain %q", stderr, w)
				}
			}
			after, _ := os.ReadFile(filepath.Join(dir, "compose.yaml"))
			if !bytes.Equal(before, after) {
				t.Errorf("the compose file changed:\n%s", after)
			}
		})
	}
}

// TestInitWritesNothingUnverified checks the guard against init's own
// bugs: content that does not load is not written, and the error says so.
func TestInitWritesNothingUnverified(t *testing.T) {
	dir := shopProject(t)
	compose := filepath.Join(dir, "compose.yaml")
	before, err := os.ReadFile(compose)
	if err != nil {
		t.Fatal(err)
	}
	a := &app{env: env{environ: nil}, dir: dir}
	spec := loadSpec(t, a.initLoadOptions())
	broken := annotated{
		FileAnnotations: config.FileAnnotations{Path: spec.Files[0], Shown: "compose.yaml"},
		after:           []byte("services:\n  db:\n    image: postgres:latest\n"),
	}
	err = a.writeAnnotated(context.Background(), spec, []annotated{broken}, nil)
	if err == nil {
		t.Fatal("got no error, want one")
	}
	for _, w := range []string{"a bug in prodlike init; nothing was written", "compose.yaml:3", "does not pin the engine version"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("got %q, want it to contain %q", err, w)
		}
	}
	if strings.Contains(err.Error(), "prodlike-init-") {
		t.Errorf("got %q, want the compose file named, not the temporary file", err)
	}
	if code := exitCode(err); code != exitCouldNotRun {
		t.Errorf("exit code: got %d, want %d", code, exitCouldNotRun)
	}
	after, _ := os.ReadFile(compose)
	if !bytes.Equal(after, before) {
		t.Errorf("the compose file changed:\n%s", after)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("got %d entries in the project directory, want compose.yaml and infra (no temporary files left)", len(entries))
	}
}
