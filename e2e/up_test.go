//go:build e2e

package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"
)

type serviceStatus struct {
	Service     string `json:"service"`
	Kind        string `json:"kind"`
	State       string `json:"state"`
	Image       string `json:"image"`
	Version     string `json:"version"`
	ProdVersion string `json:"prod_version"`
	Ports       []struct {
		Host      int `json:"host"`
		Container int `json:"container"`
	} `json:"ports"`
}

func status(t *testing.T, dir, project string) map[string]serviceStatus {
	t.Helper()
	r := mustRun(t, dir, "-p", project, "status", "--format", "json")
	var list []serviceStatus
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatalf("status --format json: %v\n%s", err, r.stdout)
	}
	out := map[string]serviceStatus{}
	for _, s := range list {
		out[s.Service] = s
	}
	return out
}

func hostEnv(t *testing.T, dir, project string) map[string]string {
	t.Helper()
	r := mustRun(t, dir, "-p", project, "env", "--format", "json")
	var env map[string]string
	if err := json.Unmarshal([]byte(r.stdout), &env); err != nil {
		t.Fatalf("env --format json: %v\n%s", err, r.stdout)
	}
	return env
}

func httpDo(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// psql runs a query with the URL prodlike env printed: through the host's
// psql client when it is installed (CI installs it), else through pgx.
func psql(t *testing.T, url, query string) string {
	t.Helper()
	if _, err := exec.LookPath("psql"); err == nil {
		out, err := exec.Command("psql", url, "-Atc", query).CombinedOutput()
		if err != nil {
			t.Fatalf("psql %q: %v: %s", query, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect to %s: %v", url, err)
	}
	defer conn.Close(ctx)
	var v any
	if err := conn.QueryRow(ctx, query).Scan(&v); err != nil {
		t.Fatalf("%q: %v", query, err)
	}
	return fmt.Sprint(v)
}

// redisCLI runs a command with the URL prodlike env printed: through the
// host's redis-cli when it is installed, else through go-redis.
func redisCLI(t *testing.T, url string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("redis-cli"); err == nil {
		out, err := exec.Command("redis-cli", append([]string{"-u", url}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %q: %v: %s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	opts, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	c := goredis.NewClient(opts)
	defer c.Close()
	cmd := make([]any, len(args))
	for i, a := range args {
		cmd[i] = a
	}
	v, err := c.Do(context.Background(), cmd...).Result()
	if err != nil {
		t.Fatalf("redis %q: %v", args, err)
	}
	return fmt.Sprint(v)
}

func atLeast(t *testing.T, what, got string, min int) {
	t.Helper()
	n, err := strconv.Atoi(got)
	if err != nil || n < min {
		t.Errorf("%s: got %q, want a number ≥ %d", what, got, min)
	}
}

// TestShopLifecycle walks the main job on examples/shop: a cold up, the app
// answering and writing to both stand-ins, status, env with the host's own
// clients, a warm up that reuses everything, down keeping data, and down
// --volumes dropping it.
func TestShopLifecycle(t *testing.T) {
	for _, tool := range []string{"psql", "redis-cli"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Logf("%s is not installed: checking env's URL with the Go client instead (.ci/run installs it)", tool)
		}
	}
	dir := copyDir(t, filepath.Join(repo, "examples", "shop"))
	const project = "e2e-shop"
	cleanup(t, dir, project)

	cold := mustRun(t, dir, "-p", project, "up", "--detach")
	t.Logf("cold up: %.2fs\n%s%s", cold.took.Seconds(), cold.stderr, cold.stdout)

	st := status(t, dir, project)
	for _, s := range []struct{ service, kind, version string }{
		{"db", "postgres", "15."}, {"cache", "redis", "7.0."}, {"files", "s3", ""}, {"jobs", "sqs", ""}, {"api", "app", ""},
	} {
		got, ok := st[s.service]
		if !ok {
			t.Fatalf("status has no %s: %v", s.service, st)
		}
		if got.State != "running" || got.Kind != s.kind || got.Image == "" || len(got.Ports) == 0 {
			t.Errorf("status of %s: got %+v, want running %s with an image and a host port", s.service, got, s.kind)
		}
		if !strings.HasPrefix(got.Version, s.version) {
			t.Errorf("status of %s: got version %q, want %s…", s.service, got.Version, s.version)
		}
	}
	table := mustRun(t, dir, "-p", project, "status")
	for _, want := range []string{"SERVICE", "db", "cache", "files", "jobs", "api", "running", withMirror("postgres:15"), withMirror("versity/versitygw:v1.8.0")} {
		if !strings.Contains(table.stdout, want) {
			t.Errorf("status table lacks %q:\n%s", want, table.stdout)
		}
	}

	var appPort int
	for _, p := range st["api"].Ports {
		if p.Container == 8080 {
			appPort = p.Host
		}
	}
	app := fmt.Sprintf("http://127.0.0.1:%d", appPort)
	if code, body := httpDo(t, "GET", app+"/healthz", ""); code != 200 {
		t.Fatalf("GET /healthz: %d %s", code, body)
	}
	var stats struct {
		Boots      int `json:"boots"`
		RedisBoots int `json:"redis_boots"`
	}
	_, body := httpDo(t, "GET", app+"/stats", "")
	if err := json.Unmarshal([]byte(body), &stats); err != nil || stats.Boots < 1 || stats.RedisBoots < 1 {
		t.Errorf("GET /stats: got %s (%v), want boots and redis_boots ≥ 1: the app writes to both at start", body, err)
	}

	// The host's own clients reach the stand-ins with what env prints, and
	// see what the app wrote.
	env := hostEnv(t, dir, project)
	if !strings.Contains(env["DATABASE_URL"], "127.0.0.1:") || !strings.Contains(env["REDIS_URL"], "127.0.0.1:") {
		t.Errorf("env: got %v, want host-side URLs", env)
	}
	atLeast(t, "boots rows in Postgres", psql(t, env["DATABASE_URL"], "SELECT count(*) FROM boots"), 1)
	atLeast(t, "shop:boots in Redis", redisCLI(t, env["REDIS_URL"], "GET", "shop:boots"), 1)
	if got := redisCLI(t, env["REDIS_URL"], "CONFIG", "GET", "maxmemory-policy"); !strings.Contains(got, "volatile-lru") {
		t.Errorf("cache maxmemory-policy: got %q, want the compose file's volatile-lru", got)
	}
	sh := mustRun(t, dir, "-p", project, "env")
	if !strings.Contains(sh.stdout, "export DATABASE_URL='postgres://") {
		t.Errorf("env (sh): got %q, want export lines", sh.stdout)
	}

	if code, body := httpDo(t, "POST", app+"/orders", `{"item":"e2e-widget","quantity":3}`); code != 201 {
		t.Fatalf("POST /orders: %d %s", code, body)
	}

	checkUploadsAndJobs(t, app, env)

	warm := mustRun(t, dir, "-p", project, "up", "--detach")
	t.Logf("warm up: %.3fs (cold was %.2fs)\n%s", warm.took.Seconds(), cold.took.Seconds(), warm.stdout)
	if !strings.Contains(warm.stdout, "(0 started, 5 reused)") {
		t.Errorf("second up: got %q, want all five services reused", warm.stdout)
	}
	if warm.took*3 > cold.took {
		t.Errorf("second up took %v, want well under the cold %v", warm.took, cold.took)
	}

	logs := mustRun(t, dir, "-p", project, "logs", "api")
	if strings.TrimSpace(logs.stdout) == "" {
		t.Error("logs api: got no output, want the app's log lines")
	}

	mustRun(t, dir, "-p", project, "down")
	if got := labelled(t, "container", project); len(got) != 0 {
		t.Errorf("after down: %d containers left, want 0", len(got))
	}
	if got := labelled(t, "network", project); len(got) != 0 {
		t.Errorf("after down: networks %v left, want none", got)
	}
	if got := labelled(t, "volume", project); len(got) != 3 {
		t.Errorf("after down: got volumes %v, want the 3 data volumes (db, cache, files) kept", got)
	}

	mustRun(t, dir, "-p", project, "up", "--detach")
	env = hostEnv(t, dir, project)
	if got := psql(t, env["DATABASE_URL"], "SELECT count(*) FROM orders WHERE item = 'e2e-widget'"); got != "1" {
		t.Errorf("the order written before down: got count %q, want 1", got)
	}
	// Objects live in the files volume; queues are declared again at start.
	versions, err := s3Client(env).ListObjectVersions(t.Context(), &s3.ListObjectVersionsInput{Bucket: aws.String(env["UPLOADS_BUCKET"]), Prefix: aws.String("uploads/receipt.txt")})
	if err != nil || len(versions.Versions) != 2 {
		t.Errorf("the two uploads made before down: got %+v, %v; want both versions kept in the files volume", versions, err)
	}
	if _, maxReceives := redrive(t, queueAttributes(t, sqsClient(env), env["JOBS_QUEUE_URL"])); maxReceives != 3 {
		t.Errorf("jobs queue after down and up: maxReceiveCount %d, want the declared 3", maxReceives)
	}

	mustRun(t, dir, "-p", project, "down", "--volumes")
	if got := labelled(t, "volume", project); len(got) != 0 {
		t.Errorf("after down --volumes: volumes %v left, want none", got)
	}
	mustRun(t, dir, "-p", project, "up", "--detach")
	env = hostEnv(t, dir, project)
	if got := psql(t, env["DATABASE_URL"], "SELECT count(*) FROM orders"); got != "0" {
		t.Errorf("after down --volumes and up: got %q orders, want 0", got)
	}
}

const receipt = "order 42: 3 × e2e-widget\n"

// checkUploadsAndJobs uploads a file through the app (S3), waits for the
// app's background job (SQS) to process it, sends a poison job that the
// queue's redrive policy must move to the dead-letter queue, and reads back
// the buckets and queues as declared in examples/shop/compose.yaml.
func checkUploadsAndJobs(t *testing.T, app string, env map[string]string) {
	t.Helper()
	for _, k := range []string{"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SQS", "UPLOADS_BUCKET", "JOBS_QUEUE_URL", "JOBS_DLQ_URL"} {
		if !strings.Contains(env[k], "127.0.0.1:") && k != "UPLOADS_BUCKET" {
			t.Errorf("env %s: got %q, want a host-side URL", k, env[k])
		}
	}
	// Two uploads of the same name: the bucket is versioned, as declared.
	for _, content := range []string{"draft", receipt} {
		if code, body := httpDo(t, "PUT", app+"/uploads/receipt.txt", content); code != 202 {
			t.Fatalf("PUT /uploads/receipt.txt: %d %s", code, body)
		}
	}
	sum := sha256.Sum256([]byte(receipt))
	eventually(t, "the checksum job of receipt.txt", 30*time.Second, func() (bool, string) {
		_, body := httpDo(t, "GET", app+"/uploads/receipt.txt", "")
		var u struct {
			Status string `json:"status"`
			SHA256 string `json:"sha256"`
		}
		_ = json.Unmarshal([]byte(body), &u)
		return u.Status == "processed" && u.SHA256 == hex.EncodeToString(sum[:]), body
	})

	// What the app wrote is in the bucket, read with the host's SDK.
	s3c := s3Client(env)
	obj, err := s3c.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(env["UPLOADS_BUCKET"]), Key: aws.String("uploads/receipt.txt")})
	if err != nil {
		t.Fatalf("GetObject uploads/receipt.txt: %v", err)
	}
	got, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	if string(got) != receipt {
		t.Errorf("uploads/receipt.txt: got %q, want %q", got, receipt)
	}
	ver, err := s3c.GetBucketVersioning(t.Context(), &s3.GetBucketVersioningInput{Bucket: aws.String(env["UPLOADS_BUCKET"])})
	if err != nil || ver.Status != "Enabled" {
		t.Errorf("uploads versioning: got %+v, %v; want Enabled, as declared", ver, err)
	}

	// The queues carry their declared attributes and redrive policy.
	sqsc := sqsClient(env)
	jobs := queueAttributes(t, sqsc, env["JOBS_QUEUE_URL"])
	dlq := queueAttributes(t, sqsc, env["JOBS_DLQ_URL"])
	if jobs["VisibilityTimeout"] != "60" {
		t.Errorf("jobs VisibilityTimeout: got %q, want the declared 60", jobs["VisibilityTimeout"])
	}
	if dlq["MessageRetentionPeriod"] != "1209600" {
		t.Errorf("jobs-dlq MessageRetentionPeriod: got %q, want the declared 14 days (1209600)", dlq["MessageRetentionPeriod"])
	}
	target, maxReceives := redrive(t, jobs)
	if target != dlq["QueueArn"] || maxReceives != 3 {
		t.Errorf("jobs RedrivePolicy: got target %q after %d receives, want %q after 3", target, maxReceives, dlq["QueueArn"])
	}

	// A job the app cannot do is retried, then moved to the dead-letter
	// queue by the redrive policy.
	if _, err := sqsc.SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: aws.String(env["JOBS_QUEUE_URL"]), MessageBody: aws.String(`{"kind":"no-such-job"}`)}); err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	eventually(t, "the poison job in the dead-letter queue", 30*time.Second, func() (bool, string) {
		_, body := httpDo(t, "GET", app+"/stats", "")
		var st struct {
			DeadLetters int `json:"dead_letters"`
		}
		_ = json.Unmarshal([]byte(body), &st)
		return st.DeadLetters == 1, body
	})
}
