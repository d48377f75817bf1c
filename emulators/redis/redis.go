// Package redis is the Redis and Valkey stand-in kind (for ElastiCache,
// Memorystore, Azure Cache). Both engines speak the same protocol; the
// engine decides the server binary and how the version is reported. The
// package describes the container, probes readiness over TCP with go-redis,
// gives the app a REDIS_URL and reads facts from the live server. It never
// starts containers: stack/docker does.
package redis

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/prodlike/prodlike/emulators"
)

const (
	// Kind is what Standin.Kind returns, for both engines.
	Kind = "redis"
	// EngineRedis and EngineValkey are the engines WithEngine accepts.
	EngineRedis  = "redis"
	EngineValkey = "valkey"
	// DefaultImage and ValkeyImage are the official images' repositories;
	// New uses the engine's one when given no image. Callers normally pass
	// a tag for prod's version.
	DefaultImage = "redis"
	ValkeyImage  = "valkey/valkey"
	// Port is the port the server listens on inside the container.
	Port = 6379
	// DataDir is where both official images keep RDB and AOF files.
	DataDir = "/data"
	// EnvURL is the variable Env sets unless renamed.
	EnvURL = "REDIS_URL"
)

const (
	// readyTimeout bounds one Ready attempt when the caller's context
	// allows longer: callers poll, so a slow attempt only delays the next.
	readyTimeout = time.Second
	// factsTimeout bounds Facts when the caller's context has no deadline.
	factsTimeout = 10 * time.Second
)

// Standin is a configured Redis or Valkey stand-in. It implements
// emulators.Standin and is safe for concurrent use.
type Standin struct {
	image string
	opts  options
}

var _ emulators.Standin = (*Standin)(nil)

// New returns a Redis or Valkey stand-in that runs image ("" means the
// engine's official image: DefaultImage or ValkeyImage). It checks the
// options and returns an error wrapping ErrInvalidOption that lists every
// problem; a returned Standin is always valid.
func New(image string, opts ...Option) (*Standin, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	if image == "" {
		image = DefaultImage
		if o.engine == EngineValkey {
			image = ValkeyImage
		}
	}
	return &Standin{image: image, opts: o}, nil
}

// Kind returns "redis", for both engines.
func (s *Standin) Kind() string { return Kind }

// Engine returns EngineRedis or EngineValkey.
func (s *Standin) Engine() string { return s.opts.engine }

// Container describes the container: `redis-server` (`valkey-server` for
// Valkey) followed by `--name value` for the config and the password, in
// name order. Each call returns a fresh slice.
func (s *Standin) Container() emulators.Container {
	return emulators.Container{
		Image:   s.image,
		Cmd:     s.cmd(),
		Port:    Port,
		DataDir: DataDir,
	}
}

func (s *Standin) cmd() []string {
	args := maps.Clone(s.opts.config)
	if s.opts.password != "" {
		args["requirepass"] = s.opts.password
	}
	cmd := []string{s.opts.engine + "-server"}
	for _, name := range slices.Sorted(maps.Keys(args)) {
		cmd = append(cmd, "--"+name, args[name])
	}
	return cmd
}

// URL returns the connection URL for a client that reaches the stand-in at
// ep: redis://host:port/0, or redis://:password@host:port/0 with the
// password escaped.
func (s *Standin) URL(ep emulators.Endpoint) string {
	u := url.URL{Scheme: "redis", Host: ep.Addr(), Path: "/0"}
	if s.opts.password != "" {
		u.User = url.UserPassword("", s.opts.password)
	}
	return u.String()
}

// Env returns {REDIS_URL: URL(ep)}, under the service's name for it if
// renamed with WithEnvNames.
func (s *Standin) Env(ep emulators.Endpoint) map[string]string {
	return map[string]string{s.opts.envNames.Name(EnvURL): s.URL(ep)}
}

// Ready makes one attempt: connect, PING, close. It returns an error while
// the server is down, loading its data set (-LOADING) or refusing the
// password. One attempt takes at most about a second, less if ctx ends
// sooner.
func (s *Standin) Ready(ctx context.Context, ep emulators.Endpoint) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	c, err := s.dial(ctx, ep, readyTimeout)
	if err != nil {
		return fmt.Errorf("%s at %s not ready: %w", s.opts.engine, ep.Addr(), err)
	}
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("%s at %s not ready: %w", s.opts.engine, ep.Addr(), err)
	}
	return nil
}

// dial connects to ep and returns a client on that one connection. It
// dials itself because go-redis reports a failed dial on the process-wide
// logger (stderr by default, which would tear through the dashboard on
// every poll) and then keeps re-dialling in the background.
//
// The client makes exactly one attempt, honours ctx deadlines, and sends
// nothing but the commands asked for (no HELLO, CLIENT SETINFO or
// maintenance notifications): RESP2 is enough and works with every server
// version.
func (s *Standin) dial(ctx context.Context, ep emulators.Endpoint, timeout time.Duration) (*probeClient, error) {
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", ep.Addr())
	if err != nil {
		return nil, err
	}
	var handedOver atomic.Bool
	c := goredis.NewClient(&goredis.Options{
		Addr: ep.Addr(),
		Dialer: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if handedOver.CompareAndSwap(false, true) {
				return conn, nil
			}
			return d.DialContext(ctx, network, addr)
		},
		Password:              s.opts.password,
		Protocol:              2,
		DisableIdentity:       true,
		MaxRetries:            -1,
		DialerRetries:         1,
		DialTimeout:           timeout,
		ReadTimeout:           timeout,
		WriteTimeout:          timeout,
		ContextTimeoutEnabled: true,
		PoolSize:              1,
		MaintNotificationsConfig: &maintnotifications.Config{
			Mode: maintnotifications.ModeDisabled,
		},
	})
	return &probeClient{Client: c, conn: conn, handedOver: &handedOver}, nil
}

// probeClient is a client from dial; Close also closes the connection dial
// made when go-redis never took it.
type probeClient struct {
	*goredis.Client
	conn       net.Conn
	handedOver *atomic.Bool
}

func (c *probeClient) Close() error {
	err := c.Client.Close()
	if c.handedOver.CompareAndSwap(false, true) {
		c.conn.Close()
	}
	return err
}
