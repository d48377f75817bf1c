package stack

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prodlike/prodlike/emulators"
)

func TestUpStartsStandinsInParallelThenApp(t *testing.T) {
	f := newFakeEngine().withImages("redis:7.0", "postgres:15")
	// Each stand-in's Run waits until the other one has started too: if the
	// executor started them one after the other, the first would time out.
	var started sync.WaitGroup
	started.Add(2)
	f.onRun = func(ctx context.Context, spec ContainerSpec) error {
		if spec.Labels[LabelKind] == "app" {
			return nil
		}
		started.Done()
		done := make(chan struct{})
		go func() { started.Wait(); close(done) }()
		select {
		case <-done:
			return nil
		case <-time.After(5 * time.Second):
			return errors.New("the other stand-in was not started alongside")
		}
	}
	rec := &recorder{}
	x := New(f, WithSink(rec), WithPortCheck(func(string, int) bool { return true }))
	res, err := x.Up(context.Background(), testPlan())
	if err != nil {
		t.Fatalf("Up: %v", err)
	}
	if got, want := len(res.Services), 3; got != want {
		t.Fatalf("got %d running services, want %d", got, want)
	}
	calls := f.callsMatching("")
	appRun := slices.Index(calls, "run prodlike-shop-api")
	for _, s := range []string{"ready prodlike-shop-db", "ready prodlike-shop-cache"} {
		if i := slices.Index(calls, s); i < 0 || i > appRun {
			t.Errorf("got calls %q, want %q before the app's run", calls, s)
		}
	}
	if got := f.callsMatching("build "); !slices.Equal(got, []string{"build shop-api"}) {
		t.Errorf("got builds %q, want the missing app image built once", got)
	}
	if got, want := rec.states("db"), []State{StateCreating, StateStarting, StateReady}; !slices.Equal(got, want) {
		t.Errorf("db states: got %v, want %v", got, want)
	}
	if got, want := rec.states("api"), []State{StateBuilding, StateCreating, StateStarting, StateReady}; !slices.Equal(got, want) {
		t.Errorf("api states: got %v, want %v", got, want)
	}
}

func TestUpGivesTheAppEnvAndLabels(t *testing.T) {
	f := newFakeEngine().withImages("redis:7.0", "postgres:15", "shop-api")
	var appSpec ContainerSpec
	f.onRun = func(_ context.Context, spec ContainerSpec) error {
		if spec.Labels[LabelKind] == "app" {
			appSpec = spec
		}
		return nil
	}
	p := testPlan()
	p.App.Env["DATABASE_URL"] = "postgres://db:5432/x"
	if _, err := New(f, WithPortCheck(func(string, int) bool { return true })).Up(context.Background(), p); err != nil {
		t.Fatalf("Up: %v", err)
	}
	if got := appSpec.Env["DATABASE_URL"]; got != "postgres://db:5432/x" {
		t.Errorf("app DATABASE_URL: got %q, want the plan's value", got)
	}
	for k, want := range map[string]string{LabelProject: "shop", LabelService: "api", LabelHash: "hash-api", LabelKind: "app"} {
		if got := appSpec.Labels[k]; got != want {
			t.Errorf("app label %s: got %q, want %q", k, got, want)
		}
	}
	if got := appSpec.Aliases; !slices.Equal(got, []string{"api"}) {
		t.Errorf("app aliases: got %q, want [api]", got)
	}
	if got := f.callsMatching("build "); len(got) != 0 {
		t.Errorf("got builds %q, want none: the image exists", got)
	}
}

func TestUpReusesUnchangedRunningContainers(t *testing.T) {
	f := newFakeEngine().withImages("redis:7.0", "postgres:15", "shop-api")
	p := testPlan()
	p.App.HealthPort = 0 // nothing listens in this test; running is ready
	x := New(f, WithPortCheck(func(string, int) bool { return true }))
	if _, err := x.Up(context.Background(), p); err != nil {
		t.Fatalf("first Up: %v", err)
	}
	runs := len(f.callsMatching("run "))
	rec := &recorder{}
	res, err := New(f, WithSink(rec), WithPortCheck(func(string, int) bool { return true })).Up(context.Background(), p)
	if err != nil {
		t.Fatalf("second Up: %v", err)
	}
	if got := len(f.callsMatching("run ")); got != runs {
		t.Errorf("second Up ran %d new containers, want 0", got-runs)
	}
	for _, r := range res.Services {
		if !r.Reused {
			t.Errorf("%s: got Reused false, want true", r.Service)
		}
		if got := rec.states(r.Service); !slices.Equal(got, []State{StateReused}) {
			t.Errorf("%s states: got %v, want [reused]", r.Service, got)
		}
	}
}

func TestUpRecreatesChangedContainers(t *testing.T) {
	f := newFakeEngine().withImages("redis:7.0", "postgres:15", "shop-api")
	p := testPlan()
	p.App.HealthPort = 0
	x := New(f, WithPortCheck(func(string, int) bool { return true }))
	if _, err := x.Up(context.Background(), p); err != nil {
		t.Fatalf("first Up: %v", err)
	}
	p.Standins[1].Hash = "hash-db-changed"
	f.images["redis:7.0"] = "sha256:newer-redis" // same tag, new image
	if _, err := x.Up(context.Background(), p); err != nil {
		t.Fatalf("second Up: %v", err)
	}
	if got, want := f.callsMatching("remove "), []string{"remove prodlike-shop-cache", "remove prodlike-shop-db"}; !sameSet(got, want) {
		t.Errorf("removed %q, want %q", got, want)
	}
	if got := f.callsMatching("run prodlike-shop-api"); len(got) != 1 {
		t.Errorf("app ran %d times, want once: it is unchanged", len(got))
	}
}

func TestUpFailureRemovesWhatItStarted(t *testing.T) {
	f := newFakeEngine().withImages("redis:7.0", "postgres:15")
	f.buildErr = errors.New("COPY failed: no such file")
	rec := &recorder{}
	_, err := New(f, WithSink(rec), WithPortCheck(func(string, int) bool { return true })).Up(context.Background(), testPlan())
	if err == nil || !strings.Contains(err.Error(), "COPY failed") {
		t.Fatalf("got error %v, want the build failure", err)
	}
	if got, _ := f.Containers(context.Background(), "shop"); len(got) != 0 {
		t.Errorf("got %d containers left after a failed up, want 0", len(got))
	}
	if len(f.networks) != 0 || len(f.volumes) != 0 {
		t.Errorf("got networks %v and volumes %v left, want none", f.networks, f.volumes)
	}
	if got := rec.states("api"); !slices.Contains(got, StateFailed) {
		t.Errorf("api states: got %v, want failed among them", got)
	}
}

func TestUpFailureKeepsReusedStandins(t *testing.T) {
	f := newFakeEngine().withImages("redis:7.0", "postgres:15", "shop-api")
	p := testPlan()
	p.App.HealthPort = 0
	x := New(f, WithPortCheck(func(string, int) bool { return true }))
	if _, err := x.Up(context.Background(), p); err != nil {
		t.Fatalf("first Up: %v", err)
	}
	p.App.Hash = "changed"
	f.onRun = func(_ context.Context, spec ContainerSpec) error {
		return errors.New("exited with code 1")
	}
	if _, err := x.Up(context.Background(), p); err == nil {
		t.Fatal("got no error, want the app's failure")
	}
	got, _ := f.Containers(context.Background(), "shop")
	var names []string
	for _, c := range got {
		names = append(names, c.Service())
	}
	if want := []string{"cache", "db"}; !slices.Equal(names, want) {
		t.Errorf("got containers %q after the failed up, want the reused stand-ins %q", names, want)
	}
	if _, ok := f.volumes["prodlike-shop-db-data"]; !ok {
		t.Error("the db volume from the first up was removed, want it kept")
	}
}

func TestUpInterruptedLeavesNothing(t *testing.T) {
	f := newFakeEngine().withImages("redis:7.0", "postgres:15", "shop-api")
	ctx, cancel := context.WithCancel(context.Background())
	f.onRun = func(runCtx context.Context, spec ContainerSpec) error {
		if spec.Labels[LabelService] == "db" {
			cancel() // Ctrl-C while db is starting
			<-runCtx.Done()
			return runCtx.Err()
		}
		return nil
	}
	_, err := New(f, WithPortCheck(func(string, int) bool { return true })).Up(ctx, testPlan())
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("got %v, want ErrInterrupted", err)
	}
	if got, _ := f.Containers(context.Background(), "shop"); len(got) != 0 {
		t.Errorf("got %d containers after Ctrl-C, want 0", len(got))
	}
	if len(f.networks) != 0 || len(f.volumes) != 0 {
		t.Errorf("got networks %v and volumes %v after Ctrl-C, want none", f.networks, f.volumes)
	}
	if got := f.callsMatching("run prodlike-shop-api"); len(got) != 0 {
		t.Errorf("the app was started after Ctrl-C: %q", got)
	}
}

func TestUpMovesATakenPort(t *testing.T) {
	f := newFakeEngine().withImages("redis:7.0", "postgres:15", "shop-api")
	var appPorts []Port
	f.onRun = func(_ context.Context, spec ContainerSpec) error {
		if spec.Labels[LabelKind] == "app" {
			appPorts = spec.Ports
		}
		return nil
	}
	rec := &recorder{}
	taken := func(_ string, port int) bool { return port != 8080 }
	res, err := New(f, WithSink(rec), WithPortCheck(taken)).Up(context.Background(), testPlan())
	if err != nil {
		t.Fatalf("Up: %v", err)
	}
	if len(appPorts) != 1 || appPorts[0].Host != 0 {
		t.Errorf("app ports: got %+v, want 8080 moved to any free port (0)", appPorts)
	}
	var notice string
	for _, e := range rec.events {
		if e.State == StateNotice {
			notice = e.Detail
		}
	}
	if !strings.Contains(notice, "host port 8080 is in use") {
		t.Errorf("got notice %q, want it to name port 8080", notice)
	}
	if got := res.Services[2].Container.HostPort(8080); got == 0 || got == 8080 {
		t.Errorf("app host port: got %d, want another free port", got)
	}
}

func TestUpPullsMissingImages(t *testing.T) {
	f := newFakeEngine().withImages("shop-api")
	f.pullable["redis:7.0"] = "sha256:r"
	if _, err := New(f, WithPortCheck(func(string, int) bool { return true })).Up(context.Background(), testPlan()); !errors.Is(err, ErrImageNotFound) {
		t.Fatalf("got %v, want ErrImageNotFound for postgres:15", err)
	}
	if got := f.callsMatching("pull "); !sameSet(got, []string{"pull redis:7.0", "pull postgres:15"}) {
		t.Errorf("got pulls %q, want both stand-in images", got)
	}
}

func TestUpEngineUnreachable(t *testing.T) {
	f := newFakeEngine()
	f.pingErr = ErrEngineUnreachable
	if _, err := New(f).Up(context.Background(), testPlan()); !errors.Is(err, ErrEngineUnreachable) {
		t.Fatalf("got %v, want ErrEngineUnreachable", err)
	}
	if got := f.callsMatching(""); len(got) != 0 {
		t.Errorf("got calls %q, want none", got)
	}
}

func TestDownKeepsVolumesUnlessAsked(t *testing.T) {
	for _, removeVolumes := range []bool{false, true} {
		f := newFakeEngine().withImages("redis:7.0", "postgres:15", "shop-api")
		x := New(f, WithPortCheck(func(string, int) bool { return true }))
		if _, err := x.Up(context.Background(), testPlan()); err != nil {
			t.Fatalf("Up: %v", err)
		}
		if err := x.Down(context.Background(), "shop", removeVolumes); err != nil {
			t.Fatalf("Down: %v", err)
		}
		if got, _ := f.Containers(context.Background(), "shop"); len(got) != 0 {
			t.Errorf("volumes=%v: got %d containers after down, want 0", removeVolumes, len(got))
		}
		if len(f.networks) != 0 {
			t.Errorf("volumes=%v: got networks %v after down, want none", removeVolumes, f.networks)
		}
		wantVolumes := 2
		if removeVolumes {
			wantVolumes = 0
		}
		if got := len(f.volumes); got != wantVolumes {
			t.Errorf("volumes=%v: got %d volumes after down, want %d", removeVolumes, got, wantVolumes)
		}
	}
}

func TestStatusAndHostEnv(t *testing.T) {
	f := newFakeEngine().withImages("redis:7.0", "postgres:15", "shop-api")
	p := testPlan()
	x := New(f, WithPortCheck(func(string, int) bool { return true }))
	if _, err := x.HostEnv(context.Background(), p); !errors.Is(err, ErrNotRunning) {
		t.Errorf("HostEnv before up: got %v, want ErrNotRunning", err)
	}
	if _, err := x.Up(context.Background(), p); err != nil {
		t.Fatalf("Up: %v", err)
	}
	_, services, err := x.Status(context.Background(), p)
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	var got []string
	for _, s := range services {
		got = append(got, s.Service+" "+s.State+" "+s.Version)
	}
	if want := []string{"cache running 9.9", "db running 9.9", "api running "}; !slices.Equal(got, want) {
		t.Errorf("status: got %q, want %q", got, want)
	}
	// A changed plan does not change what the running container is.
	p.Standins[1].Container.Image = "postgres:16"
	_, services, _ = x.Status(context.Background(), p)
	if got := services[1].Image; got != "postgres:15" {
		t.Errorf("status image of db: got %q, want what the container runs, postgres:15", got)
	}
	env, err := x.HostEnv(context.Background(), p)
	if err != nil {
		t.Fatalf("HostEnv: %v", err)
	}
	for k, v := range env {
		if !strings.Contains(v, "127.0.0.1:4") {
			t.Errorf("%s=%s: want the host address and published port", k, v)
		}
	}
	if len(env) != 2 {
		t.Errorf("got %d variables, want 2: %v", len(env), env)
	}
}

func TestLogsPrefixesServices(t *testing.T) {
	f := newFakeEngine().withImages("redis:7.0", "postgres:15", "shop-api")
	x := New(f, WithPortCheck(func(string, int) bool { return true }))
	if _, err := x.Up(context.Background(), testPlan()); err != nil {
		t.Fatalf("Up: %v", err)
	}
	var b strings.Builder
	if err := x.Logs(context.Background(), "shop", nil, LogOptions{}, &b); err != nil {
		t.Fatalf("Logs: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	slices.Sort(lines)
	want := []string{"api   | hello from api", "cache | hello from cache", "db    | hello from db"}
	if !slices.Equal(lines, want) {
		t.Errorf("got lines %q, want %q", lines, want)
	}
	err := x.Logs(context.Background(), "shop", []string{"nope"}, LogOptions{}, &b)
	if !errors.Is(err, ErrNotRunning) || !strings.Contains(err.Error(), "api, cache, db") {
		t.Errorf("unknown service: got %v, want ErrNotRunning listing the services", err)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestUpConfiguresStandinsAfterReadyAndOnReuse(t *testing.T) {
	f := newFakeEngine().withImages("redis:7.0", "postgres:15", "shop-api")
	p := testPlan()
	p.App.HealthPort = 0
	var mu sync.Mutex
	var calls []emulators.Endpoint
	p.Standins[0].Standin = configuringStandin{fakeStandin: p.Standins[0].Standin.(fakeStandin), mu: &mu, calls: &calls}
	rec := &recorder{}
	x := New(f, WithSink(rec), WithPortCheck(func(string, int) bool { return true }))
	res, err := x.Up(t.Context(), p)
	if err != nil {
		t.Fatalf("first Up: %v", err)
	}
	if len(calls) != 1 {
		t.Fatalf("got %d Configure calls after the first up, want 1", len(calls))
	}
	if want := res.Services[0].Container.HostPort(5000); calls[0].Port != want || calls[0].Host == "" {
		t.Errorf("Configure at %v, want the published host port %d", calls[0], want)
	}
	if got, want := rec.states("cache"), []State{StateCreating, StateStarting, StateConfiguring, StateReady}; !slices.Equal(got, want) {
		t.Errorf("cache states: got %v, want %v", got, want)
	}
	if _, err := x.Up(t.Context(), p); err != nil {
		t.Fatalf("second Up: %v", err)
	}
	if len(calls) != 2 {
		t.Errorf("got %d Configure calls after a reusing up, want 2: declared buckets and queues come back on every up", len(calls))
	}
}

func TestUpConfigureFailureRollsBack(t *testing.T) {
	f := newFakeEngine().withImages("redis:7.0", "postgres:15", "shop-api")
	p := testPlan()
	var mu sync.Mutex
	var calls []emulators.Endpoint
	p.Standins[0].Standin = configuringStandin{fakeStandin: p.Standins[0].Standin.(fakeStandin), mu: &mu, calls: &calls, err: errors.New("bucket name taken")}
	_, err := New(f, WithPortCheck(func(string, int) bool { return true })).Up(t.Context(), p)
	if err == nil || !strings.Contains(err.Error(), "cache: configure redis stand-in: bucket name taken") {
		t.Fatalf("got error %v, want the configure failure named by service", err)
	}
	if got, _ := f.Containers(t.Context(), "shop"); len(got) != 0 {
		t.Errorf("got %d containers left after a failed configure, want 0", len(got))
	}
}
