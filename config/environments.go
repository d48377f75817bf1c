package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ProdService is the inline prod truth of one compose service, from
// x-prodlike.environments.<env>.services.<service>: what that environment
// runs, for projects without Terraform or to override what Terraform says.
// Unset fields leave the Terraform reading (if any) alone.
type ProdService struct {
	// Engine is postgres or aurora-postgresql, redis or valkey.
	Engine string
	// Version is the engine version prod runs: "16.4", "7.1".
	Version string
	// Parameters are the prod parameter group's values, by name.
	Parameters map[string]string
	// TLS, Auth and ClusterMode are nil when not stated. TLS: the service
	// requires TLS (rds.force_ssl, in-transit encryption); Auth: an AUTH
	// token is required (Redis); ClusterMode: Redis cluster mode.
	TLS         *bool
	Auth        *bool
	ClusterMode *bool
	// Buckets and Queues are prod's, as for a stand-in (x-prodlike.buckets,
	// x-prodlike.queues).
	Buckets []Bucket
	Queues  []Queue
	// Platform is the OS/architecture prod runs the app on: linux/arm64.
	Platform string
	// Env are the variables prod sets for the app; Secrets are the names it
	// fills from a secret store.
	Env     map[string]string
	Secrets []string
	// Line is where the service's entry starts in File, for messages.
	File string
	Line int
}

// prodServiceKeys are the keys of an inline prod service, and the kinds each
// applies to.
var prodServiceKeys = map[string][]Kind{
	"engine":       {KindPostgres, KindRedis},
	"version":      {KindPostgres, KindRedis},
	"parameters":   {KindPostgres, KindRedis},
	"tls":          {KindPostgres, KindRedis},
	"auth":         {KindRedis},
	"cluster-mode": {KindRedis},
	"buckets":      {KindS3},
	"queues":       {KindSQS},
	"platform":     {KindApp},
	"env":          {KindApp},
	"secrets":      {KindApp},
}

// Waiver accepts the findings of one parity check, with a reason, so they no
// longer fail the gate (x-prodlike.waive). Service, Subject and Env narrow it;
// "" matches all.
type Waiver struct {
	Check   string
	Service string
	Subject string
	Env     string
	Reason  string
	// File and Line locate the entry, for messages about it (an unknown
	// check ID).
	File string
	Line int
}

var waiverKeys = []string{"check", "env", "reason", "service", "subject"}

// decodeProdServices decodes environments.<env>.services: a mapping of
// compose service names to their inline prod truth. The services' kinds are
// checked later, once the project's services are known.
func decodeProdServices(v any, text scalarText) (out map[string]ProdService, problems []problem) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, []problem{{msg: fmt.Sprintf("want a mapping of compose service names to what prod runs (e.g. {db: {version: \"16.4\"}}), got %s", describe(v))}}
	}
	out = map[string]ProdService{}
	for _, name := range sortedKeys(m) {
		ps, ps2 := decodeProdService(m[name], func(path ...string) (string, bool) { return text(append([]string{name}, path...)...) })
		for _, p := range ps2 {
			problems = append(problems, problem{path: append([]string{name}, p.path...), msg: p.msg})
		}
		out[name] = ps
	}
	return out, problems
}

func decodeProdService(v any, text scalarText) (s ProdService, problems []problem) {
	m, ok := v.(map[string]any)
	if !ok {
		return s, []problem{{msg: fmt.Sprintf("want a mapping such as {version: \"16.4\", parameters: {…}}, got %s", describe(v))}}
	}
	bad := func(key, format string, args ...any) {
		problems = append(problems, problem{path: []string{key}, msg: fmt.Sprintf(format, args...)})
	}
	boolean := func(key string, val any) *bool {
		b, ok := val.(bool)
		if !ok {
			bad(key, "want true or false, got %s", describe(val))
			return nil
		}
		return &b
	}
	// rebase moves problems of the stand-in decoders (x-prodlike.buckets…)
	// under this entry.
	rebase := func(ps []problem) {
		for _, p := range ps {
			problems = append(problems, problem{path: slices.Clone(p.path[1:]), msg: p.msg})
		}
	}
	for _, key := range sortedKeys(m) {
		val := m[key]
		switch key {
		case "engine":
			s.Engine, ok = val.(string)
			if !ok || s.Engine == "" {
				bad(key, "want the engine prod runs (postgres, aurora-postgresql, redis, valkey), got %s", describe(val))
			}
		case "version":
			s.Version, ok = scalarString(val, text, key)
			if !ok || !startsWithDigit(s.Version) {
				bad(key, "want the engine version prod runs, such as \"16.4\" or \"7.1\", got %s", describe(val))
			}
		case "parameters":
			var ps []problem
			s.Parameters, ps = decodeParameters(val, text, key)
			problems = append(problems, ps...)
		case "tls":
			s.TLS = boolean(key, val)
		case "auth":
			s.Auth = boolean(key, val)
		case "cluster-mode":
			s.ClusterMode = boolean(key, val)
		case "buckets":
			var ps []problem
			s.Buckets, ps = decodeBuckets(val)
			rebase(ps)
		case "queues":
			var ps []problem
			s.Queues, ps = decodeQueues(val)
			rebase(ps)
		case "platform":
			s.Platform, ok = val.(string)
			if !ok || !strings.Contains(s.Platform, "/") {
				bad(key, "want an OS/architecture such as linux/arm64 or linux/amd64, got %s", describe(val))
			}
		case "env":
			env, ok := val.(map[string]any)
			if !ok {
				bad(key, "want a mapping of the variables prod sets to their values (write secrets under secrets:), got %s", describe(val))
				continue
			}
			s.Env = map[string]string{}
			for _, name := range sortedKeys(env) {
				value, ok := scalarString(env[name], text, key, name)
				switch {
				case !envName.MatchString(name):
					problems = append(problems, problem{path: []string{key, name}, msg: "not a valid environment variable name"})
				case env[name] == nil:
					s.Env[name] = ""
				case !ok:
					problems = append(problems, problem{path: []string{key, name}, msg: "want a single value, got " + describe(env[name])})
				default:
					s.Env[name] = value
				}
			}
		case "secrets":
			names, ok := stringList(val)
			if !ok {
				bad(key, "want a list of the variable names prod fills from a secret store, got %s", describe(val))
				continue
			}
			for _, n := range names {
				if !envName.MatchString(n) {
					bad(key, "%q is not a valid environment variable name", n)
				}
			}
			s.Secrets = names
		default:
			bad(key, "unknown key; allowed keys are %s", strings.Join(sortedKeys(prodServiceKeys), ", "))
		}
	}
	return s, problems
}

// decodeParameters decodes a mapping of engine parameters to single values.
// key is the mapping's key, for problem paths and number text.
func decodeParameters(v any, text scalarText, key string) (map[string]string, []problem) {
	params, ok := v.(map[string]any)
	if !ok {
		return nil, []problem{{path: []string{key}, msg: fmt.Sprintf("want a mapping of parameter names to values (e.g. {max_connections: 200}), got %s", describe(v))}}
	}
	var problems []problem
	out := map[string]string{}
	for _, name := range sortedKeys(params) {
		s, ok := scalarString(params[name], text, key, name)
		if !ok {
			problems = append(problems, problem{
				path: []string{key, name},
				msg:  fmt.Sprintf("want a single value (string, number or true/false), got %s", describe(params[name])),
			})
			continue
		}
		out[name] = s
	}
	return out, problems
}

// decodeWaivers decodes x-prodlike.waive: a list of {check, reason, service,
// subject, env}. Whether the check IDs exist is for the parity stage to say;
// here every entry needs a check and a reason.
func decodeWaivers(v any) (out []Waiver, problems []problem) {
	list, ok := v.([]any)
	if !ok {
		return nil, []problem{{msg: fmt.Sprintf("want a list of {check: PG-PARAM, reason: …} entries, got %s", describe(v))}}
	}
	for i, item := range list {
		at := strconv.Itoa(i)
		m, ok := item.(map[string]any)
		if !ok {
			problems = append(problems, problem{path: []string{at}, msg: fmt.Sprintf("want a mapping {check, reason, service, subject, env}, got %s", describe(item))})
			continue
		}
		var w Waiver
		for _, key := range sortedKeys(m) {
			s, ok := m[key].(string)
			if !ok || s == "" {
				if slices.Contains(waiverKeys, key) {
					problems = append(problems, problem{path: []string{at, key}, msg: "want a non-empty string, got " + describe(m[key])})
				} else {
					problems = append(problems, problem{path: []string{at, key}, msg: "unknown key; allowed keys are " + strings.Join(waiverKeys, ", ")})
				}
				continue
			}
			switch key {
			case "check":
				w.Check = s
			case "reason":
				w.Reason = s
			case "service":
				w.Service = s
			case "subject":
				w.Subject = s
			case "env":
				w.Env = s
			default:
				problems = append(problems, problem{path: []string{at, key}, msg: "unknown key; allowed keys are " + strings.Join(waiverKeys, ", ")})
			}
		}
		switch {
		case w.Check == "" && m["check"] == nil:
			problems = append(problems, problem{path: []string{at}, msg: "missing check: name the check ID to waive (e.g. check: PG-PARAM)"})
		case w.Reason == "" && m["reason"] == nil:
			problems = append(problems, problem{path: []string{at}, msg: "missing reason: say why this difference from prod is acceptable"})
		}
		out = append(out, w)
	}
	return out, problems
}

// checkProdServices checks each environment's inline services against the
// project: the service exists and the keys fit its kind.
func (r *resolver) checkProdServices(spec *Spec) {
	for i, env := range spec.Environments {
		for _, name := range sortedKeys(env.Services) {
			path := []string{extensionKey, "environments", env.Name, "services", name}
			ps := env.Services[name]
			ps.File, ps.Line = r.src.where(path...)
			env.Services[name] = ps
			fail := func(sub []string, msg string) {
				file, line := r.src.where(append(slices.Clone(path), sub...)...)
				r.errs = append(r.errs, &Error{File: file, Line: line, Field: strings.Join(append(slices.Clone(path), sub...), "."), Msg: msg})
			}
			svc, ok := spec.Service(name)
			if !ok {
				fail(nil, fmt.Sprintf("no service %q in the project (ignored services have no prod truth); services: %s", name, serviceNames(spec)))
				continue
			}
			for _, key := range setKeys(ps) {
				if !slices.Contains(prodServiceKeys[key], svc.Kind) {
					fail([]string{key}, fmt.Sprintf("does not apply to %s, a %s service", name, svc.Kind))
				}
			}
		}
		spec.Environments[i] = env
	}
}

// setKeys names the keys an inline prod service sets.
func setKeys(s ProdService) []string {
	var keys []string
	add := func(key string, set bool) {
		if set {
			keys = append(keys, key)
		}
	}
	add("engine", s.Engine != "")
	add("version", s.Version != "")
	add("parameters", s.Parameters != nil)
	add("tls", s.TLS != nil)
	add("auth", s.Auth != nil)
	add("cluster-mode", s.ClusterMode != nil)
	add("buckets", s.Buckets != nil)
	add("queues", s.Queues != nil)
	add("platform", s.Platform != "")
	add("env", s.Env != nil)
	add("secrets", s.Secrets != nil)
	return keys
}

func serviceNames(spec *Spec) string {
	var names []string
	for _, s := range spec.Services {
		names = append(names, s.Name)
	}
	return strings.Join(names, ", ")
}
