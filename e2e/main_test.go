//go:build e2e

// Package e2e runs the built prodlike binary against a real Docker engine and
// the bundled example. Stand-in images come through prodlike's own image
// mirror setting: on machines with no registry, e2e/images/build.sh builds
// compatible ones under the prodlike-offline prefix (.ci/run does this).
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prodlike/prodlike/plan"
)

var (
	binary string // the prodlike binary under test
	repo   string // the repository root
	// mirror is the image mirror the tests run with: PRODLIKE_E2E_MIRROR,
	// default prodlike-offline (set it to "" to use the official images).
	mirror string
	// goImage is the build image for examples/shop's Dockerfile.
	goImage string
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	_, file, _, _ := runtime.Caller(0)
	repo = filepath.Dir(filepath.Dir(file))
	if out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		fmt.Printf("SKIP e2e: no Docker engine answers (docker info: %v: %s)\n", err, bytes.TrimSpace(out))
		return 0
	}
	mirror = "prodlike-offline"
	if v, ok := os.LookupEnv("PRODLIKE_E2E_MIRROR"); ok {
		mirror = v
	}
	goImage = "golang:1.26"
	if mirror != "" {
		goImage = mirror + "/golang:1.26"
	}
	for _, img := range []string{withMirror("postgres:15"), withMirror("redis:7.0"), withMirror(plan.DefaultS3Image), goImage} {
		if err := exec.Command("docker", "image", "inspect", img).Run(); err != nil {
			fmt.Printf("FAIL e2e: image %s is missing: build the offline images with e2e/images/build.sh (or set PRODLIKE_E2E_MIRROR)\n", img)
			return 1
		}
	}
	dir, err := os.MkdirTemp("", "prodlike-e2e")
	if err != nil {
		fmt.Println(err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "prodlike")
	// Static, as released builds are: prodlike builds its own image (the SQS
	// stand-in's) from this executable.
	build := exec.Command("go", "build", "-o", binary, "./cmd/prodlike")
	build.Dir = repo
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Printf("FAIL e2e: build prodlike: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

func withMirror(ref string) string {
	if mirror == "" {
		return ref
	}
	return mirror + "/" + ref
}

// result is one finished prodlike run.
type result struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

// prodlike runs the binary in dir with extra environment entries.
func prodlike(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = dir
	cmd.Env = append(baseEnv(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
	if exitErr, ok := err.(*exec.ExitError); ok {
		r.code = exitErr.ExitCode()
	} else if err != nil {
		t.Fatalf("prodlike %s: %v", strings.Join(args, " "), err)
	}
	return r
}

func baseEnv() []string {
	env := []string{
		"PRODLIKE_IMAGE_MIRROR=" + mirror,
		"GO_IMAGE=" + goImage,
		"CI=true",
	}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "PRODLIKE_IMAGE_MIRROR", "GO_IMAGE", "COMPOSE_FILE", "COMPOSE_PROJECT_NAME":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// mustRun runs prodlike and fails the test unless it exits 0.
func mustRun(t *testing.T, dir string, args ...string) result {
	t.Helper()
	r := prodlike(t, dir, nil, args...)
	if r.code != 0 {
		t.Fatalf("prodlike %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// copyDir copies the example into a temporary directory so that tests can
// change its compose file.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		defer out.Close()
		_, err = io.Copy(out, in)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// labelled lists the Docker resources of kind (container, volume, network)
// that carry the project's label.
func labelled(t *testing.T, kind, project string) []string {
	t.Helper()
	args := []string{kind, "ls", "-q", "--filter", "label=dev.prodlike.project=" + project}
	if kind == "container" {
		args = []string{"ps", "-aq", "--filter", "label=dev.prodlike.project=" + project}
	}
	out, err := exec.Command("docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.Fields(string(out))
}

// cleanup removes everything of the project when the test ends, whatever
// state it left.
func cleanup(t *testing.T, dir, project string) {
	t.Cleanup(func() {
		prodlike(t, dir, nil, "-p", project, "down", "--volumes")
		for _, kind := range []string{"container", "volume", "network"} {
			for _, id := range labelled(t, kind, project) {
				args := []string{kind, "rm", "-f", id}
				if kind == "network" {
					args = []string{kind, "rm", id}
				}
				_ = exec.Command("docker", args...).Run()
			}
		}
	})
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// background is prodlike running in the background, its stderr collected.
type background struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{} // closed when stderr ends
}

// startUntil starts prodlike in dir and returns once a line of its stderr
// contains marker; it fails the test if that takes longer than limit.
func startUntil(t *testing.T, dir, marker string, limit time.Duration, args ...string) *background {
	t.Helper()
	b := &background{cmd: exec.Command(binary, args...), done: make(chan struct{})}
	b.cmd.Dir = dir
	b.cmd.Env = baseEnv()
	b.cmd.Stdout = io.Discard
	stderr, err := b.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	seen := make(chan struct{})
	go func() {
		defer close(b.done)
		var once sync.Once
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			b.mu.Lock()
			b.out.WriteString(sc.Text() + "\n")
			b.mu.Unlock()
			if strings.Contains(sc.Text(), marker) {
				once.Do(func() { close(seen) })
			}
		}
	}()
	select {
	case <-seen:
		return b
	case <-time.After(limit):
		_ = b.cmd.Process.Kill()
		t.Fatalf("prodlike %s: no %q within %v\n%s", strings.Join(args, " "), marker, limit, b.output())
	}
	return nil
}

// interrupt sends Ctrl-C and returns the exit code once prodlike is done.
func (b *background) interrupt(t *testing.T) int {
	t.Helper()
	if err := b.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	<-b.done
	err := b.cmd.Wait()
	if exitErr, ok := err.(*exec.ExitError); ok {
		return exitErr.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0
}

func (b *background) output() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.out.String()
}
