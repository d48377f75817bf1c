// Command shop is a small order service: Postgres keeps the orders, Redis
// keeps counters and a cached order list. It is prodlike's bundled example.
//
// Configuration comes from the environment:
//
//	DATABASE_URL  Postgres connection URL (required)
//	REDIS_URL     Redis connection URL (required)
//	PORT          HTTP port (default 8080)
//
// Run with -healthcheck to GET the running server's /healthz and exit 0 when
// it answers 200, 1 otherwise (the image's HEALTHCHECK; a scratch image has no
// curl).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

const (
	// startTimeout bounds how long start-up waits for Postgres and Redis to
	// answer (plain `docker compose up` starts the app next to a database
	// that is still initialising).
	startTimeout = 60 * time.Second
	// shutdownTimeout bounds the drain of in-flight requests; it stays well
	// under `docker stop`'s default 10 s grace period.
	shutdownTimeout = 5 * time.Second
)

func main() {
	healthcheck := flag.Bool("healthcheck", false, "GET this server's /healthz and exit 0 if it is healthy, 1 otherwise")
	flag.Parse()

	if *healthcheck {
		if err := checkHealth(os.Getenv("PORT")); err != nil {
			fmt.Fprintln(os.Stderr, "unhealthy:", err)
			os.Exit(1)
		}
		return
	}

	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	cfg, err := configFromEnv(os.Getenv)
	if err != nil {
		log.Error("invalid configuration", "err", err)
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, stop, cfg, log); err != nil {
		log.Error("shop stopped", "err", err)
		os.Exit(1)
	}
}

// config is the service's configuration.
type config struct {
	DatabaseURL string
	RedisURL    string
	Port        int
}

// configFromEnv reads the configuration through getenv and reports every
// missing or invalid variable at once.
func configFromEnv(getenv func(string) string) (config, error) {
	cfg := config{
		DatabaseURL: getenv("DATABASE_URL"),
		RedisURL:    getenv("REDIS_URL"),
		Port:        8080,
	}
	var errs []error
	if cfg.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL is required (e.g. postgres://user:pass@host:5432/db)"))
	}
	if cfg.RedisURL == "" {
		errs = append(errs, errors.New("REDIS_URL is required (e.g. redis://host:6379/0)"))
	}
	if p := getenv("PORT"); p != "" {
		port, err := strconv.Atoi(p)
		if err != nil || port < 1 || port > 65535 {
			errs = append(errs, fmt.Errorf("PORT must be a port number, got %q", p))
		}
		cfg.Port = port
	}
	return cfg, errors.Join(errs...)
}

// run connects to the stores, records the boot and serves HTTP until ctx is
// cancelled, then drains in-flight requests. stop releases the signal
// handlers once shutdown has begun, so a second Ctrl-C kills the process.
func run(ctx context.Context, stop context.CancelFunc, cfg config, log *slog.Logger) error {
	db, cache, err := start(ctx, cfg, log)
	if err != nil {
		if ctx.Err() != nil {
			log.Info("stopped during start-up")
			return nil
		}
		return err
	}
	defer db.Close()
	defer cache.Close()

	srv := &http.Server{
		Addr:              net.JoinHostPort("", strconv.Itoa(cfg.Port)),
		Handler:           newServer(db, cache, log),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		return err
	}
	log.Info("listening", "addr", ln.Addr().String())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	stop()
	log.Info("shutting down", "timeout", shutdownTimeout.String())
	shutCtx, cancelShut := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancelShut()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// start connects to both stores (waiting up to startTimeout for them to
// answer), creates the schema and records this start in both stores.
func start(ctx context.Context, cfg config, log *slog.Logger) (*postgresStore, *redisStore, error) {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()

	db, err := openPostgres(ctx, cfg.DatabaseURL, log)
	if err != nil {
		return nil, nil, err
	}
	cache, err := openRedis(ctx, cfg.RedisURL, log)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	boots, redisBoots, err := recordBoot(ctx, db, cache)
	if err != nil {
		db.Close()
		cache.Close()
		return nil, nil, err
	}
	log.Info("connected", "boot", boots, "redis_boots", redisBoots)
	return db, cache, nil
}

// recordBoot creates the schema, then marks this start in both stores so that
// a test can see the app really wrote to each.
func recordBoot(ctx context.Context, db *postgresStore, cache *redisStore) (boot, redisBoots int64, err error) {
	if err := db.Migrate(ctx); err != nil {
		return 0, 0, err
	}
	if boot, err = db.RecordBoot(ctx); err != nil {
		return 0, 0, err
	}
	if redisBoots, err = cache.Incr(ctx, keyBoots); err != nil {
		return 0, 0, fmt.Errorf("redis: record boot: %w", err)
	}
	return boot, redisBoots, nil
}

// checkHealth GETs /healthz on the local server listening on port ("" for
// the default).
func checkHealth(port string) error {
	if port == "" {
		port = "8080"
	}
	client := &http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get("http://" + net.JoinHostPort("127.0.0.1", port) + "/healthz")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/healthz answered %s", resp.Status)
	}
	return nil
}

// retry calls f until it succeeds or ctx ends, logging each failure.
func retry(ctx context.Context, log *slog.Logger, what string, f func(context.Context) error) error {
	const pause, perAttempt = 500 * time.Millisecond, 5 * time.Second
	for attempt := 1; ; attempt++ {
		attemptCtx, cancel := context.WithTimeout(ctx, perAttempt)
		err := f(attemptCtx)
		cancel()
		if err == nil {
			return nil
		}
		if attempt == 1 || attempt%10 == 0 {
			log.Warn("waiting for "+what, "attempt", attempt, "err", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not reachable: %w", what, err)
		case <-time.After(pause):
		}
	}
}
