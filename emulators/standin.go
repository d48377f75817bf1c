// Package emulators holds what every stand-in kind has in common: the
// container it needs, how to tell that it is ready, the connection variables
// it gives the app, and the facts it reports about itself.
//
// The kinds live in sub-packages (postgres, redis, …). They describe and probe
// stand-ins but never start containers themselves: only stack/docker talks to
// Docker, so the plan and everything before it stays pure and testable.
package emulators

import (
	"context"
	"fmt"
	"maps"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Container is the container a stand-in runs, as plain data.
type Container struct {
	Image string
	Env   map[string]string
	// Cmd replaces the image's command (arguments to its entrypoint).
	Cmd []string
	// Port is the TCP port the stand-in serves on inside the container.
	Port int
	// DataDir is where the stand-in keeps data that should survive `down`;
	// the engine mounts a named volume there. "" for none.
	DataDir string
	// Dirs are directories the engine creates inside DataDir before the
	// container starts (on the volume, so they persist), for servers that
	// need them and images without a shell to make them.
	Dirs []string
}

// Endpoint is where a stand-in answers: the service name and container port
// inside the project network, or localhost and the published port on the host.
type Endpoint struct {
	Host string
	Port int
}

// Addr returns host:port.
func (e Endpoint) Addr() string { return net.JoinHostPort(e.Host, strconv.Itoa(e.Port)) }

// Facts are what a live stand-in reports about itself. Each kind returns its
// own type with the details (settings, extensions, config); the version is
// common to all.
type Facts interface {
	// ServerVersion is the version the running server reports (15.14, 7.0.15).
	ServerVersion() string
}

// Standin is one configured stand-in of some kind.
type Standin interface {
	// Kind names the stand-in kind (postgres, redis).
	Kind() string
	// Container describes the container to run.
	Container() Container
	// Ready returns nil once the stand-in does real work at ep (a query, a
	// PING), and an error otherwise. It makes one attempt; callers poll.
	Ready(ctx context.Context, ep Endpoint) error
	// Env returns the connection variables for a client that reaches the
	// stand-in at ep, after any renames the service asked for.
	Env(ep Endpoint) map[string]string
	// Facts reads the live stand-in at ep.
	Facts(ctx context.Context, ep Endpoint) (Facts, error)
}

// EnvNames renames the variables a stand-in gives the app: default name →
// the name the service reads (x-prodlike.env). Every kind takes them the
// same way.
type EnvNames map[string]string

var envVarName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Check reports renames of variables the kind does not set (provides) and
// target names that are not valid variable names, in a stable order.
func (n EnvNames) Check(kind string, provides ...string) []error {
	var errs []error
	for _, from := range slices.Sorted(maps.Keys(n)) {
		to := n[from]
		switch {
		case !slices.Contains(provides, from):
			errs = append(errs, fmt.Errorf("env rename %q: %s sets only %s", from, kind, strings.Join(provides, ", ")))
		case !envVarName.MatchString(to):
			errs = append(errs, fmt.Errorf("env rename %s to %q: not a valid variable name", from, to))
		}
	}
	return errs
}

// EnvSuffix turns a resource name into the end of a variable name: upper
// case, with everything but ASCII letters and digits turned into '_'
// ("jobs-dlq" gives JOBS_DLQ, "orders.fifo" ORDERS_FIFO).
func EnvSuffix(name string) string {
	b := []byte(strings.ToUpper(name))
	for i, c := range b {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			b[i] = '_'
		}
	}
	return string(b)
}

// Name returns the name the service reads for the variable name.
func (n EnvNames) Name(name string) string {
	if to, ok := n[name]; ok {
		return to
	}
	return name
}

// Configurer is a Standin that is shaped through its own API once it is
// ready: buckets and queues are created the way production has them.
// Configure must be idempotent: it runs on every `up`, also when a running
// stand-in is reused, so that what the compose file declares exists again
// even if someone deleted it by hand.
type Configurer interface {
	// Configure makes the stand-in at ep match its declaration. It creates
	// what is missing, sets attributes that differ, and leaves data alone.
	Configure(ctx context.Context, ep Endpoint) error
}
