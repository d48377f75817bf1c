package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prodlike/prodlike/stack"
)

const shopCompose = `name: shop
services:
  api:
    image: shop-api:dev
    ports: ["8080:8080"]
    x-prodlike: { app: true, health: /healthz }
  db:
    image: postgres:15
    environment: { POSTGRES_PASSWORD: pw }
    x-prodlike: { standin: aws.rds-postgres, version: "15" }
`

// unreachable is an engine that never answers.
type unreachable struct{ stack.Engine }

func (unreachable) Ping(context.Context) (stack.Info, error) {
	return stack.Info{}, fmt.Errorf("%w at unix:///nowhere: connection refused", stack.ErrEngineUnreachable)
}

func runIn(t *testing.T, compose string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	dir := t.TempDir()
	if compose != "" {
		if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(compose), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out, errOut bytes.Buffer
	e := env{
		stdout:    &out,
		stderr:    &errOut,
		environ:   []string{"PRODLIKE_IMAGE_MIRROR=mirror.example"},
		newEngine: func() (stack.Engine, error) { return unreachable{}, nil },
		signals:   func(chan<- os.Signal) func() { return func() {} },
	}
	code = run(context.Background(), append([]string{"-C", dir}, args...), e)
	return code, out.String(), errOut.String()
}

func TestExitCodesAndMessages(t *testing.T) {
	tests := []struct {
		name    string
		compose string
		args    []string
		code    int
		stdout  string
		stderr  string
	}{
		{"dry run prints the plan", shopCompose, []string{"up", "--dry-run"}, 0, "mirror.example/postgres:15", ""},
		{"no compose file", "", []string{"up"}, exitNoInput, "", "compose"},
		{"malformed compose file", "services:\n  db: [\n", []string{"up"}, exitConfig, "", "compose.yaml"},
		{"invalid x-prodlike", strings.Replace(shopCompose, "aws.rds-postgres", "aws.rdss", 1), []string{"status"}, exitConfig, "", `x-prodlike.standin`},
		{"unknown flag", shopCompose, []string{"up", "--nope"}, exitUsage, "", "--nope"},
		{"unknown command", shopCompose, []string{"upp"}, exitUsage, "", `unknown command "upp"`},
		{"arguments where none are taken", shopCompose, []string{"status", "db"}, exitUsage, "", "takes no arguments"},
		{"bad env format", shopCompose, []string{"env", "--format", "yaml"}, exitUsage, "", "sh, dotenv, json, powershell"},
		{"engine unreachable", shopCompose, []string{"up", "--detach"}, exitCouldNotRun, "", "not reachable"},
		{"down needs the engine", shopCompose, []string{"down"}, exitCouldNotRun, "", "not reachable"},
		{"version", "", []string{"version"}, 0, "prodlike ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runIn(t, tt.compose, tt.args...)
			if code != tt.code {
				t.Errorf("exit code: got %d, want %d\nstderr: %s", code, tt.code, stderr)
			}
			if !strings.Contains(stdout, tt.stdout) {
				t.Errorf("stdout: got %q, want it to contain %q", stdout, tt.stdout)
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr: got %q, want it to contain %q", stderr, tt.stderr)
			}
		})
	}
}

func TestImageMirrorFlagBeatsEnvironment(t *testing.T) {
	_, stdout, _ := runIn(t, shopCompose, "--image-mirror", "flag.example", "up", "--dry-run")
	if !strings.Contains(stdout, "flag.example/postgres:15") {
		t.Errorf("got plan %q, want the flag's mirror", stdout)
	}
}

func TestCurrentBuildFallsBack(t *testing.T) {
	b := currentBuild()
	if b.Version == "" || b.Go == "" || !strings.Contains(b.Platform, "/") {
		t.Errorf("got %+v, want version, Go version and platform filled in", b)
	}
}
