package plan

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/distribution/reference"

	"github.com/prodlike/prodlike/config"
	"github.com/prodlike/prodlike/profiles"
	"github.com/prodlike/prodlike/profiles/truth"
)

// ShapeNote is one thing shaping did to a stand-in, or could not do.
type ShapeNote struct {
	Service string
	// Shaped is false for what prod has and the stand-in cannot: the
	// parity report will show it.
	Shaped bool
	Text   string
}

func (n ShapeNote) String() string {
	mark := "shaped"
	if !n.Shaped {
		mark = "not shaped"
	}
	return fmt.Sprintf("%s: %s: %s", n.Service, mark, n.Text)
}

// contribPreload are the libraries the stock Postgres images ship that
// shared_preload_libraries may name; others would stop the stand-in from
// starting.
var contribPreload = []string{"pg_stat_statements", "auto_explain", "pg_prewarm", "passwordcheck", "auth_delay", "basic_archive"}

// Shape returns a copy of spec whose stand-ins take what prod runs: engine
// and version (the image tag), parameters (the cloud's defaults and prod's
// parameter group), bucket versioning and CORS, queue attributes and
// redrive. The notes say what changed and what prod has that a stand-in
// cannot (TLS, auth, cluster mode, names that match no dev resource). spec
// is not changed.
func Shape(spec *config.Spec, prod *truth.Environment) (*config.Spec, []ShapeNote) {
	out := *spec
	out.Services = slices.Clone(spec.Services)
	var notes []ShapeNote
	for i, svc := range out.Services {
		r := prod.Services[svc.Name]
		if r == nil || svc.Kind == config.KindApp {
			continue
		}
		note := func(shaped bool, format string, args ...any) {
			notes = append(notes, ShapeNote{Service: svc.Name, Shaped: shaped, Text: fmt.Sprintf(format, args...)})
		}
		switch {
		case svc.Kind == config.KindPostgres && r.Postgres != nil:
			svc = shapePostgres(svc, r, note)
		case svc.Kind == config.KindRedis && r.Redis != nil:
			svc = shapeRedis(svc, r, note)
		case svc.Kind == config.KindS3 && r.Storage != nil:
			svc = shapeBuckets(svc, r.Storage, note)
		case svc.Kind == config.KindSQS && r.Queues != nil:
			svc = shapeQueues(svc, r.Queues, note)
		}
		out.Services[i] = svc
	}
	return &out, notes
}

func shapePostgres(svc config.Service, r *truth.Resource, note func(bool, string, ...any)) config.Service {
	p := r.Postgres
	svc = shapeVersion(svc, p.Version, note)
	params := maps.Clone(svc.Parameters)
	if params == nil {
		params = map[string]string{}
	}
	effective := truth.EffectiveParameters(r.Managed, p.Engine, p.Version, p.Parameters)
	var set []string
	for _, name := range slices.Sorted(maps.Keys(effective)) {
		value := effective[name]
		switch {
		case name == "rds.force_ssl" || name == "require_secure_transport" || name == "ssl":
			// TLS, below
		case profiles.ManagedOnlyParameter("postgres", name):
			note(false, "%s exists only on the managed service", name)
		case strings.Contains(value, "{"):
			note(false, "%s is computed from prod's instance class (%s)", name, value)
		case name == "shared_preload_libraries":
			var keep, drop []string
			for _, lib := range strings.Split(value, ",") {
				lib = strings.TrimSpace(lib)
				if slices.Contains(contribPreload, lib) {
					keep = append(keep, lib)
				} else if lib != "" {
					drop = append(drop, lib)
				}
			}
			if len(drop) > 0 {
				note(false, "preloading %s: the stand-in image may not have it", strings.Join(drop, ", "))
			}
			if len(keep) > 0 && params[name] != strings.Join(keep, ",") {
				params[name] = strings.Join(keep, ",")
				set = append(set, name+"="+params[name])
			}
		default:
			if params[name] != value {
				params[name] = value
				set = append(set, name+"="+value)
			}
		}
	}
	if len(set) > 0 {
		note(true, "parameters %s", strings.Join(set, " "))
	}
	svc.Parameters = params
	if required, because := truth.PostgresRequiresTLS(r.Managed, p); required && !svc.TLS {
		svc.TLS = true
		note(true, "TLS required, as in prod (%s): plain connections are refused and the app gets sslmode=require", because)
	}
	return svc
}

// DevAuthToken is the password a Redis/Valkey stand-in requires when prod
// requires AUTH. It guards nothing: it only makes the app's client send one.
const DevAuthToken = "prodlike-dev-auth-token"

func shapeRedis(svc config.Service, r *truth.Resource, note func(bool, string, ...any)) config.Service {
	rd := r.Redis
	engine := rd.Engine
	if engine == "" {
		engine = svc.Engine
	}
	if engine != "" && engine != svc.Engine {
		repo := map[string]string{"redis": "redis", "valkey": "valkey/valkey"}[engine]
		if repo == "" {
			note(false, "prod runs engine %q, which prodlike cannot run", engine)
		} else {
			note(true, "engine %s (was %s)", engine, svc.Engine)
			svc.Engine = engine
			svc.Image = retag(repo, svc.Version)
		}
	}
	svc = shapeVersion(svc, rd.Version, note)
	params := maps.Clone(svc.Parameters)
	if params == nil {
		params = map[string]string{}
	}
	var set []string
	effective := truth.EffectiveParameters(r.Managed, engine, rd.Version, rd.Parameters)
	for _, name := range slices.Sorted(maps.Keys(effective)) {
		value := effective[name]
		if profiles.ManagedOnlyParameter("redis", name) {
			continue
		}
		if params[name] != value {
			params[name] = value
			set = append(set, name+"="+value)
		}
	}
	if len(set) > 0 {
		note(true, "parameters %s", strings.Join(set, " "))
	}
	svc.Parameters = params
	if rd.TLS {
		note(false, "prod encrypts in transit; the stand-in serves plain TCP")
	}
	if rd.AuthToken && svc.AuthToken == "" {
		svc.AuthToken = DevAuthToken
		note(true, "AUTH required, as in prod: the app gets the stand-in's password in its URL")
	}
	if rd.ClusterMode {
		note(false, "prod runs in cluster mode; the stand-in is standalone")
	}
	return svc
}

// shapeVersion pins the stand-in to prod's version: Version and the image
// tag.
func shapeVersion(svc config.Service, version string, note func(bool, string, ...any)) config.Service {
	if version == "" || version == svc.Version {
		return svc
	}
	named, err := reference.ParseNormalizedNamed(svc.Image)
	if err != nil {
		note(false, "version %s: cannot retag image %q: %v", version, svc.Image, err)
		return svc
	}
	note(true, "version %s (was %s)", version, cmp.Or(svc.Version, "unpinned"))
	svc.Version = version
	svc.Image = retag(reference.FamiliarName(named), version)
	return svc
}

func retag(repo, tag string) string {
	if tag == "" {
		return repo
	}
	return repo + ":" + tag
}

func shapeBuckets(svc config.Service, st *truth.Storage, note func(bool, string, ...any)) config.Service {
	svc.Buckets = slices.Clone(svc.Buckets)
	for _, pb := range st.Buckets {
		i := slices.IndexFunc(svc.Buckets, func(b config.Bucket) bool { return b.Name == pb.DevName })
		if i < 0 {
			note(false, "prod bucket %s matches no dev bucket", pb.Name)
			continue
		}
		b := &svc.Buckets[i]
		versioning := pb.Status == "Enabled"
		if b.Versioning != versioning {
			b.Versioning = versioning
			note(true, "bucket %s versioning %t (as %s)", b.Name, versioning, pb.Name)
		}
		if pb.CORS != nil && fmt.Sprint(b.CORS) != fmt.Sprint(pb.CORS) {
			b.CORS = pb.CORS
			note(true, "bucket %s CORS rules (as %s)", b.Name, pb.Name)
		}
	}
	return svc
}

func shapeQueues(svc config.Service, qs *truth.Queues, note func(bool, string, ...any)) config.Service {
	svc.Queues = slices.Clone(svc.Queues)
	devOf := map[string]string{}
	for _, pq := range qs.Queues {
		devOf[pq.Name] = pq.DevName
	}
	for _, pq := range qs.Queues {
		i := slices.IndexFunc(svc.Queues, func(q config.Queue) bool { return q.Name == pq.DevName })
		if i < 0 {
			note(false, "prod queue %s matches no dev queue", pq.Name)
			continue
		}
		q := &svc.Queues[i]
		q.Attributes = maps.Clone(q.Attributes)
		if q.Attributes == nil {
			q.Attributes = map[string]string{}
		}
		var set []string
		for _, name := range slices.Sorted(maps.Keys(pq.Attributes)) {
			v := pq.Attributes[name]
			if name == "FifoQueue" {
				if (v == "true") != q.FIFO() {
					note(false, "queue %s: prod's %s is FIFO=%s; a queue's type comes with its name", q.Name, pq.Name, v)
				}
				continue
			}
			if q.Attributes[name] != v {
				q.Attributes[name] = v
				set = append(set, name+"="+v)
			}
		}
		if len(set) > 0 {
			note(true, "queue %s %s (as %s)", q.Name, strings.Join(set, " "), pq.Name)
		}
		switch dlq := devOf[pq.DeadLetter]; {
		case pq.DeadLetter == "":
		case dlq == "":
			note(false, "queue %s: prod's dead-letter queue %s matches no dev queue", q.Name, pq.DeadLetter)
		case q.DeadLetter != dlq || q.MaxReceiveCount != pq.MaxReceiveCount:
			q.DeadLetter, q.MaxReceiveCount = dlq, pq.MaxReceiveCount
			note(true, "queue %s dead-letters to %s after %d receives", q.Name, dlq, pq.MaxReceiveCount)
		}
	}
	return svc
}
