package stack

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prodlike/prodlike/config"
	"github.com/prodlike/prodlike/emulators"
	"github.com/prodlike/prodlike/plan"
)

// Executor runs plans on an Engine.
type Executor struct {
	engine      Engine
	sink        Sink
	now         func() time.Time
	build       bool
	waitTimeout time.Duration
	stopTimeout time.Duration
	portFree    func(hostIP string, port int) bool
	self        SelfImage
	selfBuild   selfBuild
	startTimes  *StartTimes
}

// Option configures an Executor.
type Option func(*Executor)

// WithSink sends events to s (default: discarded).
func WithSink(s Sink) Option { return func(x *Executor) { x.sink = s } }

// WithClock sets the clock used for event times and elapsed durations.
func WithClock(now func() time.Time) Option { return func(x *Executor) { x.now = now } }

// WithBuild rebuilds the app image even when it exists (`up --build`).
func WithBuild(force bool) Option { return func(x *Executor) { x.build = force } }

// WithWaitTimeout bounds the wait for each service to become ready
// (default 2 minutes: a first Postgres start runs initdb).
func WithWaitTimeout(d time.Duration) Option { return func(x *Executor) { x.waitTimeout = d } }

// WithStopTimeout is how long a container gets to exit on stop (default 10 s).
func WithStopTimeout(d time.Duration) Option { return func(x *Executor) { x.stopTimeout = d } }

// WithStartTimes keeps each started service's start-to-ready time in
// times, and Status reads them back.
func WithStartTimes(times StartTimes) Option {
	return func(x *Executor) { x.startTimes = &times }
}

// WithPortCheck replaces the check that a host port is free (for tests).
func WithPortCheck(free func(hostIP string, port int) bool) Option {
	return func(x *Executor) { x.portFree = free }
}

// New returns an executor for engine.
func New(engine Engine, opts ...Option) *Executor {
	x := &Executor{
		engine:      engine,
		sink:        discard{},
		now:         time.Now,
		waitTimeout: 2 * time.Minute,
		stopTimeout: 10 * time.Second,
		portFree:    HostPortFree,
	}
	for _, o := range opts {
		o(x)
	}
	return x
}

// Result is a running stack.
type Result struct {
	Info     Info
	Services []Running // stand-ins in plan order, then the app
}

// Running is one ready service.
type Running struct {
	Service   string
	Container Container
	Reused    bool
	Elapsed   time.Duration
	// StartToReady is how long the container took from its start to ready
	// (what a deploy waits for); 0 when reused.
	StartToReady time.Duration
}

// run tracks what one Up created, so that a failed or interrupted Up can
// remove it again and leave nothing half-started behind.
type run struct {
	mu         sync.Mutex
	containers []string
	volumes    []string
	network    string
}

func (r *run) addContainer(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.containers = append(r.containers, id)
}

func (r *run) addVolume(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.volumes = append(r.volumes, name)
}

// Up starts the plan's stand-ins in parallel, then the app once the
// stand-ins it needs are ready. Unchanged running containers are reused. If
// anything fails, or ctx is cancelled, what this call created is removed
// again and the error says why (matching ErrInterrupted when cancelled).
func (x *Executor) Up(ctx context.Context, p *plan.Plan) (*Result, error) {
	info, err := x.engine.Ping(ctx)
	if err != nil {
		return nil, err
	}
	existing, err := x.engine.Containers(ctx, p.Project)
	if err != nil {
		return nil, err
	}
	byService := map[string]Container{}
	for _, c := range existing {
		byService[c.Service()] = c
	}

	r := &run{}
	res, err := x.up(ctx, p, info, byService, r)
	if err != nil {
		x.rollback(p, r)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: removed what this run had started", ErrInterrupted)
		}
		return nil, err
	}
	return res, nil
}

func (x *Executor) up(parent context.Context, p *plan.Plan, info Info, existing map[string]Container, r *run) (*Result, error) {
	created, err := x.engine.EnsureNetwork(parent, p.Network, projectLabels(p.Project))
	if err != nil {
		return nil, fmt.Errorf("network %s: %w", p.Network, err)
	}
	if created {
		r.network = p.Network
	}

	// The first failure cancels the rest: the run is lost anyway and will be
	// rolled back, so there is no point in waiting for slow starts.
	ctx, cancel := context.WithCancel(parent)
	defer cancel()

	results := make([]Running, len(p.Standins))
	done := make(map[string]chan struct{}, len(p.Standins))
	var mu sync.Mutex
	for _, s := range p.Standins {
		done[s.Service] = make(chan struct{})
	}

	var wg sync.WaitGroup
	var errs []error
	fail := func(service string, start time.Time, err error) {
		mu.Lock()
		defer mu.Unlock()
		if ctx.Err() != nil {
			// Stopped because another service failed, or interrupted: the
			// cause is reported where it happened.
			x.emit(service, StateFailed, start, "stopped", nil)
			return
		}
		x.emit(service, StateFailed, start, "", err)
		errs = append(errs, fmt.Errorf("%s: %w", service, err))
		cancel()
	}
	for i, s := range p.Standins {
		wg.Go(func() {
			defer close(done[s.Service])
			start := x.now()
			res, err := x.startStandin(ctx, p, info, s, existing[s.Service], r, start)
			if err != nil {
				fail(s.Service, start, err)
				return
			}
			results[i] = res
		})
	}
	var app *Running
	if p.App != nil {
		wg.Go(func() {
			start := x.now()
			res, err := x.startApp(ctx, p, info, existing[p.App.Service], done, r, start)
			if err != nil {
				fail(p.App.Service, start, err)
				return
			}
			app = &res
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := parent.Err(); err != nil {
		return nil, err
	}
	res := &Result{Info: info, Services: results}
	if app != nil {
		res.Services = append(res.Services, *app)
	}
	x.recordStartTimes(p.Project, res.Services)
	return res, nil
}

// recordStartTimes keeps the start-to-ready times of the services this run
// started. Losing them costs only a measurement, so a failure is a notice.
func (x *Executor) recordStartTimes(project string, services []Running) {
	if x.startTimes == nil {
		return
	}
	for _, r := range services {
		if r.Reused || r.StartToReady == 0 {
			continue
		}
		if err := x.startTimes.Record(project, r.Service, r.Container.ID, r.StartToReady, x.now()); err != nil {
			x.emit(r.Service, StateNotice, x.now(), "start time not kept: "+err.Error(), nil)
		}
	}
}

func (x *Executor) emit(service string, state State, start time.Time, detail string, err error) {
	now := x.now()
	x.sink.Event(Event{Time: now, Service: service, State: state, Detail: detail, Elapsed: now.Sub(start), Err: err})
}

func (x *Executor) startStandin(ctx context.Context, p *plan.Plan, info Info, s plan.Standin, old Container, r *run, start time.Time) (Running, error) {
	image := s.Container.Image
	imageID, err := x.engine.ImageID(ctx, image)
	if err != nil && !errors.Is(err, ErrImageNotFound) {
		return Running{}, err
	}
	// Reuse a running container made from the same configuration and the
	// same image as the plan asks for now, if it still answers.
	if old.Running && old.Labels[LabelHash] == s.Hash && imageID != "" && old.ImageID == imageID {
		ep := emulators.Endpoint{Host: info.Host, Port: old.HostPort(s.Container.Port)}
		if probe(ctx, s.Standin.Ready, ep) == nil {
			if err := x.configure(ctx, s, ep, start); err != nil {
				return Running{}, err
			}
			x.emit(s.Service, StateReused, start, readyDetail(image, old, s.Container.Port), nil)
			return Running{Service: s.Service, Container: old, Reused: true, Elapsed: x.now().Sub(start)}, nil
		}
	}
	// The image first: if it cannot be had, the running container stays.
	if imageID == "" {
		if x.self.Ref != "" && image == x.self.Ref {
			err = x.ensureSelfImage(ctx, info, s.Service, start)
		} else {
			err = x.pull(ctx, s.Service, image, start)
		}
		if err != nil {
			return Running{}, err
		}
	}
	if old.ID != "" {
		x.emit(s.Service, StateStopping, start, "configuration changed: recreating", nil)
		if err := x.engine.Remove(ctx, old.ID, x.stopTimeout); err != nil {
			return Running{}, fmt.Errorf("remove old container: %w", err)
		}
	}
	var mounts []Mount
	if s.Volume != "" {
		created, err := x.engine.EnsureVolume(ctx, s.Volume, serviceLabels(p.Project, s.Service))
		if err != nil {
			return Running{}, fmt.Errorf("volume %s: %w", s.Volume, err)
		}
		if created {
			r.addVolume(s.Volume)
		}
		mounts = append(mounts, Mount{Volume: s.Volume, Target: s.Container.DataDir})
	}
	labels := serviceLabels(p.Project, s.Service)
	labels[LabelKind] = string(s.Kind)
	labels[LabelHash] = s.Hash
	labels[LabelImage] = image
	labels[LabelVersion] = s.Version
	spec := ContainerSpec{
		Name:      s.Name,
		Image:     image,
		Env:       s.Container.Env,
		Cmd:       s.Container.Cmd,
		Labels:    labels,
		Network:   p.Network,
		Aliases:   []string{s.Service},
		Ports:     []Port{toPort(s.Publish)},
		Mounts:    mounts,
		Dirs:      s.Container.Dirs,
		ReadyPort: s.Container.Port,
		Ready:     s.Standin.Ready,
		Timeout:   x.waitTimeout,
	}
	c, startToReady, err := x.runContainer(ctx, s.Service, spec, start, r)
	if err != nil {
		return Running{}, err
	}
	if err := x.configure(ctx, s, emulators.Endpoint{Host: info.Host, Port: c.HostPort(s.Container.Port)}, start); err != nil {
		return Running{}, err
	}
	x.emit(s.Service, StateReady, start, readyDetail(image, c, s.Container.Port), nil)
	return Running{Service: s.Service, Container: c, Elapsed: x.now().Sub(start), StartToReady: startToReady}, nil
}

// configure shapes a ready stand-in that is configured through its own API
// (buckets, queues), on every up: what the compose file declares exists
// again even if someone removed it by hand.
func (x *Executor) configure(ctx context.Context, s plan.Standin, ep emulators.Endpoint, start time.Time) error {
	c, ok := s.Standin.(emulators.Configurer)
	if !ok {
		return nil
	}
	x.emit(s.Service, StateConfiguring, start, ep.Addr(), nil)
	ctx, cancel := context.WithTimeout(ctx, x.waitTimeout)
	defer cancel()
	if err := c.Configure(ctx, ep); err != nil {
		return fmt.Errorf("configure %s stand-in: %w", s.Kind, err)
	}
	return nil
}

func (x *Executor) startApp(ctx context.Context, p *plan.Plan, info Info, old Container, deps map[string]chan struct{}, r *run, start time.Time) (Running, error) {
	a := p.App
	// The image is built (or pulled) while the stand-ins start.
	imageID, err := x.appImage(ctx, p, start)
	if err != nil {
		return Running{}, err
	}
	for _, dep := range a.After {
		select {
		case <-deps[dep]:
		case <-ctx.Done():
		}
	}
	if err := ctx.Err(); err != nil {
		// A stand-in failed (it reports why) or the run was interrupted.
		return Running{}, fmt.Errorf("not started: %w", err)
	}
	ready := appReady(a)
	if old.ID != "" {
		if old.Running && old.Labels[LabelHash] == a.Hash && old.ImageID == imageID {
			ep := emulators.Endpoint{Host: info.Host, Port: old.HostPort(a.HealthPort)}
			if ready == nil || probe(ctx, ready, ep) == nil {
				x.emit(a.Service, StateReused, start, readyDetail(a.Image, old, a.HealthPort), nil)
				return Running{Service: a.Service, Container: old, Reused: true, Elapsed: x.now().Sub(start)}, nil
			}
		}
		x.emit(a.Service, StateStopping, start, "image or configuration changed: recreating", nil)
		if err := x.engine.Remove(ctx, old.ID, x.stopTimeout); err != nil {
			return Running{}, fmt.Errorf("remove old container: %w", err)
		}
	}
	labels := serviceLabels(p.Project, a.Service)
	labels[LabelKind] = string(config.KindApp)
	labels[LabelHash] = a.Hash
	labels[LabelImage] = a.Image
	spec := ContainerSpec{
		Name:       a.Name,
		Image:      a.Image,
		Env:        maps.Clone(a.Env),
		Cmd:        a.Command,
		Entrypoint: a.Entrypoint,
		Labels:     labels,
		Network:    p.Network,
		Aliases:    []string{a.Service},
		ReadyPort:  a.HealthPort,
		Ready:      ready,
		Timeout:    x.waitTimeout,
	}
	for _, port := range a.Ports {
		spec.Ports = append(spec.Ports, toPort(port))
	}
	c, startToReady, err := x.runContainer(ctx, a.Service, spec, start, r)
	if err != nil {
		return Running{}, err
	}
	x.emit(a.Service, StateReady, start, readyDetail(a.Image, c, a.HealthPort), nil)
	return Running{Service: a.Service, Container: c, Elapsed: x.now().Sub(start), StartToReady: startToReady}, nil
}

// appImage builds the app's image when it has a build section and the image
// is missing (or a rebuild was asked for), else makes sure it is present.
func (x *Executor) appImage(ctx context.Context, p *plan.Plan, start time.Time) (string, error) {
	a := p.App
	id, err := x.engine.ImageID(ctx, a.Image)
	switch {
	case a.Build != nil && (x.build || errors.Is(err, ErrImageNotFound)):
		x.emit(a.Service, StateBuilding, start, a.Image, nil)
		id, err = x.engine.Build(ctx, BuildSpec{
			Context:    a.Build.Context,
			Dockerfile: a.Build.Dockerfile,
			Tag:        a.Image,
			Args:       a.Build.Args,
			Target:     a.Build.Target,
			Labels:     projectLabels(p.Project),
		}, func(line string) { x.emit(a.Service, StateBuilding, start, line, nil) })
		if err != nil {
			return "", err
		}
		return id, nil
	case errors.Is(err, ErrImageNotFound):
		if err := x.pull(ctx, a.Service, a.Image, start); err != nil {
			return "", err
		}
		return x.engine.ImageID(ctx, a.Image)
	case err != nil:
		return "", err
	}
	return id, nil
}

func (x *Executor) pull(ctx context.Context, service, image string, start time.Time) error {
	x.emit(service, StatePulling, start, image, nil)
	return x.engine.Pull(ctx, image, func(line string) { x.emit(service, StatePulling, start, line, nil) })
}

// runContainer runs spec, moving a taken host port to a free one and saying
// so, and tracks the container for rollback.
// runContainer runs the container and returns it with the time it took from
// its start to ready.
func (x *Executor) runContainer(ctx context.Context, service string, spec ContainerSpec, start time.Time, r *run) (Container, time.Duration, error) {
	for i, port := range spec.Ports {
		if port.Host != 0 && port.Protocol != "udp" && !x.portFree(port.HostIP, port.Host) {
			x.emit(service, StateNotice, start, fmt.Sprintf("host port %d is in use: publishing %d/%s on a free port instead", port.Host, port.Container, protoOr(port.Protocol)), nil)
			spec.Ports[i].Host = 0
		}
	}
	var started atomic.Int64 // UnixNano; the engine may call Started from its own goroutine
	spec.Started = func() {
		started.Store(x.now().UnixNano())
		x.emit(service, StateStarting, start, spec.Image, nil)
	}
	x.emit(service, StateCreating, start, spec.Image, nil)
	c, err := x.engine.Run(ctx, spec)
	if c.ID != "" {
		r.addContainer(c.ID)
	}
	if errors.Is(err, ErrPortInUse) {
		// Taken between the check and the start: one more try on free ports.
		if c.ID != "" {
			_ = x.engine.Remove(context.WithoutCancel(ctx), c.ID, 0)
		}
		for i := range spec.Ports {
			if spec.Ports[i].Host != 0 {
				x.emit(service, StateNotice, start, fmt.Sprintf("host port %d is in use: publishing on a free port instead", spec.Ports[i].Host), nil)
				spec.Ports[i].Host = 0
			}
		}
		c, err = x.engine.Run(ctx, spec)
		if c.ID != "" {
			r.addContainer(c.ID)
		}
	}
	if err != nil || started.Load() == 0 {
		return c, 0, err
	}
	return c, x.now().Sub(time.Unix(0, started.Load())), nil
}

// rollback removes what a failed Up created. It runs on its own context: the
// one Up got may be the one that was cancelled.
func (x *Executor) rollback(p *plan.Plan, r *run) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r.mu.Lock()
	defer r.mu.Unlock()
	var wg sync.WaitGroup
	for _, id := range r.containers {
		wg.Go(func() { _ = x.engine.Remove(ctx, id, 0) })
	}
	wg.Wait()
	for _, v := range r.volumes {
		_ = x.engine.RemoveVolume(ctx, v)
	}
	if r.network != "" {
		_ = x.engine.RemoveNetwork(ctx, r.network)
	}
	x.emit("", StateRemoved, x.now(), fmt.Sprintf("cleaned up %d container(s) this run had started", len(r.containers)), nil)
}

// Down stops and removes the project's containers and network. Data volumes
// are kept unless removeVolumes.
func (x *Executor) Down(ctx context.Context, project string, removeVolumes bool) error {
	if _, err := x.engine.Ping(ctx); err != nil {
		return err
	}
	containers, err := x.engine.Containers(ctx, project)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, c := range containers {
		wg.Go(func() {
			start := x.now()
			x.emit(c.Service(), StateStopping, start, c.Name, nil)
			if err := x.engine.Remove(ctx, c.ID, x.stopTimeout); err != nil {
				x.emit(c.Service(), StateFailed, start, "", err)
				mu.Lock()
				errs = append(errs, fmt.Errorf("remove %s: %w", c.Name, err))
				mu.Unlock()
				return
			}
			x.emit(c.Service(), StateRemoved, start, c.Name, nil)
		})
	}
	wg.Wait()
	if err := x.engine.RemoveNetwork(ctx, plan.NetworkName(project)); err != nil {
		errs = append(errs, fmt.Errorf("remove network: %w", err))
	}
	if removeVolumes {
		vols, err := x.engine.Volumes(ctx, project)
		if err != nil {
			errs = append(errs, err)
		}
		for _, v := range vols {
			start := x.now()
			if err := x.engine.RemoveVolume(ctx, v); err != nil {
				errs = append(errs, fmt.Errorf("remove volume %s: %w", v, err))
				continue
			}
			x.emit("", StateRemoved, start, "volume "+v, nil)
		}
	}
	return errors.Join(errs...)
}

func projectLabels(project string) map[string]string {
	return map[string]string{LabelProject: project}
}

func serviceLabels(project, service string) map[string]string {
	return map[string]string{LabelProject: project, LabelService: service}
}

func toPort(p config.Port) Port {
	return Port{HostIP: p.HostIP, Host: p.Host, Container: p.Container, Protocol: protoOr(p.Protocol)}
}

func protoOr(p string) string {
	if p == "" {
		return "tcp"
	}
	return p
}

func readyDetail(image string, c Container, port int) string {
	if hp := c.HostPort(port); hp != 0 {
		return fmt.Sprintf("%s on localhost:%d", image, hp)
	}
	return image
}

// HostPortFree reports whether a TCP port can be bound at hostIP on this
// machine, the way the engine would have to bind it to publish there.
func HostPortFree(hostIP string, port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort(hostIP, strconv.Itoa(port)))
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}
