package stack

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/prodlike/prodlike/emulators"
	"github.com/prodlike/prodlike/plan"
)

// selfPlan is testPlan with a third stand-in, two queues services that both
// run prodlike's own image.
func selfPlan(ref string) *plan.Plan {
	p := testPlan()
	for _, name := range []string{"jobs", "events"} {
		s := p.Standins[0]
		s.Service, s.Name, s.Hash, s.Volume = name, plan.ContainerName("shop", name), "hash-"+name, ""
		s.Container = emulators.Container{Image: ref, Port: 9324}
		s.Standin = fakeStandin{kind: "sqs", ctr: s.Container}
		p.Standins = append(p.Standins, s)
	}
	p.App.HealthPort = 0
	return p
}

func TestUpBuildsSelfImageOnceFromTheExecutable(t *testing.T) {
	exe := filepath.Join(t.TempDir(), "prodlike")
	if err := os.WriteFile(exe, []byte("not really an executable"), 0o755); err != nil {
		t.Fatal(err)
	}
	const ref = "prodlike-local/prodlike:dev-0123456789ab"
	f := newFakeEngine().withImages("redis:7.0", "postgres:15", "shop-api")
	var mu sync.Mutex
	var dockerfile, binary string
	f.onBuild = func(b BuildSpec) {
		mu.Lock()
		defer mu.Unlock()
		d, _ := os.ReadFile(filepath.Join(b.Context, "Dockerfile"))
		bin, _ := os.ReadFile(filepath.Join(b.Context, "prodlike"))
		dockerfile, binary = string(d), string(bin)
	}
	rec := &recorder{}
	x := New(f, WithSink(rec), WithPortCheck(func(string, int) bool { return true }),
		WithSelfImage(SelfImage{Ref: ref, Published: false, Executable: exe}))
	if _, err := x.Up(t.Context(), selfPlan(ref)); err != nil {
		t.Fatalf("Up: %v", err)
	}
	if got := f.callsMatching("build " + ref); len(got) != 1 {
		t.Errorf("got %d builds of %s, want exactly 1 for two stand-ins", len(got), ref)
	}
	if got := f.callsMatching("pull "); len(got) != 0 {
		t.Errorf("got pulls %q, want none for an unpublished dev image", got)
	}
	if !strings.Contains(dockerfile, "FROM scratch") || !strings.Contains(dockerfile, `ENTRYPOINT ["/prodlike"]`) {
		t.Errorf("build context Dockerfile:\n%s\nwant FROM scratch with /prodlike as the entrypoint", dockerfile)
	}
	if binary != "not really an executable" {
		t.Errorf("build context prodlike: got %q, want a copy of the executable", binary)
	}
}

func TestUpPullsPublishedSelfImageBeforeBuilding(t *testing.T) {
	const ref = "ghcr.io/prodlike/prodlike:1.2.3"
	f := newFakeEngine().withImages("redis:7.0", "postgres:15", "shop-api")
	f.pullable[ref] = "sha256:released"
	x := New(f, WithPortCheck(func(string, int) bool { return true }),
		WithSelfImage(SelfImage{Ref: ref, Published: true, Executable: "/nonexistent"}))
	if _, err := x.Up(t.Context(), selfPlan(ref)); err != nil {
		t.Fatalf("Up: %v", err)
	}
	if got := f.callsMatching("build " + ref); len(got) != 0 {
		t.Errorf("got builds %q, want none: the released image was pulled", got)
	}
}

func TestUpSelfImageNeitherPullableNorBuildable(t *testing.T) {
	const ref = "ghcr.io/prodlike/prodlike:1.2.3"
	f := newFakeEngine().withImages("redis:7.0", "postgres:15", "shop-api")
	x := New(f, WithPortCheck(func(string, int) bool { return true }),
		WithSelfImage(SelfImage{Ref: ref, Published: true, NoBuild: "this prodlike is a darwin/arm64 executable"}))
	_, err := x.Up(t.Context(), selfPlan(ref))
	if !errors.Is(err, ErrImageNotFound) {
		t.Fatalf("got %v, want an error matching ErrImageNotFound", err)
	}
	for _, want := range []string{ref, "could not be pulled", "darwin/arm64", "docker load", "x-prodlike.image"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q: want it to mention %q", err, want)
		}
	}
	if got, _ := f.Containers(t.Context(), "shop"); len(got) != 0 {
		t.Errorf("got %d containers left, want 0", len(got))
	}
}

func TestCheckStatic(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("builds Linux executables")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	static := filepath.Join(dir, "static")
	build := exec.Command("go", "build", "-o", static, src)
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if err := CheckStatic(static); err != nil {
		t.Errorf("CheckStatic(CGO_ENABLED=0 build): %v, want nil", err)
	}
	if err := CheckStatic(src); !errors.Is(err, ErrNotStatic) {
		t.Errorf("CheckStatic(a Go source file): got %v, want ErrNotStatic", err)
	}
	if sh, err := exec.LookPath("sh"); err == nil {
		if err := CheckStatic(sh); !errors.Is(err, ErrNotStatic) || !strings.Contains(err.Error(), "dynamically linked") {
			t.Errorf("CheckStatic(%s): got %v, want ErrNotStatic naming dynamic linking", sh, err)
		}
	}
}
