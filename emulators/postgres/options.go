package postgres

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/prodlike/prodlike/emulators"
)

// ErrInvalidOption is wrapped by every error New returns, so callers can
// tell a bad configuration (a usage error) from a failure to run.
var ErrInvalidOption = errors.New("invalid postgres option")

const (
	defaultUser     = "postgres"
	defaultPassword = "postgres"

	// maxIdentifierLen is NAMEDATALEN-1: Postgres silently truncates longer
	// role and database names, and the truncated name would not match the
	// one in the connection URL.
	maxIdentifierLen = 63
)

// options are the settings New collects; defaults come from defaultOptions.
type options struct {
	user     string
	password string
	// database "" means "same as user", like the official image.
	database   string
	parameters map[string]string
	// envNames maps a default variable name (EnvURL) to the name the
	// service wants instead.
	envNames emulators.EnvNames
	// tlsCert and tlsKey (PEM) make the server require TLS; nil for plain
	// connections.
	tlsCert, tlsKey []byte
}

func defaultOptions() options {
	return options{
		user:       defaultUser,
		password:   defaultPassword,
		parameters: map[string]string{},
		envNames:   emulators.EnvNames{},
	}
}

// Option configures a postgres stand-in.
type Option func(*options)

// WithUser sets the superuser the image creates (POSTGRES_USER).
// Default "postgres".
func WithUser(user string) Option {
	return func(o *options) { o.user = user }
}

// WithPassword sets the superuser's password (POSTGRES_PASSWORD). It must not
// be empty: the official image refuses to start without one.
// Default "postgres".
func WithPassword(password string) Option {
	return func(o *options) { o.password = password }
}

// WithDatabase sets the database the image creates and clients connect to
// (POSTGRES_DB). Default: the user name, as in the official image.
func WithDatabase(database string) Option {
	return func(o *options) { o.database = database }
}

// WithParameters adds server parameters, passed as `-c name=value` on the
// server's command line (the way RDS parameter groups map onto a stand-in).
// Names must match [a-z0-9_.]+; New rejects others. Repeated calls merge,
// and a later value for the same name wins.
func WithParameters(params map[string]string) Option {
	return func(o *options) { maps.Copy(o.parameters, params) }
}

// WithEnvNames renames variables Env returns, from the default name to the
// name the service reads, e.g. {"DATABASE_URL": "PG_DSN"}. Repeated calls
// merge.
func WithEnvNames(names map[string]string) Option {
	return func(o *options) { maps.Copy(o.envNames, names) }
}

// WithTLS makes the server require TLS, as RDS does with rds.force_ssl=1:
// it serves certPEM with keyPEM (see emulators.DevCertificate), refuses
// connections without TLS, and the connection URL says sslmode=require.
func WithTLS(certPEM, keyPEM []byte) Option {
	return func(o *options) { o.tlsCert, o.tlsKey = certPEM, keyPEM }
}

var parameterName = regexp.MustCompile(`^[a-z0-9_.]+$`)

// validate reports every problem at once, in a stable order, each wrapping
// ErrInvalidOption.
func (o *options) validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format+": %w", append(args, ErrInvalidOption)...))
	}

	checkIdentifier := func(what, v string) {
		switch {
		case v == "":
			bad("%s must not be empty", what)
		case len(v) > maxIdentifierLen:
			bad("%s %q is longer than %d bytes", what, v, maxIdentifierLen)
		case strings.ContainsRune(v, 0):
			bad("%s %q contains a NUL byte", what, v)
		}
	}
	checkIdentifier("user", o.user)
	checkIdentifier("database", o.database)
	switch {
	case o.password == "":
		bad("password must not be empty (the postgres image needs one)")
	case strings.ContainsRune(o.password, 0):
		bad("password contains a NUL byte")
	}

	for _, name := range slices.Sorted(maps.Keys(o.parameters)) {
		if !parameterName.MatchString(name) {
			bad("parameter %q: name must match [a-z0-9_.]+", name)
			continue
		}
		if strings.ContainsRune(o.parameters[name], 0) {
			bad("parameter %q: value contains a NUL byte", name)
		}
	}

	if (len(o.tlsCert) == 0) != (len(o.tlsKey) == 0) {
		bad("TLS needs both a certificate and a key")
	}
	for _, name := range tlsParameters {
		if _, ok := o.parameters[name]; ok && len(o.tlsCert) > 0 {
			bad("parameter %q: set by the stand-in's TLS", name)
		}
	}

	for _, err := range o.envNames.Check(Kind, EnvURL) {
		errs = append(errs, fmt.Errorf("%w: %w", err, ErrInvalidOption))
	}
	return errors.Join(errs...)
}
