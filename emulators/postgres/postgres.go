// Package postgres is the Postgres stand-in kind (for RDS, Cloud SQL, Azure
// Database for PostgreSQL). It describes the container of the official
// postgres image (or one that honours its conventions), probes readiness
// over TCP with pgx, gives the app a DATABASE_URL and reads facts from the
// live server. It never starts containers: stack/docker does.
package postgres

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/prodlike/prodlike/emulators"
)

const (
	// Kind is what Standin.Kind returns.
	Kind = "postgres"
	// DefaultImage is the official image's repository; New uses it when
	// given no image. Callers normally pass a tag for prod's version.
	DefaultImage = "postgres"
	// Port is the port Postgres serves on inside the container.
	Port = 5432
	// DataDir is the data directory inside the container, also set as
	// PGDATA: postgres:18+ images otherwise keep data in
	// /var/lib/postgresql/18/docker and refuse to start when a volume is
	// mounted at this older path.
	DataDir = "/var/lib/postgresql/data"
	// EnvURL is the variable Env sets unless renamed.
	EnvURL = "DATABASE_URL"
)

const (
	// readyTimeout bounds one Ready attempt when the caller's context
	// allows longer: callers poll, so a slow attempt only delays the next.
	readyTimeout = time.Second
	// factsTimeout bounds Facts when the caller's context has no deadline.
	factsTimeout = 10 * time.Second
	// closeTimeout bounds the polite goodbye to the server.
	closeTimeout = time.Second
)

// Standin is a configured Postgres stand-in. It implements emulators.Standin
// and is safe for concurrent use.
type Standin struct {
	image string
	opts  options
}

var _ emulators.Standin = (*Standin)(nil)

// New returns a Postgres stand-in that runs image ("" means DefaultImage).
// It checks the options and returns an error wrapping ErrInvalidOption that
// lists every problem (bad parameter names, empty user or password, unknown
// renames); a returned Standin is always valid.
func New(image string, opts ...Option) (*Standin, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if o.database == "" {
		o.database = o.user
	}
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if image == "" {
		image = DefaultImage
	}
	return &Standin{image: image, opts: o}, nil
}

// Kind returns "postgres".
func (s *Standin) Kind() string { return Kind }

// User returns the superuser name clients connect as.
func (s *Standin) User() string { return s.opts.user }

// Database returns the database clients connect to.
func (s *Standin) Database() string { return s.opts.database }

// Container describes the container: the official image's environment
// variables, `postgres -c name=value …` with the parameters in name order,
// and PGDATA pinned to DataDir. With TLS, a small shell step before the
// image's entrypoint writes the certificate, the key (owned by postgres,
// mode 0600, as the server insists) and a pg_hba.conf that refuses
// connections without TLS, and the server is told to use them. Each call
// returns fresh maps and slices.
func (s *Standin) Container() emulators.Container {
	c := emulators.Container{
		Image: s.image,
		Env: map[string]string{
			"POSTGRES_USER":     s.opts.user,
			"POSTGRES_PASSWORD": s.opts.password,
			"POSTGRES_DB":       s.opts.database,
			"PGDATA":            DataDir,
		},
		Cmd:     s.cmd(),
		Port:    Port,
		DataDir: DataDir,
	}
	if s.TLS() {
		c.Env[envTLSCert] = string(s.opts.tlsCert)
		c.Env[envTLSKey] = string(s.opts.tlsKey)
		c.Cmd = append([]string{"sh", "-c", tlsScript, "prodlike-tls"}, c.Cmd...)
	}
	return c
}

// TLS reports whether the stand-in requires TLS.
func (s *Standin) TLS() bool { return len(s.opts.tlsCert) > 0 }

func (s *Standin) cmd() []string {
	params := maps.Clone(s.opts.parameters)
	if s.TLS() {
		params["ssl"] = "on"
		params["ssl_cert_file"] = tlsDir + "/server.crt"
		params["ssl_key_file"] = tlsDir + "/server.key"
		params["hba_file"] = tlsDir + "/pg_hba.conf"
	}
	cmd := []string{"postgres"}
	for _, name := range slices.Sorted(maps.Keys(params)) {
		cmd = append(cmd, "-c", name+"="+params[name])
	}
	return cmd
}

// Where the TLS step keeps its files, and the variables that carry them in.
const (
	tlsDir     = "/tmp/prodlike-tls"
	envTLSCert = "PRODLIKE_TLS_CERT"
	envTLSKey  = "PRODLIKE_TLS_KEY"
)

// tlsParameters are the server parameters TLS sets; New refuses them from
// elsewhere when TLS is on.
var tlsParameters = []string{"hba_file", "ssl", "ssl_cert_file", "ssl_key_file"}

// tlsScript runs as the container's user (root in the official image,
// which then drops to postgres) before the image's entrypoint, with the
// server's command line as its arguments. Local (socket) connections stay
// trusted, as in the official image, so init scripts keep working; TCP
// needs TLS and a password (md5 also accepts SCRAM passwords).
const tlsScript = `set -eu
d=` + tlsDir + `
mkdir -p "$d"
printf '%s\n' "$` + envTLSCert + `" >"$d/server.crt"
(umask 077 && printf '%s\n' "$` + envTLSKey + `" >"$d/server.key")
printf 'local all all trust\nhostssl all all all md5\nhostnossl all all all reject\n' >"$d/pg_hba.conf"
if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$d"; fi
exec docker-entrypoint.sh "$@"`

// URL returns the connection URL for a client that reaches the stand-in at
// ep: postgres://user:password@host:port/db?sslmode=disable, with user,
// password and database escaped; sslmode=require when the stand-in
// requires TLS (encrypted, not verified: the certificate is a dev one).
func (s *Standin) URL(ep emulators.Endpoint) string {
	if s.TLS() {
		return s.url(ep, "require")
	}
	return s.url(ep, "disable")
}

func (s *Standin) url(ep emulators.Endpoint, sslmode string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(s.opts.user, s.opts.password),
		Host:     ep.Addr(),
		Path:     "/" + s.opts.database,
		RawPath:  "/" + url.PathEscape(s.opts.database),
		RawQuery: "sslmode=" + sslmode,
	}
	return u.String()
}

// Env returns {DATABASE_URL: URL(ep)}, under the service's name for it if
// renamed with WithEnvNames.
func (s *Standin) Env(ep emulators.Endpoint) map[string]string {
	return map[string]string{s.opts.envNames.Name(EnvURL): s.URL(ep)}
}

// Ready makes one attempt: connect over TCP, run SELECT 1, close. It
// returns an error while the server starts, initialises or shuts down (the
// official image's init-time server listens on the unix socket only, so a
// query over TCP answers only once the real server is up). One attempt
// takes at most about a second, less if ctx ends sooner.
func (s *Standin) Ready(ctx context.Context, ep emulators.Endpoint) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()

	conn, err := s.connect(ctx, ep, readyTimeout)
	if err != nil {
		return fmt.Errorf("postgres at %s not ready: %w", ep.Addr(), err)
	}
	defer closeConn(ctx, conn)
	if _, err := conn.Exec(ctx, "SELECT 1"); err != nil {
		return fmt.Errorf("postgres at %s not ready: %w", ep.Addr(), err)
	}
	return nil
}

// connect opens one connection as the stand-in's user. It uses the simple
// query protocol, so each query costs one round trip (no prepare).
//
// prodlike's own connections prefer TLS and fall back to plain ones, so that
// they reach a stand-in whether or not it was started requiring TLS (a
// stack shaped by up, read by a command told --no-shape).
func (s *Standin) connect(ctx context.Context, ep emulators.Endpoint, timeout time.Duration) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(s.url(ep, "prefer"))
	if err != nil {
		return nil, fmt.Errorf("connection config: %w", err)
	}
	cfg.ConnectTimeout = timeout
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	cfg.RuntimeParams["application_name"] = "prodlike"
	return pgx.ConnectConfig(ctx, cfg)
}

// closeConn says goodbye even when ctx has already ended, but never waits
// long for a server that does not listen.
func closeConn(ctx context.Context, conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
	defer cancel()
	_ = conn.Close(ctx)
}
