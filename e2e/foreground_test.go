//go:build e2e

package e2e

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestForegroundUpStopsOnCtrlC: up without --detach follows the logs, and
// Ctrl-C removes the containers and network but keeps the data volumes.
func TestForegroundUpStopsOnCtrlC(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "compose.yaml"), standinsOnly(""))
	const project = "e2e-foreground"
	cleanup(t, dir, project)

	up := startUntil(t, dir, "following logs", 3*time.Minute, "-p", project, "up")
	if got := labelled(t, "container", project); len(got) != 2 {
		t.Fatalf("while up runs: got %d containers, want 2", len(got))
	}
	if code := up.interrupt(t); code != 0 {
		t.Fatalf("up after Ctrl-C: exit %d, want 0\n%s", code, up.output())
	}
	if got := labelled(t, "container", project); len(got) != 0 {
		t.Errorf("after Ctrl-C: %d containers left, want 0", len(got))
	}
	if got := labelled(t, "network", project); len(got) != 0 {
		t.Errorf("after Ctrl-C: networks %v left, want none", got)
	}
	if got := labelled(t, "volume", project); len(got) != 2 {
		t.Errorf("after Ctrl-C: got volumes %v, want the 2 data volumes kept", got)
	}
}

func TestDoctor(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "compose.yaml"), standinsOnly(""))
	r := mustRun(t, dir, "doctor")
	for _, want := range []string{"✓ Docker engine", "free for images and volumes", "✓ compose file: project", "2 stand-in(s)", "✓ all stand-in images are present"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, r.stdout)
		}
	}
	bad := prodlike(t, dir, []string{"DOCKER_HOST=unix:///nonexistent/docker.sock"}, "doctor")
	if bad.code != 2 || !strings.Contains(bad.stdout, "✗ Docker engine not reachable") {
		t.Errorf("doctor without Docker: got exit %d\n%s%s, want 2 and a ✗ line", bad.code, bad.stdout, bad.stderr)
	}
}
