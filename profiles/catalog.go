// Package profiles holds what prodlike knows about production before it looks
// at a project: embedded catalogs of the managed services each cloud offers
// (versions and support windows, default parameters, allowed extensions, TLS
// and auth options, blocked commands, queue and bucket defaults), and the
// readers that turn a project's prod truth (Terraform state or plan JSON, or
// the inline form in x-prodlike.environments) into a Truth.
//
// The catalogs are data (catalogs/*.yaml), each table citing its source;
// this package loads and indexes them.
package profiles

import "time"

// Catalog is one cloud's managed services.
type Catalog struct {
	// Cloud is aws, gcp or azure.
	Cloud string
	// Services are the managed services, in file order.
	Services []*Service
}

// Service is one managed service (Amazon RDS for PostgreSQL, ElastiCache …).
type Service struct {
	// ID is the stand-in identifier the compose file uses: aws.rds-postgres,
	// aws.aurora-postgres, aws.elasticache, aws.s3, aws.sqs,
	// gcp.cloudsql-postgres, gcp.memorystore-redis, gcp.memorystore-valkey,
	// azure.postgres-flexible, azure.cache-redis.
	ID string
	// Name is the product's name: "Amazon RDS for PostgreSQL".
	Name string
	// Kind is the stand-in kind that plays it: postgres, redis, s3, sqs.
	Kind string
	// Sources are the documents the service's tables were taken from.
	Sources []string
	// Engines are the engines the service runs (postgres; redis and valkey),
	// in file order. Empty for s3 and sqs.
	Engines []*Engine
	// TLS says how the service treats TLS by default.
	TLS TLS
	// Auth lists the authentication options: "password", "iam",
	// "auth-token", "rbac" …
	Auth []string
	// ClusterMode reports whether the service offers a sharded cluster mode
	// (Redis/Valkey cluster).
	ClusterMode bool
	// Superuser reports whether the user the service gives you is a real
	// superuser (false on every managed Postgres: RDS's master user has
	// rds_superuser, not superuser).
	Superuser bool
	// SuperuserRole is the role the service gives instead ("rds_superuser",
	// "cloudsqlsuperuser", "azure_pg_admin"); "" for non-Postgres services.
	SuperuserRole string
	// Bucket holds the defaults of a new bucket (s3); nil otherwise.
	Bucket *BucketDefaults
	// Queue holds the defaults and limits of a new queue (sqs); nil
	// otherwise.
	Queue *QueueDefaults
}

// Engine is one engine of a service with its versions, parameters and, for
// Postgres, extensions.
type Engine struct {
	// Name is the engine as the cloud's API names it: postgres,
	// aurora-postgresql, redis, valkey.
	Name string
	// Kind is the stand-in kind: postgres or redis.
	Kind string
	// Versions are the major versions the service offers or offered, oldest
	// first.
	Versions []Version
	// Parameters are the service's default parameter values that differ
	// from the engine's stock defaults, by major version.
	Parameters []Parameter
	// Extensions are the Postgres extensions the service allows; empty for
	// other engines.
	Extensions []Extension
	// BlockedCommands are the commands the service refuses (Redis/Valkey),
	// upper case: CONFIG, DEBUG, MONITOR …
	BlockedCommands []string
}

// Version is one major version line.
type Version struct {
	// Major is the major version as the service counts it: "16" for
	// Postgres, "7.1" or "7" for Redis (ElastiCache counts 6.x and 7.x
	// lines as 6.2, 7.0, 7.1), "8.0" for Valkey.
	Major string
	// Minors are the full versions offered in this line, oldest first:
	// "16.1" … "16.6".
	Minors []string
	// Released is when the service first offered the line (zero if not
	// known).
	Released time.Time
	// EndOfStandardSupport is when the service's standard support ends
	// (zero if not announced).
	EndOfStandardSupport time.Time
	// EndOfExtendedSupport is when paid extended support ends (zero if the
	// service has none or it is not announced).
	EndOfExtendedSupport time.Time
}

// Parameter is a default parameter value of the service that differs from
// the engine's stock default, for a range of major versions.
type Parameter struct {
	Name  string
	Value string
	// From and Until bound the major versions it applies to (inclusive);
	// "" leaves that side open.
	From, Until string
	// Note says why it matters, briefly.
	Note string
}

// Extension is a Postgres extension the service allows.
type Extension struct {
	Name string
	// From and Until bound the major versions that allow it (inclusive);
	// "" leaves that side open.
	From, Until string
	// MinVersions names, per major, the first minor that allows it when that
	// is not the major's first ("15": "15.2").
	MinVersions map[string]string
	// Preload reports whether it must be in shared_preload_libraries.
	Preload bool
}

// TLS is how a service treats TLS by default.
type TLS struct {
	// Default is "required", "optional" or "off" for a new instance. It may
	// change with the major version: see RequiredFrom.
	Default string
	// RequiredFrom is the first major version whose default is "required"
	// when older ones differ ("15" for RDS: rds.force_ssl).
	RequiredFrom string
	// Parameter is the setting that enforces it (rds.force_ssl,
	// require_secure_transport); "" when TLS is an instance option.
	Parameter string
}

// BucketDefaults are the settings of a new bucket.
type BucketDefaults struct {
	Versioning        string // "" (never enabled), Enabled, Suspended
	BlockPublicAccess bool
	Encryption        string // SSE-S3, …
	ObjectOwnership   string // BucketOwnerEnforced
}

// QueueDefaults are a new queue's attribute defaults and limits, by SQS
// attribute name.
type QueueDefaults struct {
	// Defaults are the attributes of a queue created without any:
	// VisibilityTimeout "30", MessageRetentionPeriod "345600" …
	Defaults map[string]string
	// MaxMessageSize is the largest message in bytes.
	MaxMessageSize int
	// MaxReceiveCount bounds a redrive policy's maxReceiveCount.
	MaxReceiveCount int
}
