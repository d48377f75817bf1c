package config

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func assertContains(t *testing.T, got string, want []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("error %q: want it to contain %q", got, w)
		}
	}
}

// TestLoadInvalid loads each file in testdata/invalid and checks that the
// error says what was wrong and where: file, line, service and field.
func TestLoadInvalid(t *testing.T) {
	tests := []struct {
		file    string
		want    []string // substrings of the whole message
		wantErr *Error   // the first *Error: fields compared when non-zero
		not     []string // substrings the message must not have
		ordered bool     // want appear in this order
	}{
		{
			file:    "unknown-standin.yaml",
			want:    []string{`unknown stand-in "aws.rdss"`, "known: ", "aws.rds-postgres", "aws.elasticache"},
			wantErr: &Error{File: "unknown-standin.yaml", Line: 5, Service: "db", Field: "x-prodlike.standin"},
		},
		{
			file:    "planned-standin.yaml",
			want:    []string{`stand-in kind "gcp.gcs" is not supported yet by this version`, "ignore: true"},
			wantErr: &Error{File: "planned-standin.yaml", Line: 4, Service: "files", Field: "x-prodlike.standin"},
			not:     []string{"buckets"},
		},
		{
			file:    "unknown-key.yaml",
			want:    []string{"unknown key", "allowed keys are app, buckets, engine, env, health, ignore, image, parameters, prod, queues, standin, version"},
			wantErr: &Error{File: "unknown-key.yaml", Line: 6, Service: "db", Field: "x-prodlike.versoin"},
		},
		{
			file:    "not-a-mapping.yaml",
			want:    []string{"want a mapping", `got "postgres"`},
			wantErr: &Error{File: "not-a-mapping.yaml", Line: 4, Service: "db", Field: "x-prodlike"},
		},
		{
			file:    "bad-health.yaml",
			want:    []string{`starting with "/"`, `"healthz"`},
			wantErr: &Error{File: "bad-health.yaml", Line: 4, Service: "api", Field: "x-prodlike.health"},
		},
		{
			file:    "app-not-bool.yaml",
			want:    []string{"want true or false", `"yes"`},
			wantErr: &Error{File: "app-not-bool.yaml", Service: "api", Field: "x-prodlike.app"},
		},
		{
			file:    "bad-version.yaml",
			want:    []string{"production engine version", `"latest"`},
			wantErr: &Error{File: "bad-version.yaml", Service: "db", Field: "x-prodlike.version"},
		},
		{
			file:    "bad-parameter.yaml",
			want:    []string{"single value", "a list"},
			wantErr: &Error{File: "bad-parameter.yaml", Line: 6, Service: "db", Field: "x-prodlike.parameters.shared_preload_libraries"},
		},
		{
			file:    "bad-env-rename.yaml",
			want:    []string{"instead of DATABASE_URL", `"primary-db-url"`},
			wantErr: &Error{File: "bad-env-rename.yaml", Service: "db", Field: "x-prodlike.env.DATABASE_URL"},
		},
		{
			file:    "bad-engine.yaml",
			want:    []string{"want redis or valkey", `"memcached"`},
			wantErr: &Error{File: "bad-engine.yaml", Service: "cache", Field: "x-prodlike.engine"},
		},
		{
			file:    "latest-tag.yaml",
			want:    []string{`"postgres:latest" does not pin the engine version`, "x-prodlike.version"},
			wantErr: &Error{File: "latest-tag.yaml", Line: 3, Service: "db", Field: "image"},
		},
		{
			file:    "no-tag.yaml",
			want:    []string{`"redis" does not pin the engine version`, "x-prodlike.version"},
			wantErr: &Error{File: "no-tag.yaml", Line: 3, Service: "cache", Field: "image"},
		},
		{
			file:    "standin-no-image.yaml",
			want:    []string{"without image:", "set x-prodlike.version"},
			wantErr: &Error{File: "standin-no-image.yaml", Line: 3, Service: "db", Field: "x-prodlike.version"},
		},
		{
			file:    "override-no-tag.yaml",
			want:    []string{`"ghcr.io/acme/pg" does not pin`, "x-prodlike.version"},
			wantErr: &Error{File: "override-no-tag.yaml", Service: "db", Field: "x-prodlike.image"},
		},
		{
			file:    "kind-mismatch.yaml",
			want:    []string{`"redis:7.2" is a redis image but the stand-in runs postgres`},
			wantErr: &Error{File: "kind-mismatch.yaml", Line: 3, Service: "db", Field: "image"},
		},
		{
			file:    "engine-mismatch.yaml",
			want:    []string{`"redis:7.1" is a redis image but the stand-in runs valkey`},
			wantErr: &Error{File: "engine-mismatch.yaml", Service: "cache", Field: "image"},
		},
		{
			file:    "engine-on-postgres.yaml",
			want:    []string{"only chooses between redis and valkey for aws.elasticache"},
			wantErr: &Error{File: "engine-on-postgres.yaml", Service: "db", Field: "x-prodlike.engine"},
		},
		{
			file:    "standin-build.yaml",
			want:    []string{"not a build", "x-prodlike.image"},
			wantErr: &Error{File: "standin-build.yaml", Line: 3, Service: "db", Field: "build"},
		},
		{
			file:    "health-on-standin.yaml",
			want:    []string{"applies to the app"},
			wantErr: &Error{File: "health-on-standin.yaml", Service: "db", Field: "x-prodlike.health"},
		},
		{
			file:    "app-and-standin.yaml",
			want:    []string{"either the app or a stand-in"},
			wantErr: &Error{File: "app-and-standin.yaml", Service: "api", Field: "x-prodlike.app"},
		},
		{
			file:    "app-and-ignore.yaml",
			want:    []string{"cannot be ignored"},
			wantErr: &Error{File: "app-and-ignore.yaml", Service: "api", Field: "x-prodlike.ignore"},
		},
		{
			file:    "app-standin-keys.yaml",
			want:    []string{"applies to stand-ins, not to the app", "x-prodlike.standin"},
			wantErr: &Error{File: "app-standin-keys.yaml", Service: "api", Field: "x-prodlike.version"},
		},
		{
			file:    "several-candidates.yaml",
			want:    []string{`several services could be the app: "api", "worker"`, "x-prodlike: {app: true}", "x-prodlike: {ignore: true}"},
			wantErr: &Error{File: "several-candidates.yaml"},
			not:     []string{`"db"`},
		},
		{
			file:    "two-marked.yaml",
			want:    []string{`services "api", "worker" are all marked as the app`},
			wantErr: &Error{File: "two-marked.yaml", Field: "x-prodlike.app"},
		},
		{
			file:    "extra-service.yaml",
			want:    []string{`neither a stand-in nor the app ("api")`, "x-prodlike: {ignore: true}"},
			wantErr: &Error{File: "extra-service.yaml", Line: 5, Service: "worker"},
		},
		{
			file:    "env-clash.yaml",
			want:    []string{`gives the app DATABASE_URL, as "primary" does`, "{env: {DATABASE_URL: REPLICA_DATABASE_URL}}"},
			wantErr: &Error{File: "env-clash.yaml", Service: "replica", Field: "x-prodlike.env"},
		},
		{
			file:    "redis-clash.yaml",
			want:    []string{`gives the app REDIS_URL, as "cache" does`},
			wantErr: &Error{File: "redis-clash.yaml", Service: "sessions", Field: "x-prodlike.env"},
		},
		{
			file:    "rename-clash.yaml",
			want:    []string{`gives the app REDIS_URL, as "cache" does`},
			wantErr: &Error{File: "rename-clash.yaml", Service: "primary", Field: "x-prodlike.env"},
		},
		{
			file:    "port-range.yaml",
			want:    []string{`"7000-7005"`, "ranges are not supported"},
			wantErr: &Error{File: "port-range.yaml", Line: 4, Service: "api", Field: "ports"},
		},
		{
			file:    "unknown-dependency.yaml",
			want:    []string{`unknown service "db"`},
			wantErr: &Error{File: "unknown-dependency.yaml", Line: 4, Service: "api", Field: "depends_on"},
		},
		{
			file:    "no-image-no-build.yaml",
			want:    []string{"neither image: nor build:"},
			wantErr: &Error{File: "no-image-no-build.yaml", Line: 2, Service: "api"},
		},
		{
			file: "environments.yaml",
			want: []string{
				`environments.prod.cloud: unknown cloud "aws2"; want one of aws, gcp, azure`,
				"environments.staging.cloud: missing",
				"environments.staging.tf: unknown key; allowed keys are cloud, gitops, image, region, services, terraform",
				"x-prodlike.mirror: unknown key; allowed keys are environments, image-mirror, waive",
			},
			wantErr: &Error{File: "environments.yaml", Field: "x-prodlike.environments.prod.cloud"},
		},
		{
			file:    "environments-list.yaml",
			want:    []string{"want a mapping of environment names", "a list"},
			wantErr: &Error{File: "environments-list.yaml", Line: 5, Field: "x-prodlike.environments"},
		},
		{
			file:    "malformed.yaml",
			want:    []string{"malformed.yaml:2: invalid YAML", "did not find expected key", "indentation"},
			wantErr: &Error{File: "malformed.yaml", Line: 2},
		},
		{
			file:    "malformed-tab.yaml",
			want:    []string{"malformed-tab.yaml:3: invalid YAML"},
			wantErr: &Error{File: "malformed-tab.yaml", Line: 3},
		},
		{
			file: "schema.yaml",
			want: []string{"schema.yaml", "services.db.ports"},
		},
		{
			file: "many-problems.yaml",
			want: []string{
				`many-problems.yaml:3: service "db": image: "postgres:latest" does not pin`,
				`many-problems.yaml:5: service "cache": x-prodlike.standin: unknown stand-in "elasticache"`,
				`many-problems.yaml:8: service "api": x-prodlike.health: want an HTTP path`,
			},
			ordered: true, // file order, not service order
		},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.file, ".yaml"), func(t *testing.T) {
			_, err := Load(context.Background(), Options{WorkDir: "testdata/invalid", Files: []string{tt.file}})
			if err == nil {
				t.Fatal("got no error, want one")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("got error %v, want one matching ErrInvalid", err)
			}
			if errors.Is(err, ErrNotFound) {
				t.Errorf("got error %v matching ErrNotFound, want only ErrInvalid", err)
			}
			msg := err.Error()
			assertContains(t, msg, tt.want)
			if tt.ordered {
				last := -1
				for _, w := range tt.want {
					if i := strings.Index(msg, w); i < last {
						t.Errorf("error %q: want %q after the previous expected part", msg, w)
					} else {
						last = i
					}
				}
			}
			for _, n := range tt.not {
				if strings.Contains(msg, n) {
					t.Errorf("error %q: want it not to mention %q", msg, n)
				}
			}
			if tt.wantErr == nil {
				return
			}
			var got *Error
			if !errors.As(err, &got) {
				t.Fatalf("got error %T %v, want an *Error", err, err)
			}
			w := tt.wantErr
			for _, f := range []struct {
				name      string
				got, want any
				check     bool
			}{
				{"File", got.File, w.File, true},
				{"Line", got.Line, w.Line, w.Line != 0},
				{"Service", got.Service, w.Service, true},
				{"Field", got.Field, w.Field, true},
			} {
				if f.check && f.got != f.want {
					t.Errorf("first *Error %s: got %v, want %v (error: %v)", f.name, f.got, f.want, got)
				}
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{
			&Error{File: "compose.yaml", Line: 12, Service: "db", Field: "x-prodlike.standin", Msg: `unknown stand-in "aws.rdss"`},
			`compose.yaml:12: service "db": x-prodlike.standin: unknown stand-in "aws.rdss"`,
		},
		{&Error{File: "compose.yaml", Msg: "several services could be the app"}, "compose.yaml: several services could be the app"},
		{&Error{Field: "--env-file", Msg: "cannot read env file", Err: errors.New("no such file")}, "--env-file: cannot read env file: no such file"},
		{&Error{Err: errors.New("from compose-go")}, "from compose-go"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error(): got %q, want %q", got, tt.want)
		}
	}
}

func TestErrorMatching(t *testing.T) {
	cause := errors.New("cause")
	err := fmt.Errorf("load: %w", errors.Join(&Error{Msg: "a"}, &Error{Msg: "b", Err: cause}))
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("errors.Is(%v, ErrInvalid): got false, want true", err)
	}
	if !errors.Is(err, cause) {
		t.Errorf("errors.Is(%v, cause): got false, want true", err)
	}
	if errors.Is(err, ErrNotFound) {
		t.Errorf("errors.Is(%v, ErrNotFound): got true, want false", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Msg != "a" {
		t.Errorf("errors.As: got %v, want the first *Error (a)", e)
	}
}

// TestLoadInvalidAcrossFiles checks that a problem is reported in the file
// that set the offending value, and in load order.
func TestLoadInvalidAcrossFiles(t *testing.T) {
	_, err := Load(context.Background(), Options{WorkDir: "testdata/invalid-multi", Files: []string{"base.yaml", "override.yaml"}})
	want := []string{
		`base.yaml:7: service "cache": image: "redis" does not pin`,
		`override.yaml:4: service "db": x-prodlike.standin: unknown stand-in "aws.rdss"`,
	}
	if err == nil {
		t.Fatalf("got no error, want %q", want)
	}
	msg := err.Error()
	assertContains(t, msg, want)
	if strings.Index(msg, want[0]) > strings.Index(msg, want[1]) {
		t.Errorf("error %q: want base.yaml's problem before override.yaml's", msg)
	}
}
