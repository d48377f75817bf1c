// Package truth reads what a deployment environment (staging, prod) really
// runs, its prod truth: from Terraform state or plan JSON (`terraform show
// -json`) and from the inline form in x-prodlike.environments.<env>, joined to
// the project's compose services.
package truth

import "github.com/prodlike/prodlike/config"

// Environment is what one deployment environment (staging, prod) runs, as
// read from its Terraform state or plan, or from the inline form in the
// compose file. Services are keyed by the compose service they correspond to.
type Environment struct {
	// Name is the environment's name (prod).
	Name string
	// Cloud and Region are the environment's (aws, eu-west-1).
	Cloud  string
	Region string
	// Source says where the truth was read from, for reports:
	// "infra/prod.tfstate.json (terraform state)", "compose.yaml (inline)".
	Source string
	// Services are the prod resources of the project's services, by compose
	// service name. A service without prod truth is absent.
	Services map[string]*Resource
	// Notes are things a reader could not resolve and reports rather than
	// hides: a plan value known only after apply, a parameter group that is
	// not in the state, a bucket no dev bucket matches.
	Notes []Note
}

// Note is something a reader reports about the truth it read.
type Note struct {
	Service string // compose service; "" for the environment
	Address string // Terraform address or inline path it concerns
	Text    string
}

// Resource is the prod side of one compose service.
type Resource struct {
	// Service is the compose service name.
	Service string
	// Addresses are the Terraform resource addresses it was read from
	// (module.db.aws_db_instance.this[0]), or the inline path
	// (x-prodlike.environments.prod.services.db).
	Addresses []string
	// Managed is the catalog service it runs on (aws.rds-postgres); "" for
	// the app.
	Managed string
	// Exactly one of these is set, by the service's kind.
	Postgres *Postgres
	Redis    *Redis
	Storage  *Storage
	Queues   *Queues
	App      *App
}

// Postgres is a managed Postgres instance or cluster.
type Postgres struct {
	// Engine is the cloud's engine name: postgres or aurora-postgresql (aws),
	// POSTGRES_16 style names are turned into postgres.
	Engine string
	// Version is the engine version prod runs: "16.4"; a major alone ("16")
	// when prod pins only that.
	Version string
	// Parameters are the non-default parameters of its parameter group(s),
	// by name: rds.force_ssl "1", shared_preload_libraries
	// "pg_stat_statements,pg_cron".
	Parameters map[string]string
	// InstanceClass is db.r6g.large, db-custom-2-7680 …; "" if unknown.
	InstanceClass string
	// TLS says whether prod requires TLS when the truth states it outright
	// (inline tls:); nil leaves it to the parameters (rds.force_ssl) and the
	// cloud's default for the version.
	TLS *bool
}

// Redis is a managed Redis or Valkey replication group, cluster or
// serverless cache.
type Redis struct {
	// Engine is redis or valkey.
	Engine string
	// Version is the engine version: "7.1", "8.0"; may be a major alone.
	Version string
	// Parameters are the non-default parameters of its parameter group, by
	// name: maxmemory-policy "allkeys-lru".
	Parameters map[string]string
	// TLS reports in-transit encryption; AuthToken that an AUTH token (or
	// RBAC user group) is required. The token itself is never kept.
	TLS       bool
	AuthToken bool
	// ClusterMode reports Redis cluster mode (sharding).
	ClusterMode bool
	// NodeType is cache.r7g.large …; "" if unknown or serverless.
	NodeType string
}

// Storage is the prod buckets of an object storage service.
type Storage struct {
	Buckets []ProdBucket
}

// ProdBucket is a prod bucket and the dev bucket it corresponds to.
type ProdBucket struct {
	config.Bucket
	// Versioning in prod, as S3 says it: Enabled, Suspended or "" (never
	// enabled). config.Bucket.Versioning is true for Enabled.
	Status string
	// DevName is the name of the dev bucket it corresponds to (from the
	// compose file); "" when none matches.
	DevName string
}

// Queues is the prod queues of a queue service.
type Queues struct {
	Queues []ProdQueue
}

// ProdQueue is a prod queue and the dev queue it corresponds to.
type ProdQueue struct {
	// Queue holds the prod name and attributes by SQS name (every attribute
	// prod sets, defaults included when the reader knows them), with
	// DeadLetter naming the prod dead-letter queue.
	config.Queue
	// DevName is the dev queue it corresponds to; "" when none matches.
	DevName string
}

// App is how prod runs the app.
type App struct {
	// Platform is the OS/architecture prod runs the image on: linux/amd64,
	// linux/arm64; "" if unknown.
	Platform string
	// Env are the variables prod sets for the app, by name. Values of
	// secrets and of values Terraform marks sensitive are Redacted.
	Env map[string]string
	// Secrets name the variables prod fills from a secret store.
	Secrets []string
	// Image is the image reference prod runs ("" if unknown).
	Image string
}

// Redacted stands for a value prodlike does not keep.
const Redacted = "(sensitive)"
