package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/distribution/reference"
)

// engine is what a stand-in runs: its kind and, within the kind, the
// engine (postgres; redis or valkey).
type engine struct {
	kind Kind
	name string // "" when the stand-in leaves it open (aws.elasticache)
}

var (
	pgEngine     = engine{KindPostgres, "postgres"}
	redisEngine  = engine{KindRedis, "redis"}
	valkeyEngine = engine{KindRedis, "valkey"}
	s3Engine     = engine{kind: KindS3} // versitygw unless x-prodlike.engine or the image says minio
	sqsEngine    = engine{KindSQS, "sqs"}
)

// kindEngines are the engines x-prodlike.engine chooses between, per kind,
// the default first.
var kindEngines = map[Kind][]string{
	KindRedis: {"redis", "valkey"},
	KindS3:    {"versitygw", "minio"},
}

// standins maps the identifiers x-prodlike.standin accepts to engines.
var standins = map[string]engine{
	"postgres":                pgEngine,
	"aws.rds-postgres":        pgEngine,
	"aws.aurora-postgres":     pgEngine,
	"gcp.cloudsql-postgres":   pgEngine,
	"azure.postgres-flexible": pgEngine,
	"redis":                   redisEngine,
	"gcp.memorystore-redis":   redisEngine,
	"azure.cache-redis":       redisEngine,
	"valkey":                  valkeyEngine,
	"gcp.memorystore-valkey":  valkeyEngine,
	"aws.elasticache":         {kind: KindRedis}, // engine from x-prodlike.engine or the image
	"s3":                      s3Engine,
	"aws.s3":                  s3Engine,
	"sqs":                     sqsEngine,
	"aws.sqs":                 sqsEngine,
}

// plannedStandins are stand-in kinds prodlike will support but this version
// does not run yet.
var plannedStandins = []string{"gcp.gcs", "azure.blob"}

// defaultRepository is the image repository a stand-in uses when the compose
// file names none.
var defaultRepository = map[string]string{
	"postgres": "postgres",
	"redis":    "redis",
	"valkey":   "valkey/valkey",
}

// defaultEnvNames are the variables through which a stand-in of each kind
// gives the app its address.
var defaultEnvNames = map[Kind]string{
	KindPostgres: "DATABASE_URL",
	KindRedis:    "REDIS_URL",
}

// DefaultEnvName is the variable a stand-in of kind k gives the app its
// connection URL in (DATABASE_URL, REDIS_URL), before any x-prodlike.env
// rename; "" for kinds that give none.
func DefaultEnvName(k Kind) string { return defaultEnvNames[k] }

// EnvName is the name under which the service gives the app the variable
// the stand-in calls name: its x-prodlike.env rename, or name itself.
func (s Service) EnvName(name string) string {
	if to, ok := s.EnvNames[name]; ok {
		return to
	}
	return name
}

func knownStandins() []string { return sortedKeys(standins) }

// image is a parsed image reference.
type image struct {
	repo string // repository as written, registry included, without tag or digest
	path string // repository path without registry and docker.io's library/
	tag  string
}

func parseImage(s string) (image, error) {
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return image{}, err
	}
	img := image{
		repo: reference.FamiliarName(named),
		path: strings.TrimPrefix(reference.Path(named), "library/"),
	}
	if t, ok := named.(reference.Tagged); ok {
		img.tag = t.Tag()
	}
	return img, nil
}

// imageEngine recognizes the well-known engine images by repository,
// ignoring registry and tag, so mirrors and locally built look-alikes
// (…/postgres) are recognized too.
func imageEngine(img image) (engine, bool) {
	p := img.path
	switch {
	case p == "postgres" || p == "postgis/postgis" || strings.HasSuffix(p, "/postgres"):
		return pgEngine, true
	case p == "valkey" || strings.HasSuffix(p, "/valkey"):
		return valkeyEngine, true
	case p == "redis" || p == "redis/redis-stack-server" || strings.HasSuffix(p, "/redis"):
		return redisEngine, true
	case p == "versity/versitygw" || strings.HasSuffix(p, "/versitygw"):
		return engine{KindS3, "versitygw"}, true
	case p == "minio/minio" || strings.HasSuffix(p, "/minio"):
		return engine{KindS3, "minio"}, true
	}
	return engine{}, false
}

var tagVersion = regexp.MustCompile(`^[0-9]+(\.[0-9]+)*`)

// versionFromTag reads the engine version from an image tag: "16.4" →
// "16.4", "7.2-alpine" → "7.2". Tags that pin nothing (latest, alpine, none)
// give "".
func versionFromTag(tag string) string { return tagVersion.FindString(tag) }

// standinImage decides the image a stand-in runs and the production version
// it is pinned to, from x-prodlike.image, x-prodlike.version and the compose
// image, in that order of precedence.
func standinImage(x serviceExt, composeImage string, eng engine) (img, version string, p *problem) {
	switch {
	case x.Image != "":
		ref, err := parseImage(x.Image)
		if err != nil {
			return "", "", &problem{path: []string{extensionKey, "image"}, msg: fmt.Sprintf("invalid image reference %q: %v", x.Image, err)}
		}
		version = x.Version
		if version == "" {
			version = versionFromTag(ref.tag)
		}
		if version == "" {
			return "", "", &problem{
				path: []string{extensionKey, "image"},
				msg:  fmt.Sprintf("%q does not pin the engine version; prod versions must be pinned: tag the image (e.g. %s:16.4) or set x-prodlike.version", x.Image, ref.repo),
			}
		}
		return x.Image, version, nil
	case x.Version != "":
		repo := defaultRepository[eng.name]
		if composeImage != "" {
			ref, err := parseImage(composeImage)
			if err != nil {
				return "", "", &problem{path: []string{"image"}, msg: fmt.Sprintf("invalid image reference %q: %v", composeImage, err)}
			}
			repo = ref.repo
		}
		return repo + ":" + x.Version, x.Version, nil
	case composeImage != "":
		ref, err := parseImage(composeImage)
		if err != nil {
			return "", "", &problem{path: []string{"image"}, msg: fmt.Sprintf("invalid image reference %q: %v", composeImage, err)}
		}
		version = versionFromTag(ref.tag)
		if version == "" {
			return "", "", &problem{
				path: []string{"image"},
				msg:  fmt.Sprintf("%q does not pin the engine version; prod versions must be pinned: set x-prodlike.version (e.g. version: \"16.4\") or use a version tag", composeImage),
			}
		}
		return composeImage, version, nil
	}
	return "", "", &problem{
		path: []string{extensionKey, "version"},
		msg:  "missing: a stand-in without image: must say which production version to run; set x-prodlike.version (e.g. version: \"16.4\")",
	}
}

// unsupportedStandin explains an x-prodlike.standin value this version
// cannot run.
func unsupportedStandin(name string) string {
	if slices.Contains(plannedStandins, name) {
		return fmt.Sprintf("stand-in kind %q is not supported yet by this version of prodlike; mark the service x-prodlike: {ignore: true} to leave it out for now", name)
	}
	return fmt.Sprintf("unknown stand-in %q; known: %s", name, strings.Join(knownStandins(), ", "))
}
