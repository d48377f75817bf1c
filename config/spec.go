// Package config loads a project's compose file(s) and the x-prodlike
// extensions in them, validates what prodlike needs, and produces a Spec: the
// pure description of the stack that every later stage works from.
package config

// Kind is the sort of stand-in a service gets (or KindApp for the user's own
// service).
type Kind string

const (
	KindApp      Kind = "app"
	KindPostgres Kind = "postgres"
	KindRedis    Kind = "redis"
	KindS3       Kind = "s3"
	KindSQS      Kind = "sqs"
)

// Spec is a loaded and validated project.
type Spec struct {
	// Project is the compose project name (name:, -p, COMPOSE_PROJECT_NAME or
	// the directory name, as compose derives it).
	Project string
	// Dir is the project's working directory (where relative paths start).
	Dir string
	// Files are the compose files that were read, in order.
	Files []string
	// ImageMirror is the registry prefix for stand-in images from the
	// top-level x-prodlike.image-mirror ("" for none). The CLI flag and the
	// PRODLIKE_IMAGE_MIRROR variable override it.
	ImageMirror string
	// Environments are the deployment environments declared under
	// x-prodlike.environments, in file order.
	Environments []Environment
	// Waivers accept parity findings with a reason (x-prodlike.waive).
	Waivers []Waiver
	// Services are the services prodlike runs, sorted by name. Services
	// marked x-prodlike.ignore are left out.
	Services []Service

	src *sources
}

// Where locates a key of the compose files for a message: the file (relative
// to the working directory) and 1-based line that set path last, e.g.
// Where("services", "db", "x-prodlike", "prod"). It falls back to the closest
// enclosing key, and the line is 0 when not even that is found (a Spec built
// by hand).
func (s *Spec) Where(path ...string) (file string, line int) {
	if s.src == nil {
		if len(s.Files) > 0 {
			return s.Files[0], 0
		}
		return "", 0
	}
	return s.src.where(path...)
}

// Environment is a deployment target (staging, prod) and where its truth
// lives.
type Environment struct {
	Name      string
	Cloud     string // aws, gcp, azure
	Region    string
	Terraform string // path to a Terraform state or plan JSON, relative to Dir
	// Services are the inline prod truth by compose service name
	// (environments.<env>.services); nil when the file gives none.
	Services map[string]ProdService
	// Image is where `prodlike promote` copies an image for this
	// environment: a repository (registry.example.com/shop/api), which gets
	// the environment's name as its tag, or a repository with a tag. ""
	// when the environment is not a promotion target.
	Image string
	// GitOps is the file that deploys the environment, in which promote
	// pins the promoted digest; nil for none.
	GitOps *GitOps
}

// GitOps names the file that deploys an environment and what in it pins
// the image (environments.<env>.gitops): a kustomization images: entry by
// name, or a Helm values key. Exactly one of Image and Key is set.
type GitOps struct {
	// File is the path as written: relative to the project directory, or
	// absolute. Path is File resolved against Spec.Dir.
	File string
	Path string
	// Image is the name: of the kustomization's images: entry.
	Image string
	// Key is the dotted key path of a Helm values file (image.digest).
	Key string
}

// EnvironmentNames returns the environments' names in the order the
// compose file declares them (dev, staging, prod): the order promotions
// move an image in.
func (s *Spec) EnvironmentNames() []string {
	names := make([]string, 0, len(s.Environments))
	for _, e := range s.Environments {
		names = append(names, e.Name)
	}
	return names
}

// PromotedBefore returns the promotion target an image reaches before the
// named environment: the closest environment declared before it that has
// an image: target. ok is false for the first target, or an unknown name.
func (s *Spec) PromotedBefore(name string) (env Environment, ok bool) {
	for _, e := range s.Environments {
		if e.Name == name {
			return env, ok
		}
		if e.Image != "" {
			env, ok = e, true
		}
	}
	return Environment{}, false
}

// Environment returns the named environment, or the first declared when
// name is ""; ok is false when there is no such environment.
func (s *Spec) Environment(name string) (env Environment, ok bool) {
	for _, e := range s.Environments {
		if name == "" || e.Name == name {
			return e, true
		}
	}
	return Environment{}, false
}

// Service is one compose service as prodlike understands it.
type Service struct {
	Name string
	Kind Kind
	// Standin is the stand-in identifier as declared (aws.rds-postgres,
	// aws.elasticache, postgres, redis, valkey …) or, when inferred from the
	// image, the plain kind. Empty for the app.
	Standin string
	// Engine distinguishes engines within a kind: "redis" or "valkey" for
	// KindRedis, "postgres" for KindPostgres.
	Engine string
	// Image is the image reference the service runs: for a stand-in, the
	// compose image with its tag replaced by Version when a prod version is
	// declared (or x-prodlike.image when set); for the app, its compose image
	// or, with a build section and no image, "<project>-<service>". Empty
	// for an s3 or sqs stand-in that names none: the plan chooses.
	Image string
	// Version is the production engine version the stand-in is pinned to
	// (x-prodlike.version, else the image tag). Empty for the app and for
	// kinds without engine versions (s3, sqs).
	Version string
	// Build is set when the service is built from a Dockerfile.
	Build *Build
	// Environment is the compose environment, interpolated, with env_file
	// entries merged as compose does. Nil values (bare names) are dropped.
	Environment map[string]string
	// Command and Entrypoint override the image's when non-nil.
	Command    []string
	Entrypoint []string
	// Ports are the published ports.
	Ports []Port
	// DependsOn are the names of services this one waits for.
	DependsOn []string
	// Health is the app's HTTP health path (x-prodlike.health), "" for none.
	Health string
	// Parameters are engine parameters: Postgres settings (-c name=value) or
	// Redis/Valkey config directives. From x-prodlike.parameters.
	Parameters map[string]string
	// EnvNames renames the variables a stand-in gives the app, keyed by the
	// stand-in's default name (DATABASE_URL → PRIMARY_DB_URL). From
	// x-prodlike.env.
	EnvNames map[string]string
	// TLS makes a Postgres stand-in require TLS, as prod does (set by
	// shaping from prod's rds.force_ssl or inline tls: true).
	TLS bool
	// AuthToken makes a Redis/Valkey stand-in require AUTH with this
	// password, as prod does (set by shaping from prod's auth token).
	AuthToken string
	// Buckets are the buckets an s3 stand-in creates (x-prodlike.buckets).
	Buckets []Bucket
	// Queues are the queues an sqs stand-in creates (x-prodlike.queues).
	Queues []Queue
	// Prod are the prod resource addresses the service corresponds to
	// (x-prodlike.prod: aws_db_instance.main, module.queues, or a list);
	// the prod truth readers join them to the service.
	Prod []string
	// File is the compose file that declared the service (for messages).
	File string
}

// Build is a compose build section.
type Build struct {
	Context    string // absolute path
	Dockerfile string // relative to Context, as compose has it
	Args       map[string]string
	Target     string
}

// Port is a published port.
type Port struct {
	HostIP    string // "" means prodlike's default (127.0.0.1)
	Host      int    // 0 means "any free port"
	Container int
	Protocol  string // tcp or udp
}

// Service returns the named service and whether it exists.
func (s *Spec) Service(name string) (Service, bool) {
	for _, svc := range s.Services {
		if svc.Name == name {
			return svc, true
		}
	}
	return Service{}, false
}

// App returns the app service, if the project has one (validation allows at
// most one).
func (s *Spec) App() (Service, bool) {
	for _, svc := range s.Services {
		if svc.Kind == KindApp {
			return svc, true
		}
	}
	return Service{}, false
}
