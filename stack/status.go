package stack

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prodlike/prodlike/emulators"
	"github.com/prodlike/prodlike/plan"
)

// ServiceStatus is what `status` shows of one service.
type ServiceStatus struct {
	Service string
	Kind    string // postgres, redis, app
	// State is "running", "stopped" or "not created".
	State  string
	Status string // the engine's words, when there is a container
	Image  string
	// ProdVersion is what the stand-in is pinned to; Version is what the
	// live server reports (empty when it cannot be asked).
	ProdVersion string
	Version     string
	Ports       []Port
	// Facts is what the live stand-in reported, nil for the app or when the
	// stand-in could not be asked (FactsErr says why).
	Facts    emulators.Facts
	FactsErr error
	// InPlan is false for containers of the project that the compose file
	// no longer declares.
	InPlan bool
	// StartToReady is how long the container took from its start to ready
	// when up measured it (WithStartTimes); 0 when unknown.
	StartToReady time.Duration
}

// Status reports each service of the plan, plus any container of the project
// the plan no longer has. Running stand-ins are asked for their version.
func (x *Executor) Status(ctx context.Context, p *plan.Plan) (Info, []ServiceStatus, error) {
	info, err := x.engine.Ping(ctx)
	if err != nil {
		return Info{}, nil, err
	}
	containers, err := x.engine.Containers(ctx, p.Project)
	if err != nil {
		return info, nil, err
	}
	byService := map[string]Container{}
	for _, c := range containers {
		byService[c.Service()] = c
	}
	var out []ServiceStatus
	for _, s := range p.Standins {
		st := fromContainer(s.Service, string(s.Kind), s.Container.Image, byService[s.Service])
		st.ProdVersion = s.Version
		st.InPlan = true
		out = append(out, st)
	}
	if a := p.App; a != nil {
		st := fromContainer(a.Service, "app", a.Image, byService[a.Service])
		st.InPlan = true
		out = append(out, st)
	}
	for _, c := range containers {
		if _, ok := p.Standin(c.Service()); ok || (p.App != nil && p.App.Service == c.Service()) {
			continue
		}
		st := fromContainer(c.Service(), c.Labels[LabelKind], c.Image, c)
		st.ProdVersion = c.Labels[LabelVersion]
		out = append(out, st)
	}

	if x.startTimes != nil {
		recs, _ := x.startTimes.read(p.Project) // once, not per service
		for i := range out {
			if c, ok := byService[out[i].Service]; ok {
				out[i].StartToReady, _ = recs.get(out[i].Service, c.ID)
			}
		}
	}

	var wg sync.WaitGroup
	for i := range out {
		s, ok := p.Standin(out[i].Service)
		c := byService[out[i].Service]
		if !ok || !c.Running {
			continue
		}
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			defer cancel()
			ep := emulators.Endpoint{Host: info.Host, Port: c.HostPort(s.Container.Port)}
			f, err := s.Standin.Facts(ctx, ep)
			if err != nil {
				out[i].FactsErr = err
				return
			}
			out[i].Facts = f
			out[i].Version = f.ServerVersion()
		})
	}
	wg.Wait()
	return info, out, nil
}

func fromContainer(service, kind, image string, c Container) ServiceStatus {
	st := ServiceStatus{Service: service, Kind: kind, Image: image, State: "not created"}
	if c.ID == "" {
		return st
	}
	st.Status = c.Status
	st.Ports = c.Ports
	if c.Image != "" {
		st.Image = c.Image // what it runs, which a changed file may not say
	}
	st.State = "stopped"
	if c.Running {
		st.State = "running"
	}
	return st
}

// HostEnv returns the connection variables of each running stand-in as seen
// from this machine (localhost and the published port), keyed by variable.
func (x *Executor) HostEnv(ctx context.Context, p *plan.Plan) (map[string]string, error) {
	info, err := x.engine.Ping(ctx)
	if err != nil {
		return nil, err
	}
	containers, err := x.engine.Containers(ctx, p.Project)
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	var missing []string
	for _, s := range p.Standins {
		var port int
		for _, c := range containers {
			if c.Service() == s.Service && c.Running {
				port = c.HostPort(s.Container.Port)
			}
		}
		if port == 0 {
			missing = append(missing, s.Service)
			continue
		}
		for k, v := range s.Standin.Env(emulators.Endpoint{Host: info.Host, Port: port}) {
			env[k] = v
		}
	}
	if len(missing) > 0 {
		return env, fmt.Errorf("%w: %s not running: start the stack with `prodlike up --detach`", ErrNotRunning, strings.Join(missing, ", "))
	}
	return env, nil
}

// Logs writes the output of the named services (all when none are named),
// each line prefixed with its service, interleaved as it arrives.
func (x *Executor) Logs(ctx context.Context, project string, services []string, opts LogOptions, w io.Writer) error {
	if _, err := x.engine.Ping(ctx); err != nil {
		return err
	}
	containers, err := x.engine.Containers(ctx, project)
	if err != nil {
		return err
	}
	var names []string
	for _, c := range containers {
		names = append(names, c.Service())
	}
	slices.Sort(names)
	for _, s := range services {
		if !slices.Contains(names, s) {
			if len(names) == 0 {
				return fmt.Errorf("%w: no containers for project %s: start it with `prodlike up`", ErrNotRunning, project)
			}
			return fmt.Errorf("%w: no container for service %q (there are: %s)", ErrNotRunning, s, strings.Join(names, ", "))
		}
	}
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	sw := &lineWriter{w: w}
	var wg sync.WaitGroup
	errs := make([]error, len(containers))
	for i, c := range containers {
		if len(services) > 0 && !slices.Contains(services, c.Service()) {
			continue
		}
		o := opts
		if len(services) != 1 {
			o.Prefix = fmt.Sprintf("%-*s | ", width, c.Service())
		}
		wg.Go(func() { errs[i] = x.engine.Logs(ctx, c.ID, o, sw) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && ctx.Err() == nil {
			return err
		}
	}
	return nil
}

// lineWriter serialises writes so that lines from concurrent streams do not
// mix. Engines write whole lines.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
