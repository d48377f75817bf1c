package config

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// This file decides what `prodlike init` writes: for each service the
// stand-in identifier of the target cloud, its prod resource addresses and,
// for the app, app: true and its health path; and the environment whose
// prod truth the Terraform file is. Annotate (annotate.go) writes it.

// ProdResource is a resource of an environment's Terraform state or plan
// that a compose service can stand for, as truth.Discover lists them: what
// init matches services to.
type ProdResource struct {
	Address string // module.db.aws_db_instance.this[0]
	Type    string // aws_db_instance
	Kind    Kind   // the kind of service that stands for it
	// Name is its name in the cloud: the instance or cluster identifier,
	// bucket, queue or function name, task definition family; "" when
	// unknown (a plan that names it only after apply).
	Name string
	// Engine is postgres or aurora-postgresql, redis or valkey; "" for
	// other kinds.
	Engine string
	// Region is the region its region attribute or ARN gives, "" when
	// neither does.
	Region string
	// Keys are the Terraform names it goes by: its for_each key, resource
	// name and module name (with the module's key).
	Keys []string
}

// InitOptions are what init was asked to do.
type InitOptions struct {
	// Env is the environment to write (prod).
	Env string
	// Cloud is aws, gcp or azure; "" for the cloud of the Terraform
	// file's resources, else aws.
	Cloud string
	// Region is the environment's region (--region); "" for the one the
	// Terraform file's resources agree on.
	Region string
	// Terraform is the Terraform JSON file as given, relative to the
	// project directory; "" for none.
	Terraform string
	// TerraformClouds are the clouds whose resources the file holds.
	TerraformClouds []string
	// Resources are the file's resources that services can stand for.
	Resources []ProdResource
}

// InitPlan is what init would add to the project's compose files.
type InitPlan struct {
	// Cloud is the cloud the stand-in identifiers are for.
	Cloud string
	// Files are the files to annotate, in load order.
	Files []FileAnnotations
	// Todo is what init leaves to the user: ambiguous prod resources,
	// stand-ins the cloud has no identifier for, the app's health path.
	Todo []Todo
}

// FileAnnotations are the annotations for one compose file.
type FileAnnotations struct {
	Path  string // absolute
	Shown string // relative to the working directory, for messages
	Annotations
}

// Todo is something init leaves to the user.
type Todo struct {
	Service string // "" for the project
	Text    string
}

func (t Todo) String() string {
	if t.Service == "" {
		return t.Text
	}
	return t.Service + ": " + t.Text
}

// PlanInit decides what init adds to spec's compose files: the file that
// declares each service gets its keys, and the environment goes to the
// file that holds the top-level x-prodlike (else the first compose file).
// Keys any of the files already give are left out.
func PlanInit(spec *Spec, opts InitOptions) *InitPlan {
	src := spec.src
	if src == nil {
		src = &sources{rel: func(p string) string { return p }}
	}
	var svcs []initService
	for _, name := range serviceOrder(spec) {
		svc, _ := spec.Service(name)
		is := initService{Name: name, Kind: svc.Kind, Engine: svc.Engine, Prod: svc.Prod, Has: map[string]bool{}}
		for _, k := range []string{"app", "health", "prod", "standin"} {
			if _, _, v := src.lookup("services", name, extensionKey, k); v != nil {
				is.Has[k] = true
			}
		}
		for _, b := range svc.Buckets {
			is.Buckets = append(is.Buckets, b.Name)
		}
		for _, q := range svc.Queues {
			is.Queues = append(is.Queues, q.Name)
		}
		if svc.Kind == KindApp {
			_, _, hc := src.lookup("services", name, "healthcheck")
			is.Health = healthPath(hc)
		}
		svcs = append(svcs, is)
	}
	var existing *Environment
	if env, ok := spec.Environment(opts.Env); ok && opts.Env != "" {
		existing = &env
	}
	d := decideInit(svcs, existing, opts)

	out := &InitPlan{Cloud: d.cloud, Todo: d.todo}
	files := map[string]*FileAnnotations{}
	target := func(path string) (*FileAnnotations, bool) {
		if !isMainFile(src, path) {
			return nil, false
		}
		if files[path] == nil {
			files[path] = &FileAnnotations{Path: path, Shown: src.rel(path)}
		}
		return files[path], true
	}
	for _, sa := range d.services {
		// The file whose x-prodlike compose uses, else the declaring one.
		file, _, x := src.lookup("services", sa.Service, extensionKey)
		if x == nil {
			file = src.declaring(sa.Service)
		}
		if f, ok := target(file); ok {
			f.Services = append(f.Services, sa)
			continue
		}
		what := "x-prodlike: " + FlowMapping(sa.Keys)
		if x != nil {
			what = strings.Trim(FlowMapping(sa.Keys), "{ }") + " to its x-prodlike"
		}
		out.Todo = append(out.Todo, Todo{Service: sa.Service, Text: fmt.Sprintf(
			"declared in %s, which a compose file includes; init writes only the compose files themselves: add %s there", src.rel(file), what)})
	}
	if d.env != nil {
		file, _, x := src.lookup(extensionKey, "environments")
		if x == nil {
			file, _, _ = src.lookup(extensionKey)
		}
		if file == "" {
			file = src.mainFile()
		}
		if f, ok := target(file); ok {
			f.Environment = d.env
		} else {
			out.Todo = append(out.Todo, Todo{Text: fmt.Sprintf("x-prodlike is in %s, which a compose file includes; add environments: { %s: %s } there",
				src.rel(file), flowScalar(d.env.Name), FlowMapping(d.env.Keys))})
		}
	}
	for _, f := range src.files {
		if fa := files[f.path]; fa != nil {
			out.Files = append(out.Files, *fa)
		}
	}
	return out
}

// serviceOrder is the spec's services in the order the files declare them.
func serviceOrder(spec *Spec) []string {
	var names []string
	if spec.src != nil {
		for _, n := range spec.src.keyOrder("services") {
			if _, ok := spec.Service(n); ok {
				names = append(names, n)
			}
		}
	}
	for _, s := range spec.Services {
		if !slices.Contains(names, s.Name) {
			names = append(names, s.Name)
		}
	}
	return names
}

func isMainFile(src *sources, path string) bool {
	for _, f := range src.files {
		if f.path == path {
			return f.main
		}
	}
	return false
}

// healthURL finds an HTTP URL in a healthcheck command.
var healthURL = regexp.MustCompile(`https?://[^\s/'"]+(/[^\s'"]*)?`)

// healthPath is the HTTP path a compose healthcheck probes (curl or wget of
// http://localhost:8080/healthz gives /healthz), or "" when it probes none
// or several, is disabled, or the path depends on a variable.
func healthPath(hc *yaml.Node) string {
	if hc == nil {
		return ""
	}
	var h struct {
		Test    any  `yaml:"test"`
		Disable bool `yaml:"disable"`
	}
	if hc.Decode(&h) != nil || h.Disable {
		return ""
	}
	var words []string
	switch t := h.Test.(type) {
	case string:
		words = []string{t}
	case []any:
		for _, w := range t {
			if s, ok := w.(string); ok {
				words = append(words, s)
			}
		}
	}
	var paths []string
	for _, w := range words {
		for _, m := range healthURL.FindAllStringSubmatch(w, -1) {
			p := m[1]
			if p == "" {
				p = "/"
			}
			paths = append(paths, p)
		}
	}
	paths = slices.Compact(slices.Sorted(slices.Values(paths)))
	if len(paths) != 1 || strings.Contains(paths[0], "$") {
		return ""
	}
	return paths[0]
}

// initService is what init knows of a service from the compose files.
type initService struct {
	Name   string
	Kind   Kind
	Engine string // postgres; redis or valkey; versitygw or minio; sqs
	// Has are the x-prodlike keys the compose files already give it.
	Has map[string]bool
	// Prod are its x-prodlike.prod addresses, when it has them.
	Prod []string
	// Buckets and Queues are the names it declares.
	Buckets []string
	Queues  []string
	// Health is the path its compose healthcheck probes (app only).
	Health string
}

// initDecision is what decideInit decided.
type initDecision struct {
	cloud    string
	services []ServiceAnnotation // services with keys to add, in order
	env      *EnvironmentAnnotation
	todo     []Todo
}

// standinIDs are the x-prodlike.standin identifiers of each cloud, by kind
// and engine ("" matches any engine).
var standinIDs = map[string]map[Kind]map[string]string{
	"aws": {
		KindPostgres: {"": "aws.rds-postgres"},
		KindRedis:    {"": "aws.elasticache"},
		KindS3:       {"": "aws.s3"},
		KindSQS:      {"": "aws.sqs"},
	},
	"gcp": {
		KindPostgres: {"": "gcp.cloudsql-postgres"},
		KindRedis:    {"redis": "gcp.memorystore-redis", "valkey": "gcp.memorystore-valkey"},
	},
	"azure": {
		KindPostgres: {"": "azure.postgres-flexible"},
		KindRedis:    {"redis": "azure.cache-redis"},
	},
}

// standinID is the cloud's identifier for a stand-in of kind and engine,
// given the prod resources it was matched to (an Aurora cluster makes
// aws.aurora-postgres); "" when the cloud has none.
func standinID(cloud string, kind Kind, engine string, prod []ProdResource) string {
	if cloud == "aws" && kind == KindPostgres {
		for _, r := range prod {
			if r.Type == "aws_rds_cluster" && strings.HasPrefix(r.Engine, "aurora") {
				return "aws.aurora-postgres"
			}
		}
	}
	ids := standinIDs[cloud][kind]
	if id, ok := ids[engine]; ok {
		return id
	}
	return ids[""]
}

// kindResources names the resource types each kind matches, for messages.
var kindResources = map[Kind]string{
	KindPostgres: "aws_db_instance or aws_rds_cluster",
	KindRedis:    "aws_elasticache_replication_group, aws_elasticache_cluster or aws_elasticache_serverless_cache",
	KindS3:       "aws_s3_bucket",
	KindSQS:      "aws_sqs_queue",
	KindApp:      "aws_ecs_task_definition or aws_lambda_function",
}

// decideInit decides, without touching files, what init adds to each
// service and whether it adds the environment. existing is the environment
// of that name the project already declares, if any.
func decideInit(svcs []initService, existing *Environment, opts InitOptions) initDecision {
	var d initDecision
	todo := func(service, format string, args ...any) {
		d.todo = append(d.todo, Todo{Service: service, Text: fmt.Sprintf(format, args...)})
	}
	tf := opts.Terraform

	d.cloud = opts.Cloud
	switch {
	case d.cloud != "":
		if len(opts.TerraformClouds) > 0 && !slices.Contains(opts.TerraformClouds, d.cloud) {
			todo("", "--cloud is %s, but %s holds %s resources", d.cloud, tf, strings.Join(opts.TerraformClouds, " and "))
		}
	case len(opts.TerraformClouds) == 1:
		d.cloud = opts.TerraformClouds[0]
	default:
		d.cloud = "aws"
		if len(opts.TerraformClouds) > 1 {
			todo("", "%s holds resources of %s; stand-ins are annotated for aws (choose with --cloud)", tf, strings.Join(opts.TerraformClouds, " and "))
		}
	}
	match := tf != "" && d.cloud == "aws"
	if tf != "" && !match {
		todo("", "prodlike's Terraform reader knows AWS resources only: no prod addresses for %s; describe prod inline under x-prodlike.environments.%s.services", d.cloud, opts.Env)
	}

	prod := map[string][]ProdResource{}
	if match {
		prod = matchProd(svcs, opts.Resources, tf, todo)
	}

	for _, s := range svcs {
		var keys []KeyValue
		if s.Kind == KindApp {
			if !s.Has["app"] {
				keys = append(keys, KeyValue{"app", true})
			}
		} else if !s.Has["standin"] {
			if id := standinID(d.cloud, s.Kind, s.Engine, prod[s.Name]); id != "" {
				keys = append(keys, KeyValue{"standin", id})
			} else {
				what := string(s.Kind)
				if s.Kind == KindRedis {
					what = s.Engine // valkey on azure
				}
				todo(s.Name, "%s has no stand-in identifier for %s; left as it is (a plain %s stand-in)", d.cloud, what, s.Kind)
			}
		}
		if rs := prod[s.Name]; len(rs) > 0 && !s.Has["prod"] {
			addrs := make([]string, len(rs))
			for i, r := range rs {
				addrs[i] = r.Address
			}
			if len(addrs) == 1 {
				keys = append(keys, KeyValue{"prod", addrs[0]})
			} else {
				keys = append(keys, KeyValue{"prod", addrs})
			}
		}
		if s.Kind == KindApp && !s.Has["health"] {
			if s.Health != "" {
				keys = append(keys, KeyValue{"health", s.Health})
			} else {
				todo(s.Name, "no health path: its compose healthcheck probes no HTTP URL init can read; add health: /healthz (the path that answers 2xx once the app is ready) to its x-prodlike")
			}
		}
		if len(keys) > 0 {
			d.services = append(d.services, ServiceAnnotation{Service: s.Name, Keys: keys})
		}
	}

	switch {
	case tf == "" && existing == nil:
		todo("", "no %s environment: write its Terraform JSON (terraform show -json > infra/%s.json) and run prodlike init --terraform infra/%s.json", opts.Env, opts.Env, opts.Env)
	case tf == "":
	case existing != nil && existing.Terraform == "":
		todo("", "environment %s exists without a Terraform file; left as it is: add terraform: %s to it yourself", opts.Env, flowScalar(filepath.ToSlash(tf)))
	case existing != nil:
		if filepath.Clean(existing.Terraform) != filepath.Clean(tf) {
			todo("", "environment %s exists (terraform: %s); left as it is, while prod addresses were matched in %s", opts.Env, existing.Terraform, tf)
		}
	default:
		env := &EnvironmentAnnotation{Name: opts.Env, Keys: []KeyValue{{"cloud", d.cloud}}}
		if region := envRegion(opts, todo); region != "" {
			env.Keys = append(env.Keys, KeyValue{"region", region})
		}
		env.Keys = append(env.Keys, KeyValue{"terraform", filepath.ToSlash(tf)})
		d.env = env
	}
	return d
}

// envRegion is the environment's region: --region, else the one the
// resources agree on.
func envRegion(opts InitOptions, todo func(service, format string, args ...any)) string {
	var regions []string
	for _, r := range opts.Resources {
		if r.Region != "" && !slices.Contains(regions, r.Region) {
			regions = append(regions, r.Region)
		}
	}
	slices.Sort(regions)
	switch {
	case opts.Region != "":
		if len(regions) > 0 && !slices.Equal(regions, []string{opts.Region}) {
			todo("", "environment %s: region %s from --region, while %s's resources are in %s", opts.Env, opts.Region, opts.Terraform, strings.Join(regions, ", "))
		}
		return opts.Region
	case len(regions) == 1:
		return regions[0]
	case len(regions) > 1:
		todo("", "environment %s: no region written: %s's resources are in %s; add region: yourself (or run init with --region)", opts.Env, opts.Terraform, strings.Join(regions, ", "))
	default:
		todo("", "environment %s: no region written: no resource in %s says its region; add region: yourself (or run init with --region)", opts.Env, opts.Terraform)
	}
	return ""
}

// matchProd finds the prod resources of each service that has no
// x-prodlike.prod: buckets and queues by the names the service declares,
// everything else by name (the service's name against the resource's
// names), or because it is the only candidate. What it cannot tell is
// reported, with the candidates.
func matchProd(svcs []initService, resources []ProdResource, file string, todo func(service, format string, args ...any)) map[string][]ProdResource {
	out := map[string][]ProdResource{}
	var claims []string
	for _, s := range svcs {
		claims = append(claims, s.Prod...)
	}
	free := map[Kind][]ProdResource{}
	for _, r := range resources {
		if !claimed(r.Address, claims) {
			free[r.Kind] = append(free[r.Kind], r)
		}
	}
	take := func(kind Kind, rs []ProdResource) {
		free[kind] = slices.DeleteFunc(free[kind], func(r ProdResource) bool {
			return slices.ContainsFunc(rs, func(x ProdResource) bool { return x.Address == r.Address })
		})
	}

	byKind := map[Kind][]initService{}
	for _, s := range svcs {
		if s.Has["prod"] {
			continue
		}
		devs := s.Buckets
		if s.Kind == KindSQS {
			devs = s.Queues
		}
		if (s.Kind == KindS3 || s.Kind == KindSQS) && len(devs) > 0 {
			rs := matchDevNames(s, devs, free[s.Kind], file, todo)
			out[s.Name] = rs
			take(s.Kind, rs)
			continue
		}
		byKind[s.Kind] = append(byKind[s.Kind], s)
	}
	for _, kind := range []Kind{KindPostgres, KindRedis, KindS3, KindSQS, KindApp} {
		ss := byKind[kind]
		if len(ss) == 0 {
			continue
		}
		cands := free[kind]
		got := assignByName(ss, cands)
		for _, s := range ss {
			if r, ok := got[s.Name]; ok {
				out[s.Name] = []ProdResource{r}
				continue
			}
			switch {
			case len(cands) == 0:
				todo(s.Name, "%s has no %s for it; no prod address written", file, kindResources[kind])
			case (kind == KindS3 || kind == KindSQS) && len(ss) == 1:
				what := map[Kind]string{KindS3: "buckets", KindSQS: "queues"}[kind]
				todo(s.Name, "declares no %s, and %s has several %s (%s): declare the ones it uses with x-prodlike.%s and set x-prodlike.prod to them (without prod it takes every %s)",
					what, file, kindResources[kind], addresses(cands), what, kindResources[kind])
			default:
				todo(s.Name, "cannot tell which %s is its prod (%s); set x-prodlike.prod to the one it stands for", kindResources[kind], addresses(ambiguous(s, cands)))
			}
		}
	}
	return out
}

// claimed reports whether an x-prodlike.prod address already names the
// resource: itself, its resource without the key, or a module holding it.
func claimed(addr string, claims []string) bool {
	for _, c := range claims {
		c = strings.TrimSpace(c)
		if addr == c || strings.HasPrefix(addr, c+"[") || strings.HasPrefix(addr, c+".") {
			return true
		}
	}
	return false
}

// assignByName pairs services with resources of their kind: the only
// resource to the only service; otherwise a service and a resource whose
// names match better than any other pairing of either; then, when one
// service and one resource are left, those two.
func assignByName(svcs []initService, cands []ProdResource) map[string]ProdResource {
	got := map[string]ProdResource{}
	if len(svcs) == 1 && len(cands) == 1 {
		got[svcs[0].Name] = cands[0]
		return got
	}
	used := make([]bool, len(cands))
	for i, s := range svcs {
		best, at := bestMatches(s, cands)
		if best == 0 || len(at) != 1 {
			continue
		}
		j := at[0]
		unique := true
		for k, other := range svcs {
			if k != i && nameScore(other.Name, cands[j]) >= best {
				unique = false
			}
		}
		if unique {
			got[s.Name] = cands[j]
			used[j] = true
		}
	}
	var leftSvc []initService
	var leftCand []ProdResource
	for _, s := range svcs {
		if _, ok := got[s.Name]; !ok {
			leftSvc = append(leftSvc, s)
		}
	}
	for j, c := range cands {
		if !used[j] {
			leftCand = append(leftCand, c)
		}
	}
	if len(leftSvc) == 1 && len(leftCand) == 1 && len(got) > 0 {
		got[leftSvc[0].Name] = leftCand[0]
	}
	return got
}

// bestMatches returns the best name score of s among cands and where it is.
func bestMatches(s initService, cands []ProdResource) (best int, at []int) {
	for j, c := range cands {
		switch sc := nameScore(s.Name, c); {
		case sc > best:
			best, at = sc, []int{j}
		case sc == best && sc > 0:
			at = append(at, j)
		}
	}
	return best, at
}

// ambiguous lists the candidates to show for a service init could not
// match: the best-named ones, else all.
func ambiguous(s initService, cands []ProdResource) []ProdResource {
	best, at := bestMatches(s, cands)
	if best == 0 {
		return cands
	}
	out := make([]ProdResource, len(at))
	for i, j := range at {
		out[i] = cands[j]
	}
	return out
}

// nameScore says how well a service name matches a resource: 2 when it is
// one of the resource's names (db for module.db, cache for
// aws_elasticache_replication_group.cache), 1 when a name contains it as a
// whole word (cache in shop-prod-cache), 0 otherwise.
func nameScore(service string, r ProdResource) int {
	s := normName(service)
	score := 0
	for _, n := range append([]string{r.Name}, r.Keys...) {
		n = normName(n)
		switch {
		case n == "":
		case n == s:
			return 2
		case containsWords(n, s):
			score = 1
		}
	}
	return score
}

func normName(s string) string {
	return strings.NewReplacer("_", "-", ".", "-").Replace(strings.ToLower(s))
}

// containsWords reports whether the dash-separated words of sub appear in
// s in a row.
func containsWords(s, sub string) bool {
	return strings.Contains("-"+s+"-", "-"+sub+"-")
}

// matchDevNames finds the prod buckets or queues of a service that
// declares them, by name: the same name, then a Terraform key, resource or
// module name equal to the dev name (- and _ alike), then a prod name
// ending in -<dev> or .<dev> (shop-prod-uploads for uploads), as the prod
// truth reader pairs them. The result follows the declared order.
func matchDevNames(s initService, devs []string, cands []ProdResource, file string, todo func(service, format string, args ...any)) []ProdResource {
	fifo := s.Kind == KindSQS
	what := "bucket"
	if fifo {
		what = "queue"
	}
	norm := func(n string) string {
		if fifo {
			n = strings.TrimSuffix(n, ".fifo")
		}
		return strings.ReplaceAll(n, "_", "-")
	}
	isFIFO := func(n string) bool { return fifo && strings.HasSuffix(n, ".fifo") }
	passes := []func(r ProdResource, dev string) bool{
		func(r ProdResource, dev string) bool { return r.Name != "" && r.Name == dev },
		func(r ProdResource, dev string) bool {
			return slices.ContainsFunc(r.Keys, func(k string) bool { return k != "" && norm(k) == norm(dev) })
		},
		func(r ProdResource, dev string) bool {
			n, d := norm(r.Name), norm(dev)
			return strings.HasSuffix(n, "-"+d) || strings.HasSuffix(n, "."+d)
		},
	}
	devProd := make([]int, len(devs))
	for i := range devProd {
		devProd[i] = -1
	}
	used := make([]bool, len(cands))
	type pair struct{ c, d int }
	for _, ok := range passes {
		var pairs []pair
		for c, r := range cands {
			for d, dev := range devs {
				if !used[c] && devProd[d] < 0 && ok(r, dev) {
					pairs = append(pairs, pair{c, d})
				}
			}
		}
		// Pairs that agree on FIFO first, then longer (more specific) dev
		// names: shop-jobs-dlq is jobs-dlq's, not dlq's.
		slices.SortStableFunc(pairs, func(a, b pair) int {
			ma := isFIFO(cands[a.c].Name) != isFIFO(devs[a.d])
			mb := isFIFO(cands[b.c].Name) != isFIFO(devs[b.d])
			if ma != mb {
				if ma {
					return 1
				}
				return -1
			}
			return len(norm(devs[b.d])) - len(norm(devs[a.d]))
		})
		for _, p := range pairs {
			if !used[p.c] && devProd[p.d] < 0 {
				used[p.c], devProd[p.d] = true, p.c
			}
		}
	}
	var out []ProdResource
	var unmatched []string
	for d, c := range devProd {
		if c < 0 {
			unmatched = append(unmatched, fmt.Sprintf("%q", devs[d]))
			continue
		}
		out = append(out, cands[c])
	}
	switch {
	case len(out) == 0 && len(cands) == 0:
		todo(s.Name, "%s has no %s left for it; no prod address written", file, kindResources[s.Kind])
	case len(out) == 0:
		todo(s.Name, "none of its %ss matches a %s in %s (%s); set x-prodlike.prod to the ones it stands for", what, kindResources[s.Kind], file, addresses(cands))
	case len(unmatched) > 0:
		todo(s.Name, "%s %s matches no %s in %s; add its address to x-prodlike.prod if prod has it", what, strings.Join(unmatched, ", "), kindResources[s.Kind], file)
	}
	return out
}

func addresses(rs []ProdResource) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Address
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}
