package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/prodlike/prodlike/parity"
	"github.com/prodlike/prodlike/promote"
	"github.com/prodlike/prodlike/stack"
)

// testRegistry is an in-process registry on loopback that counts the
// requests that could change it.
type testRegistry struct {
	host   string
	mu     sync.Mutex
	writes int
}

// newTestRegistry starts a registry; wrap, when not nil, sits in front of
// it (an auth check, say).
func newTestRegistry(t *testing.T, wrap func(http.Handler) http.Handler) *testRegistry {
	t.Helper()
	tr := &testRegistry{}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	// Counted behind wrap: a request it refuses changes nothing.
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			tr.mu.Lock()
			tr.writes++
			tr.mu.Unlock()
		}
		reg.ServeHTTP(w, r)
	})
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	tr.host = strings.TrimPrefix(srv.URL, "http://")
	return tr
}

func (tr *testRegistry) writeCount() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.writes
}

// closedHost is a loopback address nothing listens on any more.
func closedHost(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := l.Addr().String()
	l.Close()
	return host
}

// requireBasic answers 401 with a Basic challenge to every request.
func requireBasic(http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
	})
}

// anonymous is a keychain that never finds credentials, so tests do not
// read the machine's Docker config.
type anonymous struct{}

func (anonymous) Resolve(authn.Resource) (authn.Authenticator, error) { return authn.Anonymous, nil }

// fakeEngine has local images and can export them; a pull makes the
// pulled reference local. Other Engine methods are not called: the parity
// gate is faked too.
type fakeEngine struct {
	stack.Engine
	images map[string]string // reference → image ID
	saves  map[string][]byte // image ID → `docker save` archive
	pulls  []string
}

func (f *fakeEngine) Ping(context.Context) (stack.Info, error) { return stack.Info{}, nil }

func (f *fakeEngine) ImageID(_ context.Context, ref string) (string, error) {
	if id, ok := f.images[ref]; ok {
		return id, nil
	}
	return "", fmt.Errorf("%w: %s is not present locally", stack.ErrImageNotFound, ref)
}

func (f *fakeEngine) Pull(_ context.Context, ref string, _ func(string)) error {
	f.pulls = append(f.pulls, ref)
	f.images[ref] = "sha256:pulled-" + ref
	return nil
}

func (f *fakeEngine) SaveImage(_ context.Context, id string) (io.ReadCloser, error) {
	b, ok := f.saves[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", stack.ErrImageNotFound, id)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// addLocal puts a random image in the engine under ref, as `prodlike up`
// leaves the image it built, and returns it.
func (f *fakeEngine) addLocal(t *testing.T, ref string) v1.Image {
	t.Helper()
	img, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	var save bytes.Buffer
	if err := tarball.Write(tag, img, &save); err != nil {
		t.Fatal(err)
	}
	id, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	f.images[ref] = id.String()
	f.saves[id.String()] = save.Bytes()
	return img
}

// fakeGate returns its report and remembers what it was run on.
type fakeGate struct {
	report *parity.Report
	runs   []gateRun
}

func (g *fakeGate) run(_ context.Context, in gateRun) (*parity.Report, error) {
	g.runs = append(g.runs, in)
	return g.report, nil
}

func passing(env string) *parity.Report {
	return &parity.Report{Project: "shop", Env: env, Cloud: "aws", Results: []parity.Result{
		{ID: "PG-VERSION-MAJOR", Title: "Postgres major version matches prod", Status: parity.Pass},
		{ID: "IMAGE-ROOT", Title: "The app image does not run as root", Status: parity.Fail, Findings: []parity.Finding{
			{Check: "IMAGE-ROOT", Severity: parity.Warn, Service: "api", Message: "runs as root", Fix: "add USER"},
		}},
	}}
}

func failing(env string) *parity.Report {
	r := passing(env)
	r.Results[0].Status = parity.Fail
	r.Results[0].Findings = []parity.Finding{{Check: "PG-VERSION-MAJOR", Severity: parity.Block, Service: "db",
		Message: "dev runs Postgres 15, prod 16", Dev: "15", Prod: "16", Fix: "pin 16"}}
	return r
}

const kustomization = `# Staging: what Argo CD deploys.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml   # the api
images:
  - name: shop-api
    newTag: "1.0"     # set by hand before prodlike
  - name: redis
    newTag: "7.0"
`

const helmValues = `# Values for prod.
replicaCount: 3
image:
  repository: shop/api   # overridden per cluster
  digest: ""             # pinned by prodlike promote
  pullPolicy: IfNotPresent
`

// promoteTest is a project with staging and prod targets on an in-process
// registry, a fake engine and a fake gate.
type promoteTest struct {
	dir            string
	reg            *testRegistry
	eng            *fakeEngine
	gate           *fakeGate
	stdout, stderr bytes.Buffer
}

func newPromoteTest(t *testing.T) *promoteTest {
	t.Helper()
	pt := &promoteTest{
		dir:  t.TempDir(),
		reg:  newTestRegistry(t, nil),
		eng:  &fakeEngine{images: map[string]string{}, saves: map[string][]byte{}},
		gate: &fakeGate{},
	}
	pt.writeCompose(t, pt.reg.host+"/shop/api", pt.reg.host+"/shop/api:live")
	pt.write(t, "deploy/staging/kustomization.yaml", kustomization)
	pt.write(t, "charts/values-prod.yaml", helmValues)
	return pt
}

// writeCompose writes the project's compose file with staging's and
// prod's image targets.
func (pt *promoteTest) writeCompose(t *testing.T, staging, prod string) {
	t.Helper()
	pt.write(t, "compose.yaml", `name: shop
services:
  api:
    build: .
    image: shop-api
    ports: ["8080:8080"]
    x-prodlike: { app: true, health: /healthz }
  db:
    image: postgres:15
    environment: { POSTGRES_PASSWORD: pw }
    x-prodlike: { standin: aws.rds-postgres, version: "15" }
x-prodlike:
  environments:
    dev: { cloud: aws, region: eu-west-1 }
    staging:
      cloud: aws
      region: eu-west-1
      image: `+staging+`
      gitops: { file: deploy/staging/kustomization.yaml, image: shop-api }
    prod:
      cloud: aws
      region: eu-west-1
      image: `+prod+`
      gitops: { file: charts/values-prod.yaml, key: image.digest }
`)
}

func (pt *promoteTest) write(t *testing.T, rel, content string) {
	t.Helper()
	path := filepath.Join(pt.dir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (pt *promoteTest) read(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(pt.dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// run runs `prodlike -C DIR promote ARGS…` through the root command, with
// the promote command wired to the test's registry keychain and gate.
func (pt *promoteTest) run(t *testing.T, args ...string) (int, error) {
	t.Helper()
	pt.stdout.Reset()
	pt.stderr.Reset()
	a := &app{env: env{
		stdout:    &pt.stdout,
		stderr:    &pt.stderr,
		newEngine: func() (stack.Engine, error) { return pt.eng, nil },
		signals:   func(chan<- os.Signal) func() { return func() {} },
	}}
	pr := &promoter{app: a, registry: promote.Options{Keychain: anonymous{}, Version: "test"}, gate: pt.gate.run,
		now: func() time.Time { return time.Date(2026, 5, 4, 10, 30, 0, 0, time.UTC) }}
	root := newRootCmd(a)
	real, _, err := root.Find([]string{"promote"})
	if err != nil || real.Name() != "promote" {
		t.Fatalf("the root command has no promote subcommand (%v)", err)
	}
	root.RemoveCommand(real)
	root.AddCommand(pr.command())
	root.SetArgs(append([]string{"-C", pt.dir, "promote"}, args...))
	root.SetOut(&pt.stdout)
	root.SetErr(&pt.stderr)
	err = root.ExecuteContext(context.Background())
	return exitCode(err), err
}

// unchangedFiles fails the test if the GitOps files or the promotion
// history differ from how newPromoteTest left them.
func (pt *promoteTest) unchangedFiles(t *testing.T) {
	t.Helper()
	if got := pt.read(t, "deploy/staging/kustomization.yaml"); got != kustomization {
		t.Errorf("kustomization changed:\n%s", got)
	}
	if got := pt.read(t, "charts/values-prod.yaml"); got != helmValues {
		t.Errorf("Helm values changed:\n%s", got)
	}
	if _, err := os.Stat(filepath.Join(pt.dir, ".prodlike")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf(".prodlike: got %v, want no promotion history written", err)
	}
}

func (pt *promoteTest) records(t *testing.T) []promote.Record {
	t.Helper()
	recs, err := promote.ReadRecords(filepath.Join(pt.dir, ".prodlike", "promotions"))
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// remoteDigest is the digest ref has in its registry.
func remoteDigest(t *testing.T, ref string) string {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(r)
	if err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	return desc.Digest.String()
}

func tags(t *testing.T, repo string) []string {
	t.Helper()
	r, err := name.NewRepository(repo, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	list, err := remote.List(r)
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		return nil // no such repository: no tags
	}
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// pushRandom puts a random image in the registry under ref.
func pushRandom(t *testing.T, ref string) v1.Image {
	t.Helper()
	img, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
	return img
}

func TestPromoteLocalImage(t *testing.T) {
	pt := newPromoteTest(t)
	img := pt.eng.addLocal(t, "shop-api")
	pt.gate.report = passing("staging")

	code, err := pt.run(t, "shop-api", "--to", "staging")
	if code != 0 {
		t.Fatalf("exit %d (%v)\nstdout:\n%s\nstderr:\n%s", code, err, pt.stdout.String(), pt.stderr.String())
	}

	// The gate ran the local image as the app, by its name, and never
	// builds it: the build section is gone.
	if len(pt.gate.runs) != 1 {
		t.Fatalf("gate ran %d times, want once", len(pt.gate.runs))
	}
	g := pt.gate.runs[0]
	id, _ := img.ConfigName()
	if g.plan.App.Image != "shop-api" || g.plan.App.Build != nil || g.appID != id.String() {
		t.Errorf("gate app: got image %q, build %v, ID %s; want shop-api, no build, %s", g.plan.App.Image, g.plan.App.Build, g.appID, id)
	}
	if g.prod == nil || g.prod.Name != "staging" {
		t.Errorf("gate truth: got %+v, want staging's", g.prod)
	}

	// The registry has the image under staging's tag: the same config (the
	// same image), at the digest promote reported and recorded.
	recs := pt.records(t)
	if len(recs) != 1 {
		t.Fatalf("got %d records, want 1", len(recs))
	}
	rec := recs[0]
	target := pt.reg.host + "/shop/api:staging"
	if got := remoteDigest(t, target); got != rec.Digest {
		t.Errorf("%s: got digest %s, want the recorded %s", target, got, rec.Digest)
	}
	r, _ := name.ParseReference(target, name.Insecure)
	pushed, err := remote.Image(r)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := pushed.ConfigName(); got != id {
		t.Errorf("pushed image config: got %s, want the local image's %s", got, id)
	}
	if rec.Env != "staging" || rec.ImageID != id.String() || rec.Source != "" || rec.Image != "shop-api" ||
		rec.Target != target+"@"+rec.Digest || !rec.Parity.Passed || rec.Parity.Warn != 1 || rec.DryRun ||
		rec.GitOps == nil || rec.GitOps.File != "deploy/staging/kustomization.yaml" {
		t.Errorf("record: got %+v", rec)
	}

	// The kustomization pins the digest in place: comments, order and the
	// other entry as they were.
	want := strings.Replace(kustomization, `    newTag: "1.0"     # set by hand before prodlike
`, "    newName: "+pt.reg.host+"/shop/api\n    digest: "+rec.Digest+"\n", 1)
	if got := pt.read(t, "deploy/staging/kustomization.yaml"); got != want {
		t.Errorf("kustomization:\n got:\n%s\nwant:\n%s", got, want)
	}
	if got := pt.read(t, "charts/values-prod.yaml"); got != helmValues {
		t.Errorf("prod's Helm values changed on a staging promotion:\n%s", got)
	}

	out := pt.stdout.String()
	for _, s := range []string{"parity PASSED", "promoted shop-api to staging", "local image shop-api, ID " + id.String(), "docker save", target + "@" + rec.Digest, "images[name=shop-api]", ".prodlike/promotions/staging-20260504T103000Z-"} {
		if !strings.Contains(out, s) {
			t.Errorf("stdout lacks %q:\n%s", s, out)
		}
	}
	if strings.Contains(pt.stderr.String(), "warning") {
		t.Errorf("staging is the first target, yet stderr warns:\n%s", pt.stderr.String())
	}
}

func TestPromoteRegistryImageAlongTheOrder(t *testing.T) {
	pt := newPromoteTest(t)
	candidate := pt.reg.host + "/shop/api:candidate"
	img := pushRandom(t, candidate)
	digest, _ := img.Digest()
	pinned := pt.reg.host + "/shop/api@" + digest.String()

	pt.gate.report = passing("staging")
	if code, err := pt.run(t, candidate, "--to", "staging", "--strict", "--format", "json"); code != 0 {
		t.Fatalf("staging: exit %d (%v)\n%s%s", code, err, pt.stdout.String(), pt.stderr.String())
	}
	// A JSON report on stdout stays parseable: what promote did goes to
	// stderr.
	if !json.Valid(pt.stdout.Bytes()) || !strings.Contains(pt.stderr.String(), "promoted "+candidate+" to staging") {
		t.Errorf("--format json: got stdout %q, stderr %q; want only the report on stdout and the summary on stderr", pt.stdout.String(), pt.stderr.String())
	}
	// The engine pulled exactly the resolved digest, and the gate ran it.
	if !slices.Equal(pt.eng.pulls, []string{pinned}) {
		t.Errorf("pulls: got %q, want [%s]", pt.eng.pulls, pinned)
	}
	if g := pt.gate.runs[0]; g.plan.App.Image != pinned || g.appID != "sha256:pulled-"+pinned {
		t.Errorf("gate app: got %q (ID %s), want %s", g.plan.App.Image, g.appID, pinned)
	}

	// Then prod, from staging's tag: in order, so --strict lets it through.
	pt.gate.report = passing("prod")
	report := filepath.Join(pt.dir, "reports", "parity.md")
	if err := os.Mkdir(filepath.Dir(report), 0o755); err != nil {
		t.Fatal(err)
	}
	if code, err := pt.run(t, pt.reg.host+"/shop/api:staging", "--to", "prod", "--strict", "--format", "markdown", "--output", report); code != 0 {
		t.Fatalf("prod: exit %d (%v)\n%s%s", code, err, pt.stdout.String(), pt.stderr.String())
	}
	// The record goes next to the report too.
	b, err := os.ReadFile(filepath.Join(pt.dir, "reports", "parity.promotion.json"))
	var beside promote.Record
	if err != nil || json.Unmarshal(b, &beside) != nil || beside.Env != "prod" || beside.Parity.ReportFile != report {
		t.Errorf("record next to the report: got %s (%v), want prod's record naming %s", b, err, report)
	}
	if len(pt.eng.pulls) != 1 {
		t.Errorf("pulls: got %q, want none for prod: the engine has the digest", pt.eng.pulls)
	}
	for _, tag := range []string{"candidate", "staging", "live"} {
		if got := remoteDigest(t, pt.reg.host+"/shop/api:"+tag); got != digest.String() {
			t.Errorf("tag %s: got %s, want the one digest %s", tag, got, digest)
		}
	}
	wantValues := strings.Replace(helmValues, `digest: ""  `, `digest: "`+digest.String()+`"  `, 1)
	if got := pt.read(t, "charts/values-prod.yaml"); got != wantValues {
		t.Errorf("Helm values:\n got:\n%s\nwant:\n%s", got, wantValues)
	}
	recs := pt.records(t)
	var envs []string
	for _, r := range recs {
		envs = append(envs, r.Env)
		if r.Digest != digest.String() || r.Source != pinned && r.Env == "staging" {
			t.Errorf("record %s: got digest %s, source %s; want %s from %s", r.Env, r.Digest, r.Source, digest, pinned)
		}
	}
	if !slices.Equal(envs, []string{"prod", "staging"}) && !slices.Equal(envs, []string{"staging", "prod"}) {
		t.Errorf("records: got environments %q, want staging and prod", envs)
	}
}

func TestPromoteFailingGateChangesNothing(t *testing.T) {
	pt := newPromoteTest(t)
	pt.eng.addLocal(t, "shop-api")
	pt.gate.report = failing("staging")
	report := filepath.Join(pt.dir, "parity.json")

	code, err := pt.run(t, "shop-api", "--to", "staging", "--format", "json", "--output", report)
	if code != exitParityFailed {
		t.Fatalf("exit: got %d (%v), want %d", code, err, exitParityFailed)
	}
	if !strings.Contains(err.Error(), "parity failed for staging") || !strings.Contains(err.Error(), "nothing was copied") {
		t.Errorf("error: got %q, want it to say parity failed and nothing was copied", err)
	}
	if n := pt.reg.writeCount(); n != 0 {
		t.Errorf("registry: got %d writes, want none", n)
	}
	if got := tags(t, pt.reg.host+"/shop/api"); len(got) != 0 {
		t.Errorf("registry tags: got %q, want none", got)
	}
	pt.unchangedFiles(t)
	// The report the user asked for is written; no record beside it.
	b, err := os.ReadFile(report)
	if err != nil || !json.Valid(b) || !strings.Contains(string(b), "PG-VERSION-MAJOR") {
		t.Errorf("report: got %q (%v), want the JSON report", b, err)
	}
	if _, err := os.Stat(promote.RecordPathNextTo(report)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("record next to the report: got %v, want none", err)
	}

	// Text to stdout: the report says why.
	code, _ = pt.run(t, "shop-api", "--to", "staging")
	if code != exitParityFailed || !strings.Contains(pt.stdout.String(), "dev runs Postgres 15, prod 16") || strings.Contains(pt.stdout.String(), "promoted") {
		t.Errorf("text: got exit %d, stdout:\n%s\nwant 1 and the report's finding, no summary", code, pt.stdout.String())
	}
	pt.unchangedFiles(t)
}

func TestPromoteWarnsOrRefusesOutOfOrder(t *testing.T) {
	pt := newPromoteTest(t)
	pt.eng.addLocal(t, "shop-api")
	pt.gate.report = passing("prod")

	code, err := pt.run(t, "shop-api", "--to", "prod", "--strict")
	if code != exitParityFailed {
		t.Fatalf("--strict out of order: got exit %d (%v), want 1", code, err)
	}
	for _, s := range []string{"out of order", "never promoted to staging", "promote it to staging first", "nothing was copied"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
	if len(pt.gate.runs) != 0 || pt.reg.writeCount() != 0 {
		t.Errorf("refused: gate ran %d times, registry got %d writes; want neither", len(pt.gate.runs), pt.reg.writeCount())
	}
	pt.unchangedFiles(t)

	// Without --strict it warns and promotes.
	if code, err := pt.run(t, "shop-api", "--to", "prod"); code != 0 {
		t.Fatalf("out of order without --strict: exit %d (%v)", code, err)
	}
	if !strings.Contains(pt.stderr.String(), "warning: sha256:") || !strings.Contains(pt.stderr.String(), "never promoted to staging") {
		t.Errorf("stderr: got %q, want the out-of-order warning", pt.stderr.String())
	}
	if got := tags(t, pt.reg.host+"/shop/api"); !slices.Equal(got, []string{"live"}) {
		t.Errorf("tags: got %q, want [live]", got)
	}
}

func TestPromoteDryRunChangesNothing(t *testing.T) {
	pt := newPromoteTest(t)
	pt.eng.addLocal(t, "shop-api")
	pt.gate.report = passing("staging")

	code, err := pt.run(t, "shop-api", "--to", "staging", "--dry-run", "--commit")
	if code != 0 {
		t.Fatalf("exit %d (%v)\n%s", code, err, pt.stderr.String())
	}
	if len(pt.gate.runs) != 1 {
		t.Errorf("gate ran %d times, want once: a dry run runs parity", len(pt.gate.runs))
	}
	if n := pt.reg.writeCount(); n != 0 {
		t.Errorf("registry: got %d writes, want none", n)
	}
	pt.unchangedFiles(t)
	out := pt.stdout.String()
	for _, s := range []string{
		"dry run: would promote shop-api to staging",
		"copy to " + pt.reg.host + "/shop/api:staging@sha256:",
		"-    newTag: \"1.0\"     # set by hand before prodlike",
		"+    digest: sha256:",
		"would commit deploy/staging/kustomization.yaml",
		`"dry_run": true`,
	} {
		if !strings.Contains(out, s) {
			t.Errorf("stdout lacks %q:\n%s", s, out)
		}
	}
}

func TestPromoteCommit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	empty := filepath.Join(t.TempDir(), "gitconfig")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GIT_CONFIG_GLOBAL", empty)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	for _, v := range []string{"GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"} {
		t.Setenv(v, "prodlike test")
	}
	for _, v := range []string{"GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"} {
		t.Setenv(v, "test@example.com")
	}
	pt := newPromoteTest(t)
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = pt.dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	git("add", ".")
	git("commit", "-q", "-m", "start")
	pt.write(t, "notes.txt", "not part of the promotion\n")
	git("add", "notes.txt")
	pt.eng.addLocal(t, "shop-api")
	pt.gate.report = passing("staging")

	if code, err := pt.run(t, "shop-api", "--to", "staging", "--commit"); code != 0 {
		t.Fatalf("exit %d (%v)\n%s", code, err, pt.stderr.String())
	}
	rec := pt.records(t)[0]
	if head := git("rev-parse", "HEAD"); rec.GitOps == nil || rec.GitOps.Commit != head {
		t.Errorf("record commit: got %+v, want HEAD %s", rec.GitOps, head)
	}
	if got := git("show", "--name-only", "--format=%s", "HEAD"); got != "Promote "+pt.reg.host+"/shop/api@"+shortDigest(rec.Digest)+" to staging\n\ndeploy/staging/kustomization.yaml" {
		t.Errorf("commit: got %q, want the promotion's subject and only the kustomization", got)
	}
	if got := git("diff", "--cached", "--name-only"); got != "notes.txt" {
		t.Errorf("staged: got %q, want notes.txt still staged and uncommitted", got)
	}
}

func TestPromoteErrorsChangeNothing(t *testing.T) {
	auth := newTestRegistry(t, requireBasic)
	closed := closedHost(t)
	tests := []struct {
		name    string
		args    []string
		targets [2]string // staging, prod; "" keeps the test registry's
		code    int
		want    []string
	}{
		{name: "bad reference", args: []string{"Shop-API", "--to", "staging"}, code: exitUsage,
			want: []string{`"Shop-API": bad image reference`, "repository can only contain", "[REGISTRY/]REPOSITORY[:TAG]"}},
		{name: "scheme in the reference", args: []string{"http://localhost:5000/shop/api", "--to", "staging"}, code: exitUsage,
			want: []string{"references have no scheme"}},
		{name: "no --to", args: []string{"shop-api"}, code: exitUsage,
			want: []string{"--to is required", "compose.yaml:13", "dev, staging, prod"}},
		{name: "unknown environment", args: []string{"shop-api", "--to", "qa"}, code: exitUsage,
			want: []string{"--to qa: no such environment in compose.yaml:13; declared: dev, staging, prod"}},
		{name: "environment without image", args: []string{"shop-api", "--to", "dev"}, code: exitConfig,
			want: []string{"compose.yaml:14: x-prodlike.environments.dev.image: missing", "image: registry.example.com/shop/app (tagged dev)"}},
		{name: "no image argument", args: []string{"--to", "staging"}, code: exitUsage,
			want: []string{"needs the IMAGE to promote"}},
		{name: "bad --fail-on", args: []string{"shop-api", "--to", "staging", "--fail-on", "never"}, code: exitUsage,
			want: []string{"--fail-on", "block, warn or info"}},
		{name: "unreachable source registry", args: []string{closed + "/shop/api:1.0", "--to", "staging"}, code: exitCouldNotRun,
			want: []string{"registry " + closed + " unreachable", "check the registry's host name and port", "nothing was copied"}},
		{name: "source registry wants credentials", args: []string{auth.host + "/shop/api:1.0", "--to", "staging"}, code: exitCouldNotRun,
			want: []string{"registry " + auth.host + " wants credentials", "docker login " + auth.host, "nothing was copied"}},
		{name: "source tag missing", args: []string{"REG/shop/api:nope", "--to", "staging"}, code: exitCouldNotRun,
			want: []string{`tag "nope" does not exist in repository`, "nothing was copied"}},
		{name: "unreachable target registry", args: []string{"shop-api", "--to", "staging"}, targets: [2]string{closed + "/shop/api"}, code: exitCouldNotRun,
			want: []string{"copy to " + closed + "/shop/api:staging", "unreachable", "nothing was tagged, no file was changed"}},
		{name: "target registry wants credentials", args: []string{"shop-api", "--to", "staging"}, targets: [2]string{auth.host + "/shop/api"}, code: exitCouldNotRun,
			want: []string{"registry " + auth.host + " wants credentials", "docker login " + auth.host, "nothing was tagged, no file was changed"}},
		{name: "commit without a GitOps file", args: []string{"shop-api", "--to", "staging", "--commit"}, code: exitUsage,
			targets: [2]string{"REG/shop/api"}, want: []string{"--commit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pt := newPromoteTest(t)
			pt.eng.addLocal(t, "shop-api")
			pt.gate.report = passing("staging")
			for i, a := range tt.args {
				tt.args[i] = strings.ReplaceAll(a, "REG", pt.reg.host)
			}
			if tt.targets[0] != "" {
				pt.writeCompose(t, strings.ReplaceAll(tt.targets[0], "REG", pt.reg.host), pt.reg.host+"/shop/api:live")
			}
			if tt.name == "commit without a GitOps file" {
				compose := pt.read(t, "compose.yaml")
				pt.write(t, "compose.yaml", strings.Replace(compose, "      gitops: { file: deploy/staging/kustomization.yaml, image: shop-api }\n", "", 1))
				tt.want = append(tt.want, "environment staging (compose.yaml:15) has no gitops: file to commit")
			}
			code, err := pt.run(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit: got %d, want %d (%v)", code, tt.code, err)
			}
			msg := fmt.Sprint(err)
			for _, s := range tt.want {
				if !strings.Contains(msg, s) {
					t.Errorf("error lacks %q:\n%s", s, msg)
				}
			}
			if n := pt.reg.writeCount() + auth.writeCount(); n != 0 {
				t.Errorf("registries: got %d writes, want none", n)
			}
			pt.unchangedFiles(t)
		})
	}
}
