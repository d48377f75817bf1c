//go:build e2e

package e2e

import (
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/prodlike/prodlike/promote"
)

// shopEnvironments replaces the shop's x-prodlike section: staging (whose
// truth is a copy of prod's) before prod, each with an image target on the
// test's registry and a kustomization to pin.
const shopEnvironments = `x-prodlike:
  environments:
    staging:
      cloud: aws
      region: eu-west-1
      terraform: infra/staging.json
      image: REGISTRY/shop/api
      gitops: { file: deploy/staging/kustomization.yaml, image: shop-api }
    prod:
      cloud: aws
      region: eu-west-1
      terraform: infra/prod.json
      image: REGISTRY/shop/api
      gitops: { file: deploy/prod/kustomization.yaml, image: shop-api }
`

const shopKustomization = `# What Argo CD deploys for this environment.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../base   # the api's Deployment and Service
images:
  - name: shop-api
    newTag: latest   # until the first promotion
`

func TestPromote(t *testing.T) {
	dir := copyDir(t, filepath.Join(repo, "examples", "shop"))
	const project = "e2e-promote"

	// An in-process registry on loopback: the engine pulls from it too
	// (Docker treats 127.0.0.0/8 registries as insecure).
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	reg := strings.TrimPrefix(srv.URL, "http://")
	repository := reg + "/shop/api"
	// The engine keeps what promote pulled from the registry under its
	// digest; remove that reference once the stack is down.
	var pulled string
	t.Cleanup(func() {
		if pulled != "" {
			_ = exec.Command("docker", "image", "rm", pulled).Run()
		}
	})
	cleanup(t, dir, project)

	// The app image, built as up builds it, before the project changes
	// (the Dockerfile copies the whole directory; an unchanged one hits
	// the build cache).
	mustRun(t, dir, "-p", project, "up", "--detach")

	compose := filepath.Join(dir, "compose.yaml")
	orig, err := os.ReadFile(compose)
	if err != nil {
		t.Fatal(err)
	}
	head, _, ok := strings.Cut(string(orig), "\nx-prodlike:\n")
	if !ok {
		t.Fatal("examples/shop/compose.yaml has no top-level x-prodlike section")
	}
	writeFile(t, compose, head+"\n"+strings.ReplaceAll(shopEnvironments, "REGISTRY", reg))
	state := filepath.Join(dir, "infra", "prod.json")
	matching, _ := os.ReadFile(state)
	writeFile(t, filepath.Join(dir, "infra", "staging.json"), string(matching))
	for _, env := range []string{"staging", "prod"} {
		if err := os.MkdirAll(filepath.Join(dir, "deploy", env), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "deploy", env, "kustomization.yaml"), shopKustomization)
	}
	history := filepath.Join(dir, ".prodlike", "promotions")

	// 1. The image up built, local only, to staging: read with docker save
	// and pushed.
	r := prodlike(t, dir, nil, "-p", project, "promote", project+"-api", "--to", "staging")
	if r.code != 0 {
		t.Fatalf("promote to staging: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("promote of the local image to staging took %.1fs", r.took.Seconds())
	if !strings.Contains(r.stdout, "parity PASSED for staging") || !strings.Contains(r.stdout, "local image "+project+"-api") {
		t.Errorf("promote to staging: stdout lacks the passing report or where the image came from:\n%s", r.stdout)
	}
	recs := readRecords(t, history)
	if len(recs) != 1 || recs[0].Env != "staging" || recs[0].ImageID == "" {
		t.Fatalf("records after staging: got %+v, want one for staging with the image ID", recs)
	}
	digest := recs[0].Digest
	if got := registryDigest(t, repository+":staging"); got != digest {
		t.Errorf("%s:staging: got %s, want the recorded %s", repository, got, digest)
	}
	wantPinned := strings.Replace(shopKustomization, "    newTag: latest   # until the first promotion\n",
		"    newName: "+repository+"\n    digest: "+digest+"\n", 1)
	if got := fileText(t, filepath.Join(dir, "deploy", "staging", "kustomization.yaml")); got != wantPinned {
		t.Errorf("staging kustomization:\n got:\n%s\nwant:\n%s", got, wantPinned)
	}
	pulled = repository + "@" + digest

	// 2. A prod that differs (it runs ARM64): the gate refuses, exit 1;
	// nothing is tagged, no file changes, no record.
	editState(t, state, func(address string, v map[string]any) {
		if address == "aws_ecs_task_definition.api" {
			v["runtime_platform"] = []any{map[string]any{"cpu_architecture": "ARM64", "operating_system_family": "LINUX"}}
		}
	})
	r = prodlike(t, dir, nil, "-p", project, "promote", repository+":staging", "--to", "prod")
	if r.code != 1 {
		t.Fatalf("promote to a differing prod: got exit %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "IMAGE-ARCH") || !strings.Contains(r.stderr, "nothing was copied") {
		t.Errorf("refused promotion: want the IMAGE-ARCH finding on stdout and that nothing was copied on stderr\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
	if got := registryTags(t, repository); !slices.Equal(got, []string{"staging"}) {
		t.Errorf("tags after the refused promotion: got %q, want only staging", got)
	}
	if got := fileText(t, filepath.Join(dir, "deploy", "prod", "kustomization.yaml")); got != shopKustomization {
		t.Errorf("prod kustomization changed by a refused promotion:\n%s", got)
	}
	if recs := readRecords(t, history); len(recs) != 1 {
		t.Errorf("records after the refused promotion: got %d, want still 1", len(recs))
	}

	// 3. Prod as it was: staging's tag goes to prod, in order (--strict),
	// the same digest under both tags.
	writeFile(t, state, string(matching))
	r = prodlike(t, dir, nil, "-p", project, "promote", repository+":staging", "--to", "prod", "--strict")
	if r.code != 0 {
		t.Fatalf("promote to prod: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("promote of the registry image to prod took %.1fs", r.took.Seconds())
	if !strings.Contains(r.stdout, "parity PASSED for prod") || !strings.Contains(r.stdout, "registry image "+repository+"@"+digest) {
		t.Errorf("promote to prod: stdout lacks the passing report or where the image came from:\n%s", r.stdout)
	}
	for _, tag := range []string{"staging", "prod"} {
		if got := registryDigest(t, repository+":"+tag); got != digest {
			t.Errorf("%s:%s: got %s, want %s", repository, tag, got, digest)
		}
	}
	if got := fileText(t, filepath.Join(dir, "deploy", "prod", "kustomization.yaml")); got != wantPinned {
		t.Errorf("prod kustomization:\n got:\n%s\nwant:\n%s", got, wantPinned)
	}
	var envs []string
	for _, rec := range readRecords(t, history) {
		envs = append(envs, rec.Env)
		if rec.Digest != digest || !rec.Parity.Passed {
			t.Errorf("record %s: got digest %s, parity passed %v; want %s, true", rec.Env, rec.Digest, rec.Parity.Passed, digest)
		}
	}
	if !slices.Equal(envs, []string{"staging", "prod"}) {
		t.Errorf("records: got %q, want staging then prod", envs)
	}
}

func fileText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readRecords(t *testing.T, dir string) []promote.Record {
	t.Helper()
	recs, err := promote.ReadRecords(dir)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func registryDigest(t *testing.T, ref string) string {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(r)
	if err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	return desc.Digest.String()
}

func registryTags(t *testing.T, repo string) []string {
	t.Helper()
	r, err := name.NewRepository(repo, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	tags, err := remote.List(r)
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(tags)
	return tags
}
