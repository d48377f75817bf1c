package truth

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/prodlike/prodlike/config"
)

func loadInline(t *testing.T) *config.Spec {
	t.Helper()
	spec, err := config.Load(context.Background(), config.Options{WorkDir: "testdata/inline"})
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

func TestReadOverlaysInlineOnTerraform(t *testing.T) {
	spec := loadInline(t)
	env, _ := spec.Environment("prod")
	got, err := Read(spec, env)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.Source, "prod.json (terraform state) + ") || !strings.HasSuffix(got.Source, "(inline)") {
		t.Errorf("Source: got %q, want the Terraform file and the inline form", got.Source)
	}
	db := got.Services["db"].Postgres
	if db.Version != "16.6" || db.TLS == nil || !*db.TLS {
		t.Errorf("db: got version %q, tls %v; want the inline 16.6 and true over Terraform's 16.4", db.Version, db.TLS)
	}
	if want := map[string]string{"work_mem": "16MB", "max_connections": "300"}; !maps.Equal(db.Parameters, want) {
		t.Errorf("db parameters: got %v, want %v (inline work_mem over Terraform's, Terraform's max_connections kept)", db.Parameters, want)
	}
	if m := got.Services["db"].Managed; m != "aws.rds-postgres" {
		t.Errorf("db managed: got %q, want aws.rds-postgres", m)
	}
	api := got.Services["api"].App
	if api.Platform != "linux/arm64" || api.Env["LOG_LEVEL"] != "info" || api.Env["FEATURE_X"] != "on" || api.Env["STRIPE_KEY"] != Redacted || !slices.Equal(api.Secrets, []string{"STRIPE_KEY"}) {
		t.Errorf("api: got %+v, want Terraform's platform and LOG_LEVEL with the inline FEATURE_X and secret STRIPE_KEY", api)
	}
	addrs := got.Services["db"].Addresses
	if !slices.Contains(addrs, "aws_db_instance.main") || !slices.Contains(addrs, "x-prodlike.environments.prod.services.db") {
		t.Errorf("db addresses: got %q, want the Terraform resource and the inline path", addrs)
	}
}

func TestReadInlineOnly(t *testing.T) {
	spec := loadInline(t)
	env, _ := spec.Environment("staging")
	got, err := Read(spec, env)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(got.Source, "(inline)") || strings.Contains(got.Source, "terraform") {
		t.Errorf("Source: got %q, want only the inline form", got.Source)
	}
	db := got.Services["db"]
	if db.Managed != "aws.aurora-postgres" || db.Postgres.Engine != "aurora-postgresql" || db.Postgres.Version != "16.2" {
		t.Errorf("db: got managed %q, %+v; want Aurora 16.2", db.Managed, db.Postgres)
	}
	files := got.Services["files"].Storage.Buckets
	if len(files) != 1 || files[0].DevName != "uploads" || files[0].Status != "Enabled" {
		t.Errorf("files: got %+v, want shop-staging-uploads matched to uploads, versioning Enabled", files)
	}
	if _, ok := got.Services["api"]; ok {
		t.Error("api: got prod truth, want none (staging states nothing for it and has no Terraform)")
	}
}

func TestDevName(t *testing.T) {
	dev := []string{"uploads", "jobs", "jobs-dlq", "orders.fifo"}
	tests := map[string]string{"uploads": "uploads", "shop-prod-uploads": "uploads", "shop-prod-jobs-dlq": "jobs-dlq", "shop-prod-jobs": "jobs", "shop.orders.fifo": "orders.fifo", "reports": ""}
	for prod, want := range tests {
		if got := matchDev([]matchable{{name: prod}}, dev, true)[0]; got != want {
			t.Errorf("matchDev(%q): got %q, want %q", prod, got, want)
		}
	}
}
