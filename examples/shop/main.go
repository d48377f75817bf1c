// Command shop is a small order service with file uploads: Postgres keeps
// the orders and the uploads' metadata, Redis keeps counters and a cached
// order list, S3 keeps the uploaded files and an SQS queue carries the
// background jobs that checksum them (with a dead-letter queue for the jobs
// that keep failing). It is prodlike's bundled example.
//
// Configuration comes from the environment:
//
//	DATABASE_URL           Postgres connection URL (required)
//	REDIS_URL              Redis connection URL (required)
//	UPLOADS_BUCKET         S3 bucket for the uploaded files (required)
//	JOBS_QUEUE_URL         SQS queue URL of the background jobs (required)
//	JOBS_DLQ_URL           SQS URL of the jobs' dead-letter queue, for /stats (optional)
//	S3_USE_PATH_STYLE      "true" for path-style S3 requests (default false)
//	PORT                   HTTP port (default 8080)
//
// The AWS SDK reads its own variables: AWS_REGION, credentials
// (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the task role) and, for
// stand-ins, AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL_SQS. In production no
// endpoint variable is set and the SDK talks to AWS.
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
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

const (
	// startTimeout bounds how long start-up waits for Postgres, Redis, S3
	// and SQS to answer (plain `docker compose up` starts the app next to a
	// database that is still initialising).
	startTimeout = 60 * time.Second
	// shutdownTimeout bounds the drain of in-flight requests and of the
	// worker's job in hand; it stays well under `docker stop`'s default 10 s
	// grace period.
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
	DatabaseURL   string
	RedisURL      string
	UploadsBucket string
	JobsQueueURL  string
	JobsDLQURL    string // "" when the dead-letter queue is not reported
	S3PathStyle   bool
	Port          int
}

// configFromEnv reads the configuration through getenv and reports every
// missing or invalid variable at once.
func configFromEnv(getenv func(string) string) (config, error) {
	cfg := config{
		DatabaseURL:   getenv("DATABASE_URL"),
		RedisURL:      getenv("REDIS_URL"),
		UploadsBucket: getenv("UPLOADS_BUCKET"),
		JobsQueueURL:  getenv("JOBS_QUEUE_URL"),
		JobsDLQURL:    getenv("JOBS_DLQ_URL"),
		Port:          8080,
	}
	var errs []error
	if cfg.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL is required (e.g. postgres://user:pass@host:5432/db)"))
	}
	if cfg.RedisURL == "" {
		errs = append(errs, errors.New("REDIS_URL is required (e.g. redis://host:6379/0)"))
	}
	if cfg.UploadsBucket == "" {
		errs = append(errs, errors.New("UPLOADS_BUCKET is required (the S3 bucket name, e.g. shop-uploads)"))
	}
	if cfg.JobsQueueURL == "" {
		errs = append(errs, errors.New("JOBS_QUEUE_URL is required (e.g. https://sqs.eu-west-1.amazonaws.com/123456789012/shop-jobs)"))
	} else if !isHTTPURL(cfg.JobsQueueURL) {
		errs = append(errs, fmt.Errorf("JOBS_QUEUE_URL must be an http(s) queue URL, got %q", cfg.JobsQueueURL))
	}
	if cfg.JobsDLQURL != "" && !isHTTPURL(cfg.JobsDLQURL) {
		errs = append(errs, fmt.Errorf("JOBS_DLQ_URL must be an http(s) queue URL, got %q", cfg.JobsDLQURL))
	}
	if v := getenv("S3_USE_PATH_STYLE"); v != "" {
		pathStyle, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("S3_USE_PATH_STYLE must be true or false, got %q", v))
		}
		cfg.S3PathStyle = pathStyle
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

// isHTTPURL reports whether s is an absolute http or https URL with a host.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// run connects to the backing services, records the boot, starts the job
// worker and serves HTTP until ctx is cancelled, then drains in-flight
// requests and the worker's in-flight job. stop releases the signal handlers
// once shutdown has begun, so a second Ctrl-C kills the process.
func run(ctx context.Context, stop context.CancelFunc, cfg config, log *slog.Logger) error {
	b, err := start(ctx, cfg, log)
	if err != nil {
		if ctx.Err() != nil {
			log.Info("stopped during start-up")
			return nil
		}
		return err
	}
	defer b.Close()

	// A nil *sqsQueue in a JobQueue would not compare equal to nil.
	var deadLetters JobQueue
	if b.deadLetters != nil {
		deadLetters = b.deadLetters
	}
	srv := &http.Server{
		Addr:              net.JoinHostPort("", strconv.Itoa(cfg.Port)),
		Handler:           newServer(b.db, b.cache, b.blobs, b.jobs, deadLetters, log),
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

	workerCtx, stopWorker := context.WithCancel(ctx)
	defer stopWorker()
	workerDone := make(chan struct{})
	go func() {
		defer close(workerDone)
		newWorker(b.jobs, b.blobs, b.db, log).Run(workerCtx)
	}()

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		stopWorker()
		<-workerDone // its in-flight job is bounded by jobTimeout
		return err
	case <-ctx.Done():
	}
	stop()
	log.Info("shutting down", "timeout", shutdownTimeout.String())
	shutCtx, cancelShut := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancelShut()
	// The worker saw ctx end too: it receives nothing more and finishes the
	// job in hand while the server drains its requests.
	shutErr := srv.Shutdown(shutCtx)
	select {
	case <-workerDone:
	case <-shutCtx.Done():
		log.Warn("worker did not finish its job in time; the queue will deliver it again")
	}
	if shutErr != nil {
		return fmt.Errorf("shutdown: %w", shutErr)
	}
	log.Info("stopped")
	return nil
}

// backends are the service's connections to the services it uses.
type backends struct {
	db          *postgresStore
	cache       *redisStore
	blobs       *s3Store
	jobs        *sqsQueue
	deadLetters *sqsQueue // nil when JOBS_DLQ_URL is not set
}

// Close closes the connections that are open.
func (b *backends) Close() {
	if b.db != nil {
		b.db.Close()
	}
	if b.cache != nil {
		b.cache.Close()
	}
}

// start connects to Postgres, Redis, S3 and SQS (waiting up to startTimeout
// for them to answer), creates the schema and records this start in
// Postgres and Redis.
func start(ctx context.Context, cfg config, log *slog.Logger) (*backends, error) {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()

	b := &backends{}
	ok := false
	defer func() {
		if !ok {
			b.Close()
		}
	}()
	var err error
	if b.db, err = openPostgres(ctx, cfg.DatabaseURL, log); err != nil {
		return nil, err
	}
	if b.cache, err = openRedis(ctx, cfg.RedisURL, log); err != nil {
		return nil, err
	}
	awsCfg, err := loadAWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	if b.blobs, err = openS3(ctx, awsCfg, cfg.UploadsBucket, cfg.S3PathStyle, log); err != nil {
		return nil, err
	}
	sqsClient := newSQSClient(awsCfg)
	if b.jobs, err = openSQS(ctx, sqsClient, cfg.JobsQueueURL, log); err != nil {
		return nil, err
	}
	if cfg.JobsDLQURL != "" {
		// Only /stats reads the dead-letter queue: do not wait for it.
		b.deadLetters = &sqsQueue{client: sqsClient, url: cfg.JobsDLQURL}
	}
	boots, redisBoots, err := recordBoot(ctx, b.db, b.cache)
	if err != nil {
		return nil, err
	}
	ok = true
	log.Info("connected", "boot", boots, "redis_boots", redisBoots,
		"bucket", cfg.UploadsBucket, "jobs_queue", cfg.JobsQueueURL, "region", awsCfg.Region)
	return b, nil
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
