package stack

import (
	"context"
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/prodlike/prodlike/config"
	"github.com/prodlike/prodlike/emulators"
	"github.com/prodlike/prodlike/plan"
)

// fakeEngine is an in-memory Engine. Hooks let a test block or fail calls.
type fakeEngine struct {
	mu         sync.Mutex
	containers map[string]Container // by ID
	networks   map[string]bool
	volumes    map[string]map[string]string // name → labels
	images     map[string]string            // ref → ID
	pullable   map[string]string            // ref → ID after a pull
	calls      []string
	nextID     int

	pingErr error
	// onRun, if set, runs before a container is "started"; an error fails
	// the Run after the container was created.
	onRun func(ctx context.Context, spec ContainerSpec) error
	// buildErr fails builds.
	buildErr error
	// onBuild, if set, sees each build while its context exists.
	onBuild func(BuildSpec)
}

func newFakeEngine() *fakeEngine {
	return &fakeEngine{
		containers: map[string]Container{},
		networks:   map[string]bool{},
		volumes:    map[string]map[string]string{},
		images:     map[string]string{},
		pullable:   map[string]string{},
	}
}

func (f *fakeEngine) record(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fakeEngine) callsMatching(prefix string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		if len(c) >= len(prefix) && c[:len(prefix)] == prefix {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeEngine) Ping(context.Context) (Info, error) {
	return Info{ServerVersion: "fake", Host: "127.0.0.1", OS: "linux", Arch: runtime.GOARCH}, f.pingErr
}

func (f *fakeEngine) Containers(_ context.Context, project string) ([]Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Container
	for _, c := range f.containers {
		if c.Labels[LabelProject] == project {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b Container) int { return compareStrings(a.Name, b.Name) })
	return out, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (f *fakeEngine) EnsureNetwork(_ context.Context, name string, _ map[string]string) (bool, error) {
	f.record("network create %s", name)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.networks[name] {
		return false, nil
	}
	f.networks[name] = true
	return true, nil
}

func (f *fakeEngine) RemoveNetwork(_ context.Context, name string) error {
	f.record("network remove %s", name)
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.networks, name)
	return nil
}

func (f *fakeEngine) EnsureVolume(_ context.Context, name string, labels map[string]string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.volumes[name]; ok {
		return false, nil
	}
	f.volumes[name] = maps.Clone(labels)
	return true, nil
}

func (f *fakeEngine) RemoveVolume(_ context.Context, name string) error {
	f.record("volume remove %s", name)
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.volumes, name)
	return nil
}

func (f *fakeEngine) Volumes(_ context.Context, project string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for name, labels := range f.volumes {
		if labels[LabelProject] == project {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, nil
}

func (f *fakeEngine) ImageID(_ context.Context, ref string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id, ok := f.images[ref]; ok {
		return id, nil
	}
	return "", fmt.Errorf("%w: %s", ErrImageNotFound, ref)
}

func (f *fakeEngine) Pull(_ context.Context, ref string, _ func(string)) error {
	f.record("pull %s", ref)
	f.mu.Lock()
	defer f.mu.Unlock()
	id, ok := f.pullable[ref]
	if !ok {
		return fmt.Errorf("%w: %s could not be pulled", ErrImageNotFound, ref)
	}
	f.images[ref] = id
	return nil
}

func (f *fakeEngine) Build(_ context.Context, b BuildSpec, progress func(string)) (string, error) {
	f.record("build %s", b.Tag)
	if f.onBuild != nil {
		f.onBuild(b)
	}
	if f.buildErr != nil {
		return "", f.buildErr
	}
	progress("Step 1/1 : FROM scratch")
	f.mu.Lock()
	defer f.mu.Unlock()
	id := fmt.Sprintf("sha256:built-%d", len(f.calls))
	f.images[b.Tag] = id
	return id, nil
}

func (f *fakeEngine) Run(ctx context.Context, spec ContainerSpec) (Container, error) {
	f.record("run %s", spec.Name)
	f.mu.Lock()
	f.nextID++
	c := Container{
		ID:      fmt.Sprintf("c%d", f.nextID),
		Name:    spec.Name,
		Image:   spec.Labels[LabelImage],
		ImageID: f.images[spec.Image],
		Running: true,
		Labels:  maps.Clone(spec.Labels),
	}
	for i, p := range spec.Ports {
		if p.Host == 0 {
			p.Host = 40000 + f.nextID*10 + i
		}
		c.Ports = append(c.Ports, p)
	}
	f.containers[c.ID] = c
	f.mu.Unlock()
	if spec.Started != nil {
		spec.Started()
	}
	if f.onRun != nil {
		if err := f.onRun(ctx, spec); err != nil {
			return c, err
		}
	}
	f.record("ready %s", spec.Name)
	return c, nil
}

func (f *fakeEngine) Remove(_ context.Context, id string, timeout time.Duration) error {
	f.mu.Lock()
	name := f.containers[id].Name
	delete(f.containers, id)
	f.mu.Unlock()
	f.record("remove %s", name)
	return nil
}

func (f *fakeEngine) Logs(_ context.Context, id string, opts LogOptions, w io.Writer) error {
	f.mu.Lock()
	c := f.containers[id]
	f.mu.Unlock()
	_, err := fmt.Fprintf(w, "%shello from %s\n", opts.Prefix, c.Service())
	return err
}

// fakeStandin answers ready at once and gives one variable.
type fakeStandin struct {
	kind string
	ctr  emulators.Container
}

func (s fakeStandin) Kind() string                                    { return s.kind }
func (s fakeStandin) Container() emulators.Container                  { return s.ctr }
func (s fakeStandin) Ready(context.Context, emulators.Endpoint) error { return nil }
func (s fakeStandin) Facts(context.Context, emulators.Endpoint) (emulators.Facts, error) {
	return fakeFacts("9.9"), nil
}
func (s fakeStandin) Env(ep emulators.Endpoint) map[string]string {
	return map[string]string{s.kind + "_URL": s.kind + "://" + ep.Addr()}
}

type fakeFacts string

func (f fakeFacts) ServerVersion() string { return string(f) }

// testPlan is a project with two stand-ins (db, cache) and an app built
// from a Dockerfile.
func testPlan() *plan.Plan {
	p := &plan.Plan{Project: "shop", Network: plan.NetworkName("shop")}
	for _, s := range []struct{ name, kind, image string }{{"cache", "redis", "redis:7.0"}, {"db", "postgres", "postgres:15"}} {
		ctr := emulators.Container{Image: s.image, Port: 5000, DataDir: "/data"}
		p.Standins = append(p.Standins, plan.Standin{
			Service:   s.name,
			Kind:      config.Kind(s.kind),
			Engine:    s.kind,
			Standin:   fakeStandin{kind: s.kind, ctr: ctr},
			Container: ctr,
			Name:      plan.ContainerName("shop", s.name),
			Publish:   config.Port{HostIP: "127.0.0.1", Container: 5000},
			Volume:    plan.VolumeName("shop", s.name),
			Hash:      "hash-" + s.name,
		})
	}
	p.App = &plan.App{
		Service:    "api",
		Name:       plan.ContainerName("shop", "api"),
		Image:      "shop-api",
		Build:      &config.Build{Context: "/src/shop"},
		Env:        map[string]string{"PORT": "8080"},
		Ports:      []config.Port{{HostIP: "127.0.0.1", Host: 8080, Container: 8080, Protocol: "tcp"}},
		HealthPort: 8080,
		After:      []string{"cache", "db"},
		Hash:       "hash-api",
	}
	return p
}

func (f *fakeEngine) withImages(refs ...string) *fakeEngine {
	for _, r := range refs {
		f.images[r] = "sha256:" + r
	}
	return f
}

// recorder collects events.
type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) Event(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) states(service string) []State {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []State
	for _, e := range r.events {
		if e.Service == service && (len(out) == 0 || out[len(out)-1] != e.State) {
			out = append(out, e.State)
		}
	}
	return out
}

// configuringStandin is a fakeStandin shaped through its API after it is
// ready; it records every Configure and fails with err.
type configuringStandin struct {
	fakeStandin
	mu    *sync.Mutex
	calls *[]emulators.Endpoint
	err   error
}

func (s configuringStandin) Configure(_ context.Context, ep emulators.Endpoint) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	*s.calls = append(*s.calls, ep)
	return s.err
}
