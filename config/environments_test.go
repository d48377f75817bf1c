package config

import (
	"context"
	"errors"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

func TestInlineProdTruth(t *testing.T) {
	spec := mustLoad(t, Options{WorkDir: "testdata/environments", Files: []string{"inline.yaml"}})
	if got := len(spec.Environments); got != 2 {
		t.Fatalf("got %d environments, want 2", got)
	}
	if env, _ := spec.Environment(""); env.Name != "staging" {
		t.Errorf(`Environment(""): got %q, want the first declared, staging`, env.Name)
	}
	prod, ok := spec.Environment("prod")
	if !ok {
		t.Fatal(`Environment("prod"): not found`)
	}
	if _, ok := spec.Environment("qa"); ok {
		t.Error(`Environment("qa"): got ok, want not found`)
	}

	db := prod.Services["db"]
	if db.Engine != "postgres" || db.Version != "16.10" || db.TLS == nil || !*db.TLS {
		t.Errorf("db: got engine %q, version %q (as written), tls %v; want postgres, 16.10, true", db.Engine, db.Version, db.TLS)
	}
	if want := map[string]string{"rds.force_ssl": "1", "work_mem": "8MB"}; !maps.Equal(db.Parameters, want) {
		t.Errorf("db parameters: got %v, want %v", db.Parameters, want)
	}
	if db.File != "inline.yaml" || db.Line != 19 {
		t.Errorf("db entry: got %s:%d, want inline.yaml:19", db.File, db.Line)
	}
	cache := prod.Services["cache"]
	if cache.Version != "8.0" || cache.Auth == nil || !*cache.Auth || cache.ClusterMode == nil || *cache.ClusterMode || cache.TLS != nil {
		t.Errorf("cache: got version %q, auth %v, cluster-mode %v, tls %v; want 8.0, true, false, unset", cache.Version, cache.Auth, cache.ClusterMode, cache.TLS)
	}
	jobs := prod.Services["jobs"].Queues
	if len(jobs) != 2 || jobs[0].Attributes["VisibilityTimeout"] != "120" || jobs[0].DeadLetter != "jobs-dlq" || jobs[0].MaxReceiveCount != 5 {
		t.Errorf("jobs queues: got %+v, want jobs (visibility 120, DLQ jobs-dlq after 5) and jobs-dlq", jobs)
	}
	api := prod.Services["api"]
	if want := map[string]string{"LOG_LEVEL": "info", "WORKERS": "4", "EMPTY": ""}; api.Platform != "linux/arm64" || !maps.Equal(api.Env, want) || !slices.Equal(api.Secrets, []string{"DATABASE_URL"}) {
		t.Errorf("api: got platform %q, env %v, secrets %v; want linux/arm64, %v, [DATABASE_URL]", api.Platform, api.Env, api.Secrets, want)
	}
	if staging, _ := spec.Environment("staging"); staging.Services != nil {
		t.Errorf("staging: got services %v, want none", staging.Services)
	}

	want := []Waiver{
		{Check: "PG-PARAM", Service: "db", Subject: "work_mem", Reason: "prod tunes work_mem per instance class", File: "inline.yaml", Line: 34},
		{Check: "IMAGE-ROOT", Env: "staging", Reason: "staging runs the debug image", File: "inline.yaml", Line: 35},
	}
	if !reflect.DeepEqual(spec.Waivers, want) {
		t.Errorf("waivers:\n got %+v\nwant %+v", spec.Waivers, want)
	}
}

func TestInlineProdTruthErrors(t *testing.T) {
	_, err := Load(context.Background(), Options{WorkDir: "testdata/environments", Files: []string{"bad-inline.yaml"}})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("got %v, want ErrInvalid", err)
	}
	var got []string
	for _, e := range unjoin(err) {
		var ce *Error
		if errors.As(e, &ce) {
			got = append(got, ce.Error())
		}
	}
	want := []string{
		`bad-inline.yaml:12: x-prodlike.environments.prod.services.db.tls: want true or false, got "yes-please"`,
		`bad-inline.yaml:12: x-prodlike.environments.prod.services.db.version: want the engine version prod runs, such as "16.4" or "7.1", got "latest"`,
		`bad-inline.yaml:12: x-prodlike.environments.prod.services.db.platform: does not apply to db, a postgres service`,
		`bad-inline.yaml:13: x-prodlike.environments.prod.services.dbb: no service "dbb" in the project (ignored services have no prod truth); services: api, db`,
		`bad-inline.yaml:14: x-prodlike.environments.prod.services.api.colour: unknown key; allowed keys are auth, buckets, cluster-mode, engine, env, parameters, platform, queues, secrets, tls, version`,
		`bad-inline.yaml:14: x-prodlike.environments.prod.services.api.platform: want an OS/architecture such as linux/arm64 or linux/amd64, got "arm64"`,
		`bad-inline.yaml:16: x-prodlike.waive.0: missing reason: say why this difference from prod is acceptable`,
		`bad-inline.yaml:17: x-prodlike.waive.1: missing check: name the check ID to waive (e.g. check: PG-PARAM)`,
		`bad-inline.yaml:18: x-prodlike.waive.2: want a mapping {check, reason, service, subject, env}, got "PG-VERSION"`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("errors:\n got %q\nwant %q", got, want)
	}
}

// unjoin returns the errors behind an errors.Join.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestPromotionTargets(t *testing.T) {
	spec := mustLoad(t, Options{WorkDir: "testdata/environments", Files: []string{"promote.yaml"}})
	// Declared order, not sorted: promotions move an image along it.
	if got, want := spec.EnvironmentNames(), []string{"dev", "staging", "qa", "prod"}; !slices.Equal(got, want) {
		t.Errorf("EnvironmentNames: got %q, want %q", got, want)
	}
	staging, _ := spec.Environment("staging")
	if staging.Image != "registry.example.com/shop/api" {
		t.Errorf("staging image: got %q, want registry.example.com/shop/api", staging.Image)
	}
	want := &GitOps{File: "deploy/staging/kustomization.yaml", Path: filepath.Join(spec.Dir, "deploy", "staging", "kustomization.yaml"), Image: "shop-api"}
	if !reflect.DeepEqual(staging.GitOps, want) {
		t.Errorf("staging gitops: got %+v, want %+v (the file resolved against the project directory %s)", staging.GitOps, want, spec.Dir)
	}
	prod, _ := spec.Environment("prod")
	want = &GitOps{File: "/srv/charts/shop/values-prod.yaml", Path: "/srv/charts/shop/values-prod.yaml", Key: "image.digest"}
	if prod.Image != "registry.example.com/shop/api:release" || !reflect.DeepEqual(prod.GitOps, want) {
		t.Errorf("prod: got image %q, gitops %+v; want registry.example.com/shop/api:release and %+v", prod.Image, prod.GitOps, want)
	}
	if dev, _ := spec.Environment("dev"); dev.Image != "" || dev.GitOps != nil {
		t.Errorf("dev: got image %q, gitops %+v; want neither", dev.Image, dev.GitOps)
	}

	// The target before prod is staging: qa, declared between them, is no
	// promotion target (no image:), and dev before staging is none either.
	for _, tt := range []struct {
		env, want string
		ok        bool
	}{
		{"prod", "staging", true},
		{"qa", "staging", true},
		{"staging", "", false},
		{"dev", "", false},
		{"nope", "", false},
	} {
		got, ok := spec.PromotedBefore(tt.env)
		if got.Name != tt.want || ok != tt.ok {
			t.Errorf("PromotedBefore(%q): got %q, %v; want %q, %v", tt.env, got.Name, ok, tt.want, tt.ok)
		}
	}
}

func TestPromotionTargetErrors(t *testing.T) {
	_, err := Load(context.Background(), Options{WorkDir: "testdata/environments", Files: []string{"bad-promote.yaml"}})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("got %v, want ErrInvalid", err)
	}
	var got []string
	for _, e := range unjoin(err) {
		var ce *Error
		if errors.As(e, &ce) {
			got = append(got, ce.Error())
		}
	}
	want := []string{
		`bad-promote.yaml:9: x-prodlike.environments.staging.image: "https://registry.example.com/shop/api": an image reference has no scheme; write it as registry.example.com/shop/api`,
		`bad-promote.yaml:10: x-prodlike.environments.staging.gitops: image: and key: exclude each other: image: names a kustomization images: entry, key: a Helm values key; keep one`,
		`bad-promote.yaml:13: x-prodlike.environments.qa.image: "registry.example.com/shop/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" names a digest; promote copies the digest that passed parity, so name only the repository and, if you like, a tag`,
		`bad-promote.yaml:14: x-prodlike.environments.qa.gitops.colour: unknown key; allowed keys are file, image, key`,
		`bad-promote.yaml:14: x-prodlike.environments.qa.gitops: missing file: the kustomization.yaml or Helm values file that deploys the environment, relative to the project directory`,
		`bad-promote.yaml:17: x-prodlike.environments.prod.image: invalid image reference "Registry.example.com/Shop": invalid reference format: repository name (Shop) must be lowercase; write it as REGISTRY/REPOSITORY[:TAG]`,
		`bad-promote.yaml:18: x-prodlike.environments.prod.gitops.key: key path "image..digest" has an empty key; write it as dotted keys, e.g. image.digest`,
		`bad-promote.yaml:21: x-prodlike.environments.demo.gitops: want {file: deploy/prod/kustomization.yaml, image: shop-api} (a kustomization images: entry) or {file: charts/shop/values-prod.yaml, key: image.digest} (a Helm values key), got "deploy/demo.yaml"`,
		`bad-promote.yaml:21: x-prodlike.environments.demo.gitops: needs the environment's image: too (where promote copies the image), e.g. image: registry.example.com/shop/api`,
		`bad-promote.yaml:25: x-prodlike.environments.edge.gitops.file: want a non-empty string, got ""`,
		`bad-promote.yaml:25: x-prodlike.environments.edge.gitops.image: want a non-empty string, got 7`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("errors:\n got %q\nwant %q", got, want)
	}
}
