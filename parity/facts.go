// Package parity compares a project's dev stack with what an environment
// runs in production, rule by rule. The rules are checks in one explicit,
// ordered list (Checks), each with a stable ID, a family, a severity, a
// message and a fix hint per finding; a run collects every finding of every
// check, reports the checks that could not run and why, and applies the
// project's waivers. Facts come in as plain values: this package never
// talks to Docker or to a stand-in itself.
package parity

import (
	"time"

	"github.com/prodlike/prodlike/config"
	"github.com/prodlike/prodlike/emulators/postgres"
	"github.com/prodlike/prodlike/emulators/redis"
	"github.com/prodlike/prodlike/emulators/s3"
	"github.com/prodlike/prodlike/emulators/sqs"
	"github.com/prodlike/prodlike/profiles/truth"
)

// Facts are what a run compares: the dev side, read from the live stack and
// the app's image, and the prod side, read from the environment's truth.
type Facts struct {
	// Project is the compose project.
	Project string
	// Services are the dev services, sorted by name.
	Services []*Service
	// Prod is the environment's truth.
	Prod *truth.Environment
	// Now is the time support windows are judged at.
	Now time.Time
}

// Service is one dev service and what its live stand-in (or, for the app,
// its image and environment) reported.
type Service struct {
	config.Service
	// FactsErr says why the live facts could not be read (the stand-in is
	// not running, did not answer); checks that need them skip the service.
	FactsErr error
	// The kind's live facts; only the one for Kind is set.
	Postgres *postgres.Facts
	Redis    *redis.Facts
	S3       *s3.Facts
	SQS      *sqs.Facts
	// App is the app's image and environment; nil for stand-ins.
	App *App
}

// App is what the dev stack knows about the app.
type App struct {
	// Image is the app image's configuration; nil when it could not be
	// inspected (ImageErr says why).
	Image    *Image
	ImageErr error
	// Env is every variable the app runs with in dev: the compose
	// environment and what the stand-ins give it.
	Env map[string]string
	// Injected names the variables a stand-in gave it, with that stand-in's
	// service: DATABASE_URL → db.
	Injected map[string]string
	// StartTime is how long the app took from container start to ready when
	// prodlike last started it; 0 when not measured.
	StartTime time.Duration
}

// Image is an image's configuration and what its layers hold.
type Image struct {
	Ref string
	ID  string
	// Platform is OS/architecture[/variant]: linux/amd64, linux/arm64/v8.
	Platform string
	// User is the configured user ("" runs as root).
	User string
	// Healthcheck is the HEALTHCHECK test; nil for none, ["NONE"] when
	// disabled.
	Healthcheck []string
	// Entrypoint and Cmd as configured. A shell form shows as
	// ["/bin/sh", "-c", "…"].
	Entrypoint []string
	Cmd        []string
	// Env is the image's baked-in environment.
	Env map[string]string
	// History are the created_by lines of its layers, oldest first.
	History []string
	// SecretFiles are paths in its layers that look like secrets or local
	// configuration: .env, id_rsa, .aws/credentials, *.pem … Nil when the
	// layers were not read.
	SecretFiles []string
	// LayersRead reports whether SecretFiles was filled.
	LayersRead bool
}

// Service returns the dev service called name.
func (f *Facts) Service(name string) (*Service, bool) {
	for _, s := range f.Services {
		if s.Name == name {
			return s, true
		}
	}
	return nil, false
}
