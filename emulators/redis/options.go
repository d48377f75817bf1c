package redis

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
var ErrInvalidOption = errors.New("invalid redis option")

// options are the settings New collects; defaults come from defaultOptions.
type options struct {
	engine string
	// password "" means no AUTH, as on an ElastiCache cluster without an
	// auth token.
	password string
	config   map[string]string
	// envNames maps a default variable name (EnvURL) to the name the
	// service wants instead.
	envNames emulators.EnvNames
}

func defaultOptions() options {
	return options{
		engine:   EngineRedis,
		config:   map[string]string{},
		envNames: emulators.EnvNames{},
	}
}

// Option configures a redis stand-in.
type Option func(*options)

// WithEngine chooses the server: EngineRedis (default) or EngineValkey. It
// decides the server binary in Container().Cmd and the default image; it
// does not look at the image New was given.
func WithEngine(engine string) Option {
	return func(o *options) { o.engine = engine }
}

// WithPassword makes the server require password (`--requirepass`), as an
// ElastiCache auth token does. Default: none.
func WithPassword(password string) Option {
	return func(o *options) { o.password = password }
}

// WithConfig adds server configuration, passed as `--name value` on the
// server's command line (the way an ElastiCache parameter group maps onto a
// stand-in). Names are lower case: [a-z0-9][a-z0-9._-]*. Use WithPassword,
// not requirepass. A value with several words ("3600 1 300 100" for save)
// stays one argument, which the server splits. Repeated calls merge, and a
// later value for the same name wins.
func WithConfig(config map[string]string) Option {
	return func(o *options) { maps.Copy(o.config, config) }
}

// WithEnvNames renames variables Env returns, from the default name to the
// name the service reads, e.g. {"REDIS_URL": "CACHE_URL"}. Repeated calls
// merge.
func WithEnvNames(names map[string]string) Option {
	return func(o *options) { maps.Copy(o.envNames, names) }
}

var configName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// validate reports every problem at once, in a stable order, each wrapping
// ErrInvalidOption.
func (o *options) validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format+": %w", append(args, ErrInvalidOption)...))
	}

	if o.engine != EngineRedis && o.engine != EngineValkey {
		bad("engine %q: want %q or %q", o.engine, EngineRedis, EngineValkey)
	}
	if strings.ContainsRune(o.password, 0) {
		bad("password contains a NUL byte")
	}

	for _, name := range slices.Sorted(maps.Keys(o.config)) {
		value := o.config[name]
		switch {
		case !configName.MatchString(name):
			bad("config %q: name must match [a-z0-9][a-z0-9._-]*", name)
		case name == "requirepass":
			bad("config %q: use WithPassword", name)
		case strings.HasPrefix(value, "--"):
			// The server would read it as the next option's name.
			bad("config %q: value %q starts with --", name, value)
		case strings.ContainsRune(value, 0):
			bad("config %q: value contains a NUL byte", name)
		}
	}

	for _, err := range o.envNames.Check(Kind, EnvURL) {
		errs = append(errs, fmt.Errorf("%w: %w", err, ErrInvalidOption))
	}
	return errors.Join(errs...)
}
