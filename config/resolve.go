package config

import (
	"cmp"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// resolver turns a loaded compose project into a Spec, collecting every
// problem it finds rather than stopping at the first.
type resolver struct {
	project *types.Project
	src     *sources
	errs    []*Error
}

// candidate is a service that is neither a stand-in nor ignored: the app, or
// a service prodlike cannot run.
type candidate struct {
	cfg types.ServiceConfig
	x   serviceExt
}

func buildSpec(p *types.Project, src *sources) (*Spec, error) {
	r := &resolver{project: p, src: src}
	spec := &Spec{
		Project: p.Name,
		Dir:     p.WorkingDir,
		Files:   slices.Clone(p.ComposeFiles),
		src:     src,
	}

	px, problems := decodeProjectExt(p.Extensions[extensionKey], src.keyOrder(extensionKey, "environments"), func(path ...string) (string, bool) {
		return src.numberText(append([]string{extensionKey}, path...)...)
	})
	for _, pr := range problems {
		file, line := src.where(pr.path...)
		r.errs = append(r.errs, &Error{File: file, Line: line, Field: pr.field(), Msg: pr.msg})
	}
	spec.ImageMirror = px.ImageMirror
	spec.Environments = px.Environments
	for _, env := range spec.Environments {
		if g := env.GitOps; g != nil && g.File != "" {
			g.Path = g.File
			if !filepath.IsAbs(g.File) {
				g.Path = filepath.Join(spec.Dir, g.File)
			}
		}
	}
	spec.Waivers = px.Waivers
	for i := range spec.Waivers {
		spec.Waivers[i].File, spec.Waivers[i].Line = src.where(extensionKey, "waive", strconv.Itoa(i))
	}

	var candidates []candidate
	for _, name := range sortedKeys(p.Services) {
		cfg := p.Services[name]
		text := func(path ...string) (string, bool) {
			return src.numberText(append([]string{"services", name, extensionKey}, path...)...)
		}
		x, problems, unknown := decodeServiceExt(cfg.Extensions[extensionKey], text)
		// Keys of stand-in kinds not built yet (buckets, queues …) are
		// not known here: leave them be.
		planned := slices.Contains(plannedStandins, x.Standin)
		if !planned {
			problems = append(problems, unknown...)
		}
		for _, pr := range problems {
			r.fail(name, pr)
		}
		if len(problems) > 0 {
			continue // classifying a half-decoded service would only add noise
		}
		if x.Ignore {
			if x.App {
				r.fail(name, problem{path: []string{extensionKey, "ignore"}, msg: "the app cannot be ignored; remove app: true or ignore: true"})
			}
			continue
		}
		if planned {
			r.fail(name, problem{path: []string{extensionKey, "standin"}, msg: unsupportedStandin(x.Standin)})
			continue
		}
		eng, standin, ok := r.classify(name, cfg, x)
		switch {
		case !ok:
		case standin == "":
			candidates = append(candidates, candidate{cfg: cfg, x: x})
		default:
			if svc, ok := r.standin(name, cfg, x, standin, eng); ok {
				spec.Services = append(spec.Services, svc)
			}
		}
	}

	if app, ok := r.selectApp(candidates); ok {
		if svc, ok := r.app(app.cfg, app.x); ok {
			spec.Services = append(spec.Services, svc)
		}
	}
	slices.SortFunc(spec.Services, func(a, b Service) int { return strings.Compare(a.Name, b.Name) })

	r.dependencies(spec)
	r.envNameClashes(spec)
	r.checkProdServices(spec)

	// Report in reading order: file by file in load order, top to bottom.
	order := map[string]int{}
	for i, f := range src.files {
		order[src.rel(f.path)] = i + 1
	}
	slices.SortStableFunc(r.errs, func(a, b *Error) int {
		if c := order[a.File] - order[b.File]; c != 0 {
			return c
		}
		return a.Line - b.Line
	})
	if err := errors.Join(asErrors(r.errs)...); err != nil {
		return nil, err
	}
	return spec, nil
}

// fail records a problem with a service field.
func (r *resolver) fail(service string, p problem) {
	file, line := r.src.where(append([]string{"services", service}, p.path...)...)
	r.errs = append(r.errs, &Error{File: file, Line: line, Service: service, Field: p.field(), Msg: p.msg})
}

// classify decides whether a service is a stand-in: declared with
// x-prodlike.standin, or recognized by its image when it has no build
// section and is not marked as the app. standin is "" for other services.
func (r *resolver) classify(name string, cfg types.ServiceConfig, x serviceExt) (eng engine, standin string, ok bool) {
	switch {
	case x.Standin != "":
		eng, known := standins[x.Standin]
		if !known {
			r.fail(name, problem{path: []string{extensionKey, "standin"}, msg: unsupportedStandin(x.Standin)})
			return engine{}, "", false
		}
		if x.App {
			r.fail(name, problem{path: []string{extensionKey, "app"}, msg: "a service is either the app or a stand-in; remove app: true or standin:"})
			return engine{}, "", false
		}
		return eng, x.Standin, true
	case x.App || cfg.Build != nil || cfg.Image == "":
		return engine{}, "", true
	}
	img, err := parseImage(cfg.Image)
	if err != nil {
		return engine{}, "", true // not a stand-in image; docker reports bad references
	}
	if eng, known := imageEngine(img); known {
		return eng, eng.name, true
	}
	return engine{}, "", true
}

// standin builds a stand-in service.
func (r *resolver) standin(name string, cfg types.ServiceConfig, x serviceExt, standin string, eng engine) (Service, bool) {
	failed := false
	fail := func(p problem) {
		r.fail(name, p)
		failed = true
	}

	// The image whose look decides the engine: the override if any, else
	// the compose image.
	imageField, shown := []string{"image"}, cfg.Image
	if x.Image != "" {
		imageField, shown = []string{extensionKey, "image"}, x.Image
	}
	var seen engine
	var recognized bool
	if img, err := parseImage(shown); shown != "" && err == nil {
		seen, recognized = imageEngine(img)
	}

	choices := kindEngines[eng.kind]
	switch {
	case eng.name == "" && x.Engine != "" && !slices.Contains(choices, x.Engine):
		fail(problem{
			path: []string{extensionKey, "engine"},
			msg:  fmt.Sprintf("want %s for stand-in %q, got %q", strings.Join(choices, " or "), standin, x.Engine),
		})
	case eng.name == "" && x.Engine != "": // aws.elasticache, s3
		eng.name = x.Engine
	case eng.name == "" && recognized && seen.kind == eng.kind:
		eng.name = seen.name
	case eng.name == "":
		eng.name = choices[0]
	case x.Engine != "" && x.Engine != eng.name:
		fail(problem{
			path: []string{extensionKey, "engine"},
			msg:  fmt.Sprintf("stand-in %q runs %s; engine only chooses between redis and valkey for aws.elasticache, and between versitygw and minio for s3", standin, eng.name),
		})
	}
	if recognized && seen != eng {
		fail(problem{
			path: imageField,
			msg:  fmt.Sprintf("%q is a %s image but the stand-in runs %s; fix the image or x-prodlike.standin/engine", shown, seen.name, eng.name),
		})
	}
	if cfg.Build != nil {
		fail(problem{
			path: []string{"build"},
			msg:  "a stand-in runs an engine image, not a build; use x-prodlike.image for a custom image, or remove x-prodlike.standin if this is your own service",
		})
	}
	if x.set["health"] {
		fail(problem{path: []string{extensionKey, "health"}, msg: "applies to the app, not to a stand-in; if this service is your app, mark it x-prodlike: {app: true}"})
	}

	for _, p := range kindKeys(eng.kind, x) {
		fail(p)
	}
	var image, version string
	switch eng.kind {
	case KindS3, KindSQS:
		// No engine version to pin: the stand-in's image is prodlike's
		// choice unless the service names one.
		image = cmp.Or(x.Image, cfg.Image)
		if image == "" && eng.name == "minio" {
			fail(problem{
				path: []string{extensionKey, "engine"},
				msg:  "MinIO publishes no images any more: name the MinIO image you run with image: (or leave engine out for versitygw)",
			})
		}
	default:
		var p *problem
		if image, version, p = standinImage(x, cfg.Image, eng); p != nil {
			fail(*p)
		}
	}
	svc, ok := r.common(name, cfg, x)
	if failed || !ok {
		return Service{}, false
	}
	svc.Kind = eng.kind
	svc.Standin = standin
	svc.Engine = eng.name
	svc.Image = image
	svc.Version = version
	svc.Parameters = x.Parameters
	svc.EnvNames = x.Env
	svc.Buckets = x.Buckets
	svc.Queues = x.Queues
	return svc, true
}

// kindKeys reports x-prodlike keys that do not apply to a stand-in of kind.
func kindKeys(kind Kind, x serviceExt) []problem {
	var problems []problem
	only := func(key string, kinds ...Kind) {
		if x.set[key] && !slices.Contains(kinds, kind) {
			problems = append(problems, problem{
				path: []string{extensionKey, key},
				msg:  fmt.Sprintf("does not apply to stand-ins of kind %s; it is for %s stand-ins", kind, joinKinds(kinds)),
			})
		}
	}
	only("buckets", KindS3)
	only("queues", KindSQS)
	only("parameters", KindPostgres, KindRedis)
	if x.set["version"] && (kind == KindS3 || kind == KindSQS) {
		problems = append(problems, problem{
			path: []string{extensionKey, "version"},
			msg:  fmt.Sprintf("an %s stand-in has no engine version to match; to pin the stand-in itself, set x-prodlike.image", kind),
		})
	}
	return problems
}

func joinKinds(kinds []Kind) string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k)
	}
	return strings.Join(names, " and ")
}

// selectApp picks the app among the services that are not stand-ins: the
// one marked x-prodlike.app, else the only one. Every other candidate is an
// error: prodlike runs one app and the stand-ins, nothing else.
func (r *resolver) selectApp(cands []candidate) (candidate, bool) {
	var marked, unmarked []candidate
	for _, c := range cands {
		if c.x.App {
			marked = append(marked, c)
		} else {
			unmarked = append(unmarked, c)
		}
	}
	const hint = "prodlike runs one app service next to the stand-ins: mark the app with x-prodlike: {app: true} and leave the others out with x-prodlike: {ignore: true}"
	switch {
	case len(marked) > 1:
		r.errs = append(r.errs, &Error{
			File:  r.src.rel(r.src.mainFile()),
			Field: "x-prodlike.app",
			Msg:   fmt.Sprintf("services %s are all marked as the app; %s", quoteNames(marked), hint),
		})
		return candidate{}, false
	case len(marked) == 1:
		for _, c := range unmarked {
			r.fail(c.cfg.Name, problem{msg: fmt.Sprintf("neither a stand-in nor the app (%q); %s", marked[0].cfg.Name, hint)})
		}
		return marked[0], true
	case len(unmarked) == 1:
		return unmarked[0], true
	case len(unmarked) > 1:
		r.errs = append(r.errs, &Error{
			File: r.src.rel(r.src.mainFile()),
			Msg:  fmt.Sprintf("several services could be the app: %s; %s", quoteNames(unmarked), hint),
		})
	}
	return candidate{}, false
}

// app builds the app service.
func (r *resolver) app(cfg types.ServiceConfig, x serviceExt) (Service, bool) {
	failed := false
	for _, key := range []string{"standin", "engine", "version", "image", "parameters", "env", "buckets", "queues"} {
		if x.set[key] {
			r.fail(cfg.Name, problem{path: []string{extensionKey, key}, msg: "applies to stand-ins, not to the app; if this service is a stand-in, say which with x-prodlike.standin"})
			failed = true
		}
	}
	svc, ok := r.common(cfg.Name, cfg, x)
	if !ok || failed {
		return Service{}, false
	}
	svc.Kind = KindApp
	svc.Health = x.Health
	svc.Image = cfg.Image
	if b := cfg.Build; b != nil {
		if b.DockerfileInline != "" {
			r.fail(cfg.Name, problem{path: []string{"build", "dockerfile_inline"}, msg: "not supported by prodlike; put the Dockerfile in a file"})
			return Service{}, false
		}
		svc.Build = &Build{Context: b.Context, Dockerfile: b.Dockerfile, Args: values(b.Args), Target: b.Target}
		if svc.Image == "" {
			svc.Image = r.project.Name + "-" + cfg.Name // compose's name for a built image
		}
	}
	if svc.Image == "" {
		r.fail(cfg.Name, problem{msg: "the app has neither image: nor build:; add one"})
		return Service{}, false
	}
	return svc, true
}

// common fills in what every service has.
func (r *resolver) common(name string, cfg types.ServiceConfig, x serviceExt) (Service, bool) {
	svc := Service{
		Name:        name,
		Environment: values(cfg.Environment),
		Prod:        x.Prod,
		File:        r.src.declaring(name),
	}
	if cfg.Command != nil {
		svc.Command = slices.Clone([]string(cfg.Command))
	}
	if cfg.Entrypoint != nil {
		svc.Entrypoint = slices.Clone([]string(cfg.Entrypoint))
	}
	ok := true
	for i, p := range cfg.Ports {
		port := Port{HostIP: p.HostIP, Container: int(p.Target), Protocol: p.Protocol}
		if p.Published != "" {
			host, err := strconv.Atoi(p.Published)
			if err != nil || host < 0 || host > 65535 {
				r.fail(name, problem{
					path: []string{"ports"},
					msg:  fmt.Sprintf("published port %q (entry %d) is not a single port; ranges are not supported: publish one host port, or none to get a free one", p.Published, i+1),
				})
				ok = false
				continue
			}
			port.Host = host
		}
		svc.Ports = append(svc.Ports, port)
	}
	for dep := range cfg.DependsOn {
		svc.DependsOn = append(svc.DependsOn, dep)
	}
	slices.Sort(svc.DependsOn)
	return svc, ok
}

// dependencies checks depends_on and keeps only the services prodlike runs
// (ignored services and services in inactive profiles are dropped).
func (r *resolver) dependencies(spec *Spec) {
	for i := range spec.Services {
		svc := &spec.Services[i]
		var kept []string
		for _, dep := range svc.DependsOn {
			_, enabled := r.project.Services[dep]
			_, disabled := r.project.DisabledServices[dep]
			switch _, runs := spec.Service(dep); {
			case runs:
				kept = append(kept, dep)
			case !enabled && !disabled:
				r.fail(svc.Name, problem{path: []string{"depends_on"}, msg: fmt.Sprintf("unknown service %q", dep)})
			}
		}
		svc.DependsOn = kept
	}
}

// envNameClashes reports stand-ins that would give the app the same
// variable: two Postgres stand-ins both default to DATABASE_URL.
func (r *resolver) envNameClashes(spec *Spec) {
	owner := map[string]string{}
	for _, svc := range spec.Services {
		def := DefaultEnvName(svc.Kind)
		if svc.Kind == KindApp || def == "" {
			continue
		}
		names := []string{svc.EnvName(def)}
		for from, to := range svc.EnvNames {
			if from != def {
				names = append(names, to)
			}
		}
		slices.Sort(names)
		for _, n := range slices.Compact(names) {
			other, clash := owner[n]
			if !clash {
				owner[n] = svc.Name
				continue
			}
			r.fail(svc.Name, problem{
				path: []string{extensionKey, "env"},
				msg: fmt.Sprintf("gives the app %s, as %q does; rename one, e.g. x-prodlike: {env: {%s: %s_%s}}",
					n, other, def, strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(svc.Name)), def),
			})
		}
	}
}

// values flattens a compose mapping, dropping variables without a value
// (bare names not set in the environment).
func values(m types.MappingWithEquals) map[string]string {
	var out map[string]string
	for k, v := range m {
		if v == nil {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = *v
	}
	return out
}

func asErrors(errs []*Error) []error {
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return out
}

func quoteNames(cs []candidate) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = strconv.Quote(c.cfg.Name)
	}
	return strings.Join(names, ", ")
}
