package config

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/distribution/reference"
)

// extensionKey is the compose extension prodlike reads, on services and at
// the top level.
const extensionKey = "x-prodlike"

// serviceExt is a service's x-prodlike extension, decoded and type-checked
// but not yet validated against the rest of the service.
type serviceExt struct {
	App        bool              // app: this service is the app
	Ignore     bool              // ignore: leave the service out
	Health     string            // health: the app's HTTP health path
	Standin    string            // standin: stand-in identifier
	Engine     string            // engine: redis or valkey (aws.elasticache), versitygw or minio (s3)
	Version    string            // version: production engine version
	Image      string            // image: stand-in image override
	Parameters map[string]string // parameters: engine parameters
	Env        map[string]string // env: variable renames
	Prod       []string          // prod: prod resource address(es)
	Buckets    []Bucket          // buckets: object storage buckets (s3)
	Queues     []Queue           // queues: message queues (sqs)

	// set records which keys were present.
	set map[string]bool
}

var serviceExtKeys = []string{"app", "buckets", "engine", "env", "health", "ignore", "image", "parameters", "prod", "queues", "standin", "version"}

// problem is a validation failure at a path below the service (or below the
// document root for project-level problems), turned into an *Error once its
// location is known.
type problem struct {
	path []string
	msg  string
}

func (p problem) field() string { return strings.Join(p.path, ".") }

// scalarText gives the text of a scalar as written in the compose file, for
// numbers that YAML would otherwise reformat (7.0 → 7). path is relative to
// the x-prodlike mapping being decoded.
type scalarText func(path ...string) (string, bool)

// decodeServiceExt decodes a service's x-prodlike value (nil when absent).
// Unknown keys are reported separately so that a caller can drop them for a
// stand-in kind this version does not know the keys of yet.
func decodeServiceExt(v any, text scalarText) (x serviceExt, problems, unknown []problem) {
	x.set = map[string]bool{}
	if v == nil {
		return x, nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return x, []problem{{path: []string{extensionKey}, msg: fmt.Sprintf("want a mapping such as {app: true} or {standin: postgres}, got %s", describe(v))}}, nil
	}
	bad := func(key, format string, args ...any) {
		problems = append(problems, problem{path: []string{extensionKey, key}, msg: fmt.Sprintf(format, args...)})
	}
	for _, key := range sortedKeys(m) {
		val := m[key]
		x.set[key] = true
		switch key {
		case "app":
			x.App, ok = val.(bool)
			if !ok {
				bad(key, "want true or false, got %s", describe(val))
			}
		case "ignore":
			x.Ignore, ok = val.(bool)
			if !ok {
				bad(key, "want true or false, got %s", describe(val))
			}
		case "health":
			x.Health, ok = val.(string)
			if !ok || !strings.HasPrefix(x.Health, "/") {
				bad(key, "want an HTTP path starting with \"/\" (e.g. /healthz), got %s", describe(val))
			}
		case "standin":
			x.Standin, ok = val.(string)
			if !ok || x.Standin == "" {
				bad(key, "want a stand-in name, got %s; known: %s", describe(val), strings.Join(knownStandins(), ", "))
			}
		case "engine":
			x.Engine, ok = val.(string)
			if !ok || x.Engine == "" {
				bad(key, "want redis or valkey (aws.elasticache), or versitygw or minio (s3), got %s", describe(val))
			}
		case "version":
			x.Version, ok = scalarString(val, text, key)
			if !ok || !startsWithDigit(x.Version) {
				bad(key, "want the production engine version, such as \"16.4\" or \"7.1\", got %s", describe(val))
			}
		case "image":
			x.Image, ok = val.(string)
			if !ok || x.Image == "" {
				bad(key, "want an image reference such as postgres:16.4, got %s", describe(val))
			}
		case "prod":
			x.Prod, ok = oneOrList(val)
			if !ok || len(x.Prod) == 0 || slices.Contains(x.Prod, "") {
				bad(key, "want a prod resource address (e.g. aws_db_instance.main) or a list of them, got %s", describe(val))
			}
		case "buckets":
			var ps []problem
			x.Buckets, ps = decodeBuckets(val)
			problems = append(problems, ps...)
		case "queues":
			var ps []problem
			x.Queues, ps = decodeQueues(val)
			problems = append(problems, ps...)
		case "parameters":
			var ps []problem
			x.Parameters, ps = decodeParameters(val, text, key)
			for _, p := range ps {
				problems = append(problems, problem{path: append([]string{extensionKey}, p.path...), msg: p.msg})
			}
		case "env":
			names, ok := val.(map[string]any)
			if !ok {
				bad(key, "want a mapping from the stand-in's variable to the name your app reads (e.g. {DATABASE_URL: PRIMARY_DB_URL}), got %s", describe(val))
				continue
			}
			x.Env = map[string]string{}
			for _, from := range sortedKeys(names) {
				to, ok := names[from].(string)
				switch {
				case !envName.MatchString(from):
					problems = append(problems, problem{path: []string{extensionKey, key, from}, msg: "not a valid environment variable name"})
				case !ok || !envName.MatchString(to):
					problems = append(problems, problem{
						path: []string{extensionKey, key, from},
						msg:  fmt.Sprintf("want the variable name to use instead of %s (letters, digits, underscores), got %s", from, describe(names[from])),
					})
				default:
					x.Env[from] = to
				}
			}
		default:
			unknown = append(unknown, problem{
				path: []string{extensionKey, key},
				msg:  "unknown key; allowed keys are " + strings.Join(serviceExtKeys, ", "),
			})
		}
	}
	return x, problems, unknown
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// projectExt is the top-level x-prodlike extension.
type projectExt struct {
	ImageMirror  string
	Environments []Environment
	Waivers      []Waiver
}

var (
	projectExtKeys  = []string{"environments", "image-mirror", "waive"}
	environmentKeys = []string{"cloud", "gitops", "image", "region", "services", "terraform"}
	gitOpsKeys      = []string{"file", "image", "key"}
	clouds          = []string{"aws", "gcp", "azure"}
)

// decodeProjectExt decodes the top-level x-prodlike value. order lists the
// environment names in file order (compose-go's maps have none); names
// missing from it follow, sorted.
func decodeProjectExt(v any, order []string, text scalarText) (x projectExt, problems []problem) {
	if v == nil {
		return x, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return x, []problem{{path: []string{extensionKey}, msg: fmt.Sprintf("want a mapping with %s, got %s", strings.Join(projectExtKeys, ", "), describe(v))}}
	}
	bad := func(path []string, format string, args ...any) {
		problems = append(problems, problem{path: append([]string{extensionKey}, path...), msg: fmt.Sprintf(format, args...)})
	}
	for _, key := range sortedKeys(m) {
		val := m[key]
		switch key {
		case "image-mirror":
			x.ImageMirror, ok = val.(string)
			if !ok {
				bad([]string{key}, "want a registry prefix such as mirror.example.com/dockerhub, got %s", describe(val))
			}
		case "environments":
			envs, ok := val.(map[string]any)
			if !ok {
				bad([]string{key}, "want a mapping of environment names to {cloud, region, terraform, image, gitops}, got %s", describe(val))
				continue
			}
			names := slices.Clone(order)
			names = slices.DeleteFunc(names, func(n string) bool { _, ok := envs[n]; return !ok })
			for _, n := range sortedKeys(envs) {
				if !slices.Contains(names, n) {
					names = append(names, n)
				}
			}
			for _, name := range names {
				env, ps := decodeEnvironment(name, envs[name], func(path ...string) (string, bool) {
					return text(append([]string{key, name}, path...)...)
				})
				for _, p := range ps {
					bad(append([]string{key, name}, p.path...), "%s", p.msg)
				}
				// Kept even when broken, so that the checks against the
				// project's services report their problems too.
				x.Environments = append(x.Environments, env)
			}
		case "waive":
			var ps []problem
			x.Waivers, ps = decodeWaivers(val)
			for _, p := range ps {
				bad(append([]string{key}, p.path...), "%s", p.msg)
			}
		default:
			bad([]string{key}, "unknown key; allowed keys are %s", strings.Join(projectExtKeys, ", "))
		}
	}
	return x, problems
}

func decodeEnvironment(name string, v any, text scalarText) (env Environment, problems []problem) {
	env.Name = name
	m, ok := v.(map[string]any)
	if !ok {
		return env, []problem{{msg: fmt.Sprintf("want a mapping such as {cloud: aws, region: eu-west-1, terraform: infra/prod.tfstate.json}, got %s", describe(v))}}
	}
	for _, key := range sortedKeys(m) {
		switch key {
		case "services":
			var ps []problem
			env.Services, ps = decodeProdServices(m[key], func(path ...string) (string, bool) { return text(append([]string{key}, path...)...) })
			for _, p := range ps {
				problems = append(problems, problem{path: append([]string{key}, p.path...), msg: p.msg})
			}
			continue
		case "image":
			var p *problem
			env.Image, p = decodeTarget(name, m[key])
			if p != nil {
				problems = append(problems, problem{path: []string{key}, msg: p.msg})
			}
			continue
		case "gitops":
			var ps []problem
			env.GitOps, ps = decodeGitOps(m[key])
			for _, p := range ps {
				problems = append(problems, problem{path: append([]string{key}, p.path...), msg: p.msg})
			}
			if m["image"] == nil {
				problems = append(problems, problem{path: []string{key}, msg: "needs the environment's image: too (where promote copies the image), e.g. image: registry.example.com/shop/api"})
			}
			continue
		}
		s, ok := m[key].(string)
		switch key {
		case "cloud":
			env.Cloud = s // checked below
			continue
		case "region":
			env.Region = s
		case "terraform":
			env.Terraform = s
		default:
			problems = append(problems, problem{path: []string{key}, msg: "unknown key; allowed keys are " + strings.Join(environmentKeys, ", ")})
			continue
		}
		if !ok {
			problems = append(problems, problem{path: []string{key}, msg: "want a string, got " + describe(m[key])})
		}
	}
	switch c := m["cloud"]; {
	case c == nil:
		problems = append(problems, problem{path: []string{"cloud"}, msg: "missing; set it to one of " + strings.Join(clouds, ", ")})
	case !slices.Contains(clouds, env.Cloud):
		problems = append(problems, problem{path: []string{"cloud"}, msg: fmt.Sprintf("unknown cloud %s; want one of %s", describe(c), strings.Join(clouds, ", "))})
	}
	return env, problems
}

// decodeTarget decodes environments.<env>.image: the repository, with or
// without a tag, that promote copies an image to. A digest is refused:
// the digest is what promote brings, not part of where it goes.
func decodeTarget(env string, v any) (string, *problem) {
	s, ok := v.(string)
	if !ok || s == "" {
		return "", &problem{msg: fmt.Sprintf("want the repository promote copies the image to, such as registry.example.com/shop/api (tagged %s) or registry.example.com/shop/api:%s, got %s", env, env, describe(v))}
	}
	if strings.Contains(s, "://") {
		return s, &problem{msg: fmt.Sprintf("%q: an image reference has no scheme; write it as registry.example.com/shop/api", s)}
	}
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return s, &problem{msg: fmt.Sprintf("invalid image reference %q: %v; write it as REGISTRY/REPOSITORY[:TAG]", s, err)}
	}
	if _, ok := named.(reference.Digested); ok {
		return s, &problem{msg: fmt.Sprintf("%q names a digest; promote copies the digest that passed parity, so name only the repository and, if you like, a tag", s)}
	}
	return s, nil
}

// decodeGitOps decodes environments.<env>.gitops: {file, image} for a
// kustomization's images: entry, or {file, key} for a Helm values key.
// File is resolved against the project directory later.
func decodeGitOps(v any) (*GitOps, []problem) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, []problem{{msg: fmt.Sprintf("want {file: deploy/prod/kustomization.yaml, image: shop-api} (a kustomization images: entry) or {file: charts/shop/values-prod.yaml, key: image.digest} (a Helm values key), got %s", describe(v))}}
	}
	var problems []problem
	g := &GitOps{}
	for _, key := range sortedKeys(m) {
		s, ok := m[key].(string)
		switch key {
		case "file":
			g.File = s
		case "image":
			g.Image = s
		case "key":
			g.Key = s
		default:
			problems = append(problems, problem{path: []string{key}, msg: "unknown key; allowed keys are " + strings.Join(gitOpsKeys, ", ")})
			continue
		}
		if !ok || s == "" {
			problems = append(problems, problem{path: []string{key}, msg: "want a non-empty string, got " + describe(m[key])})
		}
	}
	if m["file"] == nil {
		problems = append(problems, problem{msg: "missing file: the kustomization.yaml or Helm values file that deploys the environment, relative to the project directory"})
	}
	switch {
	case m["image"] != nil && m["key"] != nil:
		problems = append(problems, problem{msg: "image: and key: exclude each other: image: names a kustomization images: entry, key: a Helm values key; keep one"})
	case m["image"] == nil && m["key"] == nil:
		problems = append(problems, problem{msg: "say what to pin: image: NAME (the name: of a kustomization images: entry) or key: DOTTED.PATH (a Helm values key such as image.digest)"})
	case g.Key != "" && slices.Contains(strings.Split(g.Key, "."), ""):
		problems = append(problems, problem{path: []string{"key"}, msg: fmt.Sprintf("key path %q has an empty key; write it as dotted keys, e.g. image.digest", g.Key)})
	}
	return g, problems
}

// scalarString renders a scalar as text. Numbers take their text from the
// compose file when it has one, so that `version: 7.0` stays "7.0" and
// `version: 16.10` stays "16.10"; without it (a value inherited through
// extends, say) they are formatted, which drops trailing zeros.
func scalarString(v any, text scalarText, path ...string) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case int, int64, uint64, float64:
		if s, ok := text(path...); ok && sameNumber(s, v) {
			return s, true
		}
		switch n := v.(type) {
		case float64:
			return strconv.FormatFloat(n, 'f', -1, 64), true
		default:
			return fmt.Sprint(n), true
		}
	}
	return "", false
}

// sameNumber reports whether text, as written in a file, is the number n
// that compose-go decoded (guarding against attributing the wrong text).
func sameNumber(text string, n any) bool {
	f, err := strconv.ParseFloat(strings.ReplaceAll(text, "_", ""), 64)
	if err != nil {
		return false
	}
	switch n := n.(type) {
	case int:
		return f == float64(n)
	case int64:
		return f == float64(n)
	case uint64:
		return f == float64(n)
	case float64:
		return f == n
	}
	return false
}

// oneOrList reads a string or a list of strings.
func oneOrList(v any) ([]string, bool) {
	if s, ok := v.(string); ok {
		return []string{s}, true
	}
	return stringList(v)
}

// describe names a decoded YAML value for messages.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "nothing"
	case string:
		return strconv.Quote(v)
	case bool:
		return strconv.FormatBool(v)
	case int, int64, uint64, float64:
		return fmt.Sprint(v)
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func startsWithDigit(s string) bool { return s != "" && s[0] >= '0' && s[0] <= '9' }
