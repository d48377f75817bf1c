// Package plan turns a config.Spec into the ordered set of things to run: the
// project network, one container per stand-in (started in parallel), and the
// app after the stand-ins it depends on. It is pure: no Docker, no network.
package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/distribution/reference"

	"github.com/prodlike/prodlike/config"
	"github.com/prodlike/prodlike/emulators"
	"github.com/prodlike/prodlike/emulators/postgres"
	"github.com/prodlike/prodlike/emulators/redis"
)

// DefaultHostIP is where prodlike publishes ports unless the compose file
// names a host IP: dev databases are not for the rest of the network.
const DefaultHostIP = "127.0.0.1"

// Options tune a plan.
type Options struct {
	// ImageMirror is a registry prefix for stand-in images from Docker Hub
	// (see MirrorImage). It overrides the spec's x-prodlike.image-mirror.
	ImageMirror string
}

// Plan is what `up` will run.
type Plan struct {
	Project  string
	Network  string
	Standins []Standin // sorted by service name; started in parallel
	App      *App      // nil when the project has no app
}

// Standin is one stand-in container.
type Standin struct {
	Service string
	Kind    config.Kind
	Engine  string // postgres, redis, valkey
	Version string // the prod version it is pinned to
	// Standin describes, probes and reads facts from the stand-in.
	Standin emulators.Standin
	// Container is the container to run; its image has the mirror applied.
	Container emulators.Container
	Name      string // container name
	Publish   config.Port
	Volume    string // named volume for Container.DataDir, "" for none
	Hash      string // changes whenever the container would differ
}

// App is the user's own service.
type App struct {
	Service    string
	Name       string // container name
	Image      string
	Build      *config.Build // nil: run Image as it is (pulled if missing)
	Env        map[string]string
	Injected   map[string]string // variable → stand-in service that set it
	Command    []string
	Entrypoint []string
	Ports      []config.Port
	Health     string // HTTP path probed on HealthPort
	HealthPort int    // container port probed for readiness, 0 for none
	After      []string
	Hash       string
}

// Build makes the plan for spec. Its errors are *config.Error values (they
// match config.ErrInvalid): what the plan rejects is a configuration problem.
func Build(spec *config.Spec, opts Options) (*Plan, error) {
	mirror := spec.ImageMirror
	if opts.ImageMirror != "" {
		mirror = opts.ImageMirror
	}
	p := &Plan{Project: spec.Project, Network: NetworkName(spec.Project)}
	var errs []error
	for _, svc := range spec.Services {
		if svc.Kind == config.KindApp {
			continue
		}
		s, err := standin(spec.Project, p.Network, svc, mirror)
		if err != nil {
			errs = append(errs, &config.Error{File: svc.File, Service: svc.Name, Field: "x-prodlike.parameters", Err: err})
			continue
		}
		p.Standins = append(p.Standins, s)
	}
	slices.SortFunc(p.Standins, func(a, b Standin) int { return strings.Compare(a.Service, b.Service) })
	if app, ok := spec.App(); ok {
		a, err := p.app(app)
		if err != nil {
			errs = append(errs, &config.Error{File: app.File, Service: app.Name, Field: "x-prodlike.health", Err: err})
		}
		p.App = a
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return p, nil
}

// Standin returns the plan's stand-in for a service.
func (p *Plan) Standin(service string) (Standin, bool) {
	for _, s := range p.Standins {
		if s.Service == service {
			return s, true
		}
	}
	return Standin{}, false
}

// NetworkName is the project's network.
func NetworkName(project string) string { return "prodlike-" + project }

// ContainerName is a service's container.
func ContainerName(project, service string) string { return "prodlike-" + project + "-" + service }

// VolumeName is a stand-in's data volume.
func VolumeName(project, service string) string {
	return "prodlike-" + project + "-" + service + "-data"
}

func standin(project, network string, svc config.Service, mirror string) (Standin, error) {
	image := MirrorImage(svc.Image, mirror)
	var (
		st  emulators.Standin
		err error
	)
	switch svc.Kind {
	case config.KindPostgres:
		// The official image's variables in the compose file keep their
		// meaning; unset ones keep the image's defaults.
		opts := []postgres.Option{postgres.WithParameters(svc.Parameters), postgres.WithEnvNames(svc.EnvNames)}
		if v := svc.Environment["POSTGRES_USER"]; v != "" {
			opts = append(opts, postgres.WithUser(v))
		}
		if v := svc.Environment["POSTGRES_PASSWORD"]; v != "" {
			opts = append(opts, postgres.WithPassword(v))
		}
		if v := svc.Environment["POSTGRES_DB"]; v != "" {
			opts = append(opts, postgres.WithDatabase(v))
		}
		st, err = postgres.New(image, opts...)
	case config.KindRedis:
		opts := []redis.Option{redis.WithConfig(svc.Parameters), redis.WithEnvNames(svc.EnvNames)}
		if svc.Engine != "" {
			opts = append(opts, redis.WithEngine(svc.Engine))
		}
		st, err = redis.New(image, opts...)
	default:
		return Standin{}, fmt.Errorf("no stand-in of kind %q", svc.Kind)
	}
	if err != nil {
		return Standin{}, err
	}
	ctr := st.Container()
	s := Standin{
		Service:   svc.Name,
		Kind:      svc.Kind,
		Engine:    svc.Engine,
		Version:   svc.Version,
		Standin:   st,
		Container: ctr,
		Name:      ContainerName(project, svc.Name),
		Publish:   config.Port{HostIP: DefaultHostIP, Container: ctr.Port, Protocol: "tcp"},
	}
	for _, port := range svc.Ports {
		if port.Container == ctr.Port {
			s.Publish.Host = port.Host
			if port.HostIP != "" {
				s.Publish.HostIP = port.HostIP
			}
		}
	}
	if ctr.DataDir != "" {
		s.Volume = VolumeName(project, svc.Name)
	}
	s.Hash = hash(struct {
		Container        emulators.Container
		Publish          config.Port
		Volume, Network  string
		Version, Service string
	}{ctr, s.Publish, s.Volume, network, s.Version, s.Service})
	return s, nil
}

func (p *Plan) app(svc config.Service) (*App, error) {
	a := &App{
		Service:    svc.Name,
		Name:       ContainerName(p.Project, svc.Name),
		Image:      svc.Image,
		Build:      svc.Build,
		Env:        maps.Clone(svc.Environment),
		Injected:   map[string]string{},
		Command:    svc.Command,
		Entrypoint: svc.Entrypoint,
		Health:     svc.Health,
	}
	if a.Env == nil {
		a.Env = map[string]string{}
	}
	for _, port := range svc.Ports {
		if port.HostIP == "" {
			port.HostIP = DefaultHostIP
		}
		a.Ports = append(a.Ports, port)
	}
	for _, port := range a.Ports {
		if port.Protocol == "" || port.Protocol == "tcp" {
			a.HealthPort = port.Container
			break
		}
	}
	if a.Health != "" && a.HealthPort == 0 {
		return nil, fmt.Errorf("x-prodlike.health %s needs a published TCP port to probe: add one under ports:", a.Health)
	}
	after := svc.DependsOn
	if len(after) == 0 {
		for _, s := range p.Standins {
			after = append(after, s.Service)
		}
	}
	for _, dep := range after {
		if _, ok := p.Standin(dep); ok {
			a.After = append(a.After, dep)
		}
	}
	slices.Sort(a.After)
	// Every stand-in's in-network variables go to the app, on top of its
	// compose environment: the app talks to the stand-ins prodlike started.
	for _, s := range p.Standins {
		for k, v := range s.Standin.Env(emulators.Endpoint{Host: s.Service, Port: s.Container.Port}) {
			a.Env[k] = v
			a.Injected[k] = s.Service
		}
	}
	a.Hash = hash(struct {
		Image, Network      string
		Build               *config.Build
		Env                 map[string]string
		Command, Entrypoint []string
		Ports               []config.Port
		Service             string
	}{a.Image, p.Network, a.Build, a.Env, a.Command, a.Entrypoint, a.Ports, a.Service})
	return a, nil
}

// hash is a short digest of v's JSON form (maps marshal in key order).
func hash(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("plan: hash: %v", err)) // plain data always marshals
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

// MirrorImage rewrites a Docker Hub image reference to come from mirror, a
// registry prefix such as "mirror.example.com/dockerhub" or a local prefix
// such as "prodlike-offline": postgres:15 becomes mirror/postgres:15 and
// valkey/valkey:8 becomes mirror/valkey/valkey:8. References to other
// registries are left alone. An empty mirror changes nothing.
func MirrorImage(ref, mirror string) string {
	mirror = strings.TrimSuffix(mirror, "/")
	if mirror == "" || ref == "" {
		return ref
	}
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil || reference.Domain(named) != "docker.io" {
		return ref
	}
	// The familiar form drops docker.io/ and library/: postgres:15.
	return mirror + "/" + reference.FamiliarString(named)
}
