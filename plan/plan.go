// Package plan turns a config.Spec into the ordered set of things to run: the
// project network, one container per stand-in (started in parallel), and the
// app after the stand-ins it depends on. It is pure: no Docker, no network.
package plan

import (
	"cmp"
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
	"github.com/prodlike/prodlike/emulators/s3"
	"github.com/prodlike/prodlike/emulators/sqs"
)

// DefaultHostIP is where prodlike publishes ports unless the compose file
// names a host IP: dev databases are not for the rest of the network.
const DefaultHostIP = "127.0.0.1"

// Options tune a plan.
type Options struct {
	// ImageMirror is a registry prefix for stand-in images from Docker Hub
	// (see MirrorImage). It overrides the spec's x-prodlike.image-mirror.
	ImageMirror string
	// SelfImage is prodlike's own image, which runs the stand-ins prodlike
	// implements itself (sqs) unless the service names another image.
	SelfImage string
}

// DefaultSelfImage is prodlike's published image, for plans made without
// Options.SelfImage.
const DefaultSelfImage = sqs.DefaultImage + ":latest"

// DefaultS3Image is the S3 stand-in's image when the service names none:
// versitygw, whose releases are tagged v<semver>.
const DefaultS3Image = s3.DefaultImage + ":v1.8.0"

// DefaultRegion is the AWS region stand-ins answer for when no environment
// names one.
const DefaultRegion = "us-east-1"

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
	// Creates lists what the stand-in is shaped with once it is ready
	// (buckets, queues), one line each, for people.
	Creates []string
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
	b := builder{project: spec.Project, network: p.Network, mirror: mirror, self: cmp.Or(opts.SelfImage, DefaultSelfImage), region: Region(spec)}
	var errs []error
	for _, svc := range spec.Services {
		if svc.Kind == config.KindApp {
			continue
		}
		s, err := b.standin(svc)
		if err != nil {
			errs = append(errs, &config.Error{File: svc.File, Service: svc.Name, Field: declaringField(svc.Kind), Err: err})
			continue
		}
		p.Standins = append(p.Standins, s)
	}
	slices.SortFunc(p.Standins, func(a, b Standin) int { return strings.Compare(a.Service, b.Service) })
	if app, ok := spec.App(); ok {
		a, err := p.app(app)
		if err != nil {
			errs = append(errs, err)
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

// Region is the AWS region the project's stand-ins answer for: that of
// the environment named prod when it is on AWS, else of the first AWS
// environment that names one, else DefaultRegion. Clients sign requests
// for it, and S3 stand-ins check the signature's region.
func Region(spec *config.Spec) string {
	var first string
	for _, env := range spec.Environments {
		if env.Cloud != "aws" || env.Region == "" {
			continue
		}
		if env.Name == "prod" {
			return env.Region
		}
		first = cmp.Or(first, env.Region)
	}
	return cmp.Or(first, DefaultRegion)
}

// creates describes a service's declared buckets and queues.
func creates(svc config.Service) []string {
	var out []string
	for _, b := range svc.Buckets {
		var with []string
		if b.Versioning {
			with = append(with, "versioning")
		}
		if n := len(b.CORS); n > 0 {
			with = append(with, fmt.Sprintf("%d CORS rule(s)", n))
		}
		out = append(out, "bucket "+b.Name+parenthesized(with))
	}
	for _, q := range svc.Queues {
		var with []string
		for _, k := range slices.Sorted(maps.Keys(q.Attributes)) {
			with = append(with, k+"="+q.Attributes[k])
		}
		if q.DeadLetter != "" {
			with = append(with, fmt.Sprintf("to %s after %d receives", q.DeadLetter, q.MaxReceiveCount))
		}
		out = append(out, "queue "+q.Name+parenthesized(with))
	}
	return out
}

func parenthesized(items []string) string {
	if len(items) == 0 {
		return ""
	}
	return " (" + strings.Join(items, ", ") + ")"
}

// isSelfImage reports whether ref is prodlike's published image, any tag.
func isSelfImage(ref string) bool {
	named, err := reference.ParseNormalizedNamed(ref)
	return err == nil && named.Name() == sqs.DefaultImage
}

// declaringField is the x-prodlike key whose values a stand-in kind's
// constructor checks, for errors that do not come from a single field.
func declaringField(k config.Kind) string {
	switch k {
	case config.KindS3:
		return "x-prodlike.buckets"
	case config.KindSQS:
		return "x-prodlike.queues"
	}
	return "x-prodlike.parameters"
}

// builder makes the plan's stand-ins.
type builder struct {
	project, network string
	mirror           string
	self             string // prodlike's own image
	region           string
}

func (b builder) standin(svc config.Service) (Standin, error) {
	project, network := b.project, b.network
	image := MirrorImage(svc.Image, b.mirror)
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
		if svc.TLS {
			// Named after the container, so the same stand-in gets the same
			// certificate on every run.
			cert, key, err := emulators.DevCertificate(ContainerName(project, svc.Name), svc.Name, "localhost", "127.0.0.1")
			if err != nil {
				return Standin{}, err
			}
			opts = append(opts, postgres.WithTLS(cert, key))
		}
		st, err = postgres.New(image, opts...)
	case config.KindRedis:
		opts := []redis.Option{redis.WithConfig(svc.Parameters), redis.WithEnvNames(svc.EnvNames)}
		if svc.Engine != "" {
			opts = append(opts, redis.WithEngine(svc.Engine))
		}
		if svc.AuthToken != "" {
			opts = append(opts, redis.WithPassword(svc.AuthToken))
		}
		st, err = redis.New(image, opts...)
	case config.KindS3:
		if image == "" {
			image = MirrorImage(DefaultS3Image, b.mirror)
		}
		buckets := make([]s3.Bucket, len(svc.Buckets))
		for i, bk := range svc.Buckets {
			buckets[i] = s3.Bucket{Name: bk.Name, Versioning: bk.Versioning}
			for _, r := range bk.CORS {
				buckets[i].CORS = append(buckets[i].CORS, s3.CORSRule(r))
			}
		}
		opts := []s3.Option{s3.WithBuckets(buckets...), s3.WithRegion(b.region), s3.WithEnvNames(svc.EnvNames)}
		if svc.Engine != "" {
			opts = append(opts, s3.WithServer(svc.Engine))
		}
		st, err = s3.New(image, opts...)
	case config.KindSQS:
		// prodlike's own emulator runs from the image of the prodlike that
		// runs it, whatever tag the compose file names for plain compose.
		if image == "" || isSelfImage(svc.Image) {
			image = b.self // never mirrored: it is not a Docker Hub image
		}
		queues := make([]sqs.Queue, len(svc.Queues))
		for i, q := range svc.Queues {
			queues[i] = sqs.Queue(q)
		}
		st, err = sqs.New(image, sqs.WithQueues(queues...), sqs.WithRegion(b.region), sqs.WithEnvNames(svc.EnvNames))
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
	s.Creates = creates(svc)
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
		return nil, &config.Error{File: svc.File, Service: svc.Name, Field: "x-prodlike.health",
			Err: fmt.Errorf("%s needs a published TCP port to probe: add one under ports:", a.Health)}
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
	// Stand-ins may agree on a variable (the S3 and SQS stand-ins both give
	// AWS_REGION and the same dev credentials); they may not disagree.
	for _, s := range p.Standins {
		env := s.Standin.Env(emulators.Endpoint{Host: s.Service, Port: s.Container.Port})
		for _, k := range slices.Sorted(maps.Keys(env)) {
			v := env[k]
			if other, ok := a.Injected[k]; ok && a.Env[k] != v {
				return nil, &config.Error{File: svc.File, Service: s.Service, Field: "x-prodlike.env",
					Err: fmt.Errorf("gives the app %s, as %q does, with a different value; rename it, e.g. x-prodlike: {env: {%s: %s_%s}}", k, other, k, emulators.EnvSuffix(s.Service), k)}
			}
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
