//go:build e2e

package e2e

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// standinsOnly is a compose file with the two stand-ins and no app, for
// tests that need no build.
func standinsOnly(dbPorts string) string {
	return fmt.Sprintf(`services:
  db:
    image: postgres:15
    environment: { POSTGRES_PASSWORD: pw }
%s    x-prodlike: { standin: aws.rds-postgres, version: "15" }
  cache:
    image: redis:7.0
    x-prodlike: { standin: aws.elasticache, version: "7.0" }
`, dbPorts)
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name    string
		compose string // "" for no compose file at all
		env     []string
		code    int
		want    []string
	}{
		{
			name: "no compose file",
			code: 66,
			want: []string{"compose", "-f"},
		},
		{
			name:    "malformed yaml",
			compose: "services:\n  db:\n    image: postgres:15\n   bad: [\n",
			code:    65,
			want:    []string{"compose.yaml:"},
		},
		{
			name:    "unknown stand-in",
			compose: "services:\n  db:\n    image: postgres:15\n    x-prodlike: { standin: aws.rdss, version: \"15\" }\n",
			code:    65,
			want:    []string{"compose.yaml", `"db"`, "x-prodlike.standin", "aws.rdss"},
		},
		{
			name:    "app image that does not exist",
			compose: "services:\n  api:\n    image: prodlike-e2e/no-such-image:1\n    x-prodlike: { app: true }\n" + strings.TrimPrefix(standinsOnly(""), "services:\n"),
			code:    2,
			want:    []string{"prodlike-e2e/no-such-image:1", "could not be pulled"},
		},
		{
			name:    "docker not reachable",
			compose: standinsOnly(""),
			env:     []string{"DOCKER_HOST=unix:///nonexistent/docker.sock"},
			code:    2,
			want:    []string{"not reachable", "DOCKER_HOST"},
		},
		{
			name:    "unknown flag",
			compose: standinsOnly(""),
			code:    64,
			want:    []string{"--no-such-flag", "--help"},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.compose != "" {
				writeFile(t, filepath.Join(dir, "compose.yaml"), tt.compose)
			}
			project := fmt.Sprintf("e2e-bad-%d", i)
			cleanup(t, dir, project)
			args := []string{"-p", project, "up", "--detach"}
			if tt.name == "unknown flag" {
				args = append(args, "--no-such-flag")
			}
			r := prodlike(t, dir, tt.env, args...)
			if r.code != tt.code {
				t.Errorf("exit code: got %d, want %d\nstderr:\n%s", r.code, tt.code, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if strings.Contains(r.stderr, "Error response from daemon") {
				t.Errorf("stderr shows a raw Docker error:\n%s", r.stderr)
			}
			if got := labelled(t, "container", project); len(got) != 0 {
				t.Errorf("%d containers left behind with the project's label, want 0", len(got))
			}
			if got := labelled(t, "network", project); len(got) != 0 {
				t.Errorf("networks %v left behind, want none", got)
			}
		})
	}
}

// TestPortTaken: a declared host port that another program holds moves to a
// free port, and prodlike says so.
func TestPortTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "compose.yaml"), standinsOnly(fmt.Sprintf("    ports: [\"%d:5432\"]\n", port)))
	const project = "e2e-port"
	cleanup(t, dir, project)
	r := mustRun(t, dir, "-p", project, "up", "--detach")
	if !strings.Contains(r.stderr, fmt.Sprintf("host port %d is in use", port)) {
		t.Errorf("up did not say that port %d moved:\n%s", port, r.stderr)
	}
	db := status(t, dir, project)["db"]
	if len(db.Ports) == 0 || db.Ports[0].Host == port || db.Ports[0].Host == 0 {
		t.Errorf("db ports: got %+v, want a free port other than %d", db.Ports, port)
	}
	env := hostEnv(t, dir, project)
	if got := psql(t, env["DATABASE_URL"], "SELECT 1"); got != "1" {
		t.Errorf("psql through the moved port: got %q", got)
	}
}

// TestInterruptDuringStart: Ctrl-C while the stand-ins start leaves no
// container, network or fresh volume of the project behind.
func TestInterruptDuringStart(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "compose.yaml"), standinsOnly(""))
	const project = "e2e-interrupt"
	cleanup(t, dir, project)

	// Interrupt once the first container has been created and is starting.
	up := startUntil(t, dir, " starting ", 2*time.Minute, "-p", project, "up")
	if code := up.interrupt(t); code != 130 {
		t.Errorf("exit code after Ctrl-C: got %d, want 130\n%s", code, up.output())
	}
	out := up.output()
	for _, kind := range []string{"container", "network", "volume"} {
		if got := labelled(t, kind, project); len(got) != 0 {
			t.Errorf("after Ctrl-C: %d %s(s) of the project left, want 0\n%s", len(got), kind, out)
		}
	}
}
